"""Mamba-2 mixer: the input-dependent SSM with a scalar decay per head, computed by state-space duality (SSD).

The expanded input (E = expand * d_model channels) is cut into H = E / head_dim heads of P =
head_dim channels. Per head h, channel p and state index n:

    h_t[h, p, n] = exp(dt_t[h] A[h]) h_{t-1}[h, p, n] + dt_t[h] x_t[h, p] B_t[n]
    y_t[h, p]    = sum_n C_t[n] h_t[h, p, n] + D[h] x_t[h, p]

with dt_t = softplus(linear(input) + dt_bias) > 0 one step size per head, B_t and C_t of size N
shared by every head (one group), and A = -exp(A_log) < 0 one scalar per head. x, B and C pass
through a short causal depthwise convolution and SiLU; with ``gated`` the output is multiplied by
SiLU(z) and RMS-normalised before the output projection. This is the block of Mamba-2 (Dao & Gu,
2024, arXiv 2405.21060), with its initialisation (A in [1, 16], step sizes log-uniform in
[DT_MIN, DT_MAX]).

Because the decay is one scalar per head and position, the recurrence is a masked linear attention
y = (L * (C B^T)) (dt x) with L[t, s] = exp(sum_{s<k<=t} dt_k A) for s <= t. ``ssd_scan`` computes it
chunk by chunk: that quadratic form with matrix products inside each chunk, and a short recurrence
carrying the (H, P, N) state from chunk to chunk. Every exponent is a sum of non-positive terms
(``segment_sums``), so no exp of a positive number is ever taken and nothing overflows however
strong the decay. ``ssd_scan_reference`` steps the recurrence one token at a time: the test oracle.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

from tokensel.core.errors import ConfigError
from tokensel.core.params import NonNegativeInt, PositiveInt
from tokensel.nn.mixers.long_conv import direct_causal_conv, short_conv_taps
from tokensel.nn.mixers.selective import DT_MAX, DT_MIN

A_INIT_RANGE = (1.0, 16.0)  # Mamba-2's initial decay rates -A, uniform per head


@dataclass(frozen=True)
class SSDOptions:
    """``state_size``: N, shared by every head; ``expand``: E / d_model; ``head_dim``: P, channels
    per head (must divide expand * d_model); ``conv_width``: taps of the short causal convolution
    of x, B and C (0: none); ``gated``: multiply by SiLU(z) and RMS-normalise before the output
    projection; ``chunk_size``: positions per chunk of ``ssd_scan``. The chunk size changes speed
    only: results agree to round-off."""

    state_size: PositiveInt = 16
    expand: PositiveInt = 2
    head_dim: PositiveInt = 16
    conv_width: NonNegativeInt = 4
    gated: bool = True
    chunk_size: PositiveInt = 32


def segment_sums(a: torch.Tensor) -> torch.Tensor:
    """(..., Q) -> (..., Q, Q): entry [t, s] is sum_{s<k<=t} a_k for s <= t, and 0 above the diagonal.

    Summed term by term from a lower-triangular mask, never as a difference of cumulative sums,
    which cancels catastrophically once the sums grow large; with a <= 0 every entry is <= 0.
    """
    size = a.shape[-1]
    strictly_lower = torch.ones(size, size, dtype=torch.bool, device=a.device).tril(-1)
    terms = a[..., :, None].expand(*a.shape, size).masked_fill(~strictly_lower, 0.0)  # [k, s] = a_k for k > s
    return terms.cumsum(-2)


def ssd_scan(x: torch.Tensor, dt: torch.Tensor, A: torch.Tensor, B: torch.Tensor, C: torch.Tensor, chunk_size: int) -> torch.Tensor:
    """y of the recurrence in the module docstring (without D), chunk by chunk.

    x: (batch, L, H, P); dt: (batch, L, H); A: (H,); B, C: (batch, L, N) -> y: (batch, L, H, P).
    The sequence is padded at its end to whole chunks with dt = 0 and x = 0; the padded positions
    come after every real one, so they change no real output.
    """
    batch, length, heads, _ = x.shape
    size = min(chunk_size, length)
    n_chunks = -(-length // size)
    pad = n_chunks * size - length

    def chunked(v: torch.Tensor) -> torch.Tensor:
        v = F.pad(v, (0, 0) * (v.dim() - 2) + (0, pad))
        return v.reshape(batch, n_chunks, size, *v.shape[2:])

    xdt = chunked(x * dt[..., None]).transpose(2, 3)  # (batch, chunks, H, Q, P)
    log_decay = chunked(dt * A).permute(0, 1, 3, 2)  # (batch, chunks, H, Q), every entry <= 0
    B, C = chunked(B), chunked(C)  # (batch, chunks, Q, N)

    causal = torch.ones(size, size, dtype=torch.bool, device=x.device).tril()
    segments = segment_sums(log_decay)  # (batch, chunks, H, Q, Q)
    decay = torch.exp(segments).masked_fill(~causal, 0.0)
    scores = C @ B.transpose(-1, -2)  # (batch, chunks, Q, Q), shared by the heads
    y = (decay * scores[:, :, None]) @ xdt  # within each chunk: masked linear attention

    # What each chunk adds to the state at its end: decay from position s to the chunk's end is the last row.
    to_end = decay[..., -1, :]  # (batch, chunks, H, Q)
    chunk_states = (xdt * to_end[..., None]).transpose(-1, -2) @ B[:, :, None]  # (batch, chunks, H, P, N)
    chunk_decay = torch.exp(segments[..., -1, 0] + log_decay[..., 0])  # exp(sum over the whole chunk)
    # Unbound once: indexing one chunk per step would make backward allocate every chunk's gradient per step.
    entering, state = [], torch.zeros_like(chunk_states[:, 0])
    for decay_k, added in zip(chunk_decay[..., None, None].unbind(1), chunk_states.unbind(1)):
        entering.append(state)
        state = decay_k * state + added
    entering_states = torch.stack(entering, dim=1)  # (batch, chunks, H, P, N)

    # The entering state reaches position t of a chunk decayed by exp(sum of log-decays up to and including t).
    from_start = torch.exp(log_decay.cumsum(-1))  # (batch, chunks, H, Q)
    y = y + (C[:, :, None] @ entering_states.transpose(-1, -2)) * from_start[..., None]
    return y.transpose(2, 3).reshape(batch, n_chunks * size, heads, -1)[:, :length]


def ssd_scan_reference(x: torch.Tensor, dt: torch.Tensor, A: torch.Tensor, B: torch.Tensor, C: torch.Tensor) -> torch.Tensor:
    """The recurrence of ``ssd_scan`` stepped one token at a time (its test oracle)."""
    state = x.new_zeros(*x.shape[:1], *x.shape[2:], B.shape[-1])  # (batch, H, P, N)
    outputs = []
    for t in range(x.shape[1]):
        decay = torch.exp(dt[:, t] * A)[:, :, None, None]
        state = decay * state + (dt[:, t, :, None] * x[:, t])[..., None] * B[:, t, None, None, :]
        outputs.append((state * C[:, t, None, None, :]).sum(-1))
    return torch.stack(outputs, dim=1)


class SSDMixer(nn.Module):
    def __init__(self, d_model: int, options: SSDOptions, max_len: int):
        super().__init__()
        inner, n = options.expand * d_model, options.state_size
        if inner % options.head_dim:
            raise ConfigError(
                f"ssd mixer: head_dim {options.head_dim} must divide expand * d_model = {inner}; choose a divisor of {inner}."
            )
        self.heads, self.head_dim, self.state_size = inner // options.head_dim, options.head_dim, n
        self.chunk_size = options.chunk_size
        self.gated = options.gated
        self.in_proj = nn.Linear(d_model, inner * (2 if options.gated else 1) + 2 * n + self.heads, bias=False)
        self.conv_taps = self.conv_bias = None
        if options.conv_width:
            self.conv_taps = short_conv_taps(inner + 2 * n, options.conv_width)
            bound = 1 / math.sqrt(options.conv_width)  # nn.Conv1d's bias initialisation
            self.conv_bias = nn.Parameter(torch.empty(inner + 2 * n).uniform_(-bound, bound))
        dt = torch.exp(torch.rand(self.heads) * (math.log(DT_MAX) - math.log(DT_MIN)) + math.log(DT_MIN))
        self.dt_bias = nn.Parameter(dt + torch.log(-torch.expm1(-dt)))  # softplus^-1(dt)
        self.A_log = nn.Parameter(torch.log(torch.empty(self.heads).uniform_(*A_INIT_RANGE)))
        self.D = nn.Parameter(torch.ones(self.heads))
        self.norm = nn.RMSNorm(inner) if options.gated else None
        self.out_proj = nn.Linear(inner, d_model, bias=False)

    def scan_inputs(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """(u, dt, A, B, C, z) of the recurrence for input x, u as (batch, L, H, P); z is None without the gate."""
        inner, n = self.heads * self.head_dim, self.state_size
        projected = self.in_proj(x)
        z = projected[..., :inner] if self.gated else None
        xbc, dt = projected[..., -(inner + 2 * n + self.heads) :].split([inner + 2 * n, self.heads], dim=-1)
        if self.conv_taps is not None:
            xbc = (direct_causal_conv(xbc.transpose(1, 2), self.conv_taps) + self.conv_bias[:, None]).transpose(1, 2)
        u, B, C = F.silu(xbc).split([inner, n, n], dim=-1)
        u = u.unflatten(-1, (self.heads, self.head_dim))
        return u, F.softplus(dt + self.dt_bias), -torch.exp(self.A_log), B, C, z

    def output(self, y: torch.Tensor, z: torch.Tensor | None) -> torch.Tensor:
        """out_proj of the heads' output y (batch, L, H, P), gated and normalised by z."""
        y = y.flatten(-2)
        if z is not None:
            y = self.norm(y * F.silu(z))
        return self.out_proj(y)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        u, dt, A, B, C, z = self.scan_inputs(x)
        y = ssd_scan(u, dt, A, B, C, self.chunk_size) + self.D[:, None] * u
        return self.output(y, z)
