"""The baseline ladder: canonical k-mer features against a string-counting oracle, strand pooling,
C chosen on the validation split, and the shared bootstrap intervals."""

from __future__ import annotations

from collections import Counter
from itertools import product

import numpy as np
import pytest

from tokensel.core.stats import bootstrap_difference, bootstrap_mean
from tokensel.genomic import baselines
from tokensel.genomic.config import BaselineSettings
from tokensel.genomic.datasets import GenomicDataset
from tokensel.genomic.sequences import ALPHABET, N_ID

COMPLEMENT = str.maketrans("ACGT", "TGCA")


def canonical_frequencies_reference(sequence: np.ndarray, k: int) -> dict[str, float]:
    """Canonical k-mer -> frequency, by counting strings: the oracle of ``kmer_frequencies``."""
    text = "".join(ALPHABET[b] if b < 4 else "N" for b in sequence)
    words = [text[i : i + k] for i in range(len(text) - k + 1) if "N" not in text[i : i + k]]
    counts = Counter(min(w, w.translate(COMPLEMENT)[::-1]) for w in words)
    return {w: c / max(len(words), 1) for w, c in counts.items()}


def reverse_complement(tokens: np.ndarray) -> np.ndarray:
    return np.where(tokens < 4, 3 - tokens, tokens)[..., ::-1]


@pytest.mark.parametrize("k", [1, 2, 3, 4])
def test_canonical_frequencies_match_string_counting(k) -> None:
    rng = np.random.default_rng(k)
    sequences = rng.integers(0, 4, (5, 30))
    sequences[0, 7] = N_ID
    fast = baselines.kmer_frequencies(sequences, k)
    column, width = baselines.canonical_kmer_index(k)
    canonical_words = sorted({min(w, w.translate(COMPLEMENT)[::-1]) for w in map("".join, product(ALPHABET, repeat=k))})
    assert fast.shape == (5, width) == (5, len(canonical_words))
    code = lambda word: sum(ALPHABET.index(b) * 4 ** (k - 1 - i) for i, b in enumerate(word))  # noqa: E731
    for row, sequence in zip(fast, sequences):
        expected = canonical_frequencies_reference(sequence, k)
        for word in canonical_words:
            assert row[column[code(word)]] == pytest.approx(expected.get(word, 0.0))


def test_a_sequence_and_its_reverse_complement_get_identical_features() -> None:
    sequences = np.random.default_rng(0).integers(0, 4, (8, 50))
    for k in range(1, 7):
        np.testing.assert_allclose(baselines.kmer_frequencies(sequences, k), baselines.kmer_frequencies(reverse_complement(sequences), k))


def dataset(sequences: np.ndarray, labels: np.ndarray, split: str) -> GenomicDataset:
    return GenomicDataset("toy", sequences, labels, ("no", "yes"), split, "test")


def test_regularisation_is_chosen_on_the_validation_split() -> None:
    # The label is carried by one 2-mer among many noisy ones; with the validation labels as they
    # are, the weakest regularisation wins. Flip the validation labels and the strongest does
    # (near-constant predictions lose least on labels opposite to what was learned).
    rng = np.random.default_rng(0)
    sequences = rng.integers(0, 4, (600, 40))
    labels = (baselines.kmer_frequencies(sequences, 2)[:, 0] > np.median(baselines.kmer_frequencies(sequences, 2)[:, 0])).astype(np.int64)
    train, test = dataset(sequences[:400], labels[:400], "train"), dataset(sequences[500:], labels[500:], "test")
    settings = BaselineSettings(max_k=2, cs=(1e-4, 1.0), max_iter=2000)
    val = dataset(sequences[400:500], labels[400:500], "val")
    assert baselines.tuned_kmer_regression(train, val, test, 2, settings).c == 1.0
    flipped = dataset(sequences[400:500], 1 - labels[400:500], "val")
    assert baselines.tuned_kmer_regression(train, flipped, test, 2, settings).c == 1e-4


def test_ladder_and_best_on_validation() -> None:
    rng = np.random.default_rng(1)
    make = lambda n, split: dataset(rng.integers(0, 4, (n, 20)), rng.integers(0, 2, n), split)  # noqa: E731
    rungs = baselines.ladder(make(60, "train"), make(20, "val"), make(30, "test"), BaselineSettings(max_k=2, cs=(0.1,), max_iter=200))
    assert [b.name for b in rungs] == ["majority class", "GC content", "1-mer", "2-mer"]
    assert all(b.val_probabilities.shape == (20, 2) and b.test_probabilities.shape == (30, 2) for b in rungs)
    assert np.isnan(rungs[0].c) and rungs[-1].c == 0.1
    assert baselines.best_on_validation(["a", "b", "c"], np.array([0.6, np.nan, 0.6])) == "a"
    assert baselines.best_on_validation(["a", "b", "c"], np.array([0.6, 0.5, 0.7])) == "c"


def test_bootstrap_intervals_cover_the_mean() -> None:
    mean, lo, hi = bootstrap_mean(np.arange(100.0), 1000, 0.95)
    assert lo < mean == 49.5 < hi
    diff, lo, hi = bootstrap_difference(np.ones(50), np.zeros(50), 200, 0.95)
    assert diff == lo == hi == 1.0
    assert np.isnan(bootstrap_mean(np.array([np.nan]), 10, 0.95)[0])
