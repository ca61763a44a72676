"""Training and evaluation of one model on one synthetic task, and the learning-rate sweep.

Each step draws a fresh batch from the task's train stream (an online generator, so models see
no repeated data and the comparison is about what an architecture can learn, not memorise).
Validation picks the learning rate; the test split is only scored.
"""

from __future__ import annotations

import math
import os
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Callable, TypeVar
from multiprocessing import get_context

import numpy as np
import torch
from torch import nn
from tqdm import tqdm  # text bars: they render in DVC logs, terminals and notebooks alike

from tokensel.config import ModelConfig, TaskConfig, TrainConfig
from tokensel.errors import TrainingDiverged
from tokensel.models import SequenceModel, count_parameters
from tokensel.tasks import IGNORE, Batch, sample, vocab_size

T = TypeVar("T")


def default_device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


@dataclass(frozen=True)
class RunResult:
    lr: float
    eval_steps: np.ndarray  # (n_evals,) the planned evaluation steps; NaN values after an early stop
    train_loss: np.ndarray  # (n_evals,) mean training loss since the previous evaluation
    val_acc: np.ndarray  # (n_evals,) token accuracy on answer positions
    final_val_acc: float  # at the last evaluation actually run: selects the learning rate
    steps_run: int
    test_acc: float
    test_exact: float  # fraction of examples with every answer token right
    n_params: int
    seconds: float


def masked_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    return nn.functional.cross_entropy(logits.flatten(0, 1), labels.flatten(), ignore_index=IGNORE)


@torch.no_grad()
def evaluate(model: nn.Module, batch: Batch, device: torch.device, chunk: int = 512) -> tuple[float, float]:
    """(token accuracy, exact-match rate) over the answer positions of ``batch``."""
    model.eval()
    correct = answered = exact = 0
    for start in range(0, batch.inputs.shape[0], chunk):
        inputs = batch.inputs[start : start + chunk].to(device)
        labels = batch.labels[start : start + chunk].to(device)
        mask = labels != IGNORE
        hit = (model(inputs).argmax(-1) == labels) & mask
        correct += int(hit.sum())
        answered += int(mask.sum())
        exact += int((hit.sum(1) == mask.sum(1)).sum())
    model.train()
    return correct / max(answered, 1), exact / batch.inputs.shape[0]


def param_groups(model: nn.Module, weight_decay: float) -> list[dict]:
    # Filter parameters, norms, biases and embeddings get no weight decay: shrinking an SSM's
    # state matrix or filter taps towards zero changes its memory, not just its scale (S4 practice).
    decay, no_decay = [], []
    for name, param in model.named_parameters():
        is_matrix_weight = param.ndim == 2 and ".filter." not in name and "embedding" not in name
        (decay if is_matrix_weight else no_decay).append(param)
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


def build_model(model_config: ModelConfig, task: TaskConfig, d_model: int) -> SequenceModel:
    return SequenceModel(model_config, vocab_size(task), d_model, task.seq_len)


def train_run(
    model_config: ModelConfig,
    task: TaskConfig,
    train: TrainConfig,
    lr: float,
    seed: int,
    device: torch.device | None = None,
    label: str = "",
    progress_bar: bool = True,
) -> RunResult:
    """Train one model at one learning rate; ``seed`` fixes initialisation and every data split."""
    device = device or default_device()
    torch.manual_seed(seed)
    model = build_model(model_config, task, train.d_model).to(device)
    optimizer, schedule = make_optimizer(model, lr, train.weight_decay, train.steps, train.warmup_fraction)
    val_batch = sample(task, train.n_val, seed, "val")

    planned = np.unique(np.r_[np.arange(train.eval_every, train.steps + 1, train.eval_every), train.steps])
    losses = np.full(planned.shape, np.nan)
    val_accs = np.full(planned.shape, np.nan)
    started = time.perf_counter()
    running: list[float] = []
    n_evals = 0
    progress = tqdm(range(train.steps), desc=f"{label} lr={lr:g}", leave=False, mininterval=2.0, disable=not progress_bar)
    for step in progress:
        batch = sample(task, train.batch_size, seed, "train", step).to(device)
        loss = masked_loss(model(batch.inputs), batch.labels)
        optimization_step(model, loss, optimizer, schedule, train.grad_clip, (label, step, lr, "synthetic.train.lrs"))
        running.append(loss.item())
        if step + 1 == planned[n_evals]:
            losses[n_evals] = np.mean(running)
            val_accs[n_evals] = evaluate(model, val_batch, device)[0]
            running = []
            progress.set_postfix(loss=f"{losses[n_evals]:.3f}", val_acc=f"{val_accs[n_evals]:.3f}")
            n_evals += 1
            if train.early_stop_acc is not None and val_accs[n_evals - 1] >= train.early_stop_acc:
                break
    test_acc, test_exact = evaluate(model, sample(task, train.n_test, seed, "test"), device)
    return RunResult(
        lr=lr,
        eval_steps=planned,
        train_loss=losses,
        val_acc=val_accs,
        final_val_acc=float(val_accs[n_evals - 1]),
        steps_run=int(planned[n_evals - 1]),
        test_acc=test_acc,
        test_exact=test_exact,
        n_params=count_parameters(model),
        seconds=time.perf_counter() - started,
    )


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
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
        futures = {pool.submit(_call_single_threaded, function, job): i for i, job in enumerate(jobs)}
        for future in tqdm(as_completed(futures), total=len(jobs), desc=desc):
            results[futures[future]] = future.result()
    return results  # type: ignore[return-value]


def run_all(jobs: list[dict], workers: int | None = None, desc: str = "runs") -> list[RunResult]:
    """``train_run(**job)`` for every job through ``parallel_map``; per-run progress bars only
    when runs go one after another (side by side they would interleave)."""
    quiet = pool_size(workers, len(jobs)) > 1
    return parallel_map(train_run, [{**job, "progress_bar": not quiet} for job in jobs], workers, desc)
