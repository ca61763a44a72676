"""How sparse and how input-dependent per-token importance is: pure functions on numpy arrays.

Every function takes ``importance`` of shape (n_inputs, L): one non-negative score per token of
each input (any scale; rows are normalised to sum to one where it matters). Nothing here knows
about models or attribution methods, so the measures can be checked on hand-made vectors.

Sparsity (per input):

* :func:`mass_fraction` -- the smallest fraction of tokens that together carry a given share
  (0.5, 0.9) of the importance mass. Uniform importance gives ``mass``; one token gives ``1/L``.
* :func:`gini` -- 0 for uniform importance, (L-1)/L for a single important token.
* :func:`sorted_curves` -- each input's importance sorted in decreasing order (the "rank curve").

Input dependence (over a set of inputs):

* :func:`pairwise_jaccard` -- mean Jaccard overlap of the top-k position sets of every pair of
  inputs. Importance that depends on position only gives 1; independent, uniformly placed top-k
  sets give :func:`chance_jaccard`.
* :func:`position_only_jaccard` -- the empirical position-only baseline: overlap of each input's
  top-k with the top-k of the *mean* importance profile, i.e. the best single fixed set of
  positions.
* :func:`input_dependence_index` -- (1 - J) / (1 - J_chance): 0 when every input has the same
  top-k set, 1 at chance-level overlap.
* :func:`top1_histogram` / :func:`entropy_bits` -- where the single most important token sits;
  0 bits if always at the same position, log2(L) if spread uniformly.

Ground truth: :func:`ground_truth_auroc`, per input, of importance against a boolean mask of
motif bases (Mann-Whitney form, ties counted as one half).
"""

from __future__ import annotations

import numpy as np
from scipy.stats import hypergeom, rankdata

from tokensel.core.errors import ConfigError


def _check(importance: np.ndarray) -> np.ndarray:
    values = np.asarray(importance, dtype=np.float64)
    if values.ndim != 2 or values.shape[1] == 0:
        raise ConfigError(f"importance must have shape (n_inputs, L) with L > 0, got {values.shape}.")
    if not np.isfinite(values).all() or (values < 0).any():
        raise ConfigError("importance must be finite and non-negative (take magnitudes first).")
    return values


def _check_k(k: int, length: int) -> None:
    if not 1 <= k <= length:
        raise ConfigError(f"top_k must lie in 1..L={length}, got {k}.")


def normalise(importance: np.ndarray) -> np.ndarray:
    """Rows scaled to sum to one; an all-zero row becomes uniform (no token stands out)."""
    values = _check(importance)
    totals = values.sum(axis=1, keepdims=True)
    uniform = np.full_like(values, 1.0 / values.shape[1])
    return np.where(totals > 0, values / np.where(totals > 0, totals, 1.0), uniform)


def sorted_curves(importance: np.ndarray) -> np.ndarray:
    """(n, L): each row's normalised importance in decreasing order."""
    return -np.sort(-normalise(importance), axis=1)


def mass_fraction(importance: np.ndarray, mass: float) -> np.ndarray:
    """(n,): smallest fraction of tokens whose importance sums to at least ``mass`` of the row's."""
    if not 0.0 < mass <= 1.0:
        raise ConfigError(f"mass must lie in (0, 1], got {mass}.")
    cumulative = np.cumsum(sorted_curves(importance), axis=1)
    # Tolerance so that exactly reaching the mass (e.g. 0.5 of a uniform pair) counts.
    needed = (cumulative < mass - 1e-12).sum(axis=1) + 1
    return needed / cumulative.shape[1]


def gini(importance: np.ndarray) -> np.ndarray:
    """(n,): Gini coefficient of each row (0 = uniform, (L-1)/L = one token)."""
    ascending = np.sort(normalise(importance), axis=1)
    length = ascending.shape[1]
    ranks = np.arange(1, length + 1)
    return (2.0 * (ascending * ranks).sum(axis=1)) / length - (length + 1.0) / length


def top_k_mask(importance: np.ndarray, k: int) -> np.ndarray:
    """(n, L) bool: the k most important positions of each row (ties broken by position)."""
    values = _check(importance)
    _check_k(k, values.shape[1])
    order = np.argsort(-values, axis=1, kind="stable")[:, :k]
    mask = np.zeros(values.shape, dtype=bool)
    np.put_along_axis(mask, order, True, axis=1)
    return mask


def _jaccard(a: np.ndarray, b: np.ndarray, k: int) -> np.ndarray:
    intersection = a.astype(np.int64) @ b.T.astype(np.int64)
    return intersection / (2 * k - intersection)


def pairwise_jaccard(importance: np.ndarray, k: int) -> float:
    """Mean Jaccard overlap of top-k position sets over all pairs of distinct inputs."""
    mask = top_k_mask(importance, k)
    n = mask.shape[0]
    if n < 2:
        raise ConfigError("pairwise_jaccard needs at least two inputs.")
    upper = np.triu_indices(n, k=1)
    return float(_jaccard(mask, mask, k)[upper].mean())


def position_only_jaccard(importance: np.ndarray, k: int) -> float:
    """Mean Jaccard of each input's top-k with the top-k of the mean normalised profile."""
    mask = top_k_mask(importance, k)
    profile = normalise(importance).mean(axis=0, keepdims=True)
    return float(_jaccard(mask, top_k_mask(profile, k), k).mean())


def chance_jaccard(length: int, k: int) -> float:
    """Expected Jaccard of two independent uniformly random k-subsets of L positions (exact)."""
    _check_k(k, length)
    overlap = np.arange(0, k + 1)
    probability = hypergeom(M=length, n=k, N=k).pmf(overlap)
    return float((probability * overlap / (2 * k - overlap)).sum())


def input_dependence_index(jaccard: float, length: int, k: int) -> float:
    """(1 - J) / (1 - J_chance): 0 = same top-k for every input, 1 = chance-level overlap."""
    chance = chance_jaccard(length, k)
    return float((1.0 - jaccard) / (1.0 - chance)) if chance < 1.0 else float("nan")


def top1_histogram(importance: np.ndarray) -> np.ndarray:
    """(L,) counts of the position of each input's single most important token."""
    values = _check(importance)
    return np.bincount(values.argmax(axis=1), minlength=values.shape[1])


def entropy_bits(counts: np.ndarray) -> float:
    """Shannon entropy (bits) of a histogram of counts."""
    counts = np.asarray(counts, dtype=np.float64)
    if counts.sum() <= 0:
        raise ConfigError("entropy_bits needs a histogram with at least one count.")
    p = counts[counts > 0] / counts.sum()
    return float(-(p * np.log2(p)).sum()) + 0.0  # + 0.0 turns -0.0 into 0.0


def ground_truth_auroc(importance: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """(n,): AUROC of each row's importance as a score for its motif mask; NaN if undefined.

    Undefined when a row has no motif base or nothing but motif bases. 0.5 is chance; 1 means
    every motif base outranks every other base.
    """
    values = _check(importance)
    truth = np.asarray(mask, dtype=bool)
    if truth.shape != values.shape:
        raise ConfigError(f"mask shape {truth.shape} differs from importance shape {values.shape}.")
    ranks = rankdata(values, axis=1)  # average ranks: ties score one half
    n_pos = truth.sum(axis=1)
    n_neg = truth.shape[1] - n_pos
    rank_sum = np.where(truth, ranks, 0.0).sum(axis=1)
    defined = (n_pos > 0) & (n_neg > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        auroc = (rank_sum - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg)
    return np.where(defined, auroc, np.nan)
