"""Shared machinery of the constructions: named channels, blank networks, gadgets, counting.

A constructed network is an ordinary ``SequenceModel`` (the class trained models use), built from
a ``ModelConfig`` with ``norm: none`` and ReLU FNNs, whose parameters start at zero and are then
written by formula. Every sub-layer reads some channels of the residual stream and adds its
result into channels that are still zero, so the residual sum never mixes two results;
``Registers`` names those channel ranges. There is no LayerNorm: the constructions keep exact
integers and signs in the residual stream, which a normalisation by the vector's norm would
rescale.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from tokensel.core.errors import ConfigError
from tokensel.nn.config import ModelConfig
from tokensel.nn.models import FNN, SequenceModel

# Significand bits (with the implicit bit) of the formats the constructions run in.
SIGNIFICAND_BITS = {"float32": 24, "float64": 53}
DTYPES = {"float32": torch.float32, "float64": torch.float64}


class Registers:
    """Disjoint, named ranges of residual-stream channels, allocated in order."""

    def __init__(self) -> None:
        self._ranges: dict[str, torch.Tensor] = {}
        self.size = 0

    def add(self, name: str, *shape: int) -> torch.Tensor:
        count = math.prod(shape)
        self._ranges[name] = torch.arange(self.size, self.size + count).reshape(shape or (1,))
        self.size += count
        return self._ranges[name]

    def __getitem__(self, name: str) -> torch.Tensor:
        return self._ranges[name]


def ssm_config(d_model: int, n_layers: int, fnn_depth: int, fnn_width: int, window: int, pre_fnn: bool = False) -> ModelConfig:
    """The model entry of a construction: FIR long convolutions, ReLU FNNs, no norm, no positions."""
    return ModelConfig.from_params(
        {"mixer": "ssm", "filter": "fir", "window": window, "d_model": d_model, "n_layers": n_layers, "fnn_depth": fnn_depth,
         "fnn_width": fnn_width, "pre_fnn": pre_fnn, "activation": "relu", "positional": "none", "norm": "none"},
        "constructions.network",
    )


def blank_model(config: ModelConfig, max_len: int, dtype: torch.dtype, vocab_size: int = 1,
                n_outputs: int | None = None, input_dim: int | None = None) -> SequenceModel:
    """A ``SequenceModel`` with every parameter zero, ready to be written.

    The constructions write in float64 and convert to the dtype asked for at the end (their weights
    are small integers, exact in float32); the conversion briefly holds both copies, which matters
    only for the paper profile's largest networks (several GB; a GPU machine's host memory)."""
    model = SequenceModel(config, vocab_size, max_len, n_outputs=n_outputs, input_dim=input_dim).to(dtype)
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.zero_()
    return model


def block_parts(model: SequenceModel, layer: int) -> dict[str, nn.Module]:
    """The pre-FNN (if any), the mixer and the post-FNN of block ``layer``."""
    parts = [residual.inner for residual in model.blocks[layer].parts]
    return dict(zip(["pre", "mixer", "post"] if len(parts) == 3 else ["mixer", "post"], parts))


def linears(fnn: FNN) -> list[nn.Linear]:
    """The FNN's affine maps in order: input -> hidden 1, ..., hidden K -> output."""
    return [layer for layer in fnn.net if isinstance(layer, nn.Linear)]


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def count_nonzero(model: nn.Module) -> int:
    return sum(int(torch.count_nonzero(p)) for p in model.parameters())


def require(condition: bool, message: str) -> None:
    """Refuse a construction its formulas cannot deliver; ``message`` names the key and the limit."""
    if not condition:
        raise ConfigError(message)


def check_precision(bits_needed: float, dtype: str, key: str, fix: str) -> None:
    have = SIGNIFICAND_BITS[dtype]
    require(
        bits_needed <= have,
        f"'{key}': this construction needs about {bits_needed:.1f} significand bits, but {dtype} has {have}. {fix}",
    )


def write_delay_line(mixer: nn.Module, channels: torch.Tensor, lags: torch.Tensor) -> None:
    """Replace channel group i (``channels[i]``) by its value ``lags[i]`` steps back, in place.

    Filter +1 at the lag and -1 at lag 0: y_t = u_{t-l} - u_t, so the residual u_t + y_t = u_{t-l}
    (zero before the sequence starts). A lag of 0 adds nothing and leaves the group as it is.
    """
    flat = channels.reshape(len(lags), -1)
    rows = flat.flatten()
    taps = mixer.filter.taps
    ones = torch.ones(len(rows), dtype=taps.dtype)
    taps.index_put_((rows, lags.repeat_interleave(flat.shape[1])), ones, accumulate=True)
    taps.index_put_((rows, torch.zeros_like(rows)), -ones, accumulate=True)
    mixer.out_proj.weight[rows, rows] = 1


def write_counter(mixer: nn.Module, source: torch.Tensor, target: torch.Tensor) -> None:
    """``target`` += number of positions in the window (lag 0 included) where ``source`` is 1."""
    mixer.filter.taps[source, :] = 1
    mixer.out_proj.weight[target, source] = 1
