"""The nonparametric-regression experiment (paper Section 4): config, training, run Datasets.

The paper states Theorems 4.5 (approximation) and 4.6 (estimation) without an experiment; this is
our "theorem -> experiment" construction (``research/paper.md`` Section 6.6). One grid cell is one
(model, seed): the model is trained on nested training sets of every size in ``n_train`` (the
samples of ``tokensel.regression`` are prefix-consistent), at every learning rate of a small
sweep, on the dynamic-order task and, for the control models, on the fixed-order task; the
width sweep (approximation) runs at the largest n. Every random draw follows from the seed: the
target g, the splits, the initialisation and the minibatch order.

Risks:

* ``val_risk``: MSE against the *noisy* validation targets (what a practitioner can compute); it
  selects the learning rate and the stopping step, and differs from the excess risk by sigma^2
  in expectation, so the selection is the same.
* ``test_risk``: the excess risk, the mean over valid positions of (F_hat - F)^2 against the
  clean targets of a fresh test split. It is only scored, never used to choose anything.
"""

from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import torch
import xarray as xr
from torch import nn

from tokensel.config import ModelConfig, fail_unknown_keys, from_mapping, read_section, require
from tokensel.models import SequenceModel, count_parameters
from tokensel.regression import RegressionSample, RegressionSplits, RegressionTaskConfig, make_splits
from tokensel.train import default_device, make_optimizer, optimization_step, parallel_map

ORDERS = ("dynamic", "fixed")
LR_KEY = "regression.train.lrs"



def _int_tuple(values: Any, key: str) -> tuple[int, ...]:
    require(isinstance(values, (list, tuple)), f"'{key}' must be a list, got {values!r}.")
    require(
        all(isinstance(v, int) and not isinstance(v, bool) for v in values),
        f"'{key}' must list integers, got {list(values)}.",
    )
    return tuple(values)


# --------------------------------------------------------------------------------------------
# Configuration
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RegressionTrainConfig:
    """Minibatch AdamW on a fixed training set; ``lrs`` is swept and chosen on validation.

    ``steps`` is the same for every n, so a small training set is seen for many epochs; the
    stopping step is chosen on the validation split among the ``eval_every`` checkpoints, the
    SGD stand-in for the theorem's complexity choice T ~ log n / (2 a-dagger + 1).
    """

    steps: int = 300
    batch_size: int = 32
    lrs: tuple[float, ...] = (1e-3, 3e-3)
    weight_decay: float = 0.01
    warmup_fraction: float = 0.05
    grad_clip: float = 1.0
    eval_every: int = 50
    n_val: int = 256
    n_test: int = 1024
    d_model: int = 16

    def __post_init__(self) -> None:
        require(isinstance(self.lrs, (list, tuple)), f"'regression.train.lrs' must be a list, got {self.lrs!r}.")
        object.__setattr__(self, "lrs", tuple(float(x) for x in self.lrs))
        for name in ("steps", "batch_size", "eval_every", "n_val", "n_test", "d_model"):
            value = getattr(self, name)
            require(
                isinstance(value, int) and not isinstance(value, bool) and value > 0,
                f"'regression.train.{name}' must be a positive integer, got {value!r}.",
            )
        require(len(self.lrs) > 0, "'regression.train.lrs' must list at least one learning rate.")
        require(all(lr > 0 for lr in self.lrs), f"'regression.train.lrs' must be positive, got {list(self.lrs)}.")
        require(len(set(self.lrs)) == len(self.lrs), f"'regression.train.lrs' has duplicates: {list(self.lrs)}.")
        require(self.weight_decay >= 0, f"'regression.train.weight_decay' must be >= 0, got {self.weight_decay}.")
        require(
            0 <= self.warmup_fraction < 1,
            f"'regression.train.warmup_fraction' must be in [0, 1), got {self.warmup_fraction}.",
        )
        require(self.grad_clip > 0, f"'regression.train.grad_clip' must be positive, got {self.grad_clip}.")

    @property
    def eval_steps(self) -> tuple[int, ...]:
        """Checkpoints at which validation and test risks are recorded (always including the last)."""
        return tuple(sorted({*range(self.eval_every, self.steps + 1, self.eval_every), self.steps}))


@dataclass(frozen=True)
class WidthSweepConfig:
    """Approximation study (Theorem 4.5): train at the largest n with embedding widths ``d_models``.

    The FNN width scales with d_model in the ratio the model has at ``train.d_model``, so the
    architecture keeps its shape while its parameter count grows.
    """

    models: tuple[str, ...] = ()
    d_models: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "models", tuple(str(m) for m in self.models))
        object.__setattr__(self, "d_models", _int_tuple(self.d_models, "regression.width_sweep.d_models"))
        require(
            all(d > 0 for d in self.d_models) and len(set(self.d_models)) == len(self.d_models),
            f"'regression.width_sweep.d_models' must be distinct positive integers, got {list(self.d_models)}.",
        )
        require(
            not self.models or len(self.d_models) >= 2,
            "'regression.width_sweep.d_models' needs at least two widths when width_sweep.models is set.",
        )


@dataclass(frozen=True)
class FixedOrderConfig:
    """Control: these models are also trained on F_fix(X)_t = g(x_t, ..., x_{t-J+1}) (no sorting)."""

    models: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "models", tuple(str(m) for m in self.models))


@dataclass(frozen=True)
class AnalysisConfig:
    """How the report fits slopes and words its verdict (margins are ours, not the paper's).

    fit_n_min / fit_n_max: the n range of the log-log fit (null = the ends of the grid); the
    truncated g has finitely many parameters, so the curve eventually flattens or turns
    parametric, and the fitted range must be stated.
    slope_tolerance: two slopes within this of each other count as "the same rate".
    gap_ratio: one-layer risk / two-layer risk at the largest n above this counts as a gap.
    """

    fit_n_min: int | None = None
    fit_n_max: int | None = None
    n_boot: int = 2000
    ci: float = 0.95
    slope_tolerance: float = 0.15
    gap_ratio: float = 1.25

    def __post_init__(self) -> None:
        require(self.n_boot >= 1, f"'regression.analysis.n_boot' must be >= 1, got {self.n_boot}.")
        require(0 < self.ci < 1, f"'regression.analysis.ci' must be in (0, 1), got {self.ci}.")
        require(self.slope_tolerance >= 0, f"'regression.analysis.slope_tolerance' must be >= 0, got {self.slope_tolerance}.")
        require(self.gap_ratio >= 1, f"'regression.analysis.gap_ratio' must be >= 1, got {self.gap_ratio}.")


@dataclass(frozen=True)
class RegressionExperiment:
    """The whole ``regression:`` section of a params file."""

    task: RegressionTaskConfig
    models: dict[str, ModelConfig]
    n_train: tuple[int, ...]
    seeds: tuple[int, ...]
    train: RegressionTrainConfig = RegressionTrainConfig()
    width_sweep: WidthSweepConfig = WidthSweepConfig()
    fixed_order: FixedOrderConfig = FixedOrderConfig()
    analysis: AnalysisConfig = AnalysisConfig()
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        require(len(self.models) > 0, "'regression.models' must define at least one model.")
        require(
            len(self.n_train) >= 2 and list(self.n_train) == sorted(set(self.n_train)) and self.n_train[0] > 0,
            f"'regression.n_train' must be at least two increasing positive sizes, got {list(self.n_train)}.",
        )
        require(
            len(self.seeds) > 0 and len(set(self.seeds)) == len(self.seeds),
            f"'regression.seeds' must list distinct seeds, got {list(self.seeds)}.",
        )
        for section, names in (("width_sweep", self.width_sweep.models), ("fixed_order", self.fixed_order.models)):
            for name in names:
                require(
                    name in self.models,
                    f"'regression.{section}.models' names '{name}', which is not in regression.models "
                    f"({', '.join(self.models)}).",
                )
        for name, model in self.models.items():
            widths = (self.train.d_model, *(self.width_sweep.d_models if name in self.width_sweep.models else ()))
            for width in widths:
                require(
                    model.mixer != "attention" or width % model.n_heads == 0,
                    f"'regression.models.{name}.n_heads' = {model.n_heads} does not divide d_model = {width}.",
                )
        fit = self.fit_sizes  # validates the fit range
        require(len(fit) >= 2, f"'regression.analysis' fit range keeps {list(fit)}; it needs >= 2 sizes of n_train.")

    @property
    def fit_sizes(self) -> tuple[int, ...]:
        """The sizes of ``n_train`` inside the analysis fit range."""
        lo = self.analysis.fit_n_min or self.n_train[0]
        hi = self.analysis.fit_n_max or self.n_train[-1]
        return tuple(n for n in self.n_train if lo <= n <= hi)

    def model(self, name: str) -> ModelConfig:
        require(
            name in self.models,
            f"Unknown model '{name}'; configured models: {', '.join(self.models)}. Add it under regression.models.",
        )
        return self.models[name]

    def orders(self, name: str) -> tuple[str, ...]:
        """The task orders model ``name`` is trained on."""
        return ORDERS if name in self.fixed_order.models else ORDERS[:1]

    def task_for(self, order: str) -> RegressionTaskConfig:
        return dataclasses.replace(self.task, fixed_order=order == "fixed")


def regression_from_mapping(data: Mapping[str, Any] | None) -> RegressionExperiment:
    """Build and validate the experiment from the ``regression:`` mapping; unknown keys fail."""
    require(isinstance(data, Mapping), f"'regression' must be a mapping, got {type(data).__name__}.")
    valid = [f.name for f in dataclasses.fields(RegressionExperiment) if f.name != "raw"]
    fail_unknown_keys("regression", data, valid)
    for key in ("task", "models", "n_train", "seeds"):
        require(key in data, f"'regression.{key}' is missing from the params file.")
    task_data = data["task"] or {}
    models_data = data["models"]
    require(isinstance(models_data, Mapping), "'regression.models' must map model names to configs.")
    return RegressionExperiment(
        task=from_mapping(RegressionTaskConfig, task_data, "regression.task"),
        models={str(k): from_mapping(ModelConfig, v, f"regression.models.{k}") for k, v in models_data.items()},
        n_train=_int_tuple(data["n_train"], "regression.n_train"),
        seeds=_int_tuple(data["seeds"], "regression.seeds"),
        train=from_mapping(RegressionTrainConfig, data.get("train"), "regression.train"),
        width_sweep=from_mapping(WidthSweepConfig, data.get("width_sweep"), "regression.width_sweep"),
        fixed_order=from_mapping(FixedOrderConfig, data.get("fixed_order"), "regression.fixed_order"),
        analysis=from_mapping(AnalysisConfig, data.get("analysis"), "regression.analysis"),
        raw=dict(data),
    )


def load_regression(path: str | Path = "params.yaml") -> RegressionExperiment:
    """Read only the ``regression:`` section of a params file (other sections are not validated)."""
    return regression_from_mapping(read_section(path, "regression"))


# --------------------------------------------------------------------------------------------
# Training and evaluation
# --------------------------------------------------------------------------------------------


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


def _fit(
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
    return dataclasses.replace(config, fnn_width=max(1, round(config.fnn_width * d_model / base_d_model)))


# --------------------------------------------------------------------------------------------
# One grid cell -> one Dataset
# --------------------------------------------------------------------------------------------


def run_cell(experiment: RegressionExperiment, model_name: str, seed: int) -> xr.Dataset:
    """Train ``model_name`` for one seed on every n, learning rate and order, plus its width sweep.

    Dimensions of the result: (model, seed, order, n_train, lr, eval_step) for the estimation
    curves, (model, seed, width, eval_step) for the width sweep. Cells a model does not run (the
    fixed order, the width sweep) are NaN, so every run file has the same shape and
    ``xr.combine_by_coords`` stacks them over model and seed.
    """
    model = experiment.model(model_name)
    train = experiment.train
    n_max = experiment.n_train[-1]
    n_steps = len(train.eval_steps)

    shape = (len(ORDERS), len(experiment.n_train), len(train.lrs))
    curves = {name: np.full((*shape, n_steps), np.nan) for name in ("train_loss", "val_risk", "test_risk")}
    seconds = np.full(shape, np.nan)
    widths = experiment.width_sweep.d_models
    width_curves = {name: np.full((len(widths), n_steps), np.nan) for name in ("width_val_risk", "width_test_risk")}
    width_params = np.full(len(widths), np.nan)

    sweep = model_name in experiment.width_sweep.models
    splits = {order: make_splits(experiment.task_for(order), n_max, train.n_val, train.n_test, seed) for order in experiment.orders(model_name)}

    def job(order: str, n: int, lr: float, label: str, config: ModelConfig = model, d_model: int | None = None) -> dict:
        return dict(config=config, task=experiment.task_for(order), train=train, splits=splits[order], n=n, lr=lr, seed=seed, label=label, d_model=d_model)

    cells = [(order, i, k) for order in splits for i in range(len(experiment.n_train)) for k in range(len(train.lrs))]
    jobs = [job(order, experiment.n_train[i], train.lrs[k], f"regression/{model_name}/{order}/n={experiment.n_train[i]}/seed={seed}") for order, i, k in cells]
    runs = parallel_map(_fit, jobs, desc=f"{model_name}/seed={seed}")
    for (order, i, k), run in zip(cells, runs):
        o = ORDERS.index(order)
        for name in curves:
            curves[name][o, i, k] = getattr(run, name)
        seconds[o, i, k] = run.seconds
    n_params = runs[0].n_params

    if sweep:
        # The width sweep reuses the learning rate that validation chose at the largest n.
        o = ORDERS.index("dynamic")
        k_best = int(np.nanmin(curves["val_risk"][o, -1], axis=-1).argmin())
        # The run at the base width already is the sweep's point there (same seed, data and lr).
        others = [width for width in widths if width != train.d_model]
        width_jobs = [
            job("dynamic", n_max, train.lrs[k_best], f"regression/{model_name}/width={width}/seed={seed}", scaled_width(model, train.d_model, width), width)
            for width in others
        ]
        width_runs = dict(zip(others, parallel_map(_fit, width_jobs, desc=f"{model_name}/seed={seed} widths")))
        for w, width in enumerate(widths):
            if width in width_runs:
                run = width_runs[width]
                width_curves["width_val_risk"][w], width_curves["width_test_risk"][w] = run.val_risk, run.test_risk
                width_params[w] = run.n_params
            else:
                width_curves["width_val_risk"][w] = curves["val_risk"][o, -1, k_best]
                width_curves["width_test_risk"][w] = curves["test_risk"][o, -1, k_best]
                width_params[w] = n_params

    cell = ("order", "n_train", "lr")
    ds = xr.Dataset(
        {
            **{name: ((*cell, "eval_step"), value) for name, value in curves.items()},
            "seconds": (cell, seconds),
            "n_params": ((), n_params),
            **{name: (("width", "eval_step"), value) for name, value in width_curves.items()},
            "width_n_params": ("width", width_params),
        },
        coords={
            "order": list(ORDERS),
            "n_train": list(experiment.n_train),
            "lr": list(train.lrs),
            "eval_step": list(train.eval_steps),
            "width": list(widths),
        },
    )
    # Variable-length (object) strings: a fixed-width dtype in one file's encoding can truncate
    # longer model names when files are combined and written again.
    ds = ds.expand_dims(model=np.array([model_name], dtype=object), seed=[seed])
    ds = ds.assign_coords(model_spec=("model", [json.dumps(dataclasses.asdict(model), sort_keys=True)]))
    ds["val_risk"].attrs["description"] = "MSE against noisy validation targets (selects lr and stopping step)"
    ds["test_risk"].attrs["description"] = "excess risk: mean over valid positions of (F_hat - F)^2, fresh test split"
    ds["width_test_risk"].attrs["description"] = "excess risk at the largest n_train, per embedding width"
    return ds
