"""Synthetic tasks of the paper's Section 3, as pure functions of (config, seed).

Token layout (ids):

* copy, size k:   ``x_1 .. x_N  SEP  BLANK x N  PAD ...`` with N ~ U{1..k}; the target at the
  i-th blank is x_i. The lag between a blank and the token it copies is N + 1, so it changes with
  the input: a fixed convolution cannot copy; the model must select tokens dynamically.
* recall, size k: ``k_1 v_1 .. k_k v_k  q_1 .. q_Q``: distinct keys, values drawn with
  replacement, each query a key from the context (distinct when Q > 1); the target at q_j is the
  value paired with it. Keys and values use disjoint id ranges.

Labels are -100 (ignored by the loss) everywhere except answer positions. Train, validation and
test examples come from independent random streams derived from (seed, split), so no split can
reuse another's stream.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from tokensel.config import TaskConfig

IGNORE = -100
PAD, SEP, BLANK = 0, 1, 2
_COPY_FIRST_DATA = 3
_SPLITS = {"train": 0, "val": 1, "test": 2}


@dataclass(frozen=True)
class Batch:
    inputs: torch.Tensor  # (batch, seq_len) int64 token ids
    labels: torch.Tensor  # (batch, seq_len) int64, IGNORE off the answer positions

    def to(self, device: torch.device | str) -> "Batch":
        return Batch(self.inputs.to(device), self.labels.to(device))


def vocab_size(task: TaskConfig) -> int:
    """Size of the token id space (inputs and outputs share it)."""
    if task.name == "copy":
        return _COPY_FIRST_DATA + task.vocab_size
    return 1 + 2 * task.vocab_size  # PAD, keys, values


def split_rng(seed: int, split: str, step: int = 0) -> np.random.Generator:
    """An independent random stream per (seed, split, step); splits never share a stream."""
    if split not in _SPLITS:
        raise ValueError(f"split must be one of {sorted(_SPLITS)}, got '{split}'")
    return np.random.default_rng(np.random.SeedSequence([seed, _SPLITS[split], step]))


def make_copy(task: TaskConfig, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    k = task.size
    length = 2 * k + 1
    inputs = np.full((n, length), PAD, dtype=np.int64)
    labels = np.full((n, length), IGNORE, dtype=np.int64)
    string_len = rng.integers(1, k + 1, size=n)
    tokens = rng.integers(_COPY_FIRST_DATA, _COPY_FIRST_DATA + task.vocab_size, size=(n, k))
    position = np.arange(length)[None, :]
    in_string = position < string_len[:, None]
    inputs[:, :k][in_string[:, :k]] = tokens[in_string[:, :k]]
    rows = np.arange(n)
    inputs[rows, string_len] = SEP
    answer = (position > string_len[:, None]) & (position <= 2 * string_len[:, None])
    inputs[answer] = BLANK
    labels[answer] = tokens[in_string[:, :k]]
    return inputs, labels


def make_recall(task: TaskConfig, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    k, q, v = task.size, task.queries, task.vocab_size
    keys = np.argsort(rng.random((n, v)), axis=1)[:, :k] + 1  # k distinct keys per example
    values = rng.integers(1 + v, 1 + 2 * v, size=(n, k))
    queried = np.argsort(rng.random((n, k)), axis=1)[:, :q]  # which pairs are asked for
    rows = np.arange(n)[:, None]
    inputs = np.empty((n, 2 * k + q), dtype=np.int64)
    inputs[:, 0 : 2 * k : 2] = keys
    inputs[:, 1 : 2 * k : 2] = values
    inputs[:, 2 * k :] = keys[rows, queried]
    labels = np.full_like(inputs, IGNORE)
    labels[:, 2 * k :] = values[rows, queried]
    return inputs, labels


_GENERATORS = {"copy": make_copy, "recall": make_recall}


def sample(task: TaskConfig, n: int, seed: int, split: str, step: int = 0) -> Batch:
    """``n`` examples of ``task``; a pure function of its arguments."""
    inputs, labels = _GENERATORS[task.name](task, n, split_rng(seed, split, step))
    return Batch(torch.from_numpy(inputs), torch.from_numpy(labels))
