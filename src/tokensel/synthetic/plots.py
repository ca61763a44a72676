"""Seaborn figures of the synthetic-task report, drawn from tidy frames of the results Dataset."""

from __future__ import annotations

from pathlib import Path

import seaborn as sns
import xarray as xr
from IPython.display import HTML

from tokensel.core.figures import save_figure
from tokensel.core.runs import tidy

TASK_TITLES = {"copy": "Input copying", "recall": "Associative recall"}


def _titles(grid: sns.FacetGrid) -> None:
    for ax, name in zip(grid.axes.flat, grid.col_names):
        ax.set_title(TASK_TITLES.get(name, name))


def accuracy_vs_length(best: xr.Dataset, path: str | Path, metric: str = "test_acc") -> HTML:
    """Figure C.1 analogue: test accuracy against sequence length, mean and sd over seeds."""
    frame = tidy(best, [metric])
    grid = sns.relplot(
        data=frame, x="seq_len", y=metric, hue="model", style="model", col="task", kind="line",
        markers=True, dashes=False, errorbar="sd", height=3.6, aspect=1.2, facet_kws={"sharex": False},
    )
    grid.set(ylim=(-0.02, 1.02), xlabel="sequence length", ylabel="test accuracy (answer tokens)")
    _titles(grid)
    return save_figure(grid, path, "Test accuracy against sequence length for every model, one panel per task, mean and standard deviation over seeds.")


def training_curves(best: xr.Dataset, path: str | Path) -> HTML:
    """Validation accuracy during training at each task's longest sequence, best learning rate per model.

    A run that stopped early keeps its last validation accuracy (it is frozen there), so the seed
    mean does not jump when one seed stops before another.
    """
    frame = best["val_acc"].to_dataframe().reset_index()
    run = ["task", "model", "seq_len", "seed"]
    trained = frame.dropna(subset=["val_acc"])
    frame = frame[frame["seq_len"] == frame["task"].map(trained.groupby("task")["seq_len"].max())]
    frame = frame[frame.set_index(run).index.isin(trained.set_index(run).index)].sort_values([*run, "eval_step"])
    frame["val_acc"] = frame.groupby(run)["val_acc"].ffill()
    grid = sns.relplot(
        data=frame, x="eval_step", y="val_acc", hue="model", col="task", kind="line",
        errorbar="sd", height=3.4, aspect=1.2, facet_kws={"sharex": False},
    )
    grid.set(ylim=(-0.02, 1.02), xlabel="training step", ylabel="validation accuracy")
    _titles(grid)
    return save_figure(grid, path, "Validation accuracy against training step at each task's longest sequence, one line per model.")


def learning_rate_sensitivity(ds: xr.Dataset, path: str | Path) -> HTML:
    """Final validation accuracy against learning rate: why a single-LR comparison is unfair."""
    frame = tidy(ds, ["final_val_acc"]).sort_values(["task", "seq_len", "model"])
    frame["panel"] = frame["task"].map(lambda t: TASK_TITLES.get(t, t)) + ", L=" + frame["seq_len"].astype(str)
    grid = sns.relplot(
        data=frame, x="lr", y="final_val_acc", hue="model", col="panel", col_wrap=2, kind="line",
        marker="o", errorbar="sd", height=3.0, aspect=1.3, facet_kws={"sharex": False},
    )
    grid.set(xscale="log", ylim=(-0.02, 1.02), xlabel="learning rate", ylabel="final val. accuracy")
    grid.set_titles("{col_name}")
    return save_figure(grid, path, "Final validation accuracy against learning rate, one panel per task and length, one line per model.")
