"""Results as xarray Datasets: one netCDF file per run, combined for reports.

A run file holds one (task, model, seq_len, seed) cell with every learning rate of its sweep:

* ``train_loss``, ``val_acc``: (task, model, seq_len, seed, lr, eval_step), the training curve;
* ``final_val_acc``, ``steps_run``, ``test_acc``, ``test_exact``, ``seconds``: (task, model, seq_len,
  seed, lr); training stops early once validation accuracy reaches ``early_stop_acc``, so curves
  hold NaN after ``steps_run``;
* ``n_params``: (task, model, seq_len, seed);
* coordinates ``size`` (k, along seq_len) and ``model_spec`` (the model's config as JSON).

Files are written to a temporary name and renamed, so a crash never leaves a half-written result
in place of a good one.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import os
from pathlib import Path
from typing import Any, Iterable, Mapping

import numpy as np
import pandas as pd
import xarray as xr

from tokensel.config import ModelConfig, TaskConfig, read_params
from tokensel.errors import ConfigError
from tokensel.train import RunResult

ENGINE = "h5netcdf"


def run_dataset(task: TaskConfig, model_name: str, model: ModelConfig, seed: int, runs: list[RunResult]) -> xr.Dataset:
    lrs = [r.lr for r in runs]
    eval_steps = runs[0].eval_steps
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
        coords={"lr": lrs, "eval_step": eval_steps},
    )
    ds = ds.expand_dims(task=[task.name], model=[model_name], seq_len=[task.seq_len], seed=[seed])
    ds = ds.assign_coords(
        size=("seq_len", [task.size]),
        model_spec=("model", [json.dumps(dataclasses.asdict(model), sort_keys=True)]),
    )
    ds["test_acc"].attrs["description"] = "token accuracy on answer positions, held-out test split"
    ds["test_exact"].attrs["description"] = "fraction of test examples with every answer token right"
    ds["val_acc"].attrs["description"] = "token accuracy on the validation split during training"
    ds["final_val_acc"].attrs["description"] = "validation accuracy at the last evaluation run (selects the learning rate)"
    return ds


def save(ds: xr.Dataset, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    ds = ds.copy()
    for variable in ds.variables.values():
        # Encodings inherited from loaded files (e.g. a fixed string width of 4 from 'copy')
        # would truncate values that were combined in later ('recall' -> 'reca').
        variable.encoding = {}
    ds.to_netcdf(partial, engine=ENGINE)
    os.replace(partial, path)
    return path


def combine(paths: Iterable[str | Path]) -> xr.Dataset:
    paths = sorted(Path(p) for p in paths)
    if not paths:
        raise ConfigError("No run files to combine. Run the training stages first (dvc repro).")
    return merge_runs([xr.load_dataset(p, engine=ENGINE) for p in paths])


def merge_runs(datasets: list[xr.Dataset]) -> xr.Dataset:
    """Union of run Datasets covering disjoint cells; coordinates are joined, absent cells are NaN.

    ``xr.combine_by_coords`` would need the runs to tile a hypercube with monotonic coordinates,
    which runs of tasks with interleaved sequence lengths (copy 9, 33; recall 6, 12) do not.
    """
    return xr.merge(datasets, compat="no_conflicts", join="outer", combine_attrs="drop_conflicts")


def best_over_lr(ds: xr.Dataset) -> xr.Dataset:
    """Keep, per cell, the learning rate with the best final validation accuracy (never the test set)."""
    best = ds["final_val_acc"].fillna(-1.0).argmax("lr")
    selected = ds.isel(lr=best)
    return selected.rename({"lr": "best_lr"}) if "lr" in selected.coords else selected


def tidy(ds: xr.Dataset, variables: list[str]) -> pd.DataFrame:
    """Long-form frame for seaborn, dropping cells that were not run."""
    frame = ds[variables].to_dataframe().reset_index()
    return frame.dropna(subset=variables)


def matrix_keys(params: Mapping[str, Any], axes: list[str]) -> list[str]:
    """DVC's ``${key}`` for every stage of a ``matrix`` whose axes are these dotted params keys.

    A list axis contributes its items, a mapping axis its keys (as DVC's matrix does), so the
    combine step asks for exactly the runs the current params define and never picks up a stale
    file left by another profile.
    """
    values = []
    for dotted in axes:
        node: Any = params
        for part in dotted.split("."):
            if not isinstance(node, Mapping) or part not in node:
                raise ConfigError(f"'{dotted}' is not in the params file; it must name a list or mapping of the matrix.")
            node = node[part]
        values.append(list(node))
    return ["-".join(str(v) for v in combo) for combo in itertools.product(*values)]


def expected_run_files(runs_dir: str | Path, params_file: str | Path, axes: list[str]) -> list[Path]:
    params = read_params(params_file)
    paths = [Path(runs_dir) / f"{key}.nc" for key in matrix_keys(params, axes)]
    missing = [p.name for p in paths if not p.is_file()]
    if missing:
        raise ConfigError(
            f"{len(missing)} of {len(paths)} run files are missing in {runs_dir} (e.g. {missing[0]}). "
            "Run the training stages first: dvc repro."
        )
    return paths


def combine_cli(description: str, combiner, argv: list[str] | None = None) -> int:
    """Shared command line of the combine steps: RUNS_DIR OUT --params FILE --axes KEY [KEY ...]."""
    import argparse

    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("runs_dir")
    parser.add_argument("out")
    parser.add_argument("--params", default="params.yaml")
    parser.add_argument("--axes", nargs="+", required=True, help="dotted params keys of the training matrix")
    args = parser.parse_args(argv)
    paths = expected_run_files(args.runs_dir, args.params, args.axes)
    combined = combiner(paths)
    save(combined, args.out)
    print(f"combined {len(paths)} runs -> {args.out}: {dict(combined.sizes)}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """``python -m tokensel.results RUNS_DIR OUT --params params.yaml --axes a.b c.d``: combine a grid's runs."""
    return combine_cli(main.__doc__, combine, argv)


if __name__ == "__main__":
    raise SystemExit(main())
