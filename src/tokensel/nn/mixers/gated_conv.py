"""Gated long convolution (H3/Hyena-style, order 2): input-dependent gates around a causal long convolution.

    (gate_in, gate_out, value) = short causal convolution of in_proj(x), split in three
    y = out_proj(gate_out * (h * (gate_in * value) + skip * gate_in * value))

The filter ``h`` is one of the library's time-invariant filters (``fir``, ``ssm``, ``s4d``, with
the same keys as the ``ssm`` mixer), applied by ``causal_conv`` (FFT for long filters). The two
elementwise gates are linear functions of the input, so what enters the convolution (``gate_in``)
and what each position reads out of it (``gate_out``) depend on the tokens.

Order 2, one gate before and one after the convolution, is the structure of H3 (Fu et al., 2023,
arXiv 2212.14052: a K gate before its diagonal SSM, a Q gate after) and of Hyena with order 2 (Poli
et al., 2023, arXiv 2302.10866). It is the smallest form with both an input-controlled write and an
input-controlled read, which is what associative recall needs; higher orders add depth that
stacking layers also gives. The short depthwise convolution (``conv_width`` taps, 3 as in Hyena)
lets a gate at position t see the tokens just before t, e.g. a key at t-1 gating the value at t;
without it (``conv_width: 0``) every gate is token-wise.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from tokensel.core.params import NonNegativeInt
from tokensel.nn.filters import make_filter
from tokensel.nn.mixers.long_conv import LongConvOptions, causal_conv, direct_causal_conv, short_conv_taps, with_skip


@dataclass(frozen=True)
class GatedConvOptions(LongConvOptions):
    """The ``ssm`` mixer's filter keys, and ``conv_width``: taps of the short causal convolution
    that feeds the gates (0: none)."""

    conv_width: NonNegativeInt = 3


class GatedConvMixer(nn.Module):
    def __init__(self, d_model: int, options: GatedConvOptions, max_len: int):
        super().__init__()
        self.in_proj = nn.Linear(d_model, 3 * d_model)
        self.short_taps = short_conv_taps(3 * d_model, options.conv_width) if options.conv_width else None
        self.filter = make_filter(options, d_model, max_len)
        self.skip = nn.Parameter(torch.ones(d_model))
        self.out_proj = nn.Linear(d_model, d_model)

    def gates_and_value(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(gate_in, gate_out, value), each (batch, d_model, length)."""
        projected = self.in_proj(x).transpose(1, 2)
        if self.short_taps is not None:
            projected = direct_causal_conv(projected, self.short_taps)
        gate_in, gate_out, value = projected.chunk(3, dim=1)
        return gate_in, gate_out, value

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        gate_in, gate_out, value = self.gates_and_value(x)
        h = with_skip(self.filter(x.shape[1]), self.skip)
        return self.out_proj((gate_out * causal_conv(gate_in * value, h)).transpose(1, 2))
