"""Token codes: a token index i in [0, |W|) written as ``n_digits`` digits in base C.

n_digits = 1 is the token index itself (one channel, base C = |W|); n_digits = ceil(log2 |W|)
is its binary expansion (base 2). Fewer digits mean fewer channels per token but larger numbers
in the residual stream, hence more bits of arithmetic: the width-precision trade-off that the
cost tables show.
"""

from __future__ import annotations

import math

import numpy as np
import torch


def binary_digits(vocab: int) -> int:
    """Bits of a token index: ceil(log2 |W|), at least 1."""
    return max(1, math.ceil(math.log2(vocab)))


def digit_base(vocab: int, n_digits: int) -> int:
    """The smallest base C with C**n_digits >= |W| (at least 2)."""
    base = max(2, math.ceil(vocab ** (1.0 / n_digits)))
    while base ** n_digits < vocab:  # guard the floating-point root
        base += 1
    while base > 2 and (base - 1) ** n_digits >= vocab:
        base -= 1
    return base


def digits(indices: np.ndarray | torch.Tensor, base: int, n_digits: int) -> np.ndarray:
    """(..., n_digits) little-endian digits of non-negative integer indices."""
    indices = np.asarray(indices, dtype=np.int64)
    powers = base ** np.arange(n_digits, dtype=np.int64)
    return (indices[..., None] // powers) % base

