"""Seaborn figures drawn from tidy frames of the results Datasets."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import seaborn as sns  # noqa: E402
import xarray as xr  # noqa: E402

from tokensel.claims import model_families  # noqa: E402
from tokensel.results import tidy  # noqa: E402

TASK_TITLES = {"copy": "Input copying", "recall": "Associative recall"}


def _save(grid: sns.FacetGrid | plt.Figure, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure = grid.figure if isinstance(grid, sns.FacetGrid) else grid
    # Fixed metadata keeps PNG bytes stable when the numbers do not change.
    figure.savefig(path, dpi=120, bbox_inches="tight", metadata={"Software": None})
    return path


def _titles(grid: sns.FacetGrid) -> None:
    for ax, name in zip(grid.axes.flat, grid.col_names):
        ax.set_title(TASK_TITLES.get(name, name))


def accuracy_vs_length(best: xr.Dataset, path: str | Path, metric: str = "test_acc") -> Path:
    """Figure C.1 analogue: test accuracy against sequence length, mean and sd over seeds."""
    frame = tidy(best, [metric])
    grid = sns.relplot(
        data=frame, x="seq_len", y=metric, hue="model", style="model", col="task", kind="line",
        markers=True, dashes=False, errorbar="sd", height=3.6, aspect=1.2, facet_kws={"sharex": False},
    )
    grid.set(ylim=(-0.02, 1.02), xlabel="sequence length", ylabel="test accuracy (answer tokens)")
    _titles(grid)
    return _save(grid, path)


def training_curves(best: xr.Dataset, path: str | Path) -> Path:
    """Validation accuracy during training at the longest sequence, best learning rate per model."""
    longest = best.isel(seq_len=-1)
    frame = tidy(longest, ["val_acc"])
    grid = sns.relplot(
        data=frame, x="eval_step", y="val_acc", hue="model", col="task", kind="line",
        errorbar="sd", height=3.4, aspect=1.2,
    )
    grid.set(ylim=(-0.02, 1.02), xlabel="training step", ylabel="validation accuracy")
    _titles(grid)
    return _save(grid, path)


def learning_rate_sensitivity(ds: xr.Dataset, path: str | Path) -> Path:
    """Final validation accuracy against learning rate: why a single-LR comparison is unfair."""
    frame = tidy(ds, ["final_val_acc"])
    frame["family"] = frame["model"].map(model_families(ds))
    grid = sns.relplot(
        data=frame, x="lr", y="final_val_acc", hue="model", col="task", row="seq_len", kind="line",
        marker="o", errorbar="sd", height=2.8, aspect=1.3,
    )
    grid.set(xscale="log", ylim=(-0.02, 1.02), xlabel="learning rate", ylabel="final val. accuracy")
    return _save(grid, path)
