"""Training of one regression network at one training-set size, until validation stops improving.

* ``val_risk``: MSE against the noisy validation targets (what a practitioner can compute); it
  picks the stopping point, the learning rate and the width. It exceeds the excess risk by
  sigma^2 in expectation, so the choice is the same.
* ``test_risk``: the excess risk E(F_hat - F)^2 on a fresh test split with clean targets, at the
  best-validation weights. It is only scored, never used to choose anything.
* ``train_risk``: the same excess risk on the training inputs (clean targets): next to the test
  risk it tells under-fitting from over-fitting.
"""

from __future__ import annotations

import copy
import math
import time
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from tokensel.core.training import default_device, make_optimizer, optimization_step
from tokensel.nn.config import ModelConfig
from tokensel.nn.models import SequenceModel, count_parameters
from tokensel.regression.config import TaskConfig, TrainConfig
from tokensel.regression.data import Sample

LR_KEY = "regression.train.lrs"


@dataclass(frozen=True, eq=False)
class Tensors:
    """A sample on a device: tokens (n, L, d), noisy and clean targets (n, P)."""

    X: torch.Tensor
    y: torch.Tensor
    f: torch.Tensor

    @classmethod
    def of(cls, sample: Sample, device: torch.device) -> Tensors:
        as_tensor = lambda a: torch.as_tensor(np.ascontiguousarray(a), dtype=torch.float32, device=device)  # noqa: E731
        return cls(as_tensor(sample.X), as_tensor(sample.y), as_tensor(sample.f))

    def __len__(self) -> int:
        return int(self.X.shape[0])


class Regressor(nn.Module):
    """A sequence model read at the output positions, in the units of the training targets.

    Predicts mean + std * net(X)_t for the positions t with a full window, with the mean and
    standard deviation of the training targets: a fixed affine map of the output (no extra
    capacity) that keeps the optimiser's step sizes meaningful whatever sigma is.
    """

    def __init__(self, net: SequenceModel, first_output: int, targets: torch.Tensor):
        super().__init__()
        self.net = net
        self.first_output = first_output
        self.register_buffer("mean", targets.mean())
        self.register_buffer("std", targets.std().clamp_min(1e-8))

    def forward(self, X: torch.Tensor) -> torch.Tensor:
        return self.mean + self.std * self.net(X)[:, self.first_output :, 0]


def build_model(config: ModelConfig, task: TaskConfig, targets: torch.Tensor) -> Regressor:
    """Continuous tokens embedded linearly, one real output per position."""
    net = SequenceModel(config, vocab_size=0, max_len=task.seq_len, n_outputs=1, input_dim=task.d)
    return Regressor(net, task.window - 1, targets)


@torch.no_grad()
def risk(model: nn.Module, data: Tensors, clean: bool, chunk: int = 2048) -> float:
    """Mean over sequences and output positions of (F_hat - target)^2 (clean: against F)."""
    model.eval()
    total = 0.0
    for start in range(0, len(data), chunk):
        target = (data.f if clean else data.y)[start : start + chunk]
        total += float(((model(data.X[start : start + chunk]) - target) ** 2).sum())
    model.train()
    return total / data.y.numel()


@dataclass(frozen=True)
class TrainResult:
    """One run. Curves hold one entry per validation check (step, mean training loss since the
    previous check, validation risk)."""

    steps: np.ndarray
    train_loss: np.ndarray
    val_curve: np.ndarray
    best_step: int
    steps_run: int
    step_cap: int
    val_risk: float
    test_risk: float
    train_risk: float
    n_params: int
    seconds: float


def fit(config: ModelConfig, task: TaskConfig, train: TrainConfig, data: Sample, val: Sample, test: Sample,
        lr: float, seed: int, label: str = "") -> TrainResult:
    """Minibatch AdamW with early stopping on the validation risk; the seed fixes init and batch order."""
    started = time.process_time()
    device = default_device()
    data_t, val_t, test_t = (Tensors.of(s, device) for s in (data, val, test))
    n = len(data_t)
    torch.manual_seed(seed)
    model = build_model(config, task, data_t.y).to(device)
    cap = train.step_cap(n)
    every = max(1, math.ceil(cap / train.n_evals))
    batch = min(train.batch_size, n)
    optimizer, schedule = make_optimizer(model, lr, cap, train)
    # The batch order has a generator of its own, so it is the same for every model, lr and width.
    order = torch.Generator(device="cpu").manual_seed(seed)
    permutation, position = torch.randperm(n, generator=order), 0
    steps, losses, vals, running = [], [], [], []
    best_val, best_step, best_state, stale, step = math.inf, 0, None, 0, 0
    while step < cap and stale < train.patience:
        step += 1
        if position + batch > n:
            permutation, position = torch.randperm(n, generator=order), 0
        idx = permutation[position : position + batch].to(device)
        position += batch
        loss = ((model(data_t.X[idx]) - data_t.y[idx]) ** 2).mean()
        optimization_step(model, loss, optimizer, schedule, train.grad_clip, (label, step, lr, LR_KEY))
        running.append(loss.item())
        if step % every == 0 or step == cap:
            val_now = risk(model, val_t, clean=False)
            steps.append(step)
            losses.append(float(np.mean(running)))
            vals.append(val_now)
            running = []
            if val_now < best_val:
                best_val, best_step, best_state, stale = val_now, step, copy.deepcopy(model.state_dict()), 0
            else:
                stale += 1
    model.load_state_dict(best_state)
    return TrainResult(
        steps=np.asarray(steps),
        train_loss=np.asarray(losses),
        val_curve=np.asarray(vals),
        best_step=best_step,
        steps_run=step,
        step_cap=cap,
        val_risk=best_val,
        test_risk=risk(model, test_t, clean=True),
        train_risk=risk(model, data_t, clean=True),
        n_params=count_parameters(model),
        seconds=time.process_time() - started,
    )


def scaled_width(config: ModelConfig, base_d_model: int, d_model: int) -> ModelConfig:
    """``config`` ``d_model`` wide, its FNN width scaled by ``d_model / base_d_model`` (the FNN
    width of the entry is the one at ``base_d_model``), so the shape of the network is kept."""
    return config.replace(d_model=d_model, fnn_width=max(1, round(config.fnn_width * d_model / base_d_model)))
