"""One cell of each part: build the network(s) by formula and score them against the exact target.

Every function here is a pure function of its arguments (sizes, dtype names and seeds) and is
importable by the worker pool. Accuracy is the shared token tasks' answer accuracy
(``tokensel.tasks.answer_accuracy``) on examples from the tasks' own test stream.
"""

from __future__ import annotations

import math
import time
from functools import wraps

import numpy as np
import torch

from tokensel.constructions.copying import build_copy, copy_bits_needed
from tokensel.constructions.costs import copy_costs, recall_costs, selection_costs
from tokensel.constructions.data import selection_batch
from tokensel.constructions.network import DTYPES
from tokensel.constructions.recall import build_recall, recall_bits_needed
from tokensel.constructions.selection import SelectionShape, build_selection, selection_bits_needed
from tokensel.core.errors import ConfigError
from tokensel.core.training import default_device
from tokensel.tasks import Batch, answer_accuracy, batch_shortcut_accuracy, sample
from tokensel.tasks.base import split_rng
from tokensel.tasks.copy import CopyTask
from tokensel.tasks.recall import RecallTask

MARGIN_BINS = (0.0, 0.25, 0.5, 1.0, 2.0)  # lower edges of margin / delta; the last bin is open
FLOATS_PER_CHUNK = 2e8  # logits and activations per forward pass: at most ~1.6 GB in float64


def timed(function):
    """Add the call's single-threaded CPU seconds to its result, as ``cpu_seconds``."""

    @wraps(function)
    def call(*args, **kwargs) -> dict:
        start = time.process_time()
        result = function(*args, **kwargs)
        return {**result, "cpu_seconds": time.process_time() - start}

    return call


def _score(model: torch.nn.Module, batch: Batch, width: int) -> tuple[float, float]:
    device = default_device()
    chunk = max(1, int(FLOATS_PER_CHUNK // (batch.inputs.shape[1] * width)))
    return answer_accuracy(model.to(device), batch, device, chunk=chunk)


def _examples(n_answers: int, answers_per_example: float) -> int:
    return max(4, math.ceil(n_answers / answers_per_example))


def every_length_batch(task: CopyTask, n_answers: int, seed: int) -> Batch:
    """Copy examples of every string length 1..k, the longest included, in as many whole rounds as
    it takes to score at least ``n_answers`` answers: "exact up to L" rests on every length at L,
    not on lengths drawn at random (a few dozen draws miss most lengths when k is in the hundreds)."""
    k = task.size
    rounds = max(1, math.ceil(n_answers / (k * (k + 1) // 2)))
    inputs, labels = task.with_lengths(np.tile(np.arange(1, k + 1), rounds), split_rng(seed, "test"))
    return Batch(torch.from_numpy(inputs), torch.from_numpy(labels))


@timed
def selection_cell(window: int, key_dim: int, value_dim: int, margin: float, dtypes: tuple[str, ...],
                   n_sequences: int, seq_len: int, tolerance: float, seed: int) -> dict:
    """Accuracy per margin bin, at margins >= delta and overall, per dtype; and the costs."""
    shape = SelectionShape(window, key_dim, value_dim, margin)
    inputs, targets, margins = selection_batch(shape, n_sequences, seq_len, seed)
    ratio = margins / margin
    bins = np.digitize(ratio, MARGIN_BINS[1:])  # 0 .. len(MARGIN_BINS) - 1
    above = margins >= margin
    out = {"count": np.bincount(bins.ravel(), minlength=len(MARGIN_BINS)).astype(float), **selection_costs(shape),
           "bits": selection_bits_needed(shape), "correct": [], "acc_above": [], "max_error_above": [], "acc": []}
    device = default_device()
    for dtype in dtypes:
        model = build_selection(shape, seq_len, dtype).to(device)
        with torch.no_grad():
            output = model(torch.as_tensor(inputs, dtype=DTYPES[dtype], device=device)).double().cpu().numpy()
        error = np.abs(output - targets).max(-1)
        right = error <= tolerance
        out["correct"].append([right[bins == b].mean() if (bins == b).any() else np.nan for b in range(len(MARGIN_BINS))])
        out["acc_above"].append(right[above].mean() if above.any() else np.nan)
        out["max_error_above"].append(error[above].max() if above.any() else np.nan)
        out["acc"].append(right.mean())
    return out


@timed
def copy_cell(size: int, vocab: int, layers: tuple[int, ...], digits: tuple[int, ...], dtypes: tuple[str, ...],
              n_answers: int, seed: int) -> dict:
    """Accuracy (NaN where the precision check refuses the dtype) per layers x digits x dtype."""
    task = CopyTask(size, vocab)
    batch = every_length_batch(task, n_answers, seed)
    shape = (len(layers), len(digits), len(dtypes))
    out = {"acc": np.full(shape, np.nan), "exact": np.full(shape, np.nan), "refused": np.zeros(shape),
           "bits": [copy_bits_needed(size, vocab, m) for m in digits],
           "shortcut": batch_shortcut_accuracy(task, batch),
           "n_answers": float((batch.labels >= 0).sum()), "costs": {}, "spec": {}}
    for i, n_layers in enumerate(layers):
        for j, m in enumerate(digits):
            out["costs"][i, j] = copy_costs(size, vocab, m, n_layers)
            for d, dtype in enumerate(dtypes):
                try:
                    model = build_copy(size, vocab, m, n_layers, dtype)
                except ConfigError:  # the dtype lacks the bits: recorded as refused, not run
                    out["refused"][i, j, d] = 1
                    continue
                out["spec"][i, j] = model.config.to_json()
                out["acc"][i, j, d], out["exact"][i, j, d] = _score(model, batch, max(vocab, out["costs"][i, j]["fnn_width"]))
    return out


@timed
def recall_cell(size: int, vocab: int, n_queries: int | str, dtypes: tuple[str, ...], n_answers: int, seed: int) -> dict:
    task = RecallTask(size, vocab, n_queries)
    batch = sample(task, _examples(n_answers, task.queries), seed, "test")
    costs = recall_costs(size, vocab, task.queries)
    out = {"acc": [], "exact": [], "bits": recall_bits_needed(size, task.queries), **costs,
           "shortcut": batch_shortcut_accuracy(task, batch), "n_answers": float((batch.labels >= 0).sum())}
    for dtype in dtypes:
        model = build_recall(size, vocab, task.queries, dtype)
        out["spec"] = model.config.to_json()
        acc, exact = _score(model, batch, max(2 * vocab, costs["fnn_width"]))
        out["acc"].append(acc)
        out["exact"].append(exact)
    return out


@timed
def precision_cell(size: int, log2_vocab: int, n_answers: int, seed: int) -> dict:
    """Two-layer copy, one digit per token, in float32 even where the check predicts failure."""
    vocab = 2**log2_vocab
    model = build_copy(size, vocab, 1, 2, "float32", check_precision_first=False)
    batch = every_length_batch(CopyTask(size, vocab), n_answers, seed)
    return {"acc": _score(model, batch, max(vocab, 3 * size))[0], "bits": copy_bits_needed(size, vocab, 1)}
