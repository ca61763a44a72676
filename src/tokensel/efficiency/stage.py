"""The benchmark sweep: every method at every length within the time and memory budget, and training throughput."""

from __future__ import annotations

import dataclasses
import math
import os
import platform
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch
import xarray as xr
from torch.nn import functional as F
from tqdm import tqdm

from tokensel.core.training import make_optimizer
from tokensel.efficiency.analysis import analyse
from tokensel.efficiency.config import METHOD_GROUPS, STATS, EfficiencyConfig
from tokensel.efficiency.workloads import (
    forward_backward,
    make_workload,
    sdpa_backend,
    timed,
    warmup_memory,
)
from tokensel.nn.models import SequenceModel

# Growth exponents used to extrapolate a point's cost from the previous length (quadratic for
# anything that attends; FFT work is L log L, rounded up). Memory of SDPA is taken as quadratic
# too because the math backend materialises the scores.
_QUADRATIC = {"sdpa", "naive_attention", "transformer_block"}


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


def cells(config: EfficiencyConfig) -> list[dict]:
    """The benchmark is one stage."""
    return [{}]
