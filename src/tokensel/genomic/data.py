"""The experiment's data: the motif-order task, real data cropped and GC-matched, and motif
relocation (the same input with its motif moved), all pure functions of their arguments and seed.

**Motif order.** Every sequence carries exactly one instance of motif A and one of motif B, each a
random variant on a random strand, at uniformly random non-overlapping positions at least
``min_gap`` bases apart, on i.i.d. background with G+C probability ``gc``. The label is 1 when A
comes first. Both classes hold the same motifs once each, so presence, base composition and the
counts of every k-mer with k <= min_gap + 1 have the same distribution in both classes (a window
that short never spans both motifs, and the two arrangements are mirror images of each other's
placement): only *where* the two motifs are relative to each other decides the label. A
sequence is background with the motif bases written over it, so ``relocate_order`` can put the
same instances elsewhere in the same background. Any stray occurrence of A or B (either strand,
also across a motif boundary) is redrawn, so the motif mask is exact.

**Real data.** Sequences are cut to their central ``length`` bases (ChIP-seq peaks are centred on
the binding site), GC-matched per split (equal class counts in every GC-quantile bin, so GC
content carries no label information), and a stratified part of the training split is held out for
validation. Ground truth is a scan, on both strands, for the motif of each input's own class;
the attributed inputs are balanced between the classes.

**Relocation on real data.** ``swap_motif`` exchanges a sequence's only motif occurrence with a
background window of the same length elsewhere: base composition is unchanged exactly, the motif
sits somewhere new, and its old bases now hold background.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from tokensel.core.errors import ConfigError
from tokensel.genomic.dataset_specs import ORDER_CLASSES
from tokensel.genomic.datasets import GenomicDataset, gc_matched_subset, stratified_split
from tokensel.genomic.motifs import parse_consensus, sample_instance, union_motif_mask


@dataclass(frozen=True)
class AttributionSet:
    """Test inputs to attribute: tokens (n, L), labels (n,), motif bases (n, L); for relocated
    inputs also the bases the motif left (``vacated``) and the index of the original input."""

    tokens: np.ndarray
    labels: np.ndarray
    motif: np.ndarray
    vacated: np.ndarray | None = None
    source: np.ndarray | None = None

    def __len__(self) -> int:
        return int(self.tokens.shape[0])

    def rows(self, keep: np.ndarray) -> AttributionSet:
        pick = lambda a: None if a is None else a[keep]  # noqa: E731
        return AttributionSet(self.tokens[keep], self.labels[keep], self.motif[keep], pick(self.vacated), pick(self.source))


def first_inputs(attributed: AttributionSet, moved: AttributionSet, n: int) -> tuple[AttributionSet, AttributionSet]:
    """The first ``n`` attributed inputs and the relocated copies of those among them."""
    return attributed.rows(np.arange(min(n, len(attributed)))), moved.rows(np.flatnonzero(moved.source < n))


@dataclass(frozen=True)
class TaskData:
    """Train/validation/test splits, the attributed test inputs and their relocated copies."""

    train: GenomicDataset
    val: GenomicDataset
    test: GenomicDataset
    attributed: AttributionSet
    moved: AttributionSet


# --------------------------------------------------------------------------- motif order


@dataclass(frozen=True)
class OrderSample:
    """Sequences of the motif-order task with what it takes to move their motifs."""

    sequences: np.ndarray  # (n, L)
    labels: np.ndarray  # (n,) 1 = motif A first
    background: np.ndarray  # (n, L) the background before the motif bases were written over it
    instances: tuple[tuple[np.ndarray, np.ndarray], ...]  # bases of the A and B instance of each row
    starts: np.ndarray  # (n, 2) start of A, start of B
    mask: np.ndarray  # (n, L) bases of either motif


def draw_starts(length: int, first: int, second: int, min_gap: int, rng: np.random.Generator) -> tuple[int, int]:
    """Uniform over all placements: s1 >= 0, s2 >= s1 + first + min_gap, s2 + second <= length."""
    slack = length - first - second - min_gap
    if slack < 0:
        raise ConfigError(f"motifs of {first} and {second} bases with a gap of {min_gap} do not fit in {length} bases.")
    # Stars and bars: two distinct cut points among slack + 2 slots split the slack into the
    # background before, between (beyond min_gap) and after the two motifs.
    low, high = np.sort(rng.choice(slack + 2, size=2, replace=False))
    s1 = int(low)
    return s1, s1 + first + min_gap + int(high - low - 1)


def compose(background: np.ndarray, a: np.ndarray, b: np.ndarray, start_a: int, start_b: int) -> tuple[np.ndarray, np.ndarray]:
    """The background with instance ``a`` written at ``start_a`` and ``b`` at ``start_b``, and the mask."""
    seq, mask = background.copy(), np.zeros(background.shape, dtype=bool)
    for bases, start in ((a, start_a), (b, start_b)):
        seq[start : start + len(bases)] = bases
        mask[start : start + len(bases)] = True
    return seq, mask


def _placement(label: int, a: np.ndarray, b: np.ndarray, length: int, min_gap: int, rng: np.random.Generator) -> tuple[int, int]:
    if label == 1:
        return draw_starts(length, len(a), len(b), min_gap, rng)
    start_b, start_a = draw_starts(length, len(b), len(a), min_gap, rng)
    return start_a, start_b


def _exact(sequences: np.ndarray, masks: np.ndarray, motifs: tuple[str, str]) -> np.ndarray:
    """(n,) True where the motif scan finds exactly the written motif bases."""
    return (union_motif_mask(sequences, motifs) == masks).all(axis=1)


def motif_order_sample(
    n: int, length: int, motif_a: str, motif_b: str, gc: float, min_gap: int, seed: int, max_redraws: int = 100
) -> OrderSample:
    """``n`` labelled sequences of the motif-order task (module docstring); balanced labels."""
    rng = np.random.default_rng(seed)
    variants = (parse_consensus(motif_a), parse_consensus(motif_b))
    labels = np.arange(n) % 2
    rng.shuffle(labels)

    def draw(label: int):
        background = np.where(rng.random(length) < gc, 1 + rng.integers(0, 2, length), 3 * rng.integers(0, 2, length))
        a, b = (sample_instance(v, rng) for v in variants)
        start_a, start_b = _placement(label, a, b, length, min_gap, rng)
        return background, a, b, start_a, start_b

    rows = [draw(int(y)) for y in labels]
    for _ in range(max_redraws + 1):
        composed = [compose(bg, a, b, sa, sb) for bg, a, b, sa, sb in rows]
        sequences = np.stack([c[0] for c in composed])
        masks = np.stack([c[1] for c in composed])
        bad = np.flatnonzero(~_exact(sequences, masks, (motif_a, motif_b)))
        if bad.size == 0:
            break
        for i in bad.tolist():
            rows[i] = draw(int(labels[i]))
    else:
        raise ConfigError(
            f"motifs {motif_a!r} and {motif_b!r}: background keeps producing stray copies after {max_redraws} redraws. "
            "Use longer or less degenerate motifs."
        )
    return OrderSample(
        sequences=sequences,
        labels=labels.astype(np.int64),
        background=np.stack([r[0] for r in rows]),
        instances=tuple((r[1], r[2]) for r in rows),
        starts=np.array([(r[3], r[4]) for r in rows]),
        mask=masks,
    )


def relocate_order(
    sample: OrderSample, i: int, motifs: tuple[str, str], min_gap: int, rng: np.random.Generator, tries: int = 500
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Row ``i`` with the same instances in the same order at new places (each motif off all its
    old bases), in the same background: (sequence, new motif mask, vacated mask), or None."""
    a, b = sample.instances[i]
    old_a, old_b = sample.starts[i]
    length = sample.sequences.shape[1]
    for _ in range(tries):
        start_a, start_b = _placement(int(sample.labels[i]), a, b, length, min_gap, rng)
        if abs(start_a - old_a) < len(a) or abs(start_b - old_b) < len(b):
            continue
        seq, mask = compose(sample.background[i], a, b, start_a, start_b)
        if _exact(seq[None], mask[None], motifs)[0]:
            return seq, mask, sample.mask[i] & ~mask
    return None


def order_dataset(sample: OrderSample, split: str) -> GenomicDataset:
    return GenomicDataset(
        name="motif_order", sequences=sample.sequences, labels=sample.labels, class_names=ORDER_CLASSES,
        split=split, source="motif-order task (tokensel.genomic.data)",
    )


def motif_order_task(
    n_train: int, n_val: int, n_test: int, length: int, motifs: tuple[str, str], gc: float, min_gap: int,
    n_attributed: int, n_moved: int, seed: int,
) -> TaskData:
    """Independent train/validation/test draws (seeds seed, seed+1, seed+2); the first
    ``n_attributed`` test inputs are attributed and the first ``n_moved`` of them relocated."""
    draw = lambda n, s: motif_order_sample(n, length, *motifs, gc, min_gap, seed=s)  # noqa: E731
    train, val, test = draw(n_train, seed), draw(n_val, seed + 1), draw(n_test, seed + 2)
    attributed = AttributionSet(test.sequences[:n_attributed], test.labels[:n_attributed], test.mask[:n_attributed])
    rng = np.random.default_rng(seed + 3)
    moved = [(i, relocate_order(test, i, motifs, min_gap, rng)) for i in range(min(n_moved, n_attributed))]
    moved = [(i, m) for i, m in moved if m is not None]
    return TaskData(order_dataset(train, "train"), order_dataset(val, "val"), order_dataset(test, "test"), attributed, _stack_moved(moved, test.labels))


def _stack_moved(moved: list[tuple[int, tuple[np.ndarray, np.ndarray, np.ndarray]]], labels: np.ndarray) -> AttributionSet:
    if not moved:
        raise ConfigError("no test input could be relocated; lower the motif lengths or raise the sequence length.")
    source = np.array([i for i, _ in moved])
    return AttributionSet(
        tokens=np.stack([m[0] for _, m in moved]), labels=labels[source], motif=np.stack([m[1] for _, m in moved]),
        vacated=np.stack([m[2] for _, m in moved]), source=source,
    )


# --------------------------------------------------------------------------- real data


def motif_runs(mask_row: np.ndarray) -> list[tuple[int, int]]:
    """(start, end) of each run of consecutive True values."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask_row.astype(np.int8), [0]])))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist()))


def swap_motif(
    sequence: np.ndarray, scan: Callable[[np.ndarray], np.ndarray], rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """``sequence`` with its only motif run swapped with a same-length background window that does
    not overlap it: (sequence, new motif mask, vacated mask), or None when the sequence has not
    exactly one run or no window leaves the scan finding the motif there and nowhere else."""
    runs = motif_runs(scan(sequence[None])[0])
    if len(runs) != 1:
        return None
    start, end = runs[0]
    width, length = end - start, len(sequence)
    targets = np.array([t for t in range(length - width + 1) if abs(t - start) >= width])
    for target in rng.permutation(targets).tolist():
        moved = sequence.copy()
        moved[start:end], moved[target : target + width] = sequence[target : target + width], sequence[start:end]
        wanted = np.zeros(length, dtype=bool)
        wanted[target : target + width] = True
        if (scan(moved[None])[0] == wanted).all():
            vacated = np.zeros(length, dtype=bool)
            vacated[start:end] = True
            return moved, wanted, vacated
    return None


def central_window(ds: GenomicDataset, length: int) -> GenomicDataset:
    """The central ``length`` bases of every sequence."""
    if length > ds.seq_len:
        raise ConfigError(f"dataset '{ds.name}': length {length} is longer than its sequences ({ds.seq_len} bases).")
    start = (ds.seq_len - length) // 2
    return GenomicDataset(ds.name, ds.sequences[:, start : start + length], ds.labels, ds.class_names, ds.split, ds.source, ds.ids)


def balanced_rows(bearing: list[np.ndarray], n_per_class: int) -> np.ndarray:
    """The first n rows of each class's list, n = ``n_per_class`` or the shortest list if shorter
    (balanced), interleaved class by class (so that the first few rows, which the negative
    controls attribute, hold every class)."""
    n = min(n_per_class, *(len(rows) for rows in bearing))
    return np.array([rows[i] for i in range(n) for rows in bearing], dtype=np.int64)


def real_task(
    train: GenomicDataset, test: GenomicDataset, length: int, gc_bins: int, val_fraction: float,
    class_motifs: tuple[tuple[str, ...], ...], n_per_class: int, seed: int,
) -> TaskData:
    """Cropped, GC-matched splits with a validation part. Per class c, the first ``n_per_class``
    test sequences of class c that hold one of ``class_motifs[c]`` (fewer, the same number in every
    class, if a class has fewer) are attributed, with that
    class's motif as ground truth (the Oct4 octamer in Oct4 peaks, the MARE in MafK peaks); every
    one of them with exactly one such occurrence is relocated."""
    train, test = (gc_matched_subset(central_window(ds, length), n_bins=gc_bins, seed=seed) for ds in (train, test))
    fit_idx, val_idx = stratified_split(train.labels, val_fraction, seed)
    scans = [lambda seqs, m=motifs: union_motif_mask(seqs, m) for motifs in class_motifs]
    masks = [scan(test.sequences) for scan in scans]
    bearing = [np.flatnonzero((test.labels == c) & masks[c].any(axis=1)) for c in range(len(class_motifs))]
    for c, rows in enumerate(bearing):
        if rows.size < 1:
            raise ConfigError(f"dataset '{test.name}': no test sequence of class '{test.class_names[c]}' holds its motifs {list(class_motifs[c])}; check the motifs.")
    rows = balanced_rows(bearing, n_per_class)
    labels = test.labels[rows]
    mask = np.stack([masks[y][r] for r, y in zip(rows, labels)])
    attributed = AttributionSet(test.sequences[rows], labels, mask)
    rng = np.random.default_rng(seed)
    moved = []
    for i, y in enumerate(labels.tolist()):
        swapped = swap_motif(attributed.tokens[i], scans[y], rng)
        if swapped is not None:
            moved.append((i, swapped))
    return TaskData(train.subset(fit_idx, "train"), train.subset(val_idx, "val"), test, attributed, _stack_moved(moved, attributed.labels))
