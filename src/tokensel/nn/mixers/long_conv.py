"""The paper's SSM layer: a channel-wise causal long convolution with a filter from ``tokensel.nn.filters``.

y = out_proj(h * u + skip * u): the skip term is folded into the filter's lag-0 tap, so one
convolution computes both. The ``short_conv_ssm`` variant first passes u through a short depthwise
causal convolution (``conv_width`` taps), as H3, Hyena and BaseConv pair their long convolutions
with a short one: it separates "time-invariant" from "missing a local shift" when the SSM fails. Long filters are applied by FFT in O(L log L); filters of at most
``DIRECT_CONV_MAX_TAPS`` taps (short FIR windows) by direct convolution, which measured about 2x
faster on CPU at 16 taps (B=800, L=200, d=32).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import torch
from torch import nn
from torch.nn import functional as F

from tokensel.core.params import PositiveInt, check
from tokensel.nn.filters import FILTERS, make_filter

DIRECT_CONV_MAX_TAPS = 16


@dataclass(frozen=True)
class LongConvOptions:
    """``filter``: fir (taps are parameters, window U), ssm (dense state matrix A, h_s = C A^s B)
    or s4d (diagonal complex A); ``window``: the FIR window U (null = the whole sequence);
    ``state_size``: N for the ssm and s4d filters."""

    filter: Literal["fir", "ssm", "s4d"] = "s4d"
    window: PositiveInt | None = None
    state_size: PositiveInt = 8

    def __post_init__(self) -> None:
        check(self.filter in FILTERS, "filter", f"is '{self.filter}'; choose from {', '.join(FILTERS)}")

    def short_conv_width(self) -> int:
        """Taps of the short convolution before the long one (0: none)."""
        return 0


@dataclass(frozen=True)
class ShortConvSSMOptions(LongConvOptions):
    """The ``ssm`` mixer's keys, and ``conv_width``: taps of the short depthwise causal convolution
    in front of the long one (3, as in Hyena)."""

    conv_width: PositiveInt = 3

    def short_conv_width(self) -> int:
        return self.conv_width


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


def short_conv_taps(channels: int, width: int) -> nn.Parameter:
    """Taps of a short depthwise causal convolution (for ``direct_causal_conv``), initialised as
    ``nn.Conv1d`` initialises a depthwise kernel: uniform in +-1/sqrt(width)."""
    bound = 1 / math.sqrt(width)
    return nn.Parameter(torch.empty(channels, width).uniform_(-bound, bound))


def causal_conv(u: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
    """``fft_causal_conv`` or, for filters of at most DIRECT_CONV_MAX_TAPS taps, the direct one."""
    return direct_causal_conv(u, h) if h.shape[-1] <= DIRECT_CONV_MAX_TAPS else fft_causal_conv(u, h)


def with_skip(h: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
    """Filter h (D, W) with skip (D,) added to its lag-0 tap: conv(u, h) + skip * u in one convolution."""
    return torch.cat([h[:, :1] + skip[:, None], h[:, 1:]], dim=1)


class LongConvMixer(nn.Module):
    def __init__(self, d_model: int, options: LongConvOptions, max_len: int):
        super().__init__()
        width = options.short_conv_width()
        self.short_taps = short_conv_taps(d_model, width) if width else None
        self.filter = make_filter(options, d_model, max_len)
        self.skip = nn.Parameter(torch.ones(d_model))
        self.out_proj = nn.Linear(d_model, d_model)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        u = x.transpose(1, 2)  # (B, D, L)
        if self.short_taps is not None:
            u = direct_causal_conv(u, self.short_taps)
        h = with_skip(self.filter(u.shape[-1]), self.skip)
        return self.out_proj(causal_conv(u, h).transpose(1, 2))
