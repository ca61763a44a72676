"""Efficiency benchmark: what an SSM+FNN layer costs against attention, from short to long sequences.

Every measurement is one forward *and* backward pass (``torch.autograd.grad`` of the output with
a ones cotangent, so no ``.grad`` accumulates), timed with ``time.perf_counter`` (CUDA is
synchronised). The first call of a (method, L) point is a warm-up that also measures memory and
sets how many timed repeats fit ``seconds_per_point``; the point's statistics are the median and
the quartiles of those repeats. Methods (all reuse ``tokensel.mixers``/``filters``/``models``):

* ``fft_floor``: ``fft_causal_conv`` alone on the mixer's (B, D, L) shape (rfft, multiply,
  irfft): the floor no FFT-based SSM mixer can beat.
* ``ssm_mixer_{fir,ssm,s4d}``: ``LongConvMixer`` with each filter (filter generation included).
* ``sdpa``: ``CausalSelfAttention`` (causal ``scaled_dot_product_attention``); the kernel that
  actually ran is read from the output's autograd node (see ``sdpa_backend``), not assumed.
* ``naive_attention``: the same module with the materialised softmax of ``naive_attention``.
* ``ssm_block`` / ``transformer_block``: a full ``models.Block`` (pre-norm mixer + FNN).
* ``filter_{fir,ssm,s4d}``: generating the filter h (D x L) alone, for the filter-share target.

Memory. On CUDA: ``torch.cuda.max_memory_allocated`` during the pass minus what was allocated
before it. On CPU there is no allocator peak to read, so we count *activation memory*: the bytes
of the distinct tensors autograd saves for backward (``saved_tensors_hooks``; parameters
excluded, storages deduplicated) plus the output. It is not the process peak (temporaries freed
during the forward pass and the backward pass's own buffers are not in it); it is the part that
grows with L and that a deeper network multiplies.

A point whose extrapolated time or memory exceeds the budget is not run: it is NaN with its
reason in ``skip_reason``, as is every longer L of that method, so a sweep never hangs.

Selecting a method: write ``ds.sel({"method": "sdpa"})``. ``ds.sel(method="sdpa")`` silently
means xarray's *inexact-match method* argument and selects nothing.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import platform
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np
import pandas as pd
import torch
import xarray as xr
from torch import nn
from torch.nn import functional as F
from tqdm import tqdm

from tokensel.config import FILTERS, ModelConfig, from_mapping, read_section, require
from tokensel.errors import ConfigError
from tokensel.filters import make_filter
from tokensel.mixers import CausalSelfAttention, LongConvMixer, fft_causal_conv, naive_attention
from tokensel.models import Block, SequenceModel
from tokensel.train import make_optimizer

DEVICES = ("cpu", "cuda", "auto")
DTYPES = {"float32": torch.float32, "float64": torch.float64}
STATS = ("median", "q25", "q75", "iqr")
METHOD_GROUPS = {
    "fft_floor": "mixer",
    **{f"ssm_mixer_{f}": "mixer" for f in FILTERS},
    "sdpa": "mixer",
    "naive_attention": "mixer",
    "ssm_block": "block",
    "transformer_block": "block",
    **{f"filter_{f}": "filter" for f in FILTERS},
}
# Growth exponents used to extrapolate a point's cost from the previous length (quadratic for
# anything that attends; FFT work is L log L, rounded up). Memory of SDPA is taken as quadratic
# too because the math backend materialises the scores.
_QUADRATIC = {"sdpa", "naive_attention", "transformer_block"}



def _positive_int(value: Any, key: str) -> int:
    require(isinstance(value, int) and not isinstance(value, bool) and value > 0, f"'{key}' must be a positive integer, got {value!r}.")
    return value


def _lengths(values: Any, key: str) -> tuple[int, ...]:
    require(isinstance(values, (list, tuple)) and len(values) >= 2, f"'{key}' must list at least two lengths, got {values!r}.")
    lengths = tuple(_positive_int(v, key) for v in values)
    require(list(lengths) == sorted(set(lengths)), f"'{key}' must be strictly increasing, got {list(lengths)}.")
    return lengths


# --------------------------------------------------------------------------------------------
# Configuration
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ThroughputConfig:
    """Training tokens/s of small whole models (the experiments' architectures, one width) at a few lengths.

    Steps are timed with the benchmark's warm-up and repeat policy, on one fixed random batch.
    """

    seq_lens: tuple[int, ...] = (256, 1024, 4096)
    batch_size: int = 8
    d_model: int = 64
    vocab_size: int = 16
    models: dict[str, ModelConfig] = dataclasses.field(
        default_factory=lambda: {
            "ssm2_fnn1": ModelConfig(mixer="ssm", n_layers=2, fnn_depth=1, fnn_width=128, filter="fir"),
            "transformer2": ModelConfig(mixer="attention", n_layers=2, fnn_depth=1, fnn_width=128, n_heads=4, positional="sinusoidal"),
        }
    )

    def __post_init__(self) -> None:
        object.__setattr__(self, "seq_lens", _lengths(self.seq_lens, "efficiency.throughput.seq_lens"))
        for name in ("batch_size", "d_model", "vocab_size"):
            _positive_int(getattr(self, name), f"efficiency.throughput.{name}")
        models = {
            str(k): v if isinstance(v, ModelConfig) else from_mapping(ModelConfig, v, f"efficiency.throughput.models.{k}")
            for k, v in dict(self.models).items()
        }
        require(len(models) > 0, "'efficiency.throughput.models' must define at least one model.")
        object.__setattr__(self, "models", models)


@dataclass(frozen=True)
class EfficiencyConfig:
    """The ``efficiency:`` section of a params file (defaults: the CPU profile).

    ``n_heads`` defaults to 1: one head of dimension d_model is the fastest SDPA configuration
    measured on CPU (research notes 4.5), so speed-ups of the SSM against it are conservative.
    The targets (ours, derived from those notes) are checked at ``target_seq_len`` and
    ``share_seq_len``; a target at a length not on the grid is reported as not measured.
    """

    seq_lens: tuple[int, ...] = (256, 512, 1024, 2048, 4096, 8192, 16384)
    batch_size: int = 8
    d_model: int = 128
    n_heads: int = 1
    state_size: int = 8
    fnn_depth: int = 1
    fnn_width: int = 256
    primary_filter: str = "s4d"  # the SSM of the blocks and of the targets
    device: str = "cpu"
    dtype: str = "float32"
    threads: int = 2
    seed: int = 0
    warmup: int = 1
    repeats: int = 7
    min_repeats: int = 3
    seconds_per_point: float = 3.0
    max_call_seconds: float = 8.0
    max_memory_gb: float = 4.0
    target_seq_len: int = 8192
    share_seq_len: int = 4096
    min_speedup_vs_sdpa: float = 7.0
    max_ratio_vs_fft_floor: float = 1.5
    max_filter_share: float = 0.25
    max_memory_exponent: float = 1.2
    throughput: ThroughputConfig = dataclasses.field(default_factory=ThroughputConfig)

    def __post_init__(self) -> None:
        object.__setattr__(self, "seq_lens", _lengths(self.seq_lens, "efficiency.seq_lens"))
        for name in ("batch_size", "d_model", "n_heads", "state_size", "fnn_width", "threads", "warmup",
                     "repeats", "min_repeats", "target_seq_len", "share_seq_len"):
            _positive_int(getattr(self, name), f"efficiency.{name}")
        require(isinstance(self.seed, int) and not isinstance(self.seed, bool), f"'efficiency.seed' must be an integer, got {self.seed!r}.")
        require(self.d_model % self.n_heads == 0, f"'efficiency.d_model' ({self.d_model}) must be divisible by 'efficiency.n_heads' ({self.n_heads}).")
        require(isinstance(self.fnn_depth, int) and self.fnn_depth >= 0, f"'efficiency.fnn_depth' must be >= 0, got {self.fnn_depth!r}.")
        require(self.min_repeats <= self.repeats, f"'efficiency.min_repeats' ({self.min_repeats}) exceeds 'efficiency.repeats' ({self.repeats}).")
        require(self.primary_filter in FILTERS, f"'efficiency.primary_filter' is '{self.primary_filter}'; allowed: {', '.join(FILTERS)}.")
        require(self.device in DEVICES, f"'efficiency.device' is '{self.device}'; allowed: {', '.join(DEVICES)}.")
        require(self.dtype in DTYPES, f"'efficiency.dtype' is '{self.dtype}'; allowed: {', '.join(DTYPES)}.")
        for name in ("seconds_per_point", "max_call_seconds", "max_memory_gb", "min_speedup_vs_sdpa",
                     "max_ratio_vs_fft_floor", "max_filter_share", "max_memory_exponent"):
            value = getattr(self, name)
            require(isinstance(value, (int, float)) and value > 0, f"'efficiency.{name}' must be a positive number, got {value!r}.")
        if not isinstance(self.throughput, ThroughputConfig):
            object.__setattr__(self, "throughput", from_mapping(ThroughputConfig, self.throughput, "efficiency.throughput"))

    @property
    def torch_dtype(self) -> torch.dtype:
        return DTYPES[self.dtype]

    @property
    def torch_device(self) -> torch.device:
        if self.device == "auto":
            return torch.device("cuda" if torch.cuda.is_available() else "cpu")
        require(self.device != "cuda" or torch.cuda.is_available(), "'efficiency.device' is 'cuda' but no CUDA device is available; use 'cpu' or 'auto'.")
        return torch.device(self.device)


def efficiency_from_mapping(data: Mapping[str, Any] | None) -> EfficiencyConfig:
    """Build the config from the ``efficiency:`` mapping; unknown keys (nested too) fail by name."""
    require(data is None or isinstance(data, Mapping), f"'efficiency' must be a mapping, got {type(data).__name__}.")
    return from_mapping(EfficiencyConfig, data, "efficiency")


def load_efficiency(path: str | Path = "params.yaml") -> EfficiencyConfig:
    """Read only the ``efficiency:`` section of a params file."""
    return efficiency_from_mapping(read_section(path, "efficiency"))


# --------------------------------------------------------------------------------------------
# Workloads: what one forward + backward pass runs
# --------------------------------------------------------------------------------------------


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


def _module(cfg: EfficiencyConfig, method: str, length: int) -> nn.Module:
    d = cfg.d_model
    ssm = lambda f: ModelConfig(mixer="ssm", filter=f, state_size=cfg.state_size, fnn_depth=cfg.fnn_depth, fnn_width=cfg.fnn_width)  # noqa: E731
    if method.startswith("ssm_mixer_"):
        return LongConvMixer(d, ssm(method.removeprefix("ssm_mixer_")), length)
    if method.startswith("filter_"):
        return make_filter(ssm(method.removeprefix("filter_")), d, length)
    if method == "sdpa":
        return CausalSelfAttention(d, cfg.n_heads)
    if method == "naive_attention":
        return NaiveSelfAttention(d, cfg.n_heads)
    if method == "ssm_block":
        return Block(ssm(cfg.primary_filter), d, length)
    if method == "transformer_block":
        return Block(ModelConfig(mixer="attention", n_heads=cfg.n_heads, fnn_depth=cfg.fnn_depth, fnn_width=cfg.fnn_width), d, length)
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
    module = _module(cfg, method, length).to(device=device, dtype=dtype)
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

    def pack(t: torch.Tensor) -> torch.Tensor:
        ptr, nbytes = _storage(t)
        if ptr not in param_ptrs:
            saved[ptr] = nbytes
        return t  # keeping the tensor alive keeps its address from being reused mid-pass

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
    attention = _module(cfg, "sdpa", length).to(cfg.torch_device, cfg.torch_dtype)
    x = torch.randn(cfg.batch_size, length, cfg.d_model, device=cfg.torch_device, dtype=cfg.torch_dtype, requires_grad=True)
    node = F.scaled_dot_product_attention(*attention.heads(x), is_causal=True).grad_fn.name()
    kernel = node.removesuffix("Backward0")
    return kernel if kernel.startswith("ScaledDotProduct") else f"math (decomposed; output node {node})"


# --------------------------------------------------------------------------------------------
# The sweep
# --------------------------------------------------------------------------------------------


@dataclass
class Point:
    seconds: list[float]
    memory: float
    skip_reason: str = ""

    def stats(self) -> list[float]:
        if not self.seconds:
            return [math.nan] * len(STATS)
        q25, median, q75 = np.percentile(self.seconds, [25, 50, 75])
        return [float(median), float(q25), float(q75), float(q75 - q25)]


def _skipped(reason: str) -> Point:
    return Point([], math.nan, reason)


def _estimate(previous: tuple[int, float, float] | None, method: str, length: int) -> tuple[float, float]:
    """(seconds, bytes) extrapolated from the method's last measured length; 0 when there is none."""
    if previous is None:
        return 0.0, 0.0
    prev_len, prev_seconds, prev_memory = previous
    growth = (length / prev_len) ** (2.0 if method in _QUADRATIC else 1.1)
    return prev_seconds * growth, prev_memory * growth


def _is_out_of_memory(error: RuntimeError) -> bool:
    text = str(error).lower()
    return "out of memory" in text or "can't allocate memory" in text


def measure_point(cfg: EfficiencyConfig, method: str, length: int, step: Callable[[], Any] | None = None) -> Point:
    """Warm-up (with memory) then ``repeats`` timed passes, as many as fit ``seconds_per_point``.

    ``step`` replaces the workload's forward + backward (the throughput benchmark passes a
    training step); memory is then not measured.
    """
    device = cfg.torch_device
    try:
        if step is None:
            work = make_workload(cfg, method, length)
            step = lambda: forward_backward(work)  # noqa: E731
            first, memory = warmup_memory(work, device)
        else:
            first, memory = timed(step, device), math.nan
        for _ in range(cfg.warmup - 1):
            first = timed(step, device)
        n = int(min(cfg.repeats, max(cfg.min_repeats, cfg.seconds_per_point // max(first, 1e-9))))
        return Point([timed(step, device) for _ in range(n)], memory)
    except RuntimeError as error:
        if not _is_out_of_memory(error):
            raise
        return _skipped("out of memory")
    finally:
        if device.type == "cuda":
            torch.cuda.empty_cache()


def _budget_reason(cfg: EfficiencyConfig, seconds: float, memory: float) -> str:
    if seconds > cfg.max_call_seconds:
        return f"estimated {seconds:.1f} s per pass > max_call_seconds {cfg.max_call_seconds:g}"
    if memory > cfg.max_memory_gb * 2**30:
        return f"estimated {memory / 2**30:.1f} GiB > max_memory_gb {cfg.max_memory_gb:g}"
    return ""


def sweep(cfg: EfficiencyConfig, methods: list[str], lengths: tuple[int, ...], run_point: Callable[[str, int], Point], desc: str) -> dict[tuple[str, int], Point]:
    """Every (method, L), L outermost so that drifting machine load spreads over all methods.

    A method stops at the first length whose extrapolated cost exceeds the budget (or that ran
    out of memory): that length and every longer one are recorded as skipped with the reason.
    """
    points: dict[tuple[str, int], Point] = {}
    last: dict[str, tuple[int, float, float]] = {}
    stopped: dict[str, str] = {}
    for length, method in tqdm([(L, m) for L in lengths for m in methods], desc=desc, mininterval=1.0):
        reason = stopped.get(method) or _budget_reason(cfg, *_estimate(last.get(method), method, length))
        point = _skipped(reason) if reason else run_point(method, length)
        if point.skip_reason:
            stopped.setdefault(method, f"skipped from L={length}: {point.skip_reason}")
            point.skip_reason = stopped[method]
        else:
            last[method] = (length, float(np.median(point.seconds)), 0.0 if math.isnan(point.memory) else point.memory)
        points[method, length] = point
    return points


def training_step(model: SequenceModel, cfg: EfficiencyConfig, length: int) -> Callable[[], float]:
    """One AdamW step on a fixed random batch of tokens (next-token cross-entropy)."""
    tp = cfg.throughput
    tokens = torch.randint(tp.vocab_size, (tp.batch_size, length), device=cfg.torch_device)
    optimizer, _ = make_optimizer(model, lr=1e-3, weight_decay=0.0, steps=1, warmup_fraction=0.0)

    def step() -> float:
        optimizer.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(tokens).flatten(0, 1), tokens.roll(-1, dims=1).flatten())
        loss.backward()
        optimizer.step()
        return loss.item()

    return step


def throughput_point(cfg: EfficiencyConfig, name: str, length: int) -> Point:
    tp = cfg.throughput
    torch.manual_seed(cfg.seed)
    model = SequenceModel(tp.models[name], tp.vocab_size, tp.d_model, length).to(cfg.torch_device, cfg.torch_dtype)
    return measure_point(cfg, name, length, step=training_step(model, cfg, length))


def cpu_name() -> str:
    """The CPU model from /proc/cpuinfo (Linux), else what ``platform`` knows."""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def machine_info(cfg: EfficiencyConfig) -> dict[str, Any]:
    device = cfg.torch_device
    return {
        "platform": platform.platform(),
        "cpu": cpu_name(),
        "cpu_count": os.cpu_count() or 0,
        "torch_threads": torch.get_num_threads(),
        "torch_version": str(torch.__version__),
        "device": str(device),
        "device_name": torch.cuda.get_device_name(device) if device.type == "cuda" else cpu_name(),
        "dtype": cfg.dtype,
        "sdpa_backend": sdpa_backend(cfg, cfg.seq_lens[0]),
        "memory_measure": "cuda max_memory_allocated above baseline" if device.type == "cuda"
        else "activation bytes: tensors saved for backward + output (not process peak)",
        "config": str(dataclasses.asdict(cfg)),
    }


def run(cfg: EfficiencyConfig) -> xr.Dataset:
    """Run the whole benchmark and return the raw measurements with their analysis (``analyse``)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(cfg.threads)
    try:
        methods = list(METHOD_GROUPS)
        points = sweep(cfg, methods, cfg.seq_lens, lambda m, L: measure_point(cfg, m, L), "fwd+bwd")
        models = list(cfg.throughput.models)
        trained = sweep(cfg, models, cfg.throughput.seq_lens, lambda m, L: throughput_point(cfg, m, L), "training steps")
        attrs = machine_info(cfg)
    finally:
        torch.set_num_threads(threads)
    grid = lambda f, ms, ls, pts: np.array([[f(pts[m, L]) for L in ls] for m in ms])  # noqa: E731
    tp = cfg.throughput
    step_s = grid(lambda p: p.stats()[0], models, tp.seq_lens, trained)
    ds = xr.Dataset(
        {
            "time_s": (("method", "seq_len", "stat"), grid(Point.stats, methods, cfg.seq_lens, points)),
            "memory_bytes": (("method", "seq_len"), grid(lambda p: p.memory, methods, cfg.seq_lens, points)),
            "n_repeats": (("method", "seq_len"), grid(lambda p: len(p.seconds), methods, cfg.seq_lens, points)),
            "skip_reason": (("method", "seq_len"), grid(lambda p: p.skip_reason, methods, cfg.seq_lens, points).astype(str)),
            "tokens_per_s": (("model", "train_seq_len"), tp.batch_size * np.asarray(tp.seq_lens)[None, :] / step_s),
        },
        coords={
            "method": methods,
            "seq_len": list(cfg.seq_lens),
            "stat": list(STATS),
            "group": ("method", [METHOD_GROUPS[m] for m in methods]),
            "model": models,
            "train_seq_len": list(tp.seq_lens),
            "model_spec": ("model", [str(dataclasses.asdict(tp.models[m])) for m in models]),
        },
        attrs=attrs,
    )
    ds["time_s"].attrs["description"] = "forward+backward wall time over the timed repeats (median, quartiles, IQR)"
    ds["memory_bytes"].attrs["description"] = attrs["memory_measure"]
    ds["tokens_per_s"].attrs["description"] = "training tokens per second (forward, backward, AdamW step), median step"
    return analyse(ds, cfg)


# --------------------------------------------------------------------------------------------
# Analysis: exponents, crossover, targets
# --------------------------------------------------------------------------------------------


def loglog_slope(x: np.ndarray, y: np.ndarray) -> float:
    """Least-squares slope of log y on log x over the finite positive points (NaN if < 2)."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    keep = np.isfinite(y) & (y > 0)
    if keep.sum() < 2:
        return math.nan
    return float(np.polyfit(np.log(x[keep]), np.log(y[keep]), 1)[0])


def scaling_exponents(values: xr.DataArray) -> xr.DataArray:
    """Per-method slope over the upper half of the length grid (where asymptotic terms dominate).

    The middle point of an odd grid is included, so any grid of two or more lengths has a fit.
    """
    lengths = values["seq_len"].values
    upper = values.sel(seq_len=lengths[(len(lengths) - 1) // 2 :])
    slopes = [loglog_slope(upper["seq_len"].values, upper.sel({"method": m}).values) for m in values["method"].values]
    return xr.DataArray(slopes, coords={"method": values["method"].values}, dims="method")


def crossover_length(ssm: xr.DataArray, attention: xr.DataArray) -> tuple[float, str]:
    """Length from which the SSM is faster than attention at every longer measured length.

    Interpolated log-linearly between the grid points around the last sign change of
    log(t_ssm / t_attention).
    """
    log_ratio = np.log((ssm / attention).values)
    lengths = ssm["seq_len"].values.astype(float)
    finite = np.isfinite(log_ratio)
    log_ratio, lengths = log_ratio[finite], lengths[finite]
    if log_ratio.size == 0:
        return math.nan, "not measured"
    if log_ratio[-1] >= 0:
        return math.nan, f"attention is as fast or faster at the longest measured length (L={int(lengths[-1])})"
    slower = np.nonzero(log_ratio >= 0)[0]
    if slower.size == 0:
        return float(lengths[0]), f"the SSM is faster at every measured length (from L={int(lengths[0])})"
    i = slower[-1]
    fraction = log_ratio[i] / (log_ratio[i] - log_ratio[i + 1])
    crossover = float(np.exp(np.log(lengths[i]) + fraction * (np.log(lengths[i + 1]) - np.log(lengths[i]))))
    return crossover, f"interpolated between L={int(lengths[i])} and L={int(lengths[i + 1])}"


def _at(ds: xr.Dataset, method: str, length: int) -> float:
    if length not in ds["seq_len"].values:
        return math.nan
    return float(ds["time_s"].sel({"method": method, "seq_len": length, "stat": "median"}))


def targets(ds: xr.Dataset, cfg: EfficiencyConfig) -> xr.Dataset:
    """The four targets: measured value, threshold, rule and whether it is met (NaN: not measured)."""
    mixer = f"ssm_mixer_{cfg.primary_filter}"
    L, share_L = cfg.target_seq_len, cfg.share_seq_len
    rows = [
        ("speedup_vs_sdpa", f"SDPA time / SSM mixer time at L={L}", _at(ds, "sdpa", L) / _at(ds, mixer, L), ">=", cfg.min_speedup_vs_sdpa),
        ("ratio_vs_fft_floor", f"SSM mixer time / FFT floor time at L={L}", _at(ds, mixer, L) / _at(ds, "fft_floor", L), "<=", cfg.max_ratio_vs_fft_floor),
        ("filter_share", f"filter generation / SSM mixer time at L={share_L}", _at(ds, f"filter_{cfg.primary_filter}", share_L) / _at(ds, mixer, share_L), "<=", cfg.max_filter_share),
        ("memory_exponent", "log-log slope of SSM mixer memory vs L (upper half of grid)", float(ds["memory_exponent"].sel({"method": mixer})), "<", cfg.max_memory_exponent),
    ]
    compare = {">=": np.greater_equal, "<=": np.less_equal, "<": np.less}
    met = [float(compare[rule](value, threshold)) if np.isfinite(value) else math.nan for _, _, value, rule, threshold in rows]
    return xr.Dataset(
        {
            "target_value": ("target", [r[2] for r in rows]),
            "target_threshold": ("target", [r[4] for r in rows]),
            "target_met": ("target", met),
        },
        coords={"target": [r[0] for r in rows], "target_rule": ("target", [r[3] for r in rows]), "target_description": ("target", [r[1] for r in rows])},
    )


def analyse(ds: xr.Dataset, cfg: EfficiencyConfig) -> xr.Dataset:
    """Add scaling exponents, the SSM/SDPA crossover, filter shares and the targets to ``ds``."""
    median = ds["time_s"].sel(stat="median", drop=True)
    ds = ds.assign(time_exponent=scaling_exponents(median), memory_exponent=scaling_exponents(ds["memory_bytes"]))
    ds["filter_share"] = xr.DataArray(
        [(median.sel({"method": f"filter_{f}"}) / median.sel({"method": f"ssm_mixer_{f}"})).values for f in FILTERS],
        coords={"filter": list(FILTERS), "seq_len": ds["seq_len"].values}, dims=("filter", "seq_len"),
    )
    crossover, note = crossover_length(median.sel({"method": f"ssm_mixer_{cfg.primary_filter}"}), median.sel({"method": "sdpa"}))
    ds.attrs.update(crossover_seq_len=crossover, crossover_note=note, primary_filter=cfg.primary_filter,
                    shape=f"B={cfg.batch_size}, d={cfg.d_model}, heads={cfg.n_heads}, state_size={cfg.state_size}")
    return ds.merge(targets(ds, cfg))


def summary(ds: xr.Dataset) -> dict[str, Any]:
    """Targets and headline numbers as plain JSON values, with a one-line ``claim``."""
    clean = lambda v: None if v is None or not np.isfinite(v) else round(float(v), 4)  # noqa: E731
    rows = {
        str(t): {
            "description": str(ds["target_description"].sel(target=t).item()),
            "value": clean(float(ds["target_value"].sel(target=t))),
            "rule": str(ds["target_rule"].sel(target=t).item()),
            "target": float(ds["target_threshold"].sel(target=t)),
            "met": None if np.isnan(m := float(ds["target_met"].sel(target=t))) else bool(m),
        }
        for t in ds["target"].values
    }
    measured = [r for r in rows.values() if r["met"] is not None]
    claim = f"{sum(r['met'] for r in measured)} of {len(rows)} targets met"
    if len(measured) < len(rows):
        claim += f" ({len(rows) - len(measured)} not measured)"
    return {
        "claim": claim,
        "targets": rows,
        "crossover_seq_len": clean(ds.attrs["crossover_seq_len"]),
        "crossover_note": ds.attrs["crossover_note"],
        "time_exponent": {str(m): clean(v) for m, v in ds["time_exponent"].to_series().items()},
        "memory_exponent": {str(m): clean(v) for m, v in ds["memory_exponent"].to_series().items()},
        "tokens_per_s": {f"{m}/L={L}": clean(v) for (m, L), v in ds["tokens_per_s"].to_series().items()},
        "machine": {k: np.asarray(ds.attrs[k]).item() for k in ("platform", "cpu_count", "torch_threads", "torch_version", "device_name", "dtype", "sdpa_backend")},
    }


RESULT_WORDS = {True: "pass", False: "miss", None: "not measured"}
_TARGET_WORDS = {  # heading, number format, unit
    "speedup_vs_sdpa": ("Speed against attention", ".2f", "x"),
    "ratio_vs_fft_floor": ("Overhead over the bare FFT", ".2f", "x"),
    "filter_share": ("Filter generation", ".1%", ""),
    "memory_exponent": ("Memory growth", ".2f", ""),
}


def write_metrics(ds: xr.Dataset, path: str | Path) -> dict[str, Any]:
    """``metrics.json`` for ``dvc metrics``: ``summary(ds)`` written with sorted keys."""
    metrics = summary(ds)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(metrics, indent=2, sort_keys=True) + "\n")
    return metrics


def target_table(metrics: Mapping[str, Any]) -> pd.DataFrame:
    """One row per target: what is measured, the value, the rule and pass / miss / not measured."""
    return pd.DataFrame(
        [
            {"target": name, "measures": row["description"], "value": row["value"],
             "rule": f"{row['rule']} {row['target']:g}", "result": RESULT_WORDS[row["met"]]}
            for name, row in metrics["targets"].items()
        ]
    ).set_index("target")


def verdict_lines(metrics: Mapping[str, Any]) -> list[str]:
    """The verdict in words, every number taken from ``metrics``."""
    number = lambda v, fmt: "not measured" if v is None else format(v, fmt)  # noqa: E731
    lines = [f"**{metrics['claim']}.**"]
    for name, row in metrics["targets"].items():
        heading, fmt, unit = _TARGET_WORDS[name]
        lines.append(
            f"- {heading}: {row['description']} = {number(row['value'], fmt)}{unit} "
            f"(target {row['rule']} {format(row['target'], fmt)}{unit}): {RESULT_WORDS[row['met']]}."
        )
    exponents = metrics["memory_exponent"]
    lines.append(
        f"- For comparison, the memory exponents of SDPA and naive attention are "
        f"{number(exponents.get('sdpa'), '.2f')} and {number(exponents.get('naive_attention'), '.2f')}."
    )
    crossover = metrics["crossover_seq_len"]
    lines.append(
        f"- Crossover: the SSM mixer is faster than SDPA from L ≈ {crossover:.0f} ({metrics['crossover_note']})."
        if crossover is not None else f"- Crossover: none measured ({metrics['crossover_note']})."
    )
    return lines
