"""What every token task shares: the batch type, the ignore label, split streams and answer accuracy.

A task is a frozen dataclass (its params keys are its fields) with ``seq_len``, ``n_tokens`` (the
size of the token id space; inputs and outputs share it) and ``generate(n, rng) -> (inputs,
labels)``: int64 arrays of shape (n, seq_len), labels ``IGNORE`` everywhere except answer positions.
Train, validation and test examples come from independent random streams derived from (seed,
split, step), so no split can reuse another's stream and every batch is a pure function of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
import torch
from torch import nn

IGNORE = -100
_SPLITS = {"train": 0, "val": 1, "test": 2}


class Task(Protocol):
    name: str
    size: int

    @property
    def seq_len(self) -> int: ...

    @property
    def n_tokens(self) -> int: ...

    def generate(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]: ...


@dataclass(frozen=True)
class Batch:
    inputs: torch.Tensor  # (batch, seq_len) int64 token ids
    labels: torch.Tensor  # (batch, seq_len) int64, IGNORE off the answer positions

    def to(self, device: torch.device | str) -> "Batch":
        return Batch(self.inputs.to(device), self.labels.to(device))


def split_rng(seed: int, split: str, step: int = 0) -> np.random.Generator:
    """An independent random stream per (seed, split, step); splits never share a stream."""
    if split not in _SPLITS:
        raise ValueError(f"split must be one of {sorted(_SPLITS)}, got '{split}'")
    return np.random.default_rng(np.random.SeedSequence([seed, _SPLITS[split], step]))


def sample(task: Task, n: int, seed: int, split: str, step: int = 0) -> Batch:
    """``n`` examples of ``task``; a pure function of its arguments."""
    inputs, labels = task.generate(n, split_rng(seed, split, step))
    return Batch(torch.from_numpy(inputs), torch.from_numpy(labels))


@torch.no_grad()
def answer_accuracy(model: nn.Module, batch: Batch, device: torch.device, chunk: int = 512) -> tuple[float, float]:
    """(token accuracy, exact-match rate) of ``model``'s argmax over the answer positions of ``batch``."""
    was_training = model.training
    model.eval()
    correct = answered = exact = 0
    for start in range(0, batch.inputs.shape[0], chunk):
        inputs = batch.inputs[start : start + chunk].to(device)
        labels = batch.labels[start : start + chunk].to(device)
        mask = labels != IGNORE
        hit = (model(inputs).argmax(-1) == labels) & mask
        correct += int(hit.sum())
        answered += int(mask.sum())
        exact += int((hit.sum(1) == mask.sum(1)).sum())
    model.train(was_training)
    return correct / max(answered, 1), exact / batch.inputs.shape[0]
