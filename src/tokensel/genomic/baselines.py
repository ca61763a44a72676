"""Non-neural baselines: majority class, a GC-content threshold and the k-mer ladder.

They bound what a sequence model must beat before its attributions count: the majority class is
chance, the GC threshold uses base composition only, and L2 logistic regression on canonical k-mer
frequencies (k = 1, 2, ..., ``max_k``) uses which short words occur but not where. A k-mer and its
reverse complement are one feature (counts pooled over both strands, the standard for
strand-symmetric binding sites), so a sequence and its reverse complement get identical features.
Each rung's regularisation C is chosen on the validation split like the models' learning rates,
and so is the best baseline: the test split decides nothing here.
Every baseline returns its validation and test class probabilities, so the analysis can choose on
validation and compare with the models example by example on test.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss, roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from tokensel.core.errors import ConfigError
from tokensel.genomic.config import BaselineSettings
from tokensel.genomic.datasets import GenomicDataset, gc_threshold_predictions


@dataclass(frozen=True)
class Baseline:
    """One rung: its validation and test class probabilities and the C chosen (NaN if untuned)."""

    name: str
    val_probabilities: np.ndarray
    test_probabilities: np.ndarray
    c: float = float("nan")


@lru_cache(maxsize=None)
def canonical_kmer_index(k: int) -> tuple[np.ndarray, int]:
    """(4**k,) column of each k-mer code in the canonical table, and the table's width: a k-mer and
    its reverse complement share a column (A=0, C=1, G=2, T=3, so the complement of b is 3 - b)."""
    codes = np.arange(4**k)
    digits = (codes[:, None] // 4 ** np.arange(k - 1, -1, -1)) % 4
    reverse_complement = ((3 - digits[:, ::-1]) * 4 ** np.arange(k - 1, -1, -1)).sum(axis=1)
    canonical = np.minimum(codes, reverse_complement)
    classes, column = np.unique(canonical, return_inverse=True)
    return column, int(classes.size)


def kmer_frequencies(sequences: np.ndarray, k: int) -> np.ndarray:
    """(n, canonical k-mers) frequencies of every k-mer pooled with its reverse complement;
    windows touching N or PAD are skipped."""
    seqs = np.asarray(sequences, dtype=np.int64)
    if not 1 <= k <= seqs.shape[1]:
        raise ConfigError(f"k-mer size must lie in 1..{seqs.shape[1]}, got {k}.")
    width = seqs.shape[1] - k + 1
    codes = np.zeros((seqs.shape[0], width), dtype=np.int64)
    valid = np.ones((seqs.shape[0], width), dtype=bool)
    for offset in range(k):
        window = seqs[:, offset : offset + width]
        codes = codes * 4 + np.minimum(window, 3)
        valid &= window < 4
    column, n_columns = canonical_kmer_index(k)
    counts = np.zeros((seqs.shape[0], n_columns))
    rows = np.broadcast_to(np.arange(seqs.shape[0])[:, None], codes.shape)
    np.add.at(counts, (rows[valid], column[codes[valid]]), 1.0)
    return counts / np.maximum(counts.sum(axis=1, keepdims=True), 1.0)


def auroc(labels: np.ndarray, probabilities: np.ndarray) -> float:
    """AUROC of class probabilities (n, C); one-vs-rest macro for C > 2; NaN if one class is absent."""
    if np.unique(labels).size < 2:
        return float("nan")
    if probabilities.shape[1] == 2:
        return float(roc_auc_score(labels, probabilities[:, 1]))
    return float(roc_auc_score(labels, probabilities, multi_class="ovr", labels=np.arange(probabilities.shape[1])))


def tuned_kmer_regression(train: GenomicDataset, val: GenomicDataset, test: GenomicDataset, k: int, settings: BaselineSettings) -> Baseline:
    """L2 logistic regression on standardised canonical k-mer frequencies, fitted on the training
    split at every C of ``settings.cs``; the C with the lowest validation log-loss is kept (log-loss
    rather than accuracy: it ranks C even where accuracies tie)."""
    features = {split: kmer_frequencies(ds.sequences, k) for split, ds in (("train", train), ("val", val), ("test", test))}
    best: tuple[float, Baseline] | None = None
    for c in settings.cs:
        model = make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=settings.max_iter))
        model.fit(features["train"], train.labels)
        val_probabilities = model.predict_proba(features["val"])
        loss = log_loss(val.labels, val_probabilities, labels=np.arange(train.num_classes))
        if best is None or loss < best[0]:
            best = (loss, Baseline(f"{k}-mer", val_probabilities, model.predict_proba(features["test"]), float(c)))
    assert best is not None  # settings.cs is never empty (validated)
    return best[1]


def majority_class(train: GenomicDataset, test: GenomicDataset) -> np.ndarray:
    """Probability one on the most frequent training class for every test input."""
    probabilities = np.zeros((len(test), train.num_classes))
    probabilities[:, np.bincount(train.labels, minlength=train.num_classes).argmax()] = 1.0
    return probabilities


def gc_threshold(train: GenomicDataset, test: GenomicDataset) -> np.ndarray | None:
    """Probability one on the class the best training GC threshold assigns (two classes only)."""
    if train.num_classes != 2:
        return None
    return np.eye(2)[gc_threshold_predictions(train, test)]


def ladder(train: GenomicDataset, val: GenomicDataset, test: GenomicDataset, settings: BaselineSettings) -> list[Baseline]:
    """Majority class, GC threshold (two classes), and the tuned k-mer regression for k = 1..max_k."""
    out = [Baseline("majority class", majority_class(train, val), majority_class(train, test))]
    gc_val, gc_test = gc_threshold(train, val), gc_threshold(train, test)
    if gc_val is not None and gc_test is not None:
        out.append(Baseline("GC content", gc_val, gc_test))
    return out + [tuned_kmer_regression(train, val, test, k, settings) for k in range(1, settings.max_k + 1)]


def best_on_validation(names: list[str], val_accuracy: np.ndarray) -> str:
    """The baseline with the highest validation accuracy; ties go to the simpler (earlier) rung."""
    accuracy = np.asarray(val_accuracy, dtype=float)
    finite = np.where(np.isfinite(accuracy), accuracy, -np.inf)
    return names[int(np.argmax(finite))]
