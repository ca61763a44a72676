"""Non-neural baselines: majority class, a GC-content threshold and the k-mer ladder.

They bound what a sequence model must beat before its attributions count: the majority class is
chance, the GC threshold uses base composition only, and L2 logistic regression on the k-mer
frequencies (k = 1, 2, ...) uses which short words occur but not where. The ladder shows how much of
a task is composition: a model that beats every rung has learned something beyond it.
Every baseline returns its test-set class probabilities, so the analysis can compare it with the
models example by example.
"""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from tokensel.core.errors import ConfigError
from tokensel.genomic.datasets import GenomicDataset, gc_threshold_predictions


def kmer_frequencies(sequences: np.ndarray, k: int) -> np.ndarray:
    """(n, 4**k) frequencies of every k-mer over A/C/G/T; windows touching N or PAD are skipped."""
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
    counts = np.zeros((seqs.shape[0], 4**k))
    rows = np.broadcast_to(np.arange(seqs.shape[0])[:, None], codes.shape)
    np.add.at(counts, (rows[valid], codes[valid]), 1.0)
    return counts / np.maximum(counts.sum(axis=1, keepdims=True), 1.0)


def auroc(labels: np.ndarray, probabilities: np.ndarray) -> float:
    """AUROC of class probabilities (n, C); one-vs-rest macro for C > 2; NaN if one class is absent."""
    if np.unique(labels).size < 2:
        return float("nan")
    if probabilities.shape[1] == 2:
        return float(roc_auc_score(labels, probabilities[:, 1]))
    return float(roc_auc_score(labels, probabilities, multi_class="ovr", labels=np.arange(probabilities.shape[1])))


def kmer_logistic_regression(train: GenomicDataset, test: GenomicDataset, k: int, c: float, max_iter: int) -> np.ndarray:
    """Test class probabilities of L2 logistic regression on standardised k-mer frequencies."""
    model = make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=max_iter))
    model.fit(kmer_frequencies(train.sequences, k), train.labels)
    return model.predict_proba(kmer_frequencies(test.sequences, k))


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


def ladder(train: GenomicDataset, test: GenomicDataset, max_k: int, c: float, max_iter: int) -> dict[str, np.ndarray]:
    """Baseline name -> test class probabilities: majority class, GC threshold, k-mer k = 1..max_k."""
    out = {"majority class": majority_class(train, test)}
    gc = gc_threshold(train, test)
    if gc is not None:
        out["GC content"] = gc
    for k in range(1, max_k + 1):
        out[f"{k}-mer"] = kmer_logistic_regression(train, test, k, c, max_iter)
    return out
