"""The experiment's tasks: the motif-order label rule, its k-mer blindness, relocation, real data."""

from __future__ import annotations

import numpy as np
import pytest

from tokensel.core.errors import ConfigError
from tokensel.genomic import data
from tokensel.genomic.baselines import tuned_kmer_regression
from tokensel.genomic.config import BaselineSettings
from tokensel.genomic.datasets import GenomicDataset, gc_baseline_accuracy
from tokensel.genomic.insertion import insertion_set
from tokensel.genomic.motifs import motif_mask, union_motif_mask
from tokensel.genomic.sequences import decode, encode

A, B = "ATGCAAAT", "TGCTGACTCA"


@pytest.fixture(scope="module")
def sample() -> data.OrderSample:
    return data.motif_order_sample(400, 60, A, B, gc=0.42, min_gap=6, seed=3)


def _rc(s: str) -> str:
    return s[::-1].translate(str.maketrans("ACGT", "TGCA"))


def test_order_label_is_which_motif_comes_first(sample: data.OrderSample) -> None:
    for seq, label, mask in zip(sample.sequences, sample.labels, sample.mask):
        a, b = motif_mask(seq, A), motif_mask(seq, B)
        # Exactly one occurrence of each (8 and 10 bases), and nothing else is a motif base.
        assert a.sum() == 8 and b.sum() == 10 and np.array_equal(a | b, mask)
        text = decode(seq)
        start_a, start_b = int(np.argmax(a)), int(np.argmax(b))
        assert text[start_a : start_a + 8] in (A, _rc(A)) and text[start_b : start_b + 10] in (B, _rc(B))
        assert label == int(start_a < start_b)
        assert abs(start_a - start_b) >= 6 + (8 if start_a < start_b else 10)  # the gap
    assert sample.labels.mean() == 0.5
    # Both strands occur.
    assert {decode(s)[int(np.argmax(motif_mask(s, A))):][:8] for s in sample.sequences} == {A, _rc(A)}


def test_order_sample_is_a_pure_function_of_the_seed(sample: data.OrderSample) -> None:
    again = data.motif_order_sample(400, 60, A, B, gc=0.42, min_gap=6, seed=3)
    other = data.motif_order_sample(400, 60, A, B, gc=0.42, min_gap=6, seed=4)
    assert np.array_equal(again.sequences, sample.sequences) and np.array_equal(again.labels, sample.labels)
    assert not np.array_equal(other.sequences, sample.sequences)


def kmer_accuracy(train: GenomicDataset, test: GenomicDataset, k: int) -> float:
    """Test accuracy of the k-mer regression at C = 0.01 (one candidate: validation chooses nothing)."""
    fitted = tuned_kmer_regression(train, test, test, k, BaselineSettings(max_k=k, cs=(0.01,), max_iter=2000))
    return float((fitted.test_probabilities.argmax(1) == test.labels).mean())


def test_kmer_regression_cannot_solve_motif_order() -> None:
    """Every k-mer ladder rung stays at chance: composition carries no label information."""
    train = data.order_dataset(data.motif_order_sample(2000, 60, A, B, 0.42, 6, seed=0), "train")
    test = data.order_dataset(data.motif_order_sample(1000, 60, A, B, 0.42, 6, seed=1), "test")
    for k in range(1, 7):
        accuracy = kmer_accuracy(train, test, k)
        assert abs(accuracy - 0.5) < 0.05, (k, accuracy)  # 3.2 standard errors at n = 1000


def test_kmer_regression_solves_motif_presence_as_a_contrast() -> None:
    """The same regression does see motifs when their presence decides: the test above can fail."""
    order = data.motif_order_sample(1500, 60, A, B, 0.42, 6, seed=0)
    # Label 1: keep the sequence; label 0: replace motif B by background (presence task).
    sequences = np.where((order.labels[:, None] == 0) & order.mask & motif_mask(order.sequences, B), order.background, order.sequences)
    ds = GenomicDataset("presence", sequences, order.labels, ("no B", "B"), "train", "test")
    train, test = ds.subset(np.arange(1000)), ds.subset(np.arange(1000, 1500))
    assert kmer_accuracy(train, test, 5) > 0.8


def test_relocation_keeps_background_motifs_and_label(sample: data.OrderSample) -> None:
    rng = np.random.default_rng(0)
    for i in range(40):
        moved = data.relocate_order(sample, i, (A, B), 6, rng)
        assert moved is not None
        seq, mask, vacated = moved
        assert np.array_equal(union_motif_mask(seq[None], (A, B))[0], mask)
        untouched = ~mask & ~sample.mask[i]
        assert np.array_equal(seq[untouched], sample.sequences[i][untouched])
        assert np.array_equal(seq[vacated], sample.background[i][vacated])  # the old place holds background
        assert not (vacated & mask).any() and vacated.any()
        starts = int(np.argmax(motif_mask(seq, A))), int(np.argmax(motif_mask(seq, B)))
        assert int(starts[0] < starts[1]) == sample.labels[i]


def test_swap_motif_keeps_composition_and_moves_the_motif() -> None:
    seq = encode("CCGGCCGGCC" + A + "CCGGCCGGCCCCGGCCGGCCCCGG")
    scan = lambda s: union_motif_mask(s, (A,))  # noqa: E731
    moved, mask, vacated = data.swap_motif(seq, scan, np.random.default_rng(1))
    assert np.array_equal(np.sort(moved), np.sort(seq))
    assert decode(moved[mask]) == A and not scan(moved[None])[0][vacated].any()
    assert np.flatnonzero(vacated).tolist() == list(range(10, 18))
    two = encode(A + "CCCCCCCCCC" + A)
    assert data.swap_motif(two, scan, np.random.default_rng(1)) is None  # not exactly one occurrence


def test_order_task_attribution_sets() -> None:
    task = data.motif_order_task(200, 20, 30, 60, (A, B), 0.42, 6, n_attributed=10, n_moved=6, seed=0)
    assert len(task.attributed) == 10 and len(task.moved) <= 6 and len(task.moved) > 0
    assert np.array_equal(task.attributed.tokens, task.test.sequences[:10])
    assert np.array_equal(task.moved.labels, task.attributed.labels[task.moved.source])
    assert task.train.class_names == data.ORDER_CLASSES


def test_first_inputs_keep_the_moved_copies_of_those_inputs_only() -> None:
    tokens = np.arange(10)[:, None] * np.ones((1, 4), dtype=np.int64) % 4
    attributed = data.AttributionSet(tokens, np.arange(10) % 2, np.zeros((10, 4), dtype=bool))
    moved = data.AttributionSet(tokens[[1, 4, 7]], np.array([1, 0, 1]), np.zeros((3, 4), dtype=bool), np.zeros((3, 4), dtype=bool), np.array([1, 4, 7]))
    first, their_moved = data.first_inputs(attributed, moved, 5)
    assert len(first) == 5 and their_moved.source.tolist() == [1, 4]
    assert np.array_equal(their_moved.tokens, tokens[[1, 4]])


def test_real_task_is_cropped_gc_matched_and_balanced_per_class() -> None:
    rng = np.random.default_rng(0)
    # Class 1 is GC-rich and carries motif A in the centre, class 0 motif B (less often); the
    # flanks are cut away.
    def row(label: int) -> np.ndarray:
        gc = 0.6 if label else 0.4
        s = np.where(rng.random(80) < gc, 1 + rng.integers(0, 2, 80), 3 * rng.integers(0, 2, 80))
        if label and rng.random() < 0.8:
            s[36:44] = encode(A)
        if not label and rng.random() < 0.3:
            s[35:45] = encode(B)
        return s
    labels = np.arange(1200) % 2
    ds = GenomicDataset("toy", np.stack([row(y) for y in labels]), labels, ("a", "b"), "train", "toy")
    task = data.real_task(ds.subset(np.arange(800)), ds.subset(np.arange(800, 1200), "test"), 40, 5, 0.2, ((B,), (A,)), 20, seed=0)
    assert task.test.seq_len == task.train.seq_len == 40
    assert abs(gc_baseline_accuracy(task.train, task.test) - 0.5) < 0.2  # GC matched
    assert len(task.val) > 0
    attributed = task.attributed
    # Balanced and interleaved: 20 of each class, the first two rows one of each.
    assert np.bincount(attributed.labels).tolist() == [20, 20] and sorted(attributed.labels[:2].tolist()) == [0, 1]
    # The ground truth is the class's own motif: B in class a, A in class b.
    for labels_of, motif in ((0, B), (1, A)):
        rows = attributed.labels == labels_of
        assert np.array_equal(attributed.motif[rows], motif_mask(attributed.tokens[rows], motif))
    # Every attributed input with a single own-motif occurrence is relocated (each can be here).
    assert len(task.moved) == len(attributed) and np.array_equal(task.moved.labels, attributed.labels[task.moved.source])


def test_balanced_rows_interleave_and_take_as_many_of_every_class() -> None:
    assert data.balanced_rows([np.array([0, 2, 4, 6]), np.array([1, 3])], 3).tolist() == [0, 1, 2, 3]
    assert data.balanced_rows([np.array([0, 2, 4, 6]), np.array([1, 3, 5])], 1).tolist() == [0, 1]


def test_order_task_rejects_motifs_that_do_not_fit() -> None:
    with pytest.raises(ConfigError, match="do not fit"):
        data.motif_order_sample(10, 20, A, B, 0.42, 6, seed=0)


def test_insertion_set_writes_a_motif_or_its_shuffled_bases_into_motif_free_inputs_of_the_other_class() -> None:
    rng = np.random.default_rng(0)
    sequences = rng.integers(0, 4, (60, 40))
    sequences[:10, 5:13] = encode(A)  # some inputs hold a motif: never recipients
    ds = GenomicDataset("toy", sequences, np.arange(60) % 2, ("a", "b"), "test", "toy")
    motifs = ((B,), (A,))
    found = insertion_set(ds, motifs, 5, seed=3)
    assert np.bincount(found.target).tolist() == [5, 5]
    free = ~union_motif_mask(found.original, (A, B)).any(axis=1)
    assert free.all()
    for c, motif in enumerate((B, A)):
        rows = found.target == c
        assert motif_mask(found.inserted[rows], motif).any(axis=1).all()
        assert not union_motif_mask(found.shuffled[rows], (A, B)).any()
        # Only the written bases differ, and with the same composition in both versions.
        changed = found.inserted[rows] != found.original[rows]
        assert (changed.sum(axis=1) <= 10).all()
        assert np.array_equal(np.sort(found.inserted[rows], axis=1), np.sort(found.shuffled[rows], axis=1))
    recipients = [int(np.flatnonzero((ds.sequences == row).all(axis=1))[0]) for row in found.original]
    assert all(ds.labels[i] != c for i, c in zip(recipients, found.target))
    again = insertion_set(ds, motifs, 5, seed=3)
    assert np.array_equal(again.inserted, found.inserted) and np.array_equal(again.shuffled, found.shuffled)
