"""The synthetic-task experiment (paper Figure C.1).

A pipeline stage trains one model on one task at every size and seed of the grid, each at every
learning rate of the sweep, and stores them in one netCDF file. (One stage per task and model
keeps the notebook start-up cost, a few seconds, from dominating a default run of many small jobs.)
"""

from __future__ import annotations

import argparse
from pathlib import Path

import xarray as xr

from tokensel.config import SyntheticExperiment, load_params
from tokensel.errors import ConfigError
from tokensel.results import combine, run_dataset, save
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


def run_key(task: str, model: str) -> str:
    """The file stem of one stage's results; matches DVC's ``${key}`` for the synthetic_train matrix."""
    return f"{task}-{model}"


def combine_grid(experiment: SyntheticExperiment, runs_dir: str | Path) -> xr.Dataset:
    """Combine exactly the runs of the configured grid (stale files of another profile are ignored)."""
    grid = experiment.grid
    paths = [Path(runs_dir) / f"{run_key(task, model)}.nc" for task in grid.tasks for model in grid.models]
    missing = [p.name for p in paths if not p.is_file()]
    if missing:
        raise ConfigError(f"{len(missing)} run files missing in {runs_dir} (e.g. {missing[0]}). Run `dvc repro` first.")
    ds = combine(paths)
    for task in grid.tasks:
        cell = ds["test_acc"].sel(task=task).isel(lr=0).dropna("seq_len", how="all")
        found = (sorted(ds["size"].sel(seq_len=cell["seq_len"]).values.tolist()), sorted(ds["seed"].values.tolist()))
        if found != (sorted(experiment.sizes(task)), sorted(grid.seeds)):
            raise ConfigError(
                f"run files for '{task}' in {runs_dir} hold sizes {found[0]} and seeds {found[1]}, but the params file "
                f"asks for sizes {sorted(experiment.sizes(task))} and seeds {sorted(grid.seeds)}. "
                "Re-run the training stages with `dvc repro`."
            )
    return ds


def main(argv: list[str] | None = None) -> int:
    """``python -m tokensel.synthetic combine PARAMS RUNS_DIR OUT.nc``."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("action", choices=["combine"])
    parser.add_argument("params")
    parser.add_argument("runs_dir")
    parser.add_argument("out")
    args = parser.parse_args(argv)
    combined = combine_grid(load_params(args.params).synthetic, args.runs_dir)
    save(combined, args.out)
    print(f"combined -> {args.out}: {dict(combined.sizes)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
