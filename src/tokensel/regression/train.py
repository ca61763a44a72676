"""Training of one regression network on a fixed training set, scored by excess risk.

Risks:

* ``val_risk``: MSE against the *noisy* validation targets (what a practitioner can compute); it
  selects the learning rate and the stopping step, and differs from the excess risk by sigma^2
  in expectation, so the selection is the same.
* ``test_risk``: the excess risk, the mean over valid positions of (F_hat - F)^2 against the
  clean targets of a fresh test split. It is only scored, never used to choose anything.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from tokensel.core.training import default_device, make_optimizer, optimization_step
from tokensel.nn.config import ModelConfig
from tokensel.nn.models import SequenceModel, count_parameters
from tokensel.regression.config import RegressionTaskConfig, RegressionTrainConfig
from tokensel.regression.data import RegressionSample, RegressionSplits

LR_KEY = "regression.train.lrs"


@dataclass(frozen=True, eq=False)
class Tensors:
    """A ``RegressionSample`` on a device: tokens (n, L, d), targets (n, L), mask (n, L) float."""

    X: torch.Tensor
    y: torch.Tensor
    y_clean: torch.Tensor
    mask: torch.Tensor

    @classmethod
    def from_sample(cls, sample: RegressionSample, device: torch.device, n: int | None = None) -> Tensors:
        """The first ``n`` sequences (prefix = the smaller nested training set)."""
        part = slice(0, n)
        as_tensor = lambda a: torch.as_tensor(np.ascontiguousarray(a[part]), dtype=torch.float32, device=device)  # noqa: E731
        return cls(as_tensor(sample.X), as_tensor(sample.y), as_tensor(sample.y_clean), as_tensor(sample.valid))

    def __len__(self) -> int:
        return int(self.X.shape[0])


def masked_mse(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean squared error over the valid positions only (targets elsewhere are placeholders)."""
    return ((pred - target) ** 2 * mask).sum() / mask.sum()


def build_model(config: ModelConfig, task: RegressionTaskConfig, d_model: int) -> SequenceModel:
    """Continuous tokens in [0,1]^d embedded linearly, one real output per position."""
    return SequenceModel(config, vocab_size=0, d_model=d_model, max_len=task.seq_len, n_outputs=1, input_dim=task.d)


class Standardised(nn.Module):
    """Predicts mean + std * net(X), with the mean and std of the training targets.

    The sup-normalised g is dominated by its constant term, so its fluctuations are small (about
    sigma); fitting them in standardised units keeps the optimiser's step size meaningful. This is
    a fixed affine reparameterisation of the output, not extra capacity.
    """

    def __init__(self, net: SequenceModel, data: Tensors):
        super().__init__()
        self.net = net
        valid = data.y[data.mask.bool()]
        self.register_buffer("mean", valid.mean())
        self.register_buffer("std", valid.std().clamp_min(1e-8))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.mean + self.std * self.net(x)


@torch.no_grad()
def evaluate_risk(model: nn.Module, data: Tensors, clean: bool, chunk: int = 1024) -> float:
    """Mean over valid positions of (F_hat - target)^2; ``clean`` scores against F (excess risk)."""
    model.eval()
    total = count = 0.0
    for start in range(0, len(data), chunk):
        part = slice(start, start + chunk)
        pred = model(data.X[part]).squeeze(-1)
        target = (data.y_clean if clean else data.y)[part]
        total += float((((pred - target) ** 2) * data.mask[part]).sum())
        count += float(data.mask[part].sum())
    model.train()
    return total / count


@dataclass(frozen=True)
class RegressionRun:
    """One training run; curves are indexed by ``RegressionTrainConfig.eval_steps``."""

    train_loss: np.ndarray  # mean minibatch MSE since the previous checkpoint
    val_risk: np.ndarray
    test_risk: np.ndarray
    n_params: int
    seconds: float


def train_regression(
    config: ModelConfig,
    task: RegressionTaskConfig,
    train: RegressionTrainConfig,
    data: Tensors,
    val: Tensors,
    test: Tensors,
    lr: float,
    seed: int,
    d_model: int | None = None,
    label: str = "",
) -> RegressionRun:
    """Minibatch AdamW with masked MSE on ``data``; the seed fixes the init and the batch order."""
    device = data.X.device
    torch.manual_seed(seed)
    model = Standardised(build_model(config, task, d_model or train.d_model), data).to(device)
    optimizer, schedule = make_optimizer(model, lr, train.weight_decay, train.steps, train.warmup_fraction)
    # Batches are drawn with replacement from the fixed training set by a generator of their own,
    # so the batch order is the same for every model, learning rate and n.
    batches = torch.Generator(device="cpu").manual_seed(seed)
    checkpoints = set(train.eval_steps)
    losses, val_risks, test_risks, running = [], [], [], []
    started = time.perf_counter()
    for step in range(1, train.steps + 1):
        idx = torch.randint(len(data), (train.batch_size,), generator=batches).to(device)
        loss = masked_mse(model(data.X[idx]).squeeze(-1), data.y[idx], data.mask[idx])
        optimization_step(model, loss, optimizer, schedule, train.grad_clip, (label, step, lr, LR_KEY))
        running.append(loss.item())
        if step in checkpoints:
            losses.append(float(np.mean(running)))
            val_risks.append(evaluate_risk(model, val, clean=False))
            test_risks.append(evaluate_risk(model, test, clean=True))
            running = []
    return RegressionRun(
        train_loss=np.asarray(losses),
        val_risk=np.asarray(val_risks),
        test_risk=np.asarray(test_risks),
        n_params=count_parameters(model),
        seconds=time.perf_counter() - started,
    )


def fit(
    config: ModelConfig,
    task: RegressionTaskConfig,
    train: RegressionTrainConfig,
    splits: RegressionSplits,
    n: int,
    lr: float,
    seed: int,
    label: str,
    d_model: int | None = None,
) -> RegressionRun:
    """One ``train_regression`` run on the first ``n`` training sequences (a worker-process job)."""
    device = default_device()
    val, test = (Tensors.from_sample(s, device) for s in (splits.val, splits.test))
    data = Tensors.from_sample(splits.train, device, n)
    return train_regression(config, task, train, data, val, test, lr, seed, d_model=d_model, label=label)


def scaled_width(config: ModelConfig, base_d_model: int, d_model: int) -> ModelConfig:
    """``config`` with its FNN width scaled in proportion to d_model (at least one unit)."""
    return config.replace(fnn_width=max(1, round(config.fnn_width * d_model / base_d_model)))
