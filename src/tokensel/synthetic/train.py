"""Training of one model on one task instance at one learning rate, and runs that depend on runs.

Each step draws a fresh batch from the task's train stream (an online generator, so models see
no repeated data and the comparison is about what an architecture can learn, not memorise).
Validation picks the learning rate; the test split is only scored.

Some runs can only be planned once others have finished: the seeds of a model wait for its
learning-rate sweep, and the width search tries a width after seeing the previous one. A *plan*
is a generator that yields a list of runs (keyword arguments of ``train_run``), receives their
results, and returns what it found; ``run_plans`` drives many plans through one executor, so a plan
waiting for its results never leaves a core idle while another has work.
"""

from __future__ import annotations

import time
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass
from typing import Any, Generator

import numpy as np
import torch
from tqdm import tqdm  # text bars: they render in DVC logs and terminals; the runner keeps them off pages

from tokensel.core.engine import Engine
from tokensel.core.training import default_device, make_optimizer, optimization_step
from tokensel.nn.config import ModelConfig
from tokensel.nn.models import SequenceModel, count_parameters
from tokensel.synthetic.config import TrainConfig
from tokensel.tasks import Task, answer_accuracy, answer_loss, sample

Plan = Generator[list[dict], list["RunResult"], Any]


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
    cpu_seconds: float  # process CPU time of the run (single-threaded): the budget's currency


def train_run(
    model_config: ModelConfig,
    task: Task,
    train: TrainConfig,
    lr: float,
    seed: int,
    lr_key: str,
    steps: int | None = None,
    device: torch.device | None = None,
    label: str = "",
    progress_bar: bool = False,
) -> RunResult:
    """Train one model at one learning rate; ``seed`` fixes initialisation and every data split.

    ``steps`` defaults to ``train``'s; ``lr_key`` is the params key the rate came from, named if
    the run diverges."""
    device = device or default_device()
    steps = steps or train.steps
    started = time.process_time()
    torch.manual_seed(seed)
    model = SequenceModel(model_config, task.n_tokens, task.seq_len).to(device)
    optimizer, schedule = make_optimizer(model, lr, steps, train)
    val_batch = sample(task, train.n_val, seed, "val")

    planned = np.unique(np.r_[np.arange(train.eval_every, steps + 1, train.eval_every), steps])
    losses = np.full(planned.shape, np.nan)
    val_accs = np.full(planned.shape, np.nan)
    running: list[float] = []
    n_evals = 0
    progress = tqdm(range(steps), desc=f"{label} lr={lr:g}", leave=False, mininterval=2.0, disable=not progress_bar)
    for step in progress:
        batch = sample(task, train.batch_size, seed, "train", step).to(device)
        loss = answer_loss(model(batch.inputs), batch.labels)
        optimization_step(model, loss, optimizer, schedule, train.grad_clip, (label, step, lr, lr_key))
        running.append(loss.item())
        if step + 1 == planned[n_evals]:
            losses[n_evals] = np.mean(running)
            val_accs[n_evals] = answer_accuracy(model, val_batch, device)[0]
            running = []
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
        cpu_seconds=time.process_time() - started,
    )


def best_run(runs: list[RunResult]) -> RunResult:
    """The run of a learning-rate sweep to keep: best final validation accuracy; among equals the
    one that got there in fewer steps, then the lower final training loss (never the test set)."""
    return max(runs, key=lambda r: (round(r.final_val_acc, 6), -r.steps_run, -float(np.nanmin(r.train_loss))))


def run_plans(plans: list[Plan], workers: int | None = None, desc: str = "runs") -> list[Any]:
    """Drive every plan to its end; returns what each plan returns, in plan order.

    Runs go through ``tokensel.core.engine`` (the run store, then the configured executor).
    Plans are started in order, so put the longest first. A plan's decisions depend only on its
    own runs' results, which are fixed by their seeds, so the outcome does not depend on the
    executor, the number of workers or on which run finishes first.
    """
    outcomes: list[Any] = [None] * len(plans)
    with Engine(workers=workers, desc=desc) as engine:
        # future -> every (plan, position in its batch) waiting on it: one run asked for twice (a grid
        # cell and the same cell of a width grid) has one key, so the engine hands back one future
        pending: dict[Future, list[tuple[int, int]]] = {}
        batches: dict[int, list[RunResult | None]] = {}

        def advance(index: int, results: list[RunResult] | None) -> None:
            try:
                jobs = next(plans[index]) if results is None else plans[index].send(results)
            except StopIteration as stop:
                outcomes[index] = stop.value
                return
            if not jobs:
                advance(index, [])
                return
            batches[index] = [None] * len(jobs)
            for position, job in enumerate(jobs):
                pending.setdefault(engine.submit(train_run, job), []).append((index, position))

        for index in range(len(plans)):
            advance(index, None)
        while pending:
            done, _ = wait(list(pending), return_when=FIRST_COMPLETED)
            for future in done:
                for index, position in pending.pop(future):
                    batches[index][position] = future.result()
                    if all(result is not None for result in batches[index]):
                        advance(index, batches.pop(index))  # type: ignore[arg-type]
    return outcomes
