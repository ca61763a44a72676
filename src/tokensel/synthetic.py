"""The synthetic-task experiment (paper Figure C.1).

A pipeline stage trains one model on one task at every size and seed of the grid, each at every
learning rate of the sweep, and stores them in one netCDF file. (One stage per task and model
keeps the notebook start-up cost, a few seconds, from dominating a default run of many small jobs.)
"""

from __future__ import annotations

import xarray as xr

from tokensel.config import SyntheticExperiment
from tokensel.results import run_dataset
from tokensel.train import run_all


def run_stage(experiment: SyntheticExperiment, task_name: str, model_name: str, workers: int | None = None) -> xr.Dataset:
    """Train ``model_name`` on ``task_name`` over the grid's sizes x seeds x learning rates."""
    model = experiment.model(model_name)
    cells = [(experiment.task(task_name, size), seed) for size in experiment.sizes(task_name) for seed in experiment.grid.seeds]
    jobs = [
        dict(model_config=model, task=task, train=experiment.train, lr=lr, seed=seed,
             label=f"{task_name}/{model_name}/L={task.seq_len}/seed={seed}")
        for task, seed in cells
        for lr in experiment.train.lrs
    ]
    runs = run_all(jobs, workers, desc=f"{task_name}/{model_name}")
    n_lrs = len(experiment.train.lrs)
    per_cell = [
        run_dataset(task, model_name, model, seed, runs[i * n_lrs : (i + 1) * n_lrs])
        for i, (task, seed) in enumerate(cells)
    ]
    return xr.combine_by_coords(per_cell, join="outer", combine_attrs="drop_conflicts")
