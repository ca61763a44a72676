"""Sequence mixers. Every mixer maps (batch, length, d_model) -> (batch, length, d_model) causally.

* ``LongConvMixer``: the paper's SSM layer, a channel-wise causal convolution with a filter from
  ``tokensel.filters``, plus a skip term D * u and a linear output map. The skip is folded into
  the filter's lag-0 tap, so one convolution computes both. Long filters are applied by FFT in
  O(L log L); filters of at most ``DIRECT_CONV_MAX_TAPS`` taps (short FIR windows) by direct
  convolution, which measured about 2x faster on CPU at 16 taps (B=800, L=200, d=32).
* ``CausalSelfAttention``: multi-head softmax attention through
  ``torch.nn.functional.scaled_dot_product_attention`` (``naive_attention`` is its slow oracle).
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from tokensel.config import ModelConfig
from tokensel.filters import make_filter

DIRECT_CONV_MAX_TAPS = 16


def fft_causal_conv(u: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
    """y[..., d, t] = sum_{s<=t} h[d, s] u[..., d, t-s]. u: (..., D, L), h: (D, W) with W <= L."""
    length = u.shape[-1]
    n = 2 * length  # zero padding to 2L turns the circular FFT convolution into a linear, causal one
    dtype = torch.promote_types(u.dtype, torch.float32)  # half-precision FFTs lose too much accuracy
    y = torch.fft.irfft(torch.fft.rfft(u.to(dtype), n=n) * torch.fft.rfft(h.to(dtype), n=n), n=n)
    return y[..., :length].to(u.dtype)


def direct_causal_conv(u: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
    """The O(L W) definition of ``fft_causal_conv`` (u: (B, D, L)); its test oracle, and the
    faster path for short filters."""
    kernel = torch.flip(h, dims=[-1])[:, None, :]  # conv1d correlates, so flip to convolve
    padded = F.pad(u, (h.shape[-1] - 1, 0))
    return F.conv1d(padded, kernel, groups=h.shape[0])


def causal_conv(u: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
    """``fft_causal_conv`` or, for filters of at most DIRECT_CONV_MAX_TAPS taps, the direct one."""
    return direct_causal_conv(u, h) if h.shape[-1] <= DIRECT_CONV_MAX_TAPS else fft_causal_conv(u, h)


class LongConvMixer(nn.Module):
    def __init__(self, d_model: int, config: ModelConfig, max_len: int):
        super().__init__()
        self.filter = make_filter(config, d_model, max_len)
        self.skip = nn.Parameter(torch.ones(d_model))
        self.out_proj = nn.Linear(d_model, d_model)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        u = x.transpose(1, 2)  # (B, D, L)
        h = self.filter(u.shape[-1])
        h = torch.cat([h[:, :1] + self.skip[:, None], h[:, 1:]], dim=1)  # y = h * u + skip u
        return self.out_proj(causal_conv(u, h).transpose(1, 2))


class CausalSelfAttention(nn.Module):
    def __init__(self, d_model: int, n_heads: int):
        super().__init__()
        if d_model % n_heads:
            raise ValueError(f"d_model ({d_model}) must be divisible by n_heads ({n_heads})")
        self.n_heads = n_heads
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.out_proj = nn.Linear(d_model, d_model)

    def heads(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        b, length, d = x.shape
        qkv = self.qkv(x).view(b, length, 3, self.n_heads, d // self.n_heads)
        q, k, v = qkv.permute(2, 0, 3, 1, 4)  # each (B, heads, L, head_dim)
        return q, k, v

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        q, k, v = self.heads(x)
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        return self.out_proj(y.transpose(1, 2).flatten(2))


def naive_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """softmax(QK^T / sqrt(d) + causal mask) V, materialised; the oracle for SDPA."""
    length = q.shape[-2]
    scores = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1])
    future = torch.triu(torch.ones(length, length, dtype=torch.bool, device=q.device), diagonal=1)
    return scores.masked_fill(future, float("-inf")).softmax(-1) @ v


def make_mixer(config: ModelConfig, d_model: int, max_len: int) -> nn.Module:
    if config.mixer == "attention":
        return CausalSelfAttention(d_model, config.n_heads)
    return LongConvMixer(d_model, config, max_len)
