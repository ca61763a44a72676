"""One DVC cell of the synthetic experiment: one model on one task over every size, seed and learning rate.

One stage per task and model keeps the notebook start-up cost (a few seconds) from dominating a
default run of many small jobs. The stage's Dataset has

* ``train_loss``, ``val_acc``: (task, model, seq_len, seed, lr, eval_step), the training curves;
* ``final_val_acc``, ``steps_run``, ``test_acc``, ``test_exact``, ``seconds``: (task, model,
  seq_len, seed, lr); training stops early once validation accuracy reaches ``early_stop_acc``,
  so curves hold NaN after ``steps_run``;
* ``n_params``: (task, model, seq_len, seed);
* coordinates ``size`` (k, along seq_len) and ``model_spec`` (the model's params entry as JSON).
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from tokensel.nn.config import ModelConfig
from tokensel.synthetic.config import SyntheticExperiment
from tokensel.synthetic.train import RunResult, run_all
from tokensel.tasks import Task


def run_dataset(task: Task, model_name: str, model: ModelConfig, seed: int, runs: list[RunResult]) -> xr.Dataset:
    """The runs of one (task size, model, seed) cell, one per learning rate, as a Dataset."""
    lrs = [r.lr for r in runs]
    curve = lambda field: np.stack([getattr(r, field) for r in runs])  # noqa: E731  (lr, eval_step)
    scalar = lambda field: np.asarray([getattr(r, field) for r in runs], dtype=float)  # noqa: E731
    ds = xr.Dataset(
        {
            "train_loss": (("lr", "eval_step"), curve("train_loss")),
            "val_acc": (("lr", "eval_step"), curve("val_acc")),
            "final_val_acc": ("lr", scalar("final_val_acc")),
            "steps_run": ("lr", scalar("steps_run")),
            "test_acc": ("lr", scalar("test_acc")),
            "test_exact": ("lr", scalar("test_exact")),
            "seconds": ("lr", scalar("seconds")),
            "n_params": ((), float(runs[0].n_params)),  # float: cells absent after combining are NaN
        },
        coords={"lr": lrs, "eval_step": runs[0].eval_steps},
    )
    ds = ds.expand_dims(task=[task.name], model=[model_name], seq_len=[task.seq_len], seed=[seed])
    ds = ds.assign_coords(size=("seq_len", [task.size]), model_spec=("model", [model.to_json()]))
    ds["test_acc"].attrs["description"] = "token accuracy on answer positions, held-out test split"
    ds["test_exact"].attrs["description"] = "fraction of test examples with every answer token right"
    ds["val_acc"].attrs["description"] = "token accuracy on the validation split during training"
    ds["final_val_acc"].attrs["description"] = "validation accuracy at the last evaluation run (selects the learning rate)"
    return ds


def run(experiment: SyntheticExperiment, task: str, model: str, workers: int | None = None) -> xr.Dataset:
    """Train ``model`` on ``task`` over the grid's sizes x seeds x learning rates."""
    config = experiment.model(model)
    cells = [(experiment.task(task, size), seed) for size in experiment.sizes(task) for seed in experiment.grid.seeds]
    jobs = [
        dict(model_config=config, task=instance, train=experiment.train, lr=lr, seed=seed,
             label=f"{task}/{model}/L={instance.seq_len}/seed={seed}")
        for instance, seed in cells
        for lr in experiment.train.lrs
    ]
    runs = run_all(jobs, workers, desc=f"{task}/{model}")
    n_lrs = len(experiment.train.lrs)
    per_cell = [
        run_dataset(instance, model, config, seed, runs[i * n_lrs : (i + 1) * n_lrs])
        for i, (instance, seed) in enumerate(cells)
    ]
    return xr.combine_by_coords(per_cell, join="outer", combine_attrs="drop_conflicts")


def cells(experiment: SyntheticExperiment) -> list[dict]:
    """The DVC matrix of ``synthetic_train``: one cell per task x model of the grid."""
    return [{"task": task, "model": model} for task in experiment.grid.tasks for model in experiment.grid.models]
