"""The mixer registry: every sequence mixer maps (batch, length, d_model) -> (batch, length, d_model) causally.

A mixer is a module ``Mixer(d_model, options, max_len)`` with a frozen options dataclass whose
fields are the mixer's own keys in a model's params entry (``filter``, ``n_heads``, ...). Adding a
mixer is one file in this folder and one line in ``MIXERS``; ``family`` is the name reports use
for the architecture family ("SSM", "Transformer", ...).
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from tokensel.nn.mixers.attention import AttentionOptions, CausalSelfAttention
from tokensel.nn.mixers.gated_conv import GatedConvMixer, GatedConvOptions
from tokensel.nn.mixers.long_conv import LongConvMixer, LongConvOptions, ShortConvSSMOptions
from tokensel.nn.mixers.selective import SelectiveOptions, SelectiveSSMMixer
from tokensel.nn.mixers.ssd import SSDMixer, SSDOptions


@dataclass(frozen=True)
class MixerSpec:
    module: type[nn.Module]
    options: type
    family: str


MIXERS: dict[str, MixerSpec] = {
    "ssm": MixerSpec(LongConvMixer, LongConvOptions, family="SSM"),
    "short_conv_ssm": MixerSpec(LongConvMixer, ShortConvSSMOptions, family="short-conv SSM"),
    "attention": MixerSpec(CausalSelfAttention, AttentionOptions, family="Transformer"),
    "gated_conv": MixerSpec(GatedConvMixer, GatedConvOptions, family="gated convolution"),
    "selective": MixerSpec(SelectiveSSMMixer, SelectiveOptions, family="selective SSM"),
    "ssd": MixerSpec(SSDMixer, SSDOptions, family="Mamba-2 (SSD)"),
}
