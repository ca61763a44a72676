"""How sparse and how input-dependent per-token importance is: pure functions on numpy arrays.

Every function takes ``importance`` of shape (n_inputs, L): one non-negative score per token of
each input (any scale; rows are normalised to sum to one where it matters). Nothing here knows
about models or attribution methods, so the measures can be checked on hand-made vectors.

Sparsity (per input): :func:`mass_fraction`, the smallest fraction of tokens that together carry
a given share of the importance. Uniform importance gives the share itself; one token gives 1/L.

Where the importance is (per input): :func:`ground_truth_auroc` of importance against a boolean
mask of motif bases (Mann-Whitney form, ties counted as one half), and :func:`top_k_share`, the
share of the top-k importance on the mask (k = the number of masked bases).

Overlap between inputs: :func:`pairwise_jaccard`, the mean Jaccard overlap of the top-k position
sets of every pair of inputs (1 if importance depends on position only; :func:`chance_jaccard` for
independent, uniformly placed sets), and :func:`input_dependence_index` = (1 - J) / (1 - J_chance).
Random importance scores about 1 on this index too, so it cannot tell learned input dependence
from noise; the relocation test (the motif moves, does the importance follow?) can.
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




def mass_fraction(importance: np.ndarray, mass: float) -> np.ndarray:
    """(n,): smallest fraction of tokens whose importance sums to at least ``mass`` of the row's."""
    if not 0.0 < mass <= 1.0:
        raise ConfigError(f"mass must lie in (0, 1], got {mass}.")
    cumulative = np.cumsum(-np.sort(-normalise(importance), axis=1), axis=1)
    # Tolerance so that exactly reaching the mass (e.g. 0.5 of a uniform pair) counts.
    needed = (cumulative < mass - 1e-12).sum(axis=1) + 1
    return needed / cumulative.shape[1]




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


def top_k_share(importance: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """(n,): share of the importance of each row's top-k bases that lies on ``mask``, with k the
    number of masked bases of that row (NaN for a row without any, or without any importance). A model whose top-k bases are
    exactly the masked ones scores 1; importance unrelated to the mask scores about k / L."""
    values = _check(importance)
    truth = np.asarray(mask, dtype=bool)
    if truth.shape != values.shape:
        raise ConfigError(f"mask shape {truth.shape} differs from importance shape {values.shape}.")
    order = np.argsort(-values, axis=1, kind="stable")
    ranked_values = np.take_along_axis(values, order, axis=1)
    ranked_truth = np.take_along_axis(truth, order, axis=1)
    k = truth.sum(axis=1)
    top = np.arange(values.shape[1])[None, :] < k[:, None]
    total = (ranked_values * top).sum(axis=1)
    on_mask = (ranked_values * top * ranked_truth).sum(axis=1)
    share = on_mask / np.where(total > 0, total, 1.0)
    return np.where((k > 0) & (total > 0), share, np.nan)
