"""Data and statistics layer for the nonparametric-regression experiment (paper Section 4).

The paper (arXiv 2405.19036) runs no regression experiment; this generator is our construction
(``research/paper.md`` Section 6.6) of a target in the piecewise gamma-smooth class, so that the
estimation rate of Theorem 4.6 can be checked empirically. Everything here is a pure function of
(config, seed): no global random state is read or written.

Glossary, code symbol -> paper notation
---------------------------------------
``cfg.d``                 d, the token dimension; tokens x_t lie in [0,1]^d.
``cfg.seq_len``           length of the observed prefix of X in [0,1]^{d x infinity}.
``cfg.window``            V, the window W_t = (x_{t-V+1}, ..., x_t) feeding output position t.
``cfg.top_j``             J, the number of tokens Gamma keeps (the effective input dimension of
                          g is d*J).
``importance``            mu: a score per token, mu(X)_j; ``context_dependent`` makes it
                          phi(x_j, x_{j-1}).
``gamma_map``             Gamma: sort the window by decreasing mu and keep the top J tokens,
                          Gamma(W) = (x_{pi(1)}, ..., x_{pi(J)}).
``smoothness_matrix``     a_{ij}, i = dimension (row), j = importance rank (column).
``a_dagger``              a-dagger: a_1 = min a_{ij} (mixed) or (sum_{ij} 1/a_{ij})^{-1}
                          (anisotropic).
``predicted_exponent``    -2 a-dagger / (2 a-dagger + 1), the exponent of n in Theorem 4.6.
``block_gamma``           gamma(s): <a, s> (mixed) or max_k a_k s_k (anisotropic), for a frequency
                          block s in N_0^{d*J}.
``trig_basis``            psi_l, l in Z^{d*J}, restricted to blocks with gamma(s) < T_max.
``SmoothFunction``        g in F^gamma, so that F(X)_t = g(Gamma(W_t)) is piecewise gamma-smooth.
``cfg.t_max``             T_max, the truncation level of the series (a finite stand-in for the
                          infinite series; see ``resolved_t_max``).
``cfg.delta, cfg.beta``   the well-separatedness margin: mu_(j) - mu_(j+1) >= delta * j^{-beta}.
``cfg.b_f``               B_f, the bound ||g||_inf <= B_f.
``cfg.sigma``             sigma, the noise level of Y = F(X) + sigma * xi.

Layout conventions
------------------
* The d*J coordinates of g's input are the selected tokens flattened rank-major: coordinate
  ``k = (j-1)*d + (i-1)`` holds dimension i of the rank-j token, so its smoothness is a_{ij}.
* Output position t (0-based) is defined for t >= V-1 only; ``RegressionSample.valid`` marks those
  positions, and targets elsewhere are 0 (not NaN, so that ``loss * mask`` stays finite).
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass

import numpy as np

from tokensel.errors import ConfigError

SMOOTHNESS_KINDS = ("mixed", "anisotropic")
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

# Relative tolerance when grouping equal gamma(s) values (products like 1.5 * 2 vs 3 * 1).
_GAMMA_TOL = 1e-9

SeedLike = int | np.random.SeedSequence


# --------------------------------------------------------------------------------------------
# Configuration
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RegressionTaskConfig:
    """Parameters of the piecewise gamma-smooth regression task.

    Attributes:
        d: token dimension d (>= 1; >= 2 when ``importance == "sine"``).
        seq_len: number of tokens per sequence (>= window).
        window: V, tokens per window W_t (1 <= V <= seq_len).
        top_j: J, tokens kept by Gamma (1 <= J <= V).
        a0: scale of the smoothness, a_{ij} = a0 * j^alpha * (1 + kappa (i-1)); > 0.
        alpha: growth of the smoothness with the importance rank j; >= 0.
        kappa: growth of the smoothness with the token dimension i; >= 0.
        smoothness: "mixed" (gamma(s) = sum a_k s_k) or "anisotropic" (max a_k s_k).
        t_max: truncation level T_max of the trigonometric series (blocks with gamma(s) < T_max).
            ``None`` picks the largest level that keeps at most ``max_basis`` basis functions.
        max_basis: ceiling on the number of basis functions; protects against a t_max that would
            build an enormous series (the count grows like 2^{T_max / a-dagger}).
        sigma: noise standard deviation; >= 0.
        importance: mu, "linear" (mu(x) = x_1) or "sine" (mu(x) = x_1/2 + sin(2 pi x_2)/4).
        context_dependent: if True, mu(X)_j = mu(x_j) + CONTEXT_WEIGHT * mu(x_{j-1}).
        delta: well-separatedness margin; sequences with a window whose sorted gaps violate
            mu_(j) - mu_(j+1) >= delta * j^{-beta} (j = 1..J) are resampled. 0 disables it.
        beta: polynomial decay of the required gap with the rank; >= 0.
        fixed_order: control task: g is applied to (x_t, x_{t-1}, ..., x_{t-J+1}) with no sorting.
        b_f: B_f, the sup-norm of g after rescaling; > 0.
        n_sup_points: Monte-Carlo points used to estimate sup |g| before rescaling.
    """

    d: int = 2
    seq_len: int = 32
    window: int = 8
    top_j: int = 3
    a0: float = 1.0
    alpha: float = 1.0
    kappa: float = 0.5
    smoothness: str = "mixed"
    t_max: float | None = None
    max_basis: int = 256
    sigma: float = 0.1
    importance: str = "linear"
    context_dependent: bool = False
    delta: float = 0.0
    beta: float = 1.0
    fixed_order: bool = False
    b_f: float = 1.0
    n_sup_points: int = 16384

    def __post_init__(self) -> None:
        def require(ok: bool, message: str) -> None:
            if not ok:
                raise ConfigError(message)

        for name in ("d", "seq_len", "window", "top_j", "max_basis", "n_sup_points"):
            value = getattr(self, name)
            require(
                isinstance(value, (int, np.integer)) and not isinstance(value, bool),
                f"regression.{name} must be an integer, got {value!r}.",
            )
        require(
            self.d >= 1, f"regression.d = {self.d} is invalid: the token dimension must be >= 1."
        )
        require(
            self.seq_len >= 1, f"regression.seq_len = {self.seq_len} is invalid: it must be >= 1."
        )
        require(
            self.window >= 1, f"regression.window (V) = {self.window} is invalid: it must be >= 1."
        )
        require(
            self.window <= self.seq_len,
            f"regression.window (V) = {self.window} exceeds regression.seq_len = {self.seq_len}: "
            f"no position would have a full window. Use window <= seq_len.",
        )
        require(
            self.top_j >= 1, f"regression.top_j (J) = {self.top_j} is invalid: it must be >= 1."
        )
        require(
            self.top_j <= self.window,
            f"regression.top_j (J) = {self.top_j} exceeds regression.window (V) = {self.window}: "
            f"Gamma keeps J of the V window tokens. Use 1 <= top_j <= window.",
        )
        require(
            self.a0 > 0,
            f"regression.a0 = {self.a0} is invalid: the smoothness scale must be > 0.",
        )
        require(
            self.alpha >= 0,
            f"regression.alpha = {self.alpha} is invalid: the rank growth exponent must be >= 0.",
        )
        require(
            self.kappa >= 0,
            f"regression.kappa = {self.kappa} is invalid: the dimension growth must be >= 0.",
        )
        require(
            self.smoothness in SMOOTHNESS_KINDS,
            f"regression.smoothness = {self.smoothness!r} is unknown; allowed values: "
            f"{', '.join(SMOOTHNESS_KINDS)}.",
        )
        require(
            self.importance in IMPORTANCE_KINDS,
            f"regression.importance = {self.importance!r} is unknown; allowed values: "
            f"{', '.join(IMPORTANCE_KINDS)}.",
        )
        require(
            not (self.importance == "sine" and self.d < 2),
            f"regression.importance = 'sine' uses x_2 and needs d >= 2, got d = {self.d}. "
            f"Use importance = 'linear' or d >= 2.",
        )
        require(
            self.t_max is None or self.t_max > 0,
            f"regression.t_max = {self.t_max} is invalid: it must be > 0, or null for automatic.",
        )
        require(
            self.max_basis >= 1,
            f"regression.max_basis = {self.max_basis} is invalid: it must be >= 1.",
        )
        require(
            self.sigma >= 0,
            f"regression.sigma = {self.sigma} is invalid: the noise level must be >= 0.",
        )
        require(
            self.delta >= 0,
            f"regression.delta = {self.delta} is invalid: the margin must be >= 0 (0 disables "
            f"rejection).",
        )
        require(self.beta >= 0, f"regression.beta = {self.beta} is invalid: it must be >= 0.")
        require(self.b_f > 0, f"regression.b_f = {self.b_f} is invalid: the bound must be > 0.")
        require(
            self.n_sup_points >= 1,
            f"regression.n_sup_points = {self.n_sup_points} is invalid: it must be >= 1.",
        )

    @property
    def input_dim(self) -> int:
        """Dimension d*J of g's input."""
        return self.d * self.top_j


# --------------------------------------------------------------------------------------------
# Smoothness
# --------------------------------------------------------------------------------------------


def smoothness_matrix(cfg: RegressionTaskConfig) -> np.ndarray:
    """a_{ij} = a0 * j^alpha * (1 + kappa (i-1)), shape (d, J); rows = dimension i, cols = rank j."""
    i = np.arange(1, cfg.d + 1, dtype=np.float64)[:, None]
    j = np.arange(1, cfg.top_j + 1, dtype=np.float64)[None, :]
    return cfg.a0 * j**cfg.alpha * (1.0 + cfg.kappa * (i - 1.0))


def smoothness_vector(cfg: RegressionTaskConfig) -> np.ndarray:
    """a_k for the d*J flattened (rank-major) coordinates of g's input, shape (d*J,)."""
    return smoothness_matrix(cfg).T.reshape(-1)


def a_dagger(cfg: RegressionTaskConfig) -> float:
    """a-dagger of Theorem 4.6: min a_{ij} (mixed) or (sum 1/a_{ij})^{-1} (anisotropic)."""
    a = smoothness_matrix(cfg)
    if cfg.smoothness == "mixed":
        return float(a.min())
    return float(1.0 / np.sum(1.0 / a))


def predicted_exponent(cfg: RegressionTaskConfig) -> float:
    """Exponent of n in the rate n^{-2a/(2a+1)} of Theorem 4.6 (negative)."""
    a = a_dagger(cfg)
    return -2.0 * a / (2.0 * a + 1.0)


def block_gamma(blocks: np.ndarray, a: np.ndarray, kind: str) -> np.ndarray:
    """gamma(s) for blocks s of shape (..., d*J) and smoothness vector a of shape (d*J,)."""
    weighted = np.asarray(blocks, dtype=np.float64) * a
    if kind == "mixed":
        return weighted.sum(axis=-1)
    if kind == "anisotropic":
        return weighted.max(axis=-1) if weighted.shape[-1] else np.zeros(weighted.shape[:-1])
    raise ConfigError(
        f"smoothness kind {kind!r} is unknown; allowed: {', '.join(SMOOTHNESS_KINDS)}."
    )


# --------------------------------------------------------------------------------------------
# Trigonometric basis
# --------------------------------------------------------------------------------------------


def _block_size(s: tuple[int, ...]) -> int:
    # Block s_k holds 2^{s_k} frequencies: {0} for s_k = 0, +-[2^{s_k-1}, 2^{s_k}) otherwise.
    return 1 << sum(s)


def _enumerate_blocks(
    cfg: RegressionTaskConfig,
) -> tuple[list[tuple[int, ...]], list[float], float]:
    """Blocks s with gamma(s) < T_max in non-decreasing gamma order, their gamma, and T_max.

    Best-first search from s = 0: gamma is non-decreasing in every coordinate, so popping the
    heap visits blocks in gamma order and we can stop at the first level that would overflow
    ``max_basis`` (auto mode) or reach T_max (explicit mode) without enumerating anything larger.
    """
    a = smoothness_vector(cfg)
    dim = a.size

    def gamma_of(s: tuple[int, ...]) -> float:
        return float(block_gamma(np.array(s), a, cfg.smoothness))

    start = (0,) * dim
    heap: list[tuple[float, tuple[int, ...]]] = [(0.0, start)]
    seen = {start}
    blocks: list[tuple[int, ...]] = []
    gammas: list[float] = []
    total = 0
    while True:
        level = heap[0][0]
        tol = _GAMMA_TOL * max(1.0, abs(level))
        if cfg.t_max is not None and level >= cfg.t_max - tol:
            return blocks, gammas, float(cfg.t_max)
        # Pop the whole group of blocks at this gamma level; in the anisotropic case a neighbour
        # can share its parent's gamma, so the group grows while we pop.
        group: list[tuple[int, ...]] = []
        group_count = 0
        while heap and heap[0][0] <= level + tol:
            _g, s = heapq.heappop(heap)
            group.append(s)
            group_count += _block_size(s)
            if total + group_count > cfg.max_basis:
                break
            for k in range(dim):
                nxt = s[:k] + (s[k] + 1,) + s[k + 1 :]
                if nxt not in seen:
                    seen.add(nxt)
                    heapq.heappush(heap, (gamma_of(nxt), nxt))
        if total + group_count > cfg.max_basis:
            if cfg.t_max is None:
                if not blocks:
                    raise ConfigError(
                        f"regression.max_basis = {cfg.max_basis} is too small to hold even the "
                        f"constant function; use max_basis >= 1."
                    )
                return blocks, gammas, float(level)
            raise ConfigError(
                f"regression.t_max = {cfg.t_max} needs more than regression.max_basis = "
                f"{cfg.max_basis} basis functions (d*J = {dim}, smoothness = "
                f"{cfg.smoothness!r}). Lower t_max, raise max_basis, or set t_max to null to "
                f"pick the largest level that fits."
            )
        blocks.extend(group)
        gammas.extend([level] * len(group))
        total += group_count


def resolved_t_max(cfg: RegressionTaskConfig) -> float:
    """T_max actually used: ``cfg.t_max``, or the automatic level when it is ``None``."""
    return _enumerate_blocks(cfg)[2]


@dataclass(frozen=True, eq=False)
class TrigBasis:
    """The truncated basis {psi_l : l in block(s), gamma(s) < t_max}.

    Attributes:
        freqs: (K, d*J) int frequencies l; negative = cosine, positive = sine, 0 = constant.
        block_index: (K,) index into ``blocks`` of the block each frequency belongs to.
        blocks: (n_blocks, d*J) int block indices s.
        gamma: (n_blocks,) gamma(s).
        t_max: the truncation level used.
    """

    freqs: np.ndarray
    block_index: np.ndarray
    blocks: np.ndarray
    gamma: np.ndarray
    t_max: float

    @property
    def n_basis(self) -> int:
        return int(self.freqs.shape[0])


def _block_frequencies(s: tuple[int, ...]) -> np.ndarray:
    per_coord = []
    for sk in s:
        if sk == 0:
            per_coord.append(np.array([0]))
        else:
            mags = np.arange(1 << (sk - 1), 1 << sk)
            per_coord.append(np.concatenate([-mags[::-1], mags]))
    grids = np.meshgrid(*per_coord, indexing="ij")
    return np.stack([g.reshape(-1) for g in grids], axis=-1)


def trig_basis(cfg: RegressionTaskConfig) -> TrigBasis:
    """Enumerate the truncated Fourier basis on [0,1]^{d*J} in a fixed, seed-independent order."""
    blocks, gammas, t_max = _enumerate_blocks(cfg)
    dim = cfg.input_dim
    freqs = [_block_frequencies(s) for s in blocks]
    index = [np.full(f.shape[0], b, dtype=np.int64) for b, f in enumerate(freqs)]
    return TrigBasis(
        freqs=np.concatenate(freqs).astype(np.int64).reshape(-1, dim),
        block_index=np.concatenate(index),
        blocks=np.asarray(blocks, dtype=np.int64).reshape(-1, dim),
        gamma=np.asarray(gammas, dtype=np.float64),
        t_max=t_max,
    )


def _psi_1d(l: np.ndarray, z: np.ndarray) -> np.ndarray:
    """psi_l(z) for frequencies l (U,) and points z (N,) -> (N, U)."""
    return _psi_and_dpsi_1d(l, z, derivative=False)[0]


def _psi_and_dpsi_1d(
    l: np.ndarray, z: np.ndarray, derivative: bool = True
) -> tuple[np.ndarray, np.ndarray | None]:
    """psi_l(z) and, optionally, d/dz psi_l(z); shapes (N, U)."""
    w = 2.0 * np.pi * np.abs(l)[None, :]
    phase = w * z[:, None]
    cos, sin = np.cos(phase), np.sin(phase)
    is_cos, is_const = l[None, :] < 0, l[None, :] == 0
    psi = np.where(is_const, 1.0, math.sqrt(2.0) * np.where(is_cos, cos, sin))
    if not derivative:
        return psi, None
    dpsi = math.sqrt(2.0) * w * np.where(is_cos, -sin, cos)  # w = 0 makes the constant's 0
    return psi, dpsi


def _design_t(freqs: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Transposed design matrix, (K, N): row gathers are contiguous copies, 3-4x faster."""
    z = np.asarray(z, dtype=np.float64)
    out = np.ones((freqs.shape[0], z.shape[0]))
    for k in range(freqs.shape[1]):
        active = freqs[:, k] != 0
        if not active.any():
            continue
        # Few distinct frequencies per coordinate: evaluate each once, then gather rows; factors
        # with l_k = 0 are 1 and skipped, which saves most of the work for high-rank coordinates.
        uniq, inv = np.unique(freqs[active, k], return_inverse=True)
        table = np.ascontiguousarray(_psi_1d(uniq, z[:, k]).T)
        out[active] *= table[inv]
    return out


def design_matrix(freqs: np.ndarray, z: np.ndarray) -> np.ndarray:
    """psi_l(z) for all basis frequencies: z (N, D), freqs (K, D) -> (N, K)."""
    return _design_t(freqs, z).T


# --------------------------------------------------------------------------------------------
# The smooth part g
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class SmoothFunction:
    """g(z) = sum_l coef_l psi_l(z) on [0,1]^{d*J}, rescaled so that sup |g| ~= b_f.

    Attributes:
        basis: the truncated basis the coefficients refer to.
        coef: (K,) coefficients after rescaling; ``coef / scale`` are the raw draws
            N(0,1) * 2^{-gamma(s)} * |block(s)|^{-1/2}.
        scale: the factor b_f / (estimated sup |raw g|) that was applied.
        sup_estimate: estimated sup |g| after rescaling (equals b_f by construction).
    """

    basis: TrigBasis
    coef: np.ndarray
    scale: float
    sup_estimate: float

    @property
    def input_dim(self) -> int:
        return int(self.basis.freqs.shape[1])

    def __call__(self, z: np.ndarray, chunk: int = 8192) -> np.ndarray:
        """Evaluate g on points of shape (..., d*J) (rank-major flattening); returns shape (...)."""
        z = np.asarray(z, dtype=np.float64)
        if z.shape[-1] != self.input_dim:
            raise ConfigError(
                f"g expects inputs with last axis d*J = {self.input_dim}, got shape {z.shape}."
            )
        flat = z.reshape(-1, self.input_dim)
        out = np.empty(flat.shape[0])
        # Chunking bounds the (N, K) design matrix to a few tens of MB.
        for start in range(0, flat.shape[0], chunk):
            part = flat[start : start + chunk]
            out[start : start + chunk] = self.coef @ _design_t(self.basis.freqs, part)
        return out.reshape(z.shape[:-1])

    def on_tokens(self, selected: np.ndarray) -> np.ndarray:
        """Evaluate g on selected tokens of shape (..., J, d), e.g. the output of ``gamma_map``."""
        selected = np.asarray(selected)
        return self(selected.reshape(*selected.shape[:-2], -1))


def _value_and_grad(
    freqs: np.ndarray, coef: np.ndarray, z: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """g(z) and its gradient for a few points z (P, D)."""
    vals, ders = [], []
    for k in range(freqs.shape[1]):
        uniq, inv = np.unique(freqs[:, k], return_inverse=True)
        psi, dpsi = _psi_and_dpsi_1d(uniq, z[:, k])
        vals.append(psi[:, inv])
        ders.append(dpsi[:, inv])
    value = np.prod(vals, axis=0) @ coef
    grad = np.empty_like(z)
    for k in range(freqs.shape[1]):
        # Replace one factor by its derivative; no division, so zeros of psi are harmless.
        term = ders[k].copy()
        for m in range(freqs.shape[1]):
            if m != k:
                term *= vals[m]
        grad[:, k] = term @ coef
    return value, grad


def _estimate_sup(
    freqs: np.ndarray, coef: np.ndarray, n_points: int, rng: np.random.Generator
) -> float:
    """Monte-Carlo sup |g|, polished by gradient ascent from the best points.

    Plain Monte Carlo underestimates the sup of a multi-frequency series by several percent in
    d*J = 6 dimensions; a short ascent from the top candidates closes most of that gap, so that
    ``sup |g| <= b_f`` holds on fresh points. g is 1-periodic, so no projection is needed.
    """
    dim = freqs.shape[1]
    z = rng.random((n_points, dim))
    values = np.abs(coef @ _design_t(freqs, z))
    n_start = min(32, n_points)
    top = np.argsort(values)[-n_start:]
    z = z[top].copy()
    value, grad = _value_and_grad(freqs, coef, z)
    step = np.full(n_start, 1e-2)
    for _ in range(60):
        direction = np.sign(value)[:, None] * grad
        norm = np.linalg.norm(direction, axis=1, keepdims=True)
        cand = (z + step[:, None] * direction / np.maximum(norm, 1e-12)) % 1.0
        cand_value, cand_grad = _value_and_grad(freqs, coef, cand)
        better = np.abs(cand_value) > np.abs(value)
        z[better], value[better], grad[better] = cand[better], cand_value[better], cand_grad[better]
        step = np.where(better, step * 1.5, step * 0.5)
    return float(max(values.max(), np.abs(value).max()))


def _child(seed: SeedLike, i: int) -> np.random.SeedSequence:
    """Child i of ``seed``, without mutating it (``SeedSequence.spawn`` keeps a counter)."""
    parent = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    return np.random.SeedSequence(
        parent.entropy, spawn_key=tuple(parent.spawn_key) + (i,), pool_size=parent.pool_size
    )


def draw_smooth_function(cfg: RegressionTaskConfig, seed: SeedLike) -> SmoothFunction:
    """Draw g with coefficients N(0,1) 2^{-gamma(s)} |block(s)|^{-1/2}, rescaled to sup |g| = b_f.

    The block normalisation makes ||delta_s(g)||_2 ~= 2^{-gamma(s)}, i.e. every block sits on the
    boundary of the gamma-smooth unit ball (up to the common rescaling), which is the hardest case
    for the rate.
    """
    basis = trig_basis(cfg)
    rng_coef = np.random.default_rng(_child(seed, 0))
    rng_sup = np.random.default_rng(_child(seed, 1))
    block_sizes = np.array([_block_size(tuple(s)) for s in basis.blocks], dtype=np.float64)
    decay = 2.0 ** (-basis.gamma) / np.sqrt(block_sizes)
    raw = rng_coef.standard_normal(basis.n_basis) * decay[basis.block_index]
    sup_raw = _estimate_sup(basis.freqs, raw, cfg.n_sup_points, rng_sup)
    # Normalising to sup = b_f (rather than only shrinking) keeps the signal-to-noise ratio
    # comparable across seeds.
    scale = cfg.b_f / sup_raw
    return SmoothFunction(basis=basis, coef=raw * scale, scale=scale, sup_estimate=cfg.b_f)


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
    X = _draw_tokens(cfg, n, np.random.default_rng(_child(seed, 0)))
    noise = np.random.default_rng(_child(seed, 1)).standard_normal((n, cfg.seq_len))

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
    g = draw_smooth_function(cfg, _child(seed, 0))
    return RegressionSplits(
        g=g,
        train=sample_regression(cfg, g, n_train, _child(seed, 1)),
        val=sample_regression(cfg, g, n_val, _child(seed, 2)),
        test=sample_regression(cfg, g, n_test, _child(seed, 3)),
    )


# --------------------------------------------------------------------------------------------
# Rate fitting
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SlopeFit:
    """log(risk) = intercept + slope * log(n), with a seed-bootstrap percentile interval."""

    slope: float
    intercept: float
    ci_low: float
    ci_high: float


def _ols_slopes(log_n: np.ndarray, log_r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Least-squares slope and intercept of each column of log_r (n_sizes, B) on log_n."""
    xc = log_n - log_n.mean()
    slope = (xc[:, None] * (log_r - log_r.mean(axis=0))).sum(axis=0) / (xc**2).sum()
    intercept = log_r.mean(axis=0) - slope * log_n.mean()
    return slope, intercept


def fit_loglog_slope(
    n: np.ndarray,
    risk: np.ndarray,
    seed_axis: int = 1,
    n_boot: int = 2000,
    ci: float = 0.95,
    rng_seed: int = 0,
) -> SlopeFit:
    """Fit log(mean risk) against log(n); bootstrap the seeds for a percentile CI of the slope.

    The seed-mean is an arithmetic mean because Theorem 4.6 bounds the expected risk. With a
    single seed there is nothing to resample and the interval is NaN.

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
        raise ConfigError(
            f"fit_loglog_slope: n = {n_arr.tolist()} needs >= 2 distinct positive sizes."
        )
    if not np.all(np.isfinite(r)) or np.any(r <= 0):
        raise ConfigError("fit_loglog_slope: every risk must be finite and > 0 to take its log.")
    if not 0 < ci < 1:
        raise ConfigError(f"fit_loglog_slope: ci = {ci} must be in (0, 1).")
    if n_boot < 1:
        raise ConfigError(f"fit_loglog_slope: n_boot = {n_boot} must be >= 1.")

    log_n = np.log(n_arr)
    slope, intercept = _ols_slopes(log_n, np.log(r.mean(axis=1))[:, None])
    n_seeds = r.shape[1]
    if n_seeds < 2:
        return SlopeFit(float(slope[0]), float(intercept[0]), math.nan, math.nan)
    rng = np.random.default_rng(rng_seed)
    # Resample whole seed columns, so that the correlation between sizes within a seed is kept.
    idx = rng.integers(0, n_seeds, size=(n_boot, n_seeds))
    boot_mean = r[:, idx].mean(axis=2)  # (n_sizes, B)
    boot_slope, _ = _ols_slopes(log_n, np.log(boot_mean))
    lo, hi = np.quantile(boot_slope, [(1 - ci) / 2, (1 + ci) / 2])
    return SlopeFit(float(slope[0]), float(intercept[0]), float(lo), float(hi))
