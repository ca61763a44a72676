"""Input copying (the paper's Theorem 3.1 task).

Layout, size k: ``x_1 .. x_N  SEP  BLANK x N  PAD ...`` with N ~ U{1..k}; the target at the i-th
blank is x_i. The lag between a blank and the token it copies is N + 1, so it changes with the
input: a fixed convolution cannot copy; the model must select tokens dynamically. Without the order
of the string, the best guess at every blank is the string's most frequent token (its shortcut).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, ClassVar

import numpy as np

from tokensel.core.params import AtLeast, PositiveInt
from tokensel.tasks.base import IGNORE

PAD, SEP, BLANK = 0, 1, 2
FIRST_DATA = 3


@dataclass(frozen=True)
class CopyTask:
    """``size`` k: the longest string (sequence length 2k + 1); ``vocab_size``: data tokens."""

    name: ClassVar[str] = "copy"
    size: PositiveInt
    vocab_size: Annotated[int, AtLeast(2)] = 16

    @property
    def seq_len(self) -> int:
        return 2 * self.size + 1

    @property
    def n_tokens(self) -> int:
        return FIRST_DATA + self.vocab_size

    def generate(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        return self.with_lengths(rng.integers(1, self.size + 1, size=n), rng)

    def with_lengths(self, string_len: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """One example per entry of ``string_len`` (each in 1..k), its tokens drawn from ``rng``."""
        k, length, n = self.size, self.seq_len, len(string_len)
        if n and not (1 <= string_len.min() and string_len.max() <= k):
            raise ValueError(f"string lengths must lie in 1..{k}, got {string_len.min()}..{string_len.max()}")
        inputs = np.full((n, length), PAD, dtype=np.int64)
        labels = np.full((n, length), IGNORE, dtype=np.int64)
        tokens = rng.integers(FIRST_DATA, FIRST_DATA + self.vocab_size, size=(n, k))
        position = np.arange(length)[None, :]
        in_string = position < string_len[:, None]
        inputs[:, :k][in_string[:, :k]] = tokens[in_string[:, :k]]
        inputs[np.arange(n), string_len] = SEP
        answer = (position > string_len[:, None]) & (position <= 2 * string_len[:, None])
        inputs[answer] = BLANK
        labels[answer] = tokens[in_string[:, :k]]
        return inputs, labels

    def shortcut_candidates(self, inputs: np.ndarray) -> np.ndarray:
        """The tokens a guess that ignores order may pick: the string's data tokens."""
        return inputs >= FIRST_DATA
