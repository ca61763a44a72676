"""Inputs for the constructions: the selection task (Lemma 3.3), a pure function of its
arguments. The copy and recall examples, and their no-selection shortcut scores, come from the
shared token tasks (``tokensel.tasks``), the same generators the trained models see.
"""

from __future__ import annotations

import numpy as np

from tokensel.constructions.selection import SelectionShape


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
