"""What every experiment's training loop shares: the optimiser, its schedule, one optimisation
step, the device, and a pool of worker processes for many small runs.

Each experiment keeps its own loop (online token batches, a fixed regression training set,
DNA classification), because those really differ; the pieces below do not.
"""

from __future__ import annotations

import math
import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from typing import Callable, TypeVar

import torch
from torch import nn
from tqdm import (
    tqdm,  # text bars: they render in DVC logs, terminals and notebooks alike
)

from tokensel.core.errors import TrainingDiverged
from tokensel.core.lifeline import die_with_parent

T = TypeVar("T")


def default_device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def param_groups(model: nn.Module, weight_decay: float) -> list[dict]:
    """AdamW groups: only the weights of linear maps and convolutions are decayed.

    Not decayed: the input embedding (a lookup table, or the linear embedding of continuous
    inputs), learned positions, filter taps and state matrices (``A_log`` of the selective SSM
    included), short-convolution taps, norms, biases and per-channel scales. Shrinking those
    towards zero changes what the model represents or how far back it remembers, not just its
    scale (S4 and Mamba practice); learned positions decayed to zero vanish next to the tokens.
    """
    decayed = {
        id(module.weight)
        for name, module in model.named_modules()
        if isinstance(module, (nn.Linear, nn.Conv1d)) and not name.endswith("embedding")
    }
    decay = [p for p in model.parameters() if id(p) in decayed]
    no_decay = [p for p in model.parameters() if id(p) not in decayed]
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]


def cosine_with_warmup(total: int, warmup_fraction: float):
    warmup = max(int(total * warmup_fraction), 1)

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        progress = (step - warmup) / max(total - warmup, 1)
        return 0.5 * (1.0 + math.cos(math.pi * min(progress, 1.0)))

    return factor


def make_optimizer(
    model: nn.Module, lr: float, weight_decay: float, steps: int, warmup_fraction: float
) -> tuple[torch.optim.Optimizer, torch.optim.lr_scheduler.LambdaLR]:
    """AdamW over ``param_groups`` with linear warmup then cosine decay to zero over ``steps``."""
    fused = all(p.device.type in ("cpu", "cuda") for p in model.parameters())
    optimizer = torch.optim.AdamW(param_groups(model, weight_decay), lr=lr, fused=fused)
    return optimizer, torch.optim.lr_scheduler.LambdaLR(optimizer, cosine_with_warmup(steps, warmup_fraction))


def check_finite(loss: torch.Tensor, label: str, step: int, lr: float, lr_key: str) -> None:
    """Stop a diverged run with a message that names it and the parameter to change."""
    if not torch.isfinite(loss):
        raise TrainingDiverged(
            f"{label}: loss became {loss.item()} at step {step} with lr={lr:g}. "
            f"Lower the learning rate ({lr_key}) or the gradient clip."
        )


def optimization_step(
    model: nn.Module,
    loss: torch.Tensor,
    optimizer: torch.optim.Optimizer,
    schedule: torch.optim.lr_scheduler.LambdaLR,
    grad_clip: float,
    where: tuple[str, int, float, str],
) -> None:
    """Check the loss, backpropagate, clip, step the optimizer and the schedule.

    ``where`` = (run label, step, lr, params key of the learning rate) for the divergence message.
    """
    check_finite(loss, *where)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
    optimizer.step()
    schedule.step()


def default_workers() -> int:
    """Parallel CPU runs: ``TOKENSEL_WORKERS`` if set, else one per core; one process on a GPU."""
    if "TOKENSEL_WORKERS" in os.environ:
        return max(int(os.environ["TOKENSEL_WORKERS"]), 1)
    return 1 if torch.cuda.is_available() else max(os.cpu_count() or 1, 1)


def pool_size(workers: int | None, n_jobs: int) -> int:
    """How many worker processes ``parallel_map`` starts (1 = runs in this process)."""
    if torch.cuda.is_available():
        return 1
    return max(min(workers or default_workers(), n_jobs), 1)


def _call_single_threaded(function: Callable[..., T], kwargs: dict) -> T:
    torch.set_num_threads(1)
    return function(**kwargs)


def parallel_map(function: Callable[..., T], jobs: list[dict], workers: int | None = None, desc: str = "runs") -> list[T]:
    """``function(**job)`` for every job, results in job order.

    On CPU every call is single-threaded and calls go to a pool of worker processes: tiny models
    use cores far better side by side than through intra-op threads, and a run's numbers then do
    not depend on how many workers there are. On a GPU the calls run one after another here.
    ``function`` must be importable (a module-level function) for the worker processes.
    """
    workers = pool_size(workers, len(jobs))
    if workers == 1:
        if not torch.cuda.is_available():
            torch.set_num_threads(1)
        return [function(**job) for job in tqdm(jobs, desc=desc)]
    results: list[T | None] = [None] * len(jobs)
    # Workers end with the kernel that started them, so a killed pipeline leaves none training.
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn"), initializer=die_with_parent) as pool:
        futures = {pool.submit(_call_single_threaded, function, job): i for i, job in enumerate(jobs)}
        for future in tqdm(as_completed(futures), total=len(jobs), desc=desc):
            results[futures[future]] = future.result()
    return results  # type: ignore[return-value]
