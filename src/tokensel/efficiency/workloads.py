"""What one forward + backward pass of each benchmark method runs, and how it is timed and measured."""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from typing import Any, Callable

import torch
from torch import nn
from torch.nn import functional as F

from tokensel.core.errors import ConfigError
from tokensel.efficiency.config import METHOD_GROUPS, EfficiencyConfig
from tokensel.nn.config import ModelConfig
from tokensel.nn.filters import FILTERS, make_filter
from tokensel.nn.mixers.attention import (
    AttentionOptions,
    CausalSelfAttention,
    naive_attention,
)
from tokensel.nn.mixers.long_conv import LongConvOptions, ShortConvSSMOptions, fft_causal_conv
from tokensel.nn.models import Block, make_mixer


@dataclass
class Workload:
    """``forward()`` builds the graph; ``leaves`` are differentiated (inputs and parameters)."""

    forward: Callable[[], torch.Tensor]
    leaves: list[torch.Tensor]
    params: list[torch.Tensor]


class NaiveSelfAttention(CausalSelfAttention):
    """``CausalSelfAttention`` with the materialised softmax instead of SDPA."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = naive_attention(*self.heads(x))
        return self.out_proj(y.transpose(1, 2).flatten(2))


def mixer_configs(cfg: EfficiencyConfig) -> dict[str, ModelConfig]:
    """Every mixer method as the registry's (mixer, options): what ``make_mixer`` builds."""
    conv = lambda f: LongConvOptions(filter=f, state_size=cfg.state_size)  # noqa: E731
    configs = {f"ssm_mixer_{f}": ("ssm", conv(f)) for f in FILTERS}
    configs.update(short_conv_ssm=("short_conv_ssm", ShortConvSSMOptions(filter=cfg.primary_filter, state_size=cfg.state_size)),
                   gated_conv=("gated_conv", cfg.gated_conv), selective=("selective", cfg.selective), ssd=("ssd", cfg.ssd),
                   sdpa=("attention", AttentionOptions(n_heads=cfg.n_heads)))
    return {method: ModelConfig(mixer=mixer, d_model=cfg.d_model, mixer_options=options) for method, (mixer, options) in configs.items()}


def benchmark_module(cfg: EfficiencyConfig, method: str, length: int) -> nn.Module:
    """The module one method times: a registry mixer, a filter, naive attention or a whole block."""
    d = cfg.d_model
    mixers = mixer_configs(cfg)
    block = lambda name: Block(dataclasses.replace(mixers[name], fnn_depth=cfg.fnn_depth, fnn_width=cfg.fnn_width), length)  # noqa: E731
    if method in mixers:
        return make_mixer(mixers[method], length)
    if method.startswith("filter_"):
        return make_filter(LongConvOptions(filter=method.removeprefix("filter_"), state_size=cfg.state_size), d, length)
    if method == "naive_attention":
        return NaiveSelfAttention(d, mixers["sdpa"].mixer_options, length)
    if method == "ssm_block":
        return block(f"ssm_mixer_{cfg.primary_filter}")
    if method == "transformer_block":
        return block("sdpa")
    raise ConfigError(f"Unknown benchmark method '{method}'; known: {', '.join(METHOD_GROUPS)}.")


def make_workload(cfg: EfficiencyConfig, method: str, length: int) -> Workload:
    """Module and inputs of one (method, L) point, deterministic given ``cfg.seed``."""
    device, dtype = cfg.torch_device, cfg.torch_dtype
    torch.manual_seed(cfg.seed)
    shape = (cfg.batch_size, cfg.d_model, length) if method == "fft_floor" else (cfg.batch_size, length, cfg.d_model)
    x = torch.randn(shape, device=device, dtype=dtype, requires_grad=True)
    if method == "fft_floor":
        h = torch.randn(cfg.d_model, length, device=device, dtype=dtype, requires_grad=True)
        return Workload(lambda: fft_causal_conv(x, h), [x, h], [h])
    module = benchmark_module(cfg, method, length).to(device=device, dtype=dtype)
    params = [p for p in module.parameters() if p.requires_grad]
    if method.startswith("filter_"):
        return Workload(lambda: module(length), params, params)
    return Workload(lambda: module(x), [x, *params], params)


def forward_backward(work: Workload) -> torch.Tensor:
    out = work.forward()
    torch.autograd.grad(out, work.leaves, torch.ones_like(out))
    return out


def _storage(t: torch.Tensor) -> tuple[int, int]:
    storage = t.untyped_storage()
    return storage.data_ptr(), storage.nbytes()


def activation_bytes(work: Workload) -> int:
    """Bytes autograd saves for backward (parameters excluded, storages counted once) plus the output.

    Runs one forward + backward pass.
    """
    param_ptrs = {_storage(p)[0] for p in work.params}
    saved: dict[int, int] = {}
    alive: list[torch.Tensor] = []

    def pack(t: torch.Tensor) -> torch.Tensor:
        ptr, nbytes = _storage(t)
        if ptr not in param_ptrs:
            saved[ptr] = nbytes
        # Autograd may drop a saved tensor before the pass ends (an op that saves and later releases
        # its inputs); held here, no address is reused within the pass and no storage counted twice
        # or merged with another.
        alive.append(t)
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        out = work.forward()
    ptr, nbytes = _storage(out)
    saved[ptr] = nbytes
    torch.autograd.grad(out, work.leaves, torch.ones_like(out))
    return sum(saved.values())


def _synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def timed(step: Callable[[], Any], device: torch.device) -> float:
    _synchronize(device)
    start = time.perf_counter()
    step()
    _synchronize(device)
    return time.perf_counter() - start


def warmup_memory(work: Workload, device: torch.device) -> tuple[float, float]:
    """(seconds, memory bytes) of the first pass: CUDA peak above baseline, or CPU activation bytes."""
    if device.type != "cuda":
        start = time.perf_counter()
        memory = activation_bytes(work)
        return time.perf_counter() - start, float(memory)
    torch.cuda.synchronize(device)
    baseline = torch.cuda.memory_allocated(device)
    torch.cuda.reset_peak_memory_stats(device)
    seconds = timed(lambda: forward_backward(work), device)
    return seconds, float(torch.cuda.max_memory_allocated(device) - baseline)


def sdpa_backend(cfg: EfficiencyConfig, length: int) -> str:
    """The SDPA kernel that actually runs for the benchmark's shape, dtype and device.

    ``torch.backends`` flags say which kernels are *allowed*; the autograd node of the output
    names the one that ran (``ScaledDotProductFlashAttentionForCpu`` on CPU, ``...Efficient...``
    or ``...Flash...`` on CUDA). The math fallback is a decomposition, so its node is an
    ordinary op such as ``UnsafeViewBackward0``.
    """
    attention = benchmark_module(cfg, "sdpa", length).to(cfg.torch_device, cfg.torch_dtype)
    x = torch.randn(cfg.batch_size, length, cfg.d_model, device=cfg.torch_device, dtype=cfg.torch_dtype, requires_grad=True)
    node = F.scaled_dot_product_attention(*attention.heads(x), is_causal=True).grad_fn.name()
    kernel = node.removesuffix("Backward0")
    return kernel if kernel.startswith("ScaledDotProduct") else f"math (decomposed; output node {node})"
