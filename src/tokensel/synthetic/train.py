"""Training of one model on one synthetic task size at one learning rate.

Each step draws a fresh batch from the task's train stream (an online generator, so models see
no repeated data and the comparison is about what an architecture can learn, not memorise).
Validation picks the learning rate; the test split is only scored.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from tqdm import (
    tqdm,  # text bars: they render in DVC logs, terminals and notebooks alike
)

from tokensel.core.training import (
    default_device,
    make_optimizer,
    optimization_step,
    parallel_map,
    pool_size,
)
from tokensel.nn.config import ModelConfig
from tokensel.nn.models import SequenceModel, count_parameters
from tokensel.synthetic.config import TrainConfig
from tokensel.tasks import IGNORE, Task, answer_accuracy, sample

LR_KEY = "synthetic.train.lrs"


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


def build_model(model_config: ModelConfig, task: Task, d_model: int) -> SequenceModel:
    return SequenceModel(model_config, task.n_tokens, d_model, task.seq_len)


def train_run(
    model_config: ModelConfig,
    task: Task,
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
        optimization_step(model, loss, optimizer, schedule, train.grad_clip, (label, step, lr, LR_KEY))
        running.append(loss.item())
        if step + 1 == planned[n_evals]:
            losses[n_evals] = np.mean(running)
            val_accs[n_evals] = answer_accuracy(model, val_batch, device)[0]
            running = []
            progress.set_postfix(loss=f"{losses[n_evals]:.3f}", val_acc=f"{val_accs[n_evals]:.3f}")
            n_evals += 1
            if train.early_stop_acc is not None and val_accs[n_evals - 1] >= train.early_stop_acc:
                break
    test_acc, test_exact = answer_accuracy(model, sample(task, train.n_test, seed, "test"), device)
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


def run_all(jobs: list[dict], workers: int | None = None, desc: str = "runs") -> list[RunResult]:
    """``train_run(**job)`` for every job through ``parallel_map``; per-run progress bars only
    when runs go one after another (side by side they would interleave)."""
    quiet = pool_size(workers, len(jobs)) > 1
    return parallel_map(train_run, [{**job, "progress_bar": not quiet} for job in jobs], workers, desc)
