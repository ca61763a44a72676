"""A sweep over methods and lengths under a time and memory budget: rounds of timed passes, and a
method stopped at the first length whose extrapolated cost is over the budget."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import torch

from tokensel.efficiency.config import EfficiencyConfig
from tokensel.efficiency.workloads import timed

# Growth exponents used to extrapolate a point's cost from the previous length (quadratic for
# anything that attends; FFT work is L log L, rounded up). Memory of SDPA is taken as quadratic
# too because the math backend materialises the scores.
_QUADRATIC = {"sdpa", "naive_attention", "transformer_block"}


@dataclass
class Point:
    """One (method, L): the timed passes in round order (wall and CPU seconds), the memory of the
    warm-up pass, or why it was skipped."""

    seconds: list[float] = field(default_factory=list)
    cpu_seconds: list[float] = field(default_factory=list)
    memory: float = math.nan
    skip_reason: str = ""

    def budget_seconds(self, device: torch.device) -> float:
        """What the budget extrapolates: CPU time on a CPU (so a busy machine skips no more points
        than a quiet one), wall time on a GPU (whose work the CPU clock does not see)."""
        return float(np.median(self.cpu_seconds if device.type == "cpu" else self.seconds))


# What a sweep needs per (name, L): a step to time and its memory (NaN when not measured).
Prepare = Callable[[str, int], tuple[Callable[[], Any], float]]


def _estimate(previous: tuple[int, float, float] | None, name: str, length: int) -> tuple[float, float]:
    """(seconds, bytes) extrapolated from the method's last measured length; 0 when there is none."""
    if previous is None:
        return 0.0, 0.0
    prev_len, prev_seconds, prev_memory = previous
    growth = (length / prev_len) ** (2.0 if name in _QUADRATIC else 1.1)
    return prev_seconds * growth, prev_memory * growth


def _budget_reason(cfg: EfficiencyConfig, seconds: float, memory: float) -> str:
    if seconds > cfg.max_call_seconds:
        clock = "CPU s" if cfg.torch_device.type == "cpu" else "s"
        return f"estimated {seconds:.1f} {clock} per pass, over the time budget of {cfg.max_call_seconds:g} {clock}"
    if memory > cfg.max_memory_gb * 2**30:
        return f"estimated {memory / 2**30:.1f} GiB, over the memory budget of {cfg.max_memory_gb:g} GiB"
    return ""


def _is_out_of_memory(error: RuntimeError) -> bool:
    text = str(error).lower()
    return "out of memory" in text or "can't allocate memory" in text


def _rotated(names: list[str], k: int) -> list[str]:
    k = k % len(names) if names else 0
    return names[k:] + names[:k]


def sweep(cfg: EfficiencyConfig, names: list[str], lengths: tuple[int, ...], prepare: Prepare) -> dict[tuple[str, int], Point]:
    """Every (name, L): L by L, a warm-up per name, then ``repeats`` rounds that time each name
    once, every round led by the next name, so that load drifting over a length's minute reaches
    all names alike and the passes of one round can be compared pairwise.

    A name stops at the first length whose extrapolated cost exceeds the budget (or that ran out
    of memory): that length and every longer one are recorded as skipped with the reason.
    """
    device = cfg.torch_device
    points: dict[tuple[str, int], Point] = {}
    last: dict[str, tuple[int, float, float]] = {}
    stopped: dict[str, str] = {}

    def skip(name: str, length: int, reason: str) -> None:
        stopped.setdefault(name, f"skipped from L={length}: {reason}")
        points[name, length] = Point(skip_reason=stopped[name])

    for length in lengths:
        steps: dict[str, Callable[[], Any]] = {}
        for name in names:
            reason = stopped.get(name) or _budget_reason(cfg, *_estimate(last.get(name), name, length))
            if reason:
                skip(name, length, reason)
                continue
            try:
                steps[name], memory = prepare(name, length)
                for _ in range(cfg.warmup - 1):
                    timed(steps[name], device)
            except RuntimeError as error:
                if not _is_out_of_memory(error):
                    raise
                steps.pop(name, None)
                skip(name, length, "out of memory")
                continue
            points[name, length] = Point(memory=memory)
        for round_ in range(cfg.repeats):
            for name in _rotated(list(steps), round_):
                try:
                    cpu_start = time.process_time()
                    points[name, length].seconds.append(timed(steps[name], device))
                    points[name, length].cpu_seconds.append(time.process_time() - cpu_start)
                except RuntimeError as error:
                    if not _is_out_of_memory(error):
                        raise
                    del steps[name]
                    skip(name, length, "out of memory")
        for name in steps:
            point = points[name, length]
            last[name] = (length, point.budget_seconds(device), 0.0 if math.isnan(point.memory) else point.memory)
        if device.type == "cuda":
            torch.cuda.empty_cache()
    return points
