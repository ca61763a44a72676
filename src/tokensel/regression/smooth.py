"""The smooth part g of the regression target: smoothness a_ij, the trigonometric basis, random g in F^gamma.

The paper (arXiv 2405.19036) runs no regression experiment; this generator is our construction
of a target in the piecewise gamma-smooth class, so that the
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

from tokensel.core.errors import ConfigError
from tokensel.regression.config import RegressionTaskConfig

SMOOTHNESS_KINDS = ("mixed", "anisotropic")

# Relative tolerance when grouping equal gamma(s) values (products like 1.5 * 2 vs 3 * 1).
_GAMMA_TOL = 1e-9

SeedLike = int | np.random.SeedSequence


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


def child_seed(seed: SeedLike, i: int) -> np.random.SeedSequence:
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
    rng_coef = np.random.default_rng(child_seed(seed, 0))
    rng_sup = np.random.default_rng(child_seed(seed, 1))
    block_sizes = np.array([_block_size(tuple(s)) for s in basis.blocks], dtype=np.float64)
    decay = 2.0 ** (-basis.gamma) / np.sqrt(block_sizes)
    raw = rng_coef.standard_normal(basis.n_basis) * decay[basis.block_index]
    sup_raw = _estimate_sup(basis.freqs, raw, cfg.n_sup_points, rng_sup)
    # Normalising to sup = b_f (rather than only shrinking) keeps the signal-to-noise ratio
    # comparable across seeds.
    scale = cfg.b_f / sup_raw
    return SmoothFunction(basis=basis, coef=raw * scale, scale=scale, sup_estimate=cfg.b_f)
