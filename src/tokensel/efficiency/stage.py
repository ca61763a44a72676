"""The benchmark run: the scaling sweep (``tokensel.efficiency.sweep``), the paired target timings
and training throughput."""

from __future__ import annotations

import dataclasses
import json
import math
import os
import platform
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np
import torch
import xarray as xr
from torch.nn import functional as F

from tokensel.core.optim import OptimConfig
from tokensel.core.training import make_optimizer
from tokensel.efficiency.analysis import Comparison, analyse, comparisons
from tokensel.efficiency.config import METHOD_GROUPS, EfficiencyConfig
from tokensel.efficiency.sweep import Point, Prepare, sweep
from tokensel.efficiency.workloads import (
    forward_backward,
    make_workload,
    sdpa_backend,
    timed,
    warmup_memory,
)
from tokensel.nn.models import SequenceModel

MEMBERS = ("numerator", "denominator")


def prepare_method(cfg: EfficiencyConfig) -> Prepare:
    """A method's forward + backward pass; its warm-up pass counts its memory."""

    def prepare(method: str, length: int) -> tuple[Callable[[], Any], float]:
        work = make_workload(cfg, method, length)
        _, memory = warmup_memory(work, cfg.torch_device)
        return (lambda: forward_backward(work)), memory

    return prepare


def _comparison_steps(cfg: EfficiencyConfig, comparison: Comparison) -> tuple[Callable[[], Any], Callable[[], Any]]:
    """The timed steps of a comparison's numerator and denominator (each ``passes`` passes), warmed up."""
    steps = []
    for method, passes in (comparison.numerator, comparison.denominator):
        step, _ = prepare_method(cfg)(method, comparison.seq_len)
        for _ in range(cfg.warmup - 1):
            timed(step, cfg.torch_device)
        steps.append(lambda step=step, passes=passes: [step() for _ in range(passes)])
    return steps[0], steps[1]


def measure_comparisons(cfg: EfficiencyConfig, skipped: set[tuple[str, int]]) -> xr.Dataset:
    """Paired timings of every comparison (targets and control), NaN where a member was skipped in
    the sweep. Pairs are taken in rounds, one pair of each comparison per round, so that every
    ratio is sampled over the whole measurement; ``pairs_per_block`` consecutive rounds form a block."""
    rows = comparisons(cfg)
    measured = [i for i, c in enumerate(rows) if not {(c.numerator[0], c.seq_len), (c.denominator[0], c.seq_len)} & skipped]
    steps = {i: _comparison_steps(cfg, rows[i]) for i in measured}
    n_pairs = cfg.pairs.blocks * cfg.pairs.pairs_per_block
    times = np.full((len(rows), n_pairs, len(MEMBERS)), np.nan)
    for pair in range(n_pairs):
        for i in measured:
            first = pair % 2  # which member goes first alternates, so neither always runs on a warm cache
            for member in (first, 1 - first):
                times[i, pair, member] = timed(steps[i][member], cfg.torch_device)
    return xr.Dataset(
        {"pair_time_s": (("comparison", "pair", "member"), times)},
        coords={
            "comparison": [c.name for c in rows],
            "pair": np.arange(n_pairs),
            "block": ("pair", np.arange(n_pairs) // cfg.pairs.pairs_per_block),
            "member": list(MEMBERS),
            "comparison_description": ("comparison", [c.description for c in rows]),
            "comparison_seq_len": ("comparison", [c.seq_len for c in rows]),
            "rule": ("comparison", [c.rule for c in rows]),
            "threshold": ("comparison", [c.threshold for c in rows]),
        },
    )


def threaded_pairs(cfg: EfficiencyConfig, skipped: set[tuple[str, int]]) -> xr.DataArray:
    """The paired comparisons timed again at each of ``paired_threads`` (at least one)."""
    timings = []
    for threads in cfg.paired_threads:
        with torch_threads(threads):
            timings.append(measure_comparisons(cfg, skipped)["pair_time_s"])
    times = xr.concat(timings, dim="paired_threads").assign_coords(paired_threads=list(cfg.paired_threads))
    times.attrs["description"] = "pair_time_s timed again at each of paired_threads torch threads, after the main measurement"
    return times


def training_step(model: SequenceModel, cfg: EfficiencyConfig, length: int) -> Callable[[], float]:
    """One AdamW step on a fixed random batch of tokens (next-token cross-entropy)."""
    tp = cfg.throughput
    tokens = torch.randint(tp.vocab_size, (tp.batch_size, length), device=cfg.torch_device)
    optimizer, _ = make_optimizer(model, lr=1e-3, steps=1, optim=OptimConfig(weight_decay=0.0, warmup_fraction=0.0))

    def step() -> float:
        optimizer.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(tokens).flatten(0, 1), tokens.roll(-1, dims=1).flatten())
        loss.backward()
        optimizer.step()
        return loss.item()

    return step


def prepare_training(cfg: EfficiencyConfig) -> Prepare:
    """A whole model's training step (its first call is the warm-up); memory is not measured."""
    tp = cfg.throughput

    def prepare(name: str, length: int) -> tuple[Callable[[], Any], float]:
        torch.manual_seed(cfg.seed)
        model = SequenceModel(tp.models[name], tp.vocab_size, length).to(cfg.torch_device, cfg.torch_dtype)
        step = training_step(model, cfg, length)
        timed(step, cfg.torch_device)
        return step, math.nan

    return prepare


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
        "config": json.dumps(dataclasses.asdict(cfg), sort_keys=True, default=str),
    }


@contextmanager
def torch_threads(n: int) -> Iterator[None]:
    threads = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def _grid(points: dict[tuple[str, int], Point], names: list[str], lengths: tuple[int, ...], repeats: int) -> dict[str, np.ndarray]:
    seconds = np.full((len(names), len(lengths), repeats), np.nan)
    for i, name in enumerate(names):
        for j, length in enumerate(lengths):
            timed_passes = points[name, length].seconds
            seconds[i, j, : len(timed_passes)] = timed_passes
    return {
        "seconds": seconds,
        "memory": np.array([[points[n, L].memory for L in lengths] for n in names]),
        "skip_reason": np.array([[points[n, L].skip_reason for L in lengths] for n in names]).astype(str),
    }


def run(cfg: EfficiencyConfig) -> xr.Dataset:
    """The whole benchmark: raw timings (sweep, pairs, throughput) with their analysis (``analyse``)."""
    methods, models = list(METHOD_GROUPS), list(cfg.throughput.models)
    tp = cfg.throughput
    with torch_threads(cfg.threads):
        points = sweep(cfg, methods, cfg.seq_lens, prepare_method(cfg))
        skipped = {key for key, point in points.items() if point.skip_reason}
        pairs = measure_comparisons(cfg, skipped)
        trained = sweep(cfg, models, tp.seq_lens, prepare_training(cfg))
        attrs = machine_info(cfg)
    if cfg.paired_threads:
        pairs["threaded_pair_time_s"] = threaded_pairs(cfg, skipped)
    sweep_grid = _grid(points, methods, cfg.seq_lens, cfg.repeats)
    train_grid = _grid(trained, models, tp.seq_lens, cfg.repeats)
    ds = xr.Dataset(
        {
            "time_s": (("method", "seq_len", "repeat"), sweep_grid["seconds"]),
            "memory_bytes": (("method", "seq_len"), sweep_grid["memory"]),
            "skip_reason": (("method", "seq_len"), sweep_grid["skip_reason"]),
            "step_time_s": (("model", "train_seq_len", "repeat"), train_grid["seconds"]),
        },
        coords={
            "method": methods,
            "seq_len": list(cfg.seq_lens),
            "repeat": np.arange(cfg.repeats),
            "group": ("method", [METHOD_GROUPS[m] for m in methods]),
            "model": models,
            "train_seq_len": list(tp.seq_lens),
            "model_spec": ("model", [tp.models[m].to_json() for m in models]),
        },
        attrs=attrs,
    ).merge(pairs)
    ds["time_s"].attrs["description"] = "forward+backward wall time of each timed pass, in rounds across methods"
    ds["memory_bytes"].attrs["description"] = attrs["memory_measure"]
    ds["step_time_s"].attrs["description"] = "wall time of one training step (forward, backward, AdamW)"
    ds["pair_time_s"].attrs["description"] = "wall time of alternating passes of a comparison's two members"
    return analyse(ds, cfg)


def cells(config: EfficiencyConfig) -> list[dict]:
    """The benchmark is one stage."""
    return [{}]
