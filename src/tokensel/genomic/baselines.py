"""Non-neural baselines: majority class, k-mer logistic regression and a GC-content threshold.

They bound what the sequence models must beat: the majority class is chance, the GC threshold
uses base composition only
(about 0.71 on janggu Oct4-vs-MafK), the k-mer model uses which short words occur but not where
(about 0.85 with k = 5; reports/genomic/ prints the measured values).
"""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from tokensel.core.errors import ConfigError
from tokensel.genomic.datasets import GenomicDataset, gc_baseline_accuracy


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


def classification_scores(labels: np.ndarray, probabilities: np.ndarray) -> tuple[float, float]:
    """(accuracy, AUROC) from class probabilities (n, C); AUROC is one-vs-rest macro for C > 2."""
    accuracy = float((probabilities.argmax(1) == labels).mean())
    if probabilities.shape[1] == 2:
        auroc = roc_auc_score(labels, probabilities[:, 1])
    else:
        auroc = roc_auc_score(labels, probabilities, multi_class="ovr", labels=np.arange(probabilities.shape[1]))
    return accuracy, float(auroc)


def kmer_logistic_regression(
    train: GenomicDataset, test: GenomicDataset, k: int, c: float, max_iter: int
) -> tuple[float, float]:
    """(test accuracy, test AUROC) of L2 logistic regression on standardised k-mer frequencies."""
    model = make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=max_iter))
    model.fit(kmer_frequencies(train.sequences, k), train.labels)
    return classification_scores(test.labels, model.predict_proba(kmer_frequencies(test.sequences, k)))


def majority_class_baseline(train: GenomicDataset, test: GenomicDataset) -> tuple[float, float]:
    """(test accuracy, test AUROC = 0.5) of always predicting the most frequent training class."""
    majority = np.bincount(train.labels, minlength=train.num_classes).argmax()
    return float((test.labels == majority).mean()), 0.5


def gc_content_baseline(train: GenomicDataset, test: GenomicDataset) -> tuple[float, float]:
    """(test accuracy, test AUROC) of GC content alone; NaN for tasks with more than two classes.

    Accuracy is the best threshold fitted on ``train``; AUROC scores test GC content in the
    direction that separates the training classes.
    """
    if train.num_classes != 2:
        return float("nan"), float("nan")
    train_gc, test_gc = train.gc_content(), test.gc_content()
    direction = 1.0 if train_gc[train.labels == 1].mean() >= train_gc[train.labels == 0].mean() else -1.0
    return gc_baseline_accuracy(train, test), float(roc_auc_score(test.labels, direction * test_gc))
