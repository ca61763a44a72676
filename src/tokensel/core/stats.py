"""The statistics several experiments share: log-log slopes (rates, scaling exponents) and paired ratios.

``loglog_slope`` fits one curve; ``growth_fit`` asks whether a cost grows like a power or like a
power of the logarithm; ``fit_loglog_slope`` fits the seed-mean curve and bootstraps the
seeds for a percentile interval of the slope; ``paired_ratio`` estimates a ratio from paired
measurements with a t interval; ``bootstrap_mean`` (paired differences: pass a - b) and
``bootstrap_difference`` (two independent samples) give percentile bootstrap intervals of means.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.stats import t as student_t

from tokensel.core.errors import ConfigError


@dataclass(frozen=True)
class SlopeFit:
    """log(y) = intercept + slope * log(x), with a seed-bootstrap percentile interval (NaN for one seed)."""

    slope: float
    intercept: float
    ci_low: float
    ci_high: float


def ols_slopes(log_x: np.ndarray, log_y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Least-squares slope and intercept of each column of ``log_y`` (n_points, B) on ``log_x``."""
    xc = log_x - log_x.mean()
    slope = (xc[:, None] * (log_y - log_y.mean(axis=0))).sum(axis=0) / (xc**2).sum()
    intercept = log_y.mean(axis=0) - slope * log_x.mean()
    return slope, intercept


@dataclass(frozen=True)
class GrowthFit:
    """Two least-squares fits of log y: on log x (a power of x) and on log log x (a power of log x),
    each with its coefficient and residual sum of squares, over ``points`` usable points."""

    points: int
    power: float
    power_rss: float
    polylog: float
    polylog_rss: float


def growth_fit(x: np.ndarray, y: np.ndarray) -> GrowthFit:
    """Both fits over the points with finite positive y and x > 1 (log log x needs x > 1); NaN
    coefficients with fewer than two such points. Comparing the two residuals says which form
    describes the growth better; only the caller knows how many points make that meaningful."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    keep = np.isfinite(x) & np.isfinite(y) & (y > 0) & (x > 1)
    points = int(keep.sum())
    if points < 2:
        return GrowthFit(points, math.nan, math.nan, math.nan, math.nan)
    log_x, log_y = np.log(x[keep]), np.log(y[keep])
    fits = []
    for predictor in (log_x, np.log(log_x)):
        slope, intercept = ols_slopes(predictor, log_y[:, None])
        fits += [float(slope[0]), float(((log_y - intercept[0] - slope[0] * predictor) ** 2).sum())]
    return GrowthFit(points, *fits)


def loglog_slope(x: np.ndarray, y: np.ndarray) -> float:
    """Least-squares slope of log y on log x over the finite positive points (NaN if fewer than 2)."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    keep = np.isfinite(y) & (y > 0)
    if keep.sum() < 2:
        return math.nan
    return float(ols_slopes(np.log(x[keep]), np.log(y[keep])[:, None])[0][0])


def fit_loglog_slope(
    n: np.ndarray,
    risk: np.ndarray,
    seed_axis: int = 1,
    n_boot: int = 2000,
    ci: float = 0.95,
    rng_seed: int = 0,
) -> SlopeFit:
    """Fit log(mean risk) against log(n); bootstrap the seeds for a percentile CI of the slope.

    The seed mean is arithmetic, because rate theorems bound the expected risk. With a single
    seed there is nothing to resample and the interval is NaN.

    Args:
        n: (n_sizes,) positive sample sizes, at least two distinct.
        risk: (n_sizes, n_seeds) positive risks (or (n_sizes,) for one seed); ``seed_axis``
            says which axis holds the seeds.
        n_boot: bootstrap replicates B.
        ci: coverage of the interval.
        rng_seed: seed of the bootstrap resampling, fixed so the interval is reproducible.
    """
    n_arr = np.asarray(n, dtype=np.float64).reshape(-1)
    r = np.asarray(risk, dtype=np.float64)
    if r.ndim == 1:
        r = r[:, None]
    elif r.ndim == 2:
        r = np.moveaxis(r, seed_axis, 1)
    else:
        raise ConfigError(f"fit_loglog_slope: risk must be 1-D or 2-D, got shape {r.shape}.")
    if r.shape[0] != n_arr.size:
        raise ConfigError(
            f"fit_loglog_slope: risk has {r.shape[0]} sample sizes along the non-seed axis but n "
            f"has {n_arr.size}; check seed_axis."
        )
    if np.unique(n_arr).size < 2 or np.any(n_arr <= 0):
        raise ConfigError(f"fit_loglog_slope: n = {n_arr.tolist()} needs >= 2 distinct positive sizes.")
    if not np.all(np.isfinite(r)) or np.any(r <= 0):
        raise ConfigError("fit_loglog_slope: every risk must be finite and > 0 to take its log.")
    if not 0 < ci < 1:
        raise ConfigError(f"fit_loglog_slope: ci = {ci} must be in (0, 1).")
    if n_boot < 1:
        raise ConfigError(f"fit_loglog_slope: n_boot = {n_boot} must be >= 1.")

    log_n = np.log(n_arr)
    slope, intercept = ols_slopes(log_n, np.log(r.mean(axis=1))[:, None])
    n_seeds = r.shape[1]
    if n_seeds < 2:
        return SlopeFit(float(slope[0]), float(intercept[0]), math.nan, math.nan)
    rng = np.random.default_rng(rng_seed)
    # Resample whole seed columns, so that the correlation between sizes within a seed is kept.
    idx = rng.integers(0, n_seeds, size=(n_boot, n_seeds))
    boot_mean = r[:, idx].mean(axis=2)  # (n_sizes, B)
    boot_slope, _ = ols_slopes(log_n, np.log(boot_mean))
    lo, hi = np.quantile(boot_slope, [(1 - ci) / 2, (1 + ci) / 2])
    return SlopeFit(float(slope[0]), float(intercept[0]), float(lo), float(hi))


@dataclass(frozen=True)
class RatioEstimate:
    """Geometric mean of paired ratios a_i / b_i with a Student-t interval (NaN bounds for one pair);
    ``n`` counts the independent units the interval rests on (pairs, or blocks of pairs)."""

    ratio: float
    ci_low: float
    ci_high: float
    n: int


def paired_ratio(numerators: np.ndarray, denominators: np.ndarray, ci: float = 0.95, blocks: np.ndarray | None = None) -> RatioEstimate:
    """The ratio of two quantities measured in pairs (a_i, b_i), e.g. two timings taken back to back.

    Works on log(a_i / b_i): whatever slows both members of a pair alike (machine load that drifts
    over minutes) cancels, and the interval is mean +- t * sd / sqrt(n) of the logs, mapped back by
    exp. With ``blocks`` (a label per pair), pairs taken close together in time are summarised first
    by their median (so one pair disturbed by a burst of load does not move its block) and the
    interval is over the block medians: the blocks, spread over the measurement, are the
    independent units, so slow drift between them widens the interval instead of hiding in it.
    Pairs with a non-finite or non-positive member are dropped.
    """
    a, b = np.asarray(numerators, dtype=float), np.asarray(denominators, dtype=float)
    keep = np.isfinite(a) & np.isfinite(b) & (a > 0) & (b > 0)
    logs = np.log(a[keep] / b[keep])
    if blocks is not None:
        labels = np.asarray(blocks)[keep]
        logs = np.array([np.median(logs[labels == label]) for label in np.unique(labels)])
    if logs.size == 0:
        return RatioEstimate(math.nan, math.nan, math.nan, 0)
    center = float(logs.mean())
    if logs.size < 2:
        return RatioEstimate(math.exp(center), math.nan, math.nan, 1)
    half = float(student_t.ppf((1 + ci) / 2, logs.size - 1) * logs.std(ddof=1) / math.sqrt(logs.size))
    return RatioEstimate(math.exp(center), math.exp(center - half), math.exp(center + half), int(logs.size))


def bootstrap_mean(values: np.ndarray, n_boot: int, ci: float, seed: int = 0) -> tuple[float, float, float]:
    """Mean of the finite ``values`` and a percentile bootstrap interval of it."""
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    if x.size == 0:
        return (np.nan, np.nan, np.nan)
    means = np.random.default_rng(seed).choice(x, size=(n_boot, x.size)).mean(axis=1)
    lo, hi = np.quantile(means, [(1 - ci) / 2, (1 + ci) / 2])
    return float(x.mean()), float(lo), float(hi)


def bootstrap_difference(a: np.ndarray, b: np.ndarray, n_boot: int, ci: float, seed: int = 0) -> tuple[float, float, float]:
    """mean(a) - mean(b) of two independent samples, with a percentile bootstrap interval."""
    a, b = (np.asarray(v, dtype=float) for v in (a, b))
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    if a.size == 0 or b.size == 0:
        return (np.nan, np.nan, np.nan)
    rng = np.random.default_rng(seed)
    diffs = rng.choice(a, size=(n_boot, a.size)).mean(axis=1) - rng.choice(b, size=(n_boot, b.size)).mean(axis=1)
    lo, hi = np.quantile(diffs, [(1 - ci) / 2, (1 + ci) / 2])
    return float(a.mean() - b.mean()), float(lo), float(hi)
