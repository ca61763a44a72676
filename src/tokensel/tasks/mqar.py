"""Multi-query associative recall (MQAR) as defined by Zoology (Arora, Eyuboglu et al., 2023,
"Zoology: measuring and improving recall in efficient language models", arXiv 2312.04927).

Layout, ``size`` N pairs, length L, vocabulary |W| = ``vocab_size`` ids 0..|W|-1:

* positions 0..2N-1 hold ``k_1 v_1 .. k_N v_N``: N distinct keys from the lower half of the ids
  and N distinct values from the upper half;
* the rest is (L - 2N) // 2 two-token slots; every key is queried once, at the first position of
  a slot drawn without replacement with probability proportional to (slot + 1)^(a - 1)
  (``power_a`` a; small a puts most queries soon after the pairs, as repeated bigrams are in
  text; a = 1 is uniform);
* every other position after the pairs holds a noise token drawn uniformly from all |W| ids
  (``noise: false`` puts a padding id |W| there instead).

The target at a query is the value paired with it; no other position is scored. Values are
distinct, so a guess among the pairs' values without the key scores 1/N (the shortcut).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, ClassVar

import numpy as np

from tokensel.core.params import AtLeast, Between, PositiveInt, check
from tokensel.tasks.base import IGNORE, distinct_draws


def slot_probabilities(n_slots: int, power_a: float) -> np.ndarray:
    """P(slot s) proportional to (s + 1)^(a - 1), s = 0..n_slots-1."""
    weights = np.arange(1, n_slots + 1, dtype=float) ** (power_a - 1.0)
    return weights / weights.sum()


def weighted_draws(rng: np.random.Generator, n: int, probabilities: np.ndarray, k: int) -> np.ndarray:
    """(n, k) distinct indices per row, drawn one after another with ``probabilities`` renormalised
    over the indices not yet drawn (successive sampling without replacement).

    The top k of log p + Gumbel noise has exactly that distribution, for all rows at once;
    ``weighted_draws_reference`` is the one-draw-at-a-time definition it is tested against.
    """
    gumbel = -np.log(-np.log(rng.random((n, probabilities.size))))
    return np.argsort(-(np.log(probabilities)[None, :] + gumbel), axis=1)[:, :k]


def weighted_draws_reference(rng: np.random.Generator, n: int, probabilities: np.ndarray, k: int) -> np.ndarray:
    """The slow definition of ``weighted_draws``: per row, ``rng.choice`` without replacement."""
    return np.stack([rng.choice(probabilities.size, size=k, replace=False, p=probabilities) for _ in range(n)])


@dataclass(frozen=True)
class MQARTask:
    """``size`` N key-value pairs in a sequence of ``seq_len`` tokens over ``vocab_size`` ids."""

    name: ClassVar[str] = "mqar"
    size: PositiveInt
    vocab_size: Annotated[int, AtLeast(4)] = 64
    seq_len: PositiveInt = 32
    power_a: Annotated[float, Between(0.001, 1)] = 0.01
    noise: bool = True

    def __post_init__(self) -> None:
        check(self.vocab_size % 2 == 0, "vocab_size", f"({self.vocab_size}) must be even: half the ids are keys, half values")
        check(
            self.vocab_size // 2 >= self.size, "vocab_size",
            f"({self.vocab_size}) must be at least twice the number of pairs ({self.size}): keys and values are distinct "
            "and each uses half the vocabulary. Raise vocab_size or lower the size",
        )
        check(
            self.n_slots >= self.size, "seq_len",
            f"({self.seq_len}) leaves {self.n_slots} query slots after the {self.size} pairs; every pair needs one: "
            f"seq_len must be at least {4 * self.size}",
        )

    @property
    def n_slots(self) -> int:
        return (self.seq_len - 2 * self.size) // 2

    @property
    def n_tokens(self) -> int:
        return self.vocab_size + (0 if self.noise else 1)

    def generate(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        pairs, half = self.size, self.vocab_size // 2
        keys = distinct_draws(rng, n, half, pairs)
        values = distinct_draws(rng, n, self.vocab_size - half, pairs) + half
        slots = weighted_draws(rng, n, slot_probabilities(self.n_slots, self.power_a), pairs)
        if self.noise:
            inputs = rng.integers(0, self.vocab_size, size=(n, self.seq_len), dtype=np.int64)
        else:
            inputs = np.full((n, self.seq_len), self.vocab_size, dtype=np.int64)
        labels = np.full((n, self.seq_len), IGNORE, dtype=np.int64)
        inputs[:, 0 : 2 * pairs : 2] = keys
        inputs[:, 1 : 2 * pairs : 2] = values
        rows = np.arange(n)[:, None]
        query_positions = 2 * pairs + 2 * slots
        inputs[rows, query_positions] = keys
        labels[rows, query_positions] = values
        return inputs, labels

    def shortcut_candidates(self, inputs: np.ndarray) -> np.ndarray:
        """The tokens a no-recall guess may pick: the values of the pairs."""
        mask = np.zeros(inputs.shape, dtype=bool)
        mask[:, 1 : 2 * self.size : 2] = True
        return mask
