"""Associative recall (the paper's Theorem 3.2 task), in its multi-query form.

Layout, size k: ``k_1 v_1 .. k_k v_k  q_1 .. q_Q``. The vocabulary |W| = ``vocab_size`` ids are
split in halves: keys use ids 1..|W|/2, values |W|/2+1..|W| (0 is padding), so a key never looks
like a value. Keys are distinct and so are values (drawn without replacement), so no value is more
frequent than another in the context and guessing one without the key scores exactly 1/k. Each
query is a distinct key of the context, in random order; the target at q_j is the value paired
with it. ``tokensel.tasks.mqar`` is the same association with the queries spread out among noise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, ClassVar, Literal

import numpy as np

from tokensel.core.params import AtLeast, PositiveInt, check
from tokensel.tasks.base import IGNORE, distinct_draws


@dataclass(frozen=True)
class RecallTask:
    """``size`` k key-value pairs over a vocabulary of ``vocab_size`` ids (half keys, half values),
    then ``n_queries`` queries: a count, or ``all`` to query every pair once."""

    name: ClassVar[str] = "recall"
    size: PositiveInt
    vocab_size: Annotated[int, AtLeast(2)] = 16
    n_queries: PositiveInt | Literal["all"] = "all"

    def __post_init__(self) -> None:
        check(self.vocab_size % 2 == 0, "vocab_size", f"({self.vocab_size}) must be even: half the ids are keys, half values")
        check(
            self.vocab_size // 2 >= self.size, "vocab_size",
            f"({self.vocab_size}) must be at least twice the number of key-value pairs ({self.size}): keys and values "
            "are distinct and each uses half the vocabulary. Raise vocab_size or lower the size",
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
        return 1 + self.vocab_size  # PAD, keys, values

    def generate(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        k, q, half = self.size, self.queries, self.vocab_size // 2
        keys = distinct_draws(rng, n, half, k) + 1
        values = distinct_draws(rng, n, half, k) + 1 + half
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
