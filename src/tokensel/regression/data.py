"""Sequences for the regression experiment: importance mu, the sorting map Gamma, samples and splits.

F(X)_t = g(Gamma(W_t)) with g from ``tokensel.regression.smooth``; the glossary from code symbols
to the paper's notation is in that module's docstring. Everything is a pure function of
(config, seed).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tokensel.core.errors import ConfigError
from tokensel.regression.config import RegressionTaskConfig
from tokensel.regression.smooth import (
    SeedLike,
    SmoothFunction,
    child_seed,
    draw_smooth_function,
)

IMPORTANCE_KINDS = ("linear", "sine")

# Weight of the previous token's score in the context-dependent importance; 0.5 keeps the
# context effect comparable to, but smaller than, the token's own score.
CONTEXT_WEIGHT = 0.5

# Rejection sampling draws candidate sequences in fixed-size chunks, independent of n, so that
# a sample of size m is a prefix of the sample of size n > m drawn with the same seed.
_CHUNK = 1024
# Below this acceptance rate the rejection sampler gives up: the margin condition is then so
# strict that the accepted sequences are no longer representative of the uniform token law.
MIN_ACCEPTANCE = 0.01

# --------------------------------------------------------------------------------------------
# Importance and Gamma
# --------------------------------------------------------------------------------------------


def _token_importance(tokens: np.ndarray, kind: str) -> np.ndarray:
    if kind == "linear":
        return tokens[..., 0]
    if kind == "sine":
        return 0.5 * tokens[..., 0] + 0.25 * np.sin(2.0 * np.pi * tokens[..., 1])
    raise ConfigError(
        f"importance kind {kind!r} is unknown; allowed: {', '.join(IMPORTANCE_KINDS)}."
    )


def importance(tokens: np.ndarray, cfg: RegressionTaskConfig) -> np.ndarray:
    """mu per token: tokens (..., L, d) -> scores (..., L).

    With ``cfg.context_dependent`` the score is mu(x_j) + CONTEXT_WEIGHT * mu(x_{j-1}), the
    sequence being zero-padded on the left (mu(0) = 0 for both kinds), so the first token has no
    context bonus. Scores are computed on the whole sequence before windowing, hence the oldest
    token of a window may use a predecessor outside the window, as a causal model would.
    """
    tokens = np.asarray(tokens, dtype=np.float64)
    mu = _token_importance(tokens, cfg.importance)
    if not cfg.context_dependent:
        return mu
    prev = np.zeros_like(mu)
    prev[..., 1:] = mu[..., :-1]
    return mu + CONTEXT_WEIGHT * prev


def gamma_map(window_tokens: np.ndarray, scores: np.ndarray, top_j: int) -> np.ndarray:
    """Gamma: the top-J tokens of each window by decreasing score, shape (..., J, d).

    window_tokens: (..., V, d); scores: (..., V). Permuting a window's tokens together with their
    scores leaves the output unchanged (for distinct scores; ties keep positional order).
    """
    window_tokens = np.asarray(window_tokens)
    scores = np.asarray(scores)
    if scores.shape != window_tokens.shape[:-1]:
        raise ConfigError(
            f"gamma_map: scores shape {scores.shape} must equal window_tokens shape without its "
            f"last axis, {window_tokens.shape[:-1]}."
        )
    if not 1 <= top_j <= scores.shape[-1]:
        raise ConfigError(f"gamma_map: top_j = {top_j} must be in [1, V = {scores.shape[-1]}].")
    order = np.argsort(-scores, axis=-1, kind="stable")[..., :top_j]
    return np.take_along_axis(window_tokens, order[..., None], axis=-2)


def window_margin(scores: np.ndarray, top_j: int, beta: float) -> np.ndarray:
    """min_j (mu_(j) - mu_(j+1)) * j^beta over the ranks that decide Gamma; scores (..., V) -> (...).

    Gaps j = 1..J matter (which tokens enter the top J and in what order); when J = V only
    j = 1..J-1 exist. With a single kept token and nothing to separate, the margin is +inf.
    """
    v = scores.shape[-1]
    n_gaps = min(top_j, v - 1)
    if n_gaps == 0:
        return np.full(scores.shape[:-1], np.inf)
    ordered = -np.sort(-scores, axis=-1)[..., : n_gaps + 1]
    gaps = ordered[..., :-1] - ordered[..., 1:]
    ranks = np.arange(1, n_gaps + 1, dtype=np.float64)
    return (gaps * ranks**beta).min(axis=-1)


# --------------------------------------------------------------------------------------------
# Sampling
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class RegressionSample:
    """n sequences of the regression task.

    Attributes:
        X: (n, seq_len, d) float32 tokens, i.i.d. Uniform[0,1]^d (conditioned on the margin when
            delta > 0).
        y: (n, seq_len) float32 noisy targets y_clean + sigma * xi; 0 where not ``valid``.
        y_clean: (n, seq_len) float32 F(X)_t = g(Gamma(W_t)); 0 where not ``valid``.
        valid: (n, seq_len) bool, True for t >= V-1 (a full window exists).
        margin: (n, seq_len) float64 well-separatedness margin of W_t; NaN where not ``valid``.
    """

    X: np.ndarray
    y: np.ndarray
    y_clean: np.ndarray
    valid: np.ndarray
    margin: np.ndarray

    def __len__(self) -> int:
        return int(self.X.shape[0])


def _windows(X: np.ndarray, scores: np.ndarray, window: int) -> tuple[np.ndarray, np.ndarray]:
    """(n, L, d), (n, L) -> windows (n, L-V+1, V, d) and their scores (n, L-V+1, V)."""
    w_tokens = np.lib.stride_tricks.sliding_window_view(X, window, axis=1)
    w_tokens = np.moveaxis(w_tokens, -1, -2)
    w_scores = np.lib.stride_tricks.sliding_window_view(scores, window, axis=1)
    return w_tokens, w_scores


def _selected_tokens(
    cfg: RegressionTaskConfig, w_tokens: np.ndarray, w_scores: np.ndarray
) -> np.ndarray:
    if cfg.fixed_order:
        # Rank j = 1 is the newest token x_t, matching F_fix(X)_t = g(x_t, ..., x_{t-J+1}).
        return w_tokens[..., ::-1, :][..., : cfg.top_j, :]
    return gamma_map(w_tokens, w_scores, cfg.top_j)


def _draw_tokens(cfg: RegressionTaskConfig, n: int, rng: np.random.Generator) -> np.ndarray:
    """n accepted sequences as float32, drawn in fixed chunks so samples are prefix-consistent."""
    shape = (cfg.seq_len, cfg.d)
    if n == 0:
        return np.zeros((0, *shape), dtype=np.float32)
    accepted: list[np.ndarray] = []
    n_accepted = 0
    n_drawn = 0
    while n_accepted < n:
        # Rounding to float32 first makes the target a function of exactly what the model sees.
        cand = rng.random((_CHUNK, *shape)).astype(np.float32)
        n_drawn += _CHUNK
        if cfg.delta > 0:
            _, w_scores = _windows(cand, importance(cand, cfg), cfg.window)
            ok = window_margin(w_scores, cfg.top_j, cfg.beta).min(axis=1) >= cfg.delta
            cand = cand[ok]
        accepted.append(cand)
        n_accepted += cand.shape[0]
        rate = n_accepted / n_drawn
        if n_accepted < n and rate < MIN_ACCEPTANCE:
            raise ConfigError(
                f"regression.delta = {cfg.delta} rejects too many sequences: acceptance rate "
                f"{rate:.4f} < {MIN_ACCEPTANCE} after {n_drawn} candidates (seq_len = "
                f"{cfg.seq_len}, window = {cfg.window}, top_j = {cfg.top_j}, beta = {cfg.beta}). "
                f"Lower delta, raise beta, or shorten seq_len."
            )
    return np.concatenate(accepted)[:n]


def sample_regression(
    cfg: RegressionTaskConfig, g: SmoothFunction, n: int, seed: SeedLike
) -> RegressionSample:
    """Draw n sequences with targets F(X)_t = g(Gamma(W_t)) and noisy observations.

    Tokens and noise come from separate child streams of ``seed``, and tokens are drawn in
    chunks independent of n, so ``sample_regression(cfg, g, m, s)`` is a prefix of the size-n
    sample for m < n (nested training sets for the rate experiment come for free).
    """
    if n < 0:
        raise ConfigError(f"sample_regression: n = {n} must be >= 0.")
    if g.input_dim != cfg.input_dim:
        raise ConfigError(
            f"sample_regression: g has input dimension {g.input_dim} but cfg has d*J = "
            f"{cfg.input_dim}; draw g from the same config."
        )
    X = _draw_tokens(cfg, n, np.random.default_rng(child_seed(seed, 0)))
    noise = np.random.default_rng(child_seed(seed, 1)).standard_normal((n, cfg.seq_len))

    valid = np.zeros((n, cfg.seq_len), dtype=bool)
    valid[:, cfg.window - 1 :] = True
    y_clean = np.zeros((n, cfg.seq_len))
    margin = np.full((n, cfg.seq_len), np.nan)
    if n > 0:
        X64 = X.astype(np.float64)
        w_tokens, w_scores = _windows(X64, importance(X64, cfg), cfg.window)
        margin[:, cfg.window - 1 :] = window_margin(w_scores, cfg.top_j, cfg.beta)
        y_clean[:, cfg.window - 1 :] = g.on_tokens(_selected_tokens(cfg, w_tokens, w_scores))
    y = np.where(valid, y_clean + cfg.sigma * noise, 0.0)
    return RegressionSample(
        X=X,
        y=y.astype(np.float32),
        y_clean=y_clean.astype(np.float32),
        valid=valid,
        margin=margin,
    )


@dataclass(frozen=True, eq=False)
class RegressionSplits:
    """One target g and its train/validation/test samples."""

    g: SmoothFunction
    train: RegressionSample
    val: RegressionSample
    test: RegressionSample


def make_splits(
    cfg: RegressionTaskConfig, n_train: int, n_val: int, n_test: int, seed: SeedLike
) -> RegressionSplits:
    """Draw g once, then the three splits from disjoint child streams of ``seed``."""
    g = draw_smooth_function(cfg, child_seed(seed, 0))
    return RegressionSplits(
        g=g,
        train=sample_regression(cfg, g, n_train, child_seed(seed, 1)),
        val=sample_regression(cfg, g, n_val, child_seed(seed, 2)),
        test=sample_regression(cfg, g, n_test, child_seed(seed, 3)),
    )
