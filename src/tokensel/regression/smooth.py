"""The smooth part g of the regression target: smoothness a_ij, the trigonometric basis, a random g.

Definitions (γ-smooth classes: Okumoto & Suzuki, ICLR 2022; their piecewise version, where g is
applied to tokens sorted by importance: Takakura & Suzuki, ICML 2023; both are the classes of
Theorems 4.5 and 4.6 of arXiv 2405.19036):

* Basis on [0,1]: psi_l(z) = sqrt(2) cos(2 pi |l| z) for l < 0, sqrt(2) sin(2 pi l z) for l > 0,
  1 for l = 0; on [0,1]^D the products psi_l(z) = prod_k psi_{l_k}(z_k), an orthonormal basis.
* Frequency block s in N_0^D: the l with floor(2^(s_k - 1)) <= |l_k| < 2^(s_k) for every k
  (2^(sum s) functions).
* γ(s) = sum_k a_k s_k (mixed smoothness) or max_k a_k s_k (anisotropic); g is γ-smooth when
  its block norms ||δ_s g||_2 decay like 2^(-γ(s)).
* The rate of Theorem 4.6 is n^(-2a†/(2a†+1)) up to poly-log factors, with a† = min a_k (mixed)
  or (sum 1/a_k)^(-1) (anisotropic).

Coordinates of g's input are the value coordinates of the J selected tokens, rank-major:
coordinate k = (j-1)(d-1) + (i-1) holds value coordinate i of the rank-j token (smoothness a_ij).
The importance coordinate is not an input of g (its smoothness is infinite: it adds nothing to
either a†). Everything here is a pure function of (config, seed).
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass

import numpy as np

from tokensel.core.errors import ConfigError
from tokensel.regression.config import TaskConfig

SeedLike = int | np.random.SeedSequence

# Relative tolerance when grouping equal γ(s) values (1.5 * 2 and 3 * 1 must tie).
_GAMMA_TOL = 1e-9


def smoothness_vector(task: TaskConfig) -> np.ndarray:
    """a_k for the (d-1) J coordinates of g's input, rank-major: a_ij = a0 j^alpha (1 + kappa (i-1))."""
    i = np.arange(1, task.d, dtype=np.float64)[None, :]
    j = np.arange(1, task.top_j + 1, dtype=np.float64)[:, None]
    return (task.a0 * j**task.alpha * (1.0 + task.kappa * (i - 1.0))).reshape(-1)


def a_dagger(task: TaskConfig) -> float:
    """a† of Theorem 4.6: min a (mixed) or (sum 1/a)^(-1) (anisotropic)."""
    a = smoothness_vector(task)
    return float(a.min()) if task.smoothness == "mixed" else float(1.0 / np.sum(1.0 / a))


def predicted_exponent(task: TaskConfig) -> float:
    """The exponent of n in the rate n^(-2a†/(2a†+1)) (negative)."""
    a = a_dagger(task)
    return -2.0 * a / (2.0 * a + 1.0)


def block_gamma(blocks: np.ndarray, a: np.ndarray, smoothness: str) -> np.ndarray:
    """γ(s) for blocks s of shape (..., D) and smoothness a of shape (D,)."""
    weighted = np.asarray(blocks, dtype=np.float64) * a
    return weighted.sum(axis=-1) if smoothness == "mixed" else weighted.max(axis=-1)


def block_size(s: tuple[int, ...]) -> int:
    """Number of basis functions in block s: 2^(s_k) frequencies per coordinate."""
    return 1 << sum(s)


def enumerate_blocks(task: TaskConfig) -> tuple[list[tuple[int, ...]], list[float]]:
    """The blocks of smallest γ(s), in non-decreasing γ order, holding at most ``max_basis`` functions.

    Best-first search from s = 0: γ does not decrease along any coordinate, so the heap pops
    blocks in γ order; a level (all blocks of one γ value) is kept whole or not at all, so the
    truncation is a γ level set {γ(s) < T}.
    """
    a = smoothness_vector(task)
    dim = a.size
    start = (0,) * dim
    heap: list[tuple[float, tuple[int, ...]]] = [(0.0, start)]
    seen = {start}
    blocks: list[tuple[int, ...]] = []
    gammas: list[float] = []
    total = 0
    while heap:
        level = heap[0][0]
        tol = _GAMMA_TOL * max(1.0, abs(level))
        # In the anisotropic case a neighbour can share its parent's γ, so the group grows while popping.
        group: list[tuple[int, ...]] = []
        while heap and heap[0][0] <= level + tol:
            _, s = heapq.heappop(heap)
            group.append(s)
            for k in range(dim):
                nxt = s[:k] + (s[k] + 1,) + s[k + 1 :]
                if nxt not in seen:
                    seen.add(nxt)
                    heapq.heappush(heap, (float(block_gamma(np.array(nxt), a, task.smoothness)), nxt))
        count = sum(block_size(s) for s in group)
        if total + count > task.max_basis:
            break
        blocks.extend(group)
        gammas.extend([level] * len(group))
        total += count
    if len(blocks) < 2:
        raise ConfigError(
            f"'regression.task.max_basis' = {task.max_basis} holds no block beyond the constant; "
            f"g would be constant. Raise max_basis."
        )
    return blocks, gammas


@dataclass(frozen=True, eq=False)
class TrigBasis:
    """The truncated basis, ordered by γ (so every γ level set is a prefix).

    Attributes:
        freqs: (K, D) int frequencies l (negative: cosine, positive: sine, 0: constant factor).
        gamma: (K,) γ(s) of each function's block.
        block_size: (K,) size of each function's block.
    """

    freqs: np.ndarray
    gamma: np.ndarray
    block_size: np.ndarray

    @property
    def n_basis(self) -> int:
        return int(self.freqs.shape[0])

    def level_sizes(self) -> np.ndarray:
        """K at every γ level: the prefix lengths that are whole level sets {γ(s) <= level}."""
        levels = np.unique(self.gamma)
        return np.searchsorted(self.gamma, levels, side="right")


def _block_frequencies(s: tuple[int, ...]) -> np.ndarray:
    per_coord = []
    for sk in s:
        magnitudes = np.arange(1 << (sk - 1), 1 << sk) if sk else np.array([0])
        per_coord.append(np.concatenate([-magnitudes[::-1], magnitudes]) if sk else magnitudes)
    grids = np.meshgrid(*per_coord, indexing="ij")
    return np.stack([g.reshape(-1) for g in grids], axis=-1)


def trig_basis(task: TaskConfig) -> TrigBasis:
    """The truncated Fourier basis on [0,1]^((d-1) J), in a fixed, seed-independent order."""
    blocks, gammas = enumerate_blocks(task)
    freqs = [_block_frequencies(s) for s in blocks]
    sizes = [np.full(len(f), block_size(s)) for f, s in zip(freqs, blocks)]
    gamma = [np.full(len(f), g) for f, g in zip(freqs, gammas)]
    return TrigBasis(
        freqs=np.concatenate(freqs).astype(np.int64).reshape(-1, task.input_dim),
        gamma=np.concatenate(gamma),
        block_size=np.concatenate(sizes),
    )


def psi_1d(l: np.ndarray, z: np.ndarray) -> np.ndarray:
    """psi_l(z) for frequencies l (U,) and points z (N,) -> (N, U)."""
    phase = 2.0 * np.pi * np.abs(l)[None, :] * np.asarray(z, dtype=np.float64)[:, None]
    waves = math.sqrt(2.0) * np.where(l[None, :] < 0, np.cos(phase), np.sin(phase))
    return np.where(l[None, :] == 0, 1.0, waves)


def design_matrix(freqs: np.ndarray, z: np.ndarray) -> np.ndarray:
    """psi_l(z) for every basis frequency: z (N, D), freqs (K, D) -> (N, K).

    Each coordinate has few distinct frequencies: they are evaluated once and gathered, and
    factors with l_k = 0 (which equal 1) are skipped. Built transposed, where the gathers are
    contiguous row copies.
    """
    z = np.asarray(z, dtype=np.float64)
    out = np.ones((freqs.shape[0], z.shape[0]))
    for k in range(freqs.shape[1]):
        active = freqs[:, k] != 0
        if active.any():
            unique, inverse = np.unique(freqs[active, k], return_inverse=True)
            out[active] *= np.ascontiguousarray(psi_1d(unique, z[:, k]).T)[inverse]
    return out.T


def design_matrix_reference(freqs: np.ndarray, z: np.ndarray) -> np.ndarray:
    """The definition of ``design_matrix``, one basis function at a time (its test oracle)."""
    z = np.asarray(z, dtype=np.float64)
    columns = [np.prod([psi_1d(np.array([l]), z[:, k])[:, 0] for k, l in enumerate(row)], axis=0) for row in freqs]
    return np.stack(columns, axis=1)


@dataclass(frozen=True, eq=False)
class SmoothFunction:
    """g(z) = sum_l coef_l psi_l(z) on [0,1]^D, with mean 0 and unit variance under the uniform law."""

    basis: TrigBasis
    coef: np.ndarray

    @property
    def input_dim(self) -> int:
        return int(self.basis.freqs.shape[1])

    @property
    def variance(self) -> float:
        """Var g(Z) for Z uniform on [0,1]^D: the sum of squared coefficients (orthonormal basis)."""
        return float(np.sum(self.coef**2))

    def __call__(self, z: np.ndarray, chunk: int = 8192) -> np.ndarray:
        """g at points of shape (..., D); returns shape (...)."""
        z = np.asarray(z, dtype=np.float64)
        if z.shape[-1] != self.input_dim:
            raise ConfigError(f"g expects inputs with last axis {self.input_dim}, got shape {z.shape}.")
        flat = z.reshape(-1, self.input_dim)
        out = np.empty(flat.shape[0])
        # Chunks bound the (N, K) design matrix to a few tens of MB.
        for start in range(0, flat.shape[0], chunk):
            out[start : start + chunk] = design_matrix(self.basis.freqs, flat[start : start + chunk]) @ self.coef
        return out.reshape(z.shape[:-1])


def child_seed(seed: SeedLike, i: int) -> np.random.SeedSequence:
    """Child i of ``seed``, without mutating it (``SeedSequence.spawn`` keeps a counter)."""
    parent = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    return np.random.SeedSequence(parent.entropy, spawn_key=tuple(parent.spawn_key) + (i,), pool_size=parent.pool_size)


def random_coefficients(basis: TrigBasis, seed: SeedLike) -> np.ndarray:
    """±2^(-γ(s)) |block(s)|^(-1/2) per basis function, random signs, so that ||δ_s g||_2 = 2^(-γ(s))
    exactly: every block sits on the boundary of the γ-smooth ball, the hardest case for the rate.

    Fixed magnitudes (rather than Gaussian ones) give every seed the same spectrum, so seeds
    differ in the shape of g, not in how hard it is: the lowest block holds only two
    coefficients, and Gaussian draws moved its share of Var g between 0.27 and 0.83 across five seeds.
    """
    rng = np.random.default_rng(child_seed(seed, 0))
    signs = rng.choice(np.array([-1.0, 1.0]), size=basis.n_basis)
    return signs * 2.0 ** (-basis.gamma) / np.sqrt(basis.block_size)


def draw_smooth_function(task: TaskConfig, seed: SeedLike) -> SmoothFunction:
    """A random g from ``random_coefficients`` with the constant removed, scaled to unit variance.

    The constant is irrelevant to the excess risk, and unit variance makes sigma^2 the
    noise-to-signal ratio for every seed.
    """
    basis = trig_basis(task)
    coef = random_coefficients(basis, seed)
    coef[np.all(basis.freqs == 0, axis=1)] = 0.0
    return SmoothFunction(basis=basis, coef=coef / np.sqrt(np.sum(coef**2)))
