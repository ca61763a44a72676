"""Sequences for the regression experiment: importance, the sorting map Gamma, the margin, samples.

A token x_t is uniform on [0,1]^d. Its importance is its last coordinate, mu(x) = x_d. At every
position t with a full window W_t = (x_{t-V+1}, ..., x_t), Gamma sorts the window by decreasing
importance and keeps the top J tokens; F(X)_t = g(value coordinates of those J tokens, rank by
rank). The fixed-order control instead feeds g the newest J tokens, x_t first. Observations are
Y_t = F(X)_t + sigma * noise. Everything is a pure function of (config, seed).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tokensel.core.errors import ConfigError
from tokensel.regression.config import ORDERS, TaskConfig
from tokensel.regression.smooth import SeedLike, SmoothFunction, child_seed, draw_smooth_function

# Candidates are drawn in chunks of a fixed size, independent of n, so that a sample of m
# sequences is a prefix of the sample of n > m drawn with the same seed (nested training sets).
_CHUNK = 1024
# Below this acceptance rate the margin is so strict that accepted sequences no longer resemble
# the uniform token law; the sampler stops with a message instead.
MIN_ACCEPTANCE = 0.01


def windows(X: np.ndarray, window: int) -> np.ndarray:
    """(n, L, d) -> (n, L-V+1, V, d): the window ending at every position with a full window."""
    return np.moveaxis(np.lib.stride_tricks.sliding_window_view(X, window, axis=1), -1, -2)


def gamma_map(window_tokens: np.ndarray, top_j: int) -> np.ndarray:
    """Gamma: the top-J tokens of each window by decreasing importance x_d, (..., V, d) -> (..., J, d).

    Ties keep positional order (they have probability zero, and none survive a margin delta > 0).
    """
    order = np.argsort(-window_tokens[..., -1], axis=-1, kind="stable")[..., :top_j]
    return np.take_along_axis(window_tokens, order[..., None], axis=-2)


def gamma_map_reference(window_tokens: np.ndarray, top_j: int) -> np.ndarray:
    """``gamma_map`` one window at a time with Python's sort (its test oracle)."""
    flat = window_tokens.reshape(-1, *window_tokens.shape[-2:])
    picked = [sorted(w, key=lambda x: -x[-1])[:top_j] for w in flat]
    return np.asarray(picked).reshape(*window_tokens.shape[:-2], top_j, window_tokens.shape[-1])


def selected_tokens(task: TaskConfig, X: np.ndarray, order: str) -> np.ndarray:
    """The J tokens g reads at every output position, (n, L, d) -> (n, L-V+1, J, d).

    ``dynamic``: Gamma of the window. ``fixed``: the newest J tokens, x_t first, whatever their
    importance.
    """
    w = windows(X, task.window)
    if order == "fixed":
        return w[..., ::-1, :][..., : task.top_j, :]
    return gamma_map(w, task.top_j)


def g_inputs(task: TaskConfig, X: np.ndarray, order: str) -> np.ndarray:
    """g's input at every output position: the selected tokens' value coordinates, rank-major, (n, P, (d-1) J)."""
    chosen = selected_tokens(task, X, order)[..., :-1]
    return chosen.reshape(*chosen.shape[:-2], -1)


def window_margin(task: TaskConfig, X: np.ndarray) -> np.ndarray:
    """Per sequence, min over windows and j = 1..J of (mu_(j) - mu_(j+1)) j^beta; (n, L, d) -> (n,).

    Only the gaps that decide Gamma count (which tokens are in the top J and in what order); when
    J = V there are J-1 of them, and with nothing to separate the margin is +inf.
    """
    scores = windows(X, task.window)[..., -1]
    n_gaps = min(task.top_j, task.window - 1)
    if n_gaps == 0:
        return np.full(X.shape[0], np.inf)
    ordered = -np.sort(-scores, axis=-1)[..., : n_gaps + 1]
    gaps = ordered[..., :-1] - ordered[..., 1:]
    ranks = np.arange(1, n_gaps + 1, dtype=np.float64) ** task.beta
    return (gaps * ranks).min(axis=(-1, -2))


def draw_tokens(task: TaskConfig, n: int, rng: np.random.Generator) -> np.ndarray:
    """n sequences (n, L, d) as float32, uniform tokens conditioned on the margin (rejection)."""
    accepted: list[np.ndarray] = []
    n_accepted = n_drawn = 0
    while n_accepted < n:
        # float32 first, so that the target is a function of exactly what the model sees.
        candidates = rng.random((_CHUNK, task.seq_len, task.d)).astype(np.float32)
        n_drawn += _CHUNK
        if task.delta > 0:
            candidates = candidates[window_margin(task, candidates.astype(np.float64)) >= task.delta]
        accepted.append(candidates)
        n_accepted += len(candidates)
        if n_accepted < n and n_accepted / n_drawn < MIN_ACCEPTANCE:
            raise ConfigError(
                f"'regression.task.delta' = {task.delta} keeps only {n_accepted / n_drawn:.4f} of the sequences "
                f"(seq_len = {task.seq_len}, window = {task.window}, top_j = {task.top_j}, beta = {task.beta}). "
                f"Lower delta, raise beta, or shorten seq_len."
            )
    return np.concatenate(accepted)[:n] if accepted else np.zeros((0, task.seq_len, task.d), np.float32)


@dataclass(frozen=True, eq=False)
class Sample:
    """n sequences and their targets at the P = L-V+1 positions with a full window.

    X: (n, L, d) float32 tokens. Z: (n, P, (d-1) J) g's input at each output position.
    f: (n, P) F(X)_t, the clean target. y: (n, P) f + sigma * noise.
    """

    X: np.ndarray
    Z: np.ndarray
    f: np.ndarray
    y: np.ndarray

    def __len__(self) -> int:
        return int(self.X.shape[0])

    def head(self, n: int) -> Sample:
        """The first n sequences: the nested training set of size n."""
        return Sample(self.X[:n], self.Z[:n], self.f[:n], self.y[:n])


def sample(task: TaskConfig, g: SmoothFunction, order: str, n: int, seed: SeedLike) -> Sample:
    """n sequences with their targets; tokens and noise come from separate child streams of ``seed``."""
    if order not in ORDERS:
        raise ConfigError(f"order '{order}' is unknown; use one of {', '.join(ORDERS)}.")
    X = draw_tokens(task, n, np.random.default_rng(child_seed(seed, 0)))
    Z = g_inputs(task, X.astype(np.float64), order)
    f = g(Z)
    noise = np.random.default_rng(child_seed(seed, 1)).standard_normal(f.shape)
    return Sample(X=X, Z=Z, f=f, y=f + task.sigma * noise)


@dataclass(frozen=True, eq=False)
class Splits:
    """One target g and its training (size max n; smaller sets are prefixes), validation and test samples."""

    g: SmoothFunction
    train: Sample
    val: Sample
    test: Sample


def make_splits(task: TaskConfig, order: str, n_train: int, n_val: int, n_test: int, seed: int) -> Splits:
    """g and the three samples from disjoint child streams of ``seed``.

    g depends on the seed only, so the dynamic task and its fixed-order control share it.
    """
    g = draw_smooth_function(task, child_seed(seed, 0))
    return Splits(
        g=g,
        train=sample(task, g, order, n_train, child_seed(seed, 1)),
        val=sample(task, g, order, n_val, child_seed(seed, 2)),
        test=sample(task, g, order, n_test, child_seed(seed, 3)),
    )
