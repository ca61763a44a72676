"""Selective state-space mixer (Mamba-style): the step size dt and the matrices B and C depend on the input.

Per channel e of the expanded input u (E = expand * d_model channels) and state index n:

    h_t[e, n] = exp(dt_t[e] A[e, n]) h_{t-1}[e, n] + dt_t[e] B_t[n] u_t[e]
    y_t[e]    = sum_n C_t[n] h_t[e, n] + D[e] u_t[e]

with dt_t = softplus(dt_proj(x_proj(u_t))) > 0 (a projection of rank ``dt_rank``), B_t and C_t
linear in u_t, and A = -exp(A_log) < 0 a diagonal real state matrix initialised as S4D-Real,
A[e, n] = -(n + 1). The input reaches u through a short causal depthwise convolution and SiLU; the
output is gated by SiLU(z), z a second projection of the input. This is the block of Mamba (Gu & Dao,
2023, arXiv 2312.00752), with its discretisation (zero-order hold for A, Euler for B) and its
initial step sizes, log-uniform in [DT_MIN, DT_MAX].

``selective_scan`` computes the recurrence chunk by chunk with its gradient written out;
``selective_scan_reference`` steps it one token at a time and is its test oracle.
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass
from typing import Callable, Literal

import torch
from torch import nn
from torch.nn import functional as F

from tokensel.core.params import NonNegativeInt, PositiveInt
from tokensel.nn.mixers.long_conv import direct_causal_conv, short_conv_taps

DT_MIN, DT_MAX = 1e-3, 1e-1  # initial memories of about 1 / dt: 10 to 1000 tokens

# The scan steps through positions one (batch, chunks, E, N) slice at a time; "auto" chunks make
# every slice about this many elements. On CPU, below about 2^15 the per-step Python and dispatch
# cost dominates and above it the slices fall out of cache: measured single-threaded, forward +
# backward, batch 8, d_model 128, with E N = 4096 one chunk was fastest up to L = 8192 (16-position
# chunks: 2.1x slower), with E N = 1024 four chunks were (1.3x faster than one at L = 1024). On a GPU
# (not measured here) kernel launches bound a scan of small slices, so its slices are much larger.
SLICE_ELEMENTS = {"cpu": 2**15, "cuda": 2**22}


@dataclass(frozen=True)
class SelectiveOptions:
    """``state_size``: N per channel; ``expand``: E / d_model; ``conv_width``: taps of the short
    causal convolution before the scan (0: none); ``dt_rank``: rank of the step-size projection
    ("auto": ceil(d_model / 16), Mamba's choice); ``gated``: multiply the output by SiLU(z);
    ``chunk_size``: positions per chunk of the scan ("auto": see ``auto_chunk_size``). The chunk
    size changes speed only: results agree to round-off."""

    state_size: PositiveInt = 16
    expand: PositiveInt = 2
    conv_width: NonNegativeInt = 4
    dt_rank: PositiveInt | Literal["auto"] = "auto"
    gated: bool = True
    chunk_size: PositiveInt | Literal["auto"] = "auto"


def auto_chunk_size(batch: int, length: int, channels: int, state_size: int, device: str = "cpu") -> int:
    """Chunk size that gives every scan step a slice of about ``SLICE_ELEMENTS[device]`` elements."""
    target = SLICE_ELEMENTS.get(device, SLICE_ELEMENTS["cpu"])
    n_chunks = min(length, max(1, round(target / (batch * channels * state_size))))
    return -(-length // n_chunks)


class _ChunkLayout:
    """Cuts (batch, L, X) sequences into chunks, stored chunk-major as (chunk_size, batch, chunks, X).

    Position t of every chunk is then one contiguous (batch, chunks, X) slice. The sequence is
    padded at its end to whole chunks with zeros; the padded positions come after every real one,
    so they change no real output, and ``merge`` cuts them off.
    """

    def __init__(self, batch: int, length: int, chunk_size: int):
        self.batch, self.length = batch, length
        self.size = min(chunk_size, length)
        self.n_chunks = -(-length // self.size)

    def split(self, v: torch.Tensor) -> torch.Tensor:
        v = F.pad(v, (0, 0, 0, self.n_chunks * self.size - self.length))
        return v.reshape(self.batch, self.n_chunks, self.size, v.shape[-1]).permute(2, 0, 1, 3).contiguous()

    def merge(self, v: torch.Tensor) -> torch.Tensor:
        return v.permute(1, 2, 0, 3).reshape(self.batch, self.n_chunks * self.size, v.shape[-1])[:, : self.length]


def _chunked_scan(
    dt: torch.Tensor,
    x: torch.Tensor,
    B: torch.Tensor,
    A: torch.Tensor,
    visit: Callable[[int, torch.Tensor, torch.Tensor], None],
    reverse: bool = False,
    out: torch.Tensor | None = None,
) -> None:
    """Run h_t = exp(dt_t A) h_prev + x_t B_t (h[e, n], zero before the first position) over
    chunk-major inputs (dt, x: (size, batch, chunks, E); B: (size, batch, chunks, N)), calling
    ``visit(t, h_t, decayed_t)`` at every position t, with h_t a (batch, chunks, E, N) slice (written
    into ``out[t]`` when ``out`` is given) and decayed_t = exp(dt_t A) h_prev. With ``reverse`` time
    runs backwards: h_prev is the state of the next position.

    1. Every chunk is scanned from a zero state, all chunks at once (one step per position), to
       get the state at each chunk's end.
    2. Those are carried across chunks, one step per chunk: the state entering chunk k+1 is the end
       state of chunk k plus chunk k's total decay times the state entering chunk k.
    3. Every chunk is scanned again from its true entering state, visiting each position.
    Every factor is a decay exp(dt A) <= 1, so nothing overflows however large dt A grows (the
    cumulative-sum-of-log-decays form, exp(-cumsum) inside a chunk, overflows float32 once a
    chunk's total log-decay passes about 88).
    """
    size, batch, n_chunks, _ = dt.shape
    order = range(size - 1, -1, -1) if reverse else range(size)

    def step(t: int, h: torch.Tensor, out: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        decayed = torch.exp(dt[t].unsqueeze(-1) * A).mul_(h)
        return torch.addcmul(decayed, x[t].unsqueeze(-1), B[t].unsqueeze(-2), out=out), decayed

    h = dt.new_zeros(batch, n_chunks, *A.shape)
    if n_chunks > 1:
        for t in order:
            h, _ = step(t, h)
        chunk_decay = torch.exp(dt.sum(0).unsqueeze(-1) * A)
        ends, entering = h, torch.zeros_like(h)
        chunks = range(n_chunks - 2, -1, -1) if reverse else range(1, n_chunks)
        for k in chunks:
            before = k + 1 if reverse else k - 1
            entering[:, k] = chunk_decay[:, before] * entering[:, before] + ends[:, before]
        h = entering
    for t in order:
        h, decayed = step(t, h, out=out[t] if out is not None else None)
        visit(t, h, decayed)


@contextlib.contextmanager
def _one_thread():
    """Run the scan's steps on one intra-op thread. Each step works on one small slice, and with
    two threads every one of its ~25 operations per position pays a thread barrier: measured
    single-threaded, forward + backward at L = 8192 takes 5 CPU s; with two threads on a busy
    2-core machine it took over a minute, most of it threads waiting for each other."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


class _SelectiveScan(torch.autograd.Function):
    """``selective_scan`` with its gradient written out: the adjoint of the recurrence is the same
    recurrence run backwards in time, g_t = exp(dt_{t+1} A) g_{t+1} + gy_t C_t, so one chunked scan
    serves both directions, and every per-position product stays a small slice in cache instead of
    a (batch, L, E, N) tensor per operation as autograd through the steps would keep."""

    @staticmethod
    def forward(ctx, u, dt, A, B, C, chunk_size):  # type: ignore[override]
        layout = _ChunkLayout(u.shape[0], u.shape[1], chunk_size)
        c_dt, c_dtu, c_B, c_C = (layout.split(v) for v in (dt, dt * u, B, C))
        states = c_dt.new_empty(*c_dt.shape, A.shape[1])  # (size, batch, chunks, E, N)
        y = torch.empty_like(c_dt)

        def output(t: int, h: torch.Tensor, _: torch.Tensor) -> None:
            y[t] = (h @ c_C[t].unsqueeze(-1)).squeeze(-1)

        with _one_thread():
            _chunked_scan(c_dt, c_dtu, c_B, A, output, out=states)
        ctx.layout = layout
        ctx.save_for_backward(u, dt, A, B, C, states)
        return layout.merge(y)

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, gy):  # type: ignore[override]
        u, dt, A, B, C, states = ctx.saved_tensors
        layout = ctx.layout
        c_dt, c_dtu, c_B, c_C, c_gy = (layout.split(v) for v in (dt, dt * u, B, C, gy))
        c_dt_next = layout.split(F.pad(dt[:, 1:], (0, 0, 0, 1)))  # the decay that carries g_{t+1} back to t
        g_dtu, g_log_dt_next = torch.empty_like(c_dt), torch.empty_like(c_dt)
        g_B, g_C = torch.empty_like(c_B), torch.empty_like(c_C)
        g_A_terms = torch.zeros_like(states[0])  # sum over t of dL/d(dt A) * dt, summed over batch at the end

        def gradients(t: int, g: torch.Tensor, decayed: torch.Tensor) -> None:
            g_dtu[t] = (g @ c_B[t].unsqueeze(-1)).squeeze(-1)
            g_B[t] = (c_dtu[t].unsqueeze(-2) @ g).squeeze(-2)
            g_C[t] = (c_gy[t].unsqueeze(-2) @ states[t]).squeeze(-2)
            # decayed = exp(dt_{t+1} A) g_{t+1}, so decayed * h_t is dL / d(dt_{t+1} A): the gradient
            # of the decay between t and t+1, with no second exponential.
            g_log_decay_next = decayed.mul_(states[t])
            g_log_dt_next[t] = (g_log_decay_next * A).sum(-1)
            g_A_terms.addcmul_(g_log_decay_next, c_dt_next[t].unsqueeze(-1))

        with _one_thread():
            _chunked_scan(c_dt_next, c_gy, c_C, A, gradients, reverse=True)
        g_dtu, g_log_dt_next, g_B, g_C = (layout.merge(v) for v in (g_dtu, g_log_dt_next, g_B, g_C))
        g_log_dt = F.pad(g_log_dt_next[:, :-1], (0, 0, 1, 0))  # position 0 has no decay (zero initial state)
        return g_dtu * dt, g_log_dt + g_dtu * u, g_A_terms.sum((0, 1)), g_B, g_C, None


def selective_scan(
    u: torch.Tensor, dt: torch.Tensor, A: torch.Tensor, B: torch.Tensor, C: torch.Tensor, chunk_size: int | str = "auto"
) -> torch.Tensor:
    """y_t = sum_n C_t[n] h_t[:, n] for the recurrence in the module docstring (without D).

    u, dt: (batch, L, E); A: (E, N); B, C: (batch, L, N) -> y: (batch, L, E). Computed by a
    chunked scan (``_chunked_scan``) with a hand-written gradient (``_SelectiveScan``).
    """
    if chunk_size == "auto":
        chunk_size = auto_chunk_size(u.shape[0], u.shape[1], *A.shape, device=u.device.type)
    return _SelectiveScan.apply(u, dt, A, B, C, chunk_size)


def selective_scan_reference(u: torch.Tensor, dt: torch.Tensor, A: torch.Tensor, B: torch.Tensor, C: torch.Tensor) -> torch.Tensor:
    """The recurrence of ``selective_scan`` stepped one token at a time (its test oracle)."""
    state = u.new_zeros(u.shape[0], u.shape[2], A.shape[1])
    outputs = []
    for t in range(u.shape[1]):
        state = torch.exp(dt[:, t, :, None] * A) * state + (dt[:, t] * u[:, t])[:, :, None] * B[:, t, None, :]
        outputs.append((state * C[:, t, None, :]).sum(-1))
    return torch.stack(outputs, dim=1)


class SelectiveSSMMixer(nn.Module):
    def __init__(self, d_model: int, options: SelectiveOptions, max_len: int):
        super().__init__()
        inner, n = options.expand * d_model, options.state_size
        self.dt_rank = math.ceil(d_model / 16) if options.dt_rank == "auto" else options.dt_rank
        self.chunk_size = options.chunk_size
        self.in_proj = nn.Linear(d_model, inner * (2 if options.gated else 1), bias=False)
        self.conv_taps = self.conv_bias = None
        if options.conv_width:
            self.conv_taps = short_conv_taps(inner, options.conv_width)
            bound = 1 / math.sqrt(options.conv_width)  # nn.Conv1d's bias initialisation
            self.conv_bias = nn.Parameter(torch.empty(inner).uniform_(-bound, bound))
        self.x_proj = nn.Linear(inner, self.dt_rank + 2 * n, bias=False)
        self.dt_proj = nn.Linear(self.dt_rank, inner)
        nn.init.uniform_(self.dt_proj.weight, -self.dt_rank**-0.5, self.dt_rank**-0.5)
        dt = torch.exp(torch.rand(inner) * (math.log(DT_MAX) - math.log(DT_MIN)) + math.log(DT_MIN))
        with torch.no_grad():
            self.dt_proj.bias.copy_(dt + torch.log(-torch.expm1(-dt)))  # softplus^-1(dt)
        self.A_log = nn.Parameter(torch.log(torch.arange(1, n + 1, dtype=torch.float32)).repeat(inner, 1))
        self.D = nn.Parameter(torch.ones(inner))
        self.out_proj = nn.Linear(inner, d_model, bias=False)

    def scan_inputs(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """(u, dt, A, B, C, z) of the recurrence for input x; z is None without the output gate."""
        projected = self.in_proj(x)
        u, z = projected.chunk(2, dim=-1) if projected.shape[-1] > self.D.shape[0] else (projected, None)
        if self.conv_taps is not None:
            u = (direct_causal_conv(u.transpose(1, 2), self.conv_taps) + self.conv_bias[:, None]).transpose(1, 2)
        u = F.silu(u)
        n = self.A_log.shape[1]
        dt_low, B, C = self.x_proj(u).split([self.dt_rank, n, n], dim=-1)
        return u, F.softplus(self.dt_proj(dt_low)), -torch.exp(self.A_log), B, C, z

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        u, dt, A, B, C, z = self.scan_inputs(x)
        y = selective_scan(u, dt, A, B, C, self.chunk_size) + self.D * u
        if z is not None:
            y = y * F.silu(z)
        return self.out_proj(y)
