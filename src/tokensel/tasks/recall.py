"""Associative recall (the paper's Theorem 3.2 task).

Layout, size k: ``k_1 v_1 .. k_k v_k  q_1 .. q_Q``: distinct keys and distinct values (both drawn
without replacement), each query a key from the context (distinct when Q > 1); the target at q_j is
the value paired with it. Keys use ids 1..V and values V+1..2V (0 is padding), so they never
collide. Values are distinct so that no value is more frequent than another in the context: a guess
among them without the key scores exactly 1/k (the shortcut), not the most frequent value's share.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

import numpy as np

from tokensel.core.params import PositiveInt, check
from tokensel.tasks.base import IGNORE, distinct_draws


@dataclass(frozen=True)
class RecallTask:
    """``size`` k key-value pairs over ``vocab_size`` distinct keys (and as many values), then
    ``n_queries`` queries: a count, or ``all`` to query every pair once (the multi-query form)."""

    name: ClassVar[str] = "recall"
    size: PositiveInt
    vocab_size: PositiveInt = 16
    n_queries: PositiveInt | Literal["all"] = 1

    def __post_init__(self) -> None:
        check(
            self.vocab_size >= self.size, "vocab_size",
            f"({self.vocab_size}) must be at least the number of key-value pairs ({self.size}): keys and values are distinct. "
            "Raise vocab_size or lower the size",
        )
        check(
            self.queries <= self.size, "n_queries",
            f"({self.n_queries}) cannot exceed the number of pairs ({self.size}); use 'all' to query every pair",
        )

    @property
    def queries(self) -> int:
        return self.size if self.n_queries == "all" else int(self.n_queries)

    @property
    def seq_len(self) -> int:
        return 2 * self.size + self.queries

    @property
    def n_tokens(self) -> int:
        return 1 + 2 * self.vocab_size  # PAD, keys, values

    def generate(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        k, q, v = self.size, self.queries, self.vocab_size
        keys = distinct_draws(rng, n, v, k) + 1
        values = distinct_draws(rng, n, v, k) + 1 + v
        queried = distinct_draws(rng, n, k, q)  # which pairs are asked for, in asking order
        rows = np.arange(n)[:, None]
        inputs = np.empty((n, 2 * k + q), dtype=np.int64)
        inputs[:, 0 : 2 * k : 2] = keys
        inputs[:, 1 : 2 * k : 2] = values
        inputs[:, 2 * k :] = keys[rows, queried]
        labels = np.full_like(inputs, IGNORE)
        labels[:, 2 * k :] = values[rows, queried]
        return inputs, labels

    def shortcut_candidates(self, inputs: np.ndarray) -> np.ndarray:
        """The tokens a no-recall guess may pick: the values of the pairs."""
        mask = np.zeros(inputs.shape, dtype=bool)
        mask[:, 1 : 2 * self.size : 2] = True
        return mask
