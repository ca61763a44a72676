"""What every token task shares: the batch type, the ignore label, split streams and answer accuracy.

A task is a frozen dataclass (its params keys are its fields) with ``seq_len``, ``n_tokens`` (the
size of the token id space; inputs and outputs share it), ``generate(n, rng) -> (inputs,
labels)``: int64 arrays of shape (n, seq_len), labels ``IGNORE`` everywhere except answer positions,
and ``shortcut_candidates(inputs)``: where the tokens are that a guess without the task's
mechanism (copying in order, recalling by key) may pick from; ``shortcut_accuracy`` scores it.
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

    def shortcut_candidates(self, inputs: np.ndarray) -> np.ndarray: ...


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


def distinct_draws(rng: np.random.Generator, n: int, population: int, k: int) -> np.ndarray:
    """(n, k) ints from range(population), distinct within each row, each row a uniform random
    ordered draw without replacement."""
    return np.argsort(rng.random((n, population)), axis=1)[:, :k]


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


def shortcut_accuracy(inputs: np.ndarray, labels: np.ndarray, candidates: np.ndarray, n_tokens: int) -> float:
    """Expected token accuracy of the no-mechanism guess: at every answer position, the most frequent
    token among ``candidates`` (a boolean mask over ``inputs``) of its example, ties broken uniformly.

    Copying or recalling needs the position or the key of the answer; this guess uses neither, only
    which tokens are there (and how often), so a model stuck at this score has learned no more.
    """
    counts = np.zeros((inputs.shape[0], n_tokens))
    np.add.at(counts, (np.nonzero(candidates)[0], inputs[candidates]), 1.0)
    top = counts.max(axis=1)
    n_top = (counts == top[:, None]).sum(axis=1)
    answer_rows, answer_cols = np.nonzero(labels != IGNORE)
    target_count = counts[answer_rows, labels[answer_rows, answer_cols]]
    hit = np.where((target_count == top[answer_rows]) & (top[answer_rows] > 0), 1.0 / n_top[answer_rows], 0.0)
    return float(hit.mean())


def batch_shortcut_accuracy(task: Task, batch: Batch) -> float:
    """``shortcut_accuracy`` of ``task``'s no-mechanism guess on the examples of ``batch``."""
    inputs, labels = batch.inputs.numpy(), batch.labels.numpy()
    return shortcut_accuracy(inputs, labels, task.shortcut_candidates(inputs), task.n_tokens)


def shortcut_score(task: Task, n: int, seed: int) -> float:
    """``shortcut_accuracy`` of ``task`` on ``n`` examples of its test split for ``seed``."""
    return batch_shortcut_accuracy(task, sample(task, n, seed, "test"))


def answer_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Cross-entropy over the answer positions only (every other label is ``IGNORE``)."""
    return nn.functional.cross_entropy(logits.flatten(0, 1), labels.flatten(), ignore_index=IGNORE)
