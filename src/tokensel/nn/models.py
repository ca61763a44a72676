"""Networks composed from blocks: embedding -> n_layers x Block -> LayerNorm -> readout.

A ``Block`` is the paper's layer "SSM + FNN(k)" (or "attention + FNN(k)" for the Transformer):
pre-norm residual ``x + mixer(LN x)`` followed by ``x + FNN(LN x)`` with k hidden layers.
With ``pre_fnn`` an FNN also runs before the mixer, the theory's FNN -> SSM -> FNN unit.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from tokensel.nn.config import ModelConfig
from tokensel.nn.mixers import MIXERS

_ACTIVATIONS = {"gelu": nn.GELU, "relu": nn.ReLU}


class FNN(nn.Module):
    """Token-wise network with ``depth`` hidden layers of ``width`` units."""

    def __init__(self, d_model: int, width: int, depth: int, activation: str):
        super().__init__()
        layers: list[nn.Module] = []
        fan_in = d_model
        for _ in range(depth):
            layers += [nn.Linear(fan_in, width), _ACTIVATIONS[activation]()]
            fan_in = width
        layers.append(nn.Linear(fan_in, d_model))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


def make_mixer(config: ModelConfig, max_len: int) -> nn.Module:
    """The mixer ``config.mixer`` names, ``config.d_model`` wide, built from its options."""
    return MIXERS[config.mixer].module(config.d_model, config.mixer_options, max_len)


def make_norm(config: ModelConfig, d_model: int) -> nn.Module:
    return nn.LayerNorm(d_model) if config.norm == "layer" else nn.Identity()


class Residual(nn.Module):
    """x + f(norm(x)), with LayerNorm or (``norm: none``) no normalisation."""

    def __init__(self, inner: nn.Module, norm: nn.Module):
        super().__init__()
        self.norm = norm
        self.inner = inner

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.inner(self.norm(x))


class Block(nn.Module):
    def __init__(self, config: ModelConfig, max_len: int):
        super().__init__()
        d_model = config.d_model
        fnn = lambda: FNN(d_model, config.fnn_width, config.fnn_depth, config.activation)  # noqa: E731
        parts: list[nn.Module] = []
        if config.pre_fnn and config.fnn_depth > 0:
            parts.append(Residual(fnn(), make_norm(config, d_model)))
        parts.append(Residual(make_mixer(config, max_len), make_norm(config, d_model)))
        if config.fnn_depth > 0:
            parts.append(Residual(fnn(), make_norm(config, d_model)))
        self.parts = nn.Sequential(*parts)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.parts(x)


def sinusoidal_encoding(length: int, d_model: int) -> torch.Tensor:
    position = torch.arange(length, dtype=torch.float32)[:, None]
    frequency = torch.exp(-math.log(10000.0) * torch.arange(0, d_model, 2, dtype=torch.float32) / d_model)
    encoding = torch.zeros(length, d_model)
    encoding[:, 0::2] = torch.sin(position * frequency)
    encoding[:, 1::2] = torch.cos(position * frequency[: d_model // 2])
    return encoding


class SequenceModel(nn.Module):
    """Token ids (batch, L) -> outputs (batch, L, n_outputs).

    With ``input_dim`` the input is instead continuous, (batch, L, input_dim), embedded linearly
    (the regression experiment's tokens x_t in [0, 1]^d).
    """

    def __init__(
        self,
        config: ModelConfig,
        vocab_size: int,
        max_len: int,
        n_outputs: int | None = None,
        input_dim: int | None = None,
    ):
        super().__init__()
        self.config = config
        self.max_len = max_len
        d_model = config.d_model
        self.embedding = nn.Embedding(vocab_size, d_model) if input_dim is None else nn.Linear(input_dim, d_model)
        if config.positional == "learned":
            self.position = nn.Parameter(torch.randn(max_len, d_model) * 0.02)
        elif config.positional == "sinusoidal":
            self.register_buffer("position", sinusoidal_encoding(max_len, d_model), persistent=False)
        else:
            self.position = None
        self.blocks = nn.Sequential(*[Block(config, max_len) for _ in range(config.n_layers)])
        self.norm = make_norm(config, d_model)
        self.readout = nn.Linear(d_model, n_outputs or vocab_size)

    def embed(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.embedding(tokens)

    def forward_embedded(self, x: torch.Tensor) -> torch.Tensor:
        """The network after the embedding; attribution methods differentiate through this."""
        length = x.shape[1]
        if length > self.max_len:
            raise ValueError(f"sequence length {length} exceeds the model's max_len {self.max_len}")
        if self.position is not None:
            x = x + self.position[:length]
        return self.readout(self.norm(self.blocks(x)))

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.forward_embedded(self.embed(tokens))


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
