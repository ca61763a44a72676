"""Convolution filters h in R^{D x L} for the SSM (long-convolution) layer.

Glossary (code -> paper): ``h[d, s]`` is the filter tap h_s of channel d, applied as
z'_t = sum_{s} h_s * z_{t-s}; ``window`` is the paper's window U; ``A, B, C`` are the state-space
matrices of h_s = C A^s B; ``state_size`` is the state dimension N.

* ``FIRFilter`` (``fir``): the filter taps themselves are parameters, truncated at window U.
  This is the "general convolution" the theory reduces to.
* ``DenseSSMFilter`` (``ssm``): one single-input single-output system per channel with a dense
  N x N state matrix A (the paper's general A), h_s = C A^s B.
* ``S4DFilter`` (``s4d``): the diagonal complex state matrix of S4D (S4D-Lin initialisation,
  zero-order-hold discretisation), h_s = 2 Re sum_n C_n (exp(dt A_n) - 1) / A_n exp(dt A_n s).

All filters are generated for the length they are asked for, so the same module serves every
sequence length. ``reference_recurrence`` steps the state one token at a time: it is the slow
oracle the FFT path is tested against.
"""

from __future__ import annotations

import math

import torch
from torch import nn


class FIRFilter(nn.Module):
    def __init__(self, channels: int, window: int):
        super().__init__()
        self.window = window
        # Taps decay with lag at initialisation so that early training sees mostly recent tokens.
        decay = torch.exp(-torch.arange(window) / max(window / 4, 1.0))
        self.taps = nn.Parameter(torch.randn(channels, window) * decay / math.sqrt(window))

    def forward(self, length: int) -> torch.Tensor:
        """The first min(length, window) taps; the taps beyond the window are zero."""
        return self.taps[:, :length]


def _matrix_powers_times(matrix: torch.Tensor, vector: torch.Tensor, length: int) -> torch.Tensor:
    """[A^0 b, A^1 b, ..., A^{length-1} b] per channel by doubling: log2(length) batched matmuls.

    matrix: (D, N, N), vector: (D, N) -> (D, length, N).
    """
    states = vector[:, None, :]  # (D, 1, N)
    power = matrix  # A^{current count}
    while states.shape[1] < length:
        # A^m [b, Ab, ..., A^{m-1} b] = [A^m b, ..., A^{2m-1} b]
        states = torch.cat([states, states @ power.transpose(-1, -2)], dim=1)
        power = power @ power
    return states[:, :length]


class DenseSSMFilter(nn.Module):
    def __init__(self, channels: int, state_size: int, spectral_bound: float = 0.99):
        super().__init__()
        self.spectral_bound = spectral_bound
        self.A_raw = nn.Parameter(torch.randn(channels, state_size, state_size) / math.sqrt(state_size))
        self.B = nn.Parameter(torch.randn(channels, state_size) / math.sqrt(state_size))
        self.C = nn.Parameter(torch.randn(channels, state_size) / math.sqrt(state_size))

    def state_matrix(self) -> torch.Tensor:
        # Rescaling by the spectral norm keeps every A stable (|A^s| <= bound^s) without
        # restricting its structure: A stays a general dense matrix.
        norm = torch.linalg.matrix_norm(self.A_raw, ord=2).clamp_min(1.0)
        return self.spectral_bound * self.A_raw / norm[:, None, None]

    def forward(self, length: int) -> torch.Tensor:
        states = _matrix_powers_times(self.state_matrix(), self.B, length)  # (D, L, N)
        return torch.einsum("dln,dn->dl", states, self.C)


class S4DFilter(nn.Module):
    def __init__(self, channels: int, state_size: int, dt_min: float = 1e-3, dt_max: float = 1e-1):
        super().__init__()
        half = max(state_size // 2, 1)  # conjugate pairs: N/2 complex modes give a real filter
        log_dt = torch.rand(channels) * (math.log(dt_max) - math.log(dt_min)) + math.log(dt_min)
        self.log_dt = nn.Parameter(log_dt)
        self.log_A_real = nn.Parameter(torch.full((channels, half), math.log(0.5)))
        self.A_imag = nn.Parameter(math.pi * torch.arange(half).float().repeat(channels, 1))
        self.C = nn.Parameter(torch.randn(channels, half, 2) * math.sqrt(0.5))

    def discretised(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(dt*A, B_bar, C) with zero-order hold and B = 1."""
        A = -torch.exp(self.log_A_real) + 1j * self.A_imag  # (D, N/2)
        dtA = A * torch.exp(self.log_dt)[:, None]
        B_bar = (torch.exp(dtA) - 1.0) / A
        return dtA, B_bar, torch.view_as_complex(self.C)

    def forward(self, length: int) -> torch.Tensor:
        dtA, B_bar, C = self.discretised()
        # exp(dtA s) for s = q * block + r is exp(dtA q block) * exp(dtA r): two tables of about
        # sqrt(L) exponentials and one batched complex matmul, instead of N/2 x L exponentials
        # (3.4x faster forward + backward at L = 8192 on CPU).
        block = max(math.isqrt(length), 1)
        n_blocks = -(-length // block)
        steps = torch.arange(max(block, n_blocks), device=dtA.device)
        within = torch.exp(dtA[:, :, None] * steps[:block])  # (D, N/2, block)
        across = torch.exp(dtA[:, :, None] * (block * steps[:n_blocks]))  # (D, N/2, n_blocks)
        weighted = (C * B_bar)[:, :, None] * across
        taps = torch.einsum("dnq,dnr->dqr", weighted, within).real  # (D, n_blocks, block)
        return 2 * taps.reshape(taps.shape[0], -1)[:, :length]


# name -> (options, channels, max_len) -> filter module; options carry ``window`` and ``state_size``.
FILTERS = {
    "fir": lambda options, channels, max_len: FIRFilter(channels, options.window or max_len),
    "ssm": lambda options, channels, max_len: DenseSSMFilter(channels, options.state_size),
    "s4d": lambda options, channels, max_len: S4DFilter(channels, options.state_size),
}


def make_filter(options, channels: int, max_len: int) -> nn.Module:
    """The filter named by ``options.filter`` (a ``LongConvOptions``) for ``channels`` channels."""
    return FILTERS[options.filter](options, channels, max_len)


def reference_recurrence(filt: nn.Module, u: torch.Tensor) -> torch.Tensor:
    """y_t = C x_t with x_t = A x_{t-1} + B u_t, stepped token by token. u: (D, L) -> (D, L)."""
    if isinstance(filt, DenseSSMFilter):
        A, B, C = filt.state_matrix(), filt.B, filt.C
        state = torch.zeros_like(B)
        outputs = []
        for t in range(u.shape[1]):
            state = torch.einsum("dij,dj->di", A, state) + B * u[:, t : t + 1]
            outputs.append((C * state).sum(-1))
        return torch.stack(outputs, dim=1)
    if isinstance(filt, S4DFilter):
        dtA, B_bar, C = filt.discretised()
        A_bar = torch.exp(dtA)
        state = torch.zeros_like(B_bar)
        outputs = []
        for t in range(u.shape[1]):
            state = A_bar * state + B_bar * u[:, t : t + 1]
            outputs.append(2 * (C * state).sum(-1).real)
        return torch.stack(outputs, dim=1)
    raise TypeError(f"{type(filt).__name__} has no state recurrence; only 'ssm' and 's4d' filters do")
