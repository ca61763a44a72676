"""Inputs for the constructions: the selection task (Lemma 3.3) and the shortcut baselines of the
token tasks, as pure functions of their arguments. The copy and recall examples themselves come
from the shared token tasks (``tokensel.tasks``), the same generators the trained models see.
"""

from __future__ import annotations

import numpy as np

from tokensel.constructions.selection import SelectionShape
from tokensel.tasks import IGNORE, Batch


def selection_batch(shape: SelectionShape, n: int, length: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Keys, queries in [-1, 1]^d and values in [-1, 1]^dv, and the exact argmax targets.

    Returns inputs (n, length, 2d + dv) = [keys, queries, values], targets (n, length, dv) and
    margins (n, length): best minus second-best score in the window (inf where it holds one token).
    """
    rng = np.random.default_rng(np.random.SeedSequence([seed, shape.window, shape.key_dim]))
    d, dv, U = shape.key_dim, shape.value_dim, shape.window
    keys = rng.uniform(-1, 1, (n, length, d))
    queries = rng.uniform(-1, 1, (n, length, d))
    values = rng.uniform(-1, 1, (n, length, dv))
    scores = np.einsum("ntd,nsd->nts", queries, keys)
    t, s = np.arange(length)[:, None], np.arange(length)[None, :]
    scores = np.where((s <= t) & (s > t - U), scores, -np.inf)
    order = np.argsort(-scores, axis=-1)[..., :2]
    top = np.take_along_axis(scores, order, -1)
    targets = np.take_along_axis(values, order[..., 0, None], 1)
    return np.concatenate([keys, queries, values], -1), targets, top[..., 0] - top[..., 1]


def reference_selection(inputs: np.ndarray, shape: SelectionShape) -> np.ndarray:
    """The slow oracle of the targets: a loop over positions and window slots."""
    d = shape.key_dim
    out = np.zeros(inputs.shape[:2] + (shape.value_dim,))
    for b in range(inputs.shape[0]):
        for t in range(inputs.shape[1]):
            window = range(max(0, t - shape.window + 1), t + 1)
            best = max(window, key=lambda s: float(inputs[b, t, d : 2 * d] @ inputs[b, s, :d]))
            out[b, t] = inputs[b, best, 2 * d :]
    return out


def majority_shortcut_accuracy(batch: Batch, first_id: int, n_candidates: int) -> float:
    """Accuracy of answering every question of an example with the most frequent token of its
    context among ids first_id .. first_id + n_candidates - 1 (ties to the smallest id): the
    no-selection baseline (copy: the commonest string token; recall: the commonest value)."""
    inputs, labels = batch.inputs.numpy(), batch.labels.numpy()
    correct = answered = 0
    for row, answers in zip(inputs, labels):
        own = row[(row >= first_id) & (row < first_id + n_candidates)] - first_id
        guess = first_id + int(np.bincount(own, minlength=1).argmax()) if own.size else first_id
        asked = answers != IGNORE
        correct += int((answers[asked] == guess).sum())
        answered += int(asked.sum())
    return correct / max(answered, 1)
