"""The container of labelled DNA data, GC-content helpers and deterministic splits.

:class:`GenomicDataset` holds encoded sequences (token ids, see ``sequences``) with labels and
provenance; ``sources`` reads real data into it, ``data`` builds the experiment's tasks from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from tokensel.core.errors import ConfigError
from tokensel.genomic.sequences import PAD_ID, decode

Split = Literal["train", "test"]


@dataclass(frozen=True)
class GenomicDataset:
    """Encoded sequences (n, L) int64, labels (n,) indexing ``class_names``, and provenance.

    ``ids`` (optional, one per sequence) keeps record names such as genomic
    coordinates or file names so that any example can be traced back.
    """

    name: str
    sequences: np.ndarray
    labels: np.ndarray
    class_names: tuple[str, ...]
    split: str
    source: str
    ids: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        seqs = np.asarray(self.sequences)
        labels = np.asarray(self.labels)
        if seqs.ndim != 2 or not np.issubdtype(seqs.dtype, np.integer):
            raise ConfigError(
                f"dataset {self.name!r}: sequences must be a 2-D int array, "
                f"got dtype {seqs.dtype} shape {seqs.shape}."
            )
        if seqs.size and (seqs.min() < 0 or seqs.max() > PAD_ID):
            raise ConfigError(f"dataset {self.name!r}: token ids outside 0..{PAD_ID}.")
        if labels.shape != (seqs.shape[0],) or not np.issubdtype(labels.dtype, np.integer):
            raise ConfigError(
                f"dataset {self.name!r}: labels must be an int array of shape "
                f"({seqs.shape[0]},), got dtype {labels.dtype} shape {labels.shape}."
            )
        names = tuple(self.class_names)
        if len(names) < 2 or len(set(names)) != len(names):
            raise ConfigError(
                f"dataset {self.name!r}: need at least two distinct class names, got {names}."
            )
        if labels.size and (labels.min() < 0 or labels.max() >= len(names)):
            raise ConfigError(
                f"dataset {self.name!r}: labels must lie in 0..{len(names) - 1} "
                f"(one per class in {names})."
            )
        if self.ids and len(self.ids) != seqs.shape[0]:
            raise ConfigError(
                f"dataset {self.name!r}: {len(self.ids)} ids for {seqs.shape[0]} sequences."
            )
        object.__setattr__(self, "sequences", seqs.astype(np.int64, copy=False))
        object.__setattr__(self, "labels", labels.astype(np.int64, copy=False))
        object.__setattr__(self, "class_names", names)
        object.__setattr__(self, "ids", tuple(self.ids))

    def __len__(self) -> int:
        return int(self.sequences.shape[0])

    @property
    def seq_len(self) -> int:
        """Length L of every (padded) sequence."""
        return int(self.sequences.shape[1])

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    def class_counts(self) -> dict[str, int]:
        """Number of sequences per class name."""
        counts = np.bincount(self.labels, minlength=self.num_classes)
        return {c: int(k) for c, k in zip(self.class_names, counts)}

    def gc_content(self) -> np.ndarray:
        """Per-sequence G+C fraction among A/C/G/T tokens, shape (n,), in [0, 1].

        N and PAD are excluded from numerator and denominator, so padding does
        not dilute GC; a sequence with no A/C/G/T at all gives NaN.
        """
        acgt = (self.sequences < 4).sum(axis=1)
        gc = ((self.sequences == 1) | (self.sequences == 2)).sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(acgt > 0, gc / np.maximum(acgt, 1), np.nan)

    def subset(self, indices: np.ndarray, split: str | None = None) -> GenomicDataset:
        """A new dataset holding the given rows (same classes and provenance)."""
        idx = np.asarray(indices, dtype=np.int64)
        return GenomicDataset(
            name=self.name,
            sequences=self.sequences[idx],
            labels=self.labels[idx],
            class_names=self.class_names,
            split=self.split if split is None else split,
            source=self.source,
            ids=tuple(self.ids[i] for i in idx.tolist()) if self.ids else (),
        )

    def strings(self) -> list[str]:
        """Decoded sequences (PAD shown as '-'), for inspection and export."""
        return [decode(row) for row in self.sequences]


# --------------------------------------------------------------------------- GC baselines


def gc_threshold_predictions(train: GenomicDataset, test: GenomicDataset) -> np.ndarray:
    """Class (0/1) of every ``test`` input under the best single GC-content threshold on ``train``.

    The rule is "GC > t -> class 1" or its flip, with t halfway between two distinct training GC
    values, whichever classifies most training inputs correctly (binary tasks only).
    """
    if train.num_classes != 2 or train.class_names != test.class_names:
        raise ConfigError(
            "a GC threshold needs two binary datasets with the same class_names, got "
            f"{train.class_names} and {test.class_names}."
        )
    g, y = train.gc_content(), train.labels
    keep = ~np.isnan(g)
    g, y = g[keep], y[keep]
    order = np.argsort(g, kind="stable")
    g, y = g[order], y[order]
    n = g.size
    # Rule "gc > t -> class 1" with t between sorted positions i-1 and i.
    zeros_left = np.concatenate([[0], np.cumsum(y == 0)])
    ones_right = np.concatenate([[0], np.cumsum((y == 1)[::-1])])[::-1]
    correct = zeros_left + ones_right
    cut_ok = np.ones(n + 1, dtype=bool)
    cut_ok[1:n] = g[1:] > g[:-1]  # only cut between distinct values
    correct = np.where(cut_ok, correct, -1)
    flipped = np.where(cut_ok, n - correct, -1)
    best_up, best_down = int(correct.argmax()), int(flipped.argmax())
    direction, i = (1, best_up) if correct[best_up] >= flipped[best_down] else (-1, best_down)
    t = -np.inf if i == 0 else np.inf if i == n else (g[i - 1] + g[i]) / 2
    above = test.gc_content() > t
    return np.where(above, 1, 0) if direction == 1 else np.where(above, 0, 1)


def gc_baseline_accuracy(train: GenomicDataset, test: GenomicDataset) -> float:
    """Test accuracy of :func:`gc_threshold_predictions`: what base composition alone achieves."""
    return float((gc_threshold_predictions(train, test) == test.labels).mean())


def gc_matched_subset(ds: GenomicDataset, n_bins: int = 10, seed: int = 0) -> GenomicDataset:
    """Subsample so every class has the same count in each GC bin (quantile bins over ``ds``).

    On the result, GC content carries (almost) no information about the label,
    which removes the GC shortcut of the janggu data.
    """
    g = ds.gc_content()
    if np.isnan(g).any():
        raise ConfigError(f"dataset {ds.name!r}: some sequences have no A/C/G/T; cannot bin GC.")
    edges = np.quantile(g, np.linspace(0, 1, n_bins + 1)[1:-1])
    bins = np.searchsorted(edges, g, side="right")
    rng = np.random.default_rng(seed)
    keep: list[np.ndarray] = []
    for b in range(n_bins):
        members = [np.flatnonzero((bins == b) & (ds.labels == c)) for c in range(ds.num_classes)]
        k = min(m.size for m in members)
        keep.extend(rng.choice(m, size=k, replace=False) for m in members if k)
    idx = np.sort(np.concatenate(keep)) if keep else np.empty(0, dtype=np.int64)
    return ds.subset(idx)


# --------------------------------------------------------------------------- helpers


def check_split(split: str) -> None:
    if split not in ("train", "test"):
        raise ConfigError(f"split must be 'train' or 'test', got {split!r}.")


def check_fraction(test_fraction: float) -> None:
    if not 0.0 < test_fraction < 1.0:
        raise ConfigError(f"test_fraction must lie strictly between 0 and 1, got {test_fraction}.")


def deduplicate(seqs: list[str], labels: np.ndarray) -> tuple[np.ndarray, int, int]:
    """Indices of the first copy of each sequence; sequences seen with two labels are dropped.

    Returns (kept indices, duplicate copies dropped, conflicting sequences dropped).
    """
    first: dict[str, int] = {}
    label_sets: dict[str, set[int]] = {}
    for i, s in enumerate(seqs):
        first.setdefault(s, i)
        label_sets.setdefault(s, set()).add(int(labels[i]))
    conflicting = {s for s, ls in label_sets.items() if len(ls) > 1}
    kept = np.array(sorted(i for s, i in first.items() if s not in conflicting), dtype=np.int64)
    n_conflict_rows = sum(1 for s in seqs if s in conflicting)
    return kept, len(seqs) - len(first) - (n_conflict_rows - len(conflicting)), len(conflicting)


def stratified_split(
    labels: np.ndarray, test_fraction: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Deterministic stratified (train_idx, test_idx); round(f * n_c) of each class go to test.

    Both index arrays are shuffled (same seed) so that no prefix is a single class.
    """
    check_fraction(test_fraction)
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    train_parts, test_parts = [], []
    for c in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == c))
        n_test = int(round(test_fraction * members.size))
        test_parts.append(members[:n_test])
        train_parts.append(members[n_test:])
    train_idx = rng.permutation(np.concatenate(train_parts))
    test_idx = rng.permutation(np.concatenate(test_parts))
    return train_idx, test_idx
