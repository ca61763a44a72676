"""Seaborn figures drawn from tidy frames of the results Datasets.

Each function saves a PNG and returns an ``IPython.display.Image`` of it, so a notebook cell that
ends with the call shows the figure (and nbconvert embeds it in the HTML report) whatever the
matplotlib backend; the figure is closed, so batch runs do not accumulate open figures.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import seaborn as sns
import xarray as xr
from IPython.display import Image

from tokensel.claims import model_families
from tokensel.results import tidy

TASK_TITLES = {"copy": "Input copying", "recall": "Associative recall"}


def save_figure(grid: sns.FacetGrid | plt.Figure, path: str | Path) -> Image:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure = grid.figure if isinstance(grid, sns.FacetGrid) else grid
    # Fixed metadata keeps PNG bytes stable when the numbers do not change.
    figure.savefig(path, dpi=120, bbox_inches="tight", metadata={"Software": None})
    plt.close(figure)
    return Image(filename=str(path))


def _titles(grid: sns.FacetGrid) -> None:
    for ax, name in zip(grid.axes.flat, grid.col_names):
        ax.set_title(TASK_TITLES.get(name, name))


def accuracy_vs_length(best: xr.Dataset, path: str | Path, metric: str = "test_acc") -> Image:
    """Figure C.1 analogue: test accuracy against sequence length, mean and sd over seeds."""
    frame = tidy(best, [metric])
    grid = sns.relplot(
        data=frame, x="seq_len", y=metric, hue="model", style="model", col="task", kind="line",
        markers=True, dashes=False, errorbar="sd", height=3.6, aspect=1.2, facet_kws={"sharex": False},
    )
    grid.set(ylim=(-0.02, 1.02), xlabel="sequence length", ylabel="test accuracy (answer tokens)")
    _titles(grid)
    return save_figure(grid, path)


def training_curves(best: xr.Dataset, path: str | Path) -> Image:
    """Validation accuracy during training at the longest sequence, best learning rate per model."""
    longest = best.isel(seq_len=-1)
    frame = tidy(longest, ["val_acc"])
    grid = sns.relplot(
        data=frame, x="eval_step", y="val_acc", hue="model", col="task", kind="line",
        errorbar="sd", height=3.4, aspect=1.2,
    )
    grid.set(ylim=(-0.02, 1.02), xlabel="training step", ylabel="validation accuracy")
    _titles(grid)
    return save_figure(grid, path)


def learning_rate_sensitivity(ds: xr.Dataset, path: str | Path) -> Image:
    """Final validation accuracy against learning rate: why a single-LR comparison is unfair."""
    frame = tidy(ds, ["final_val_acc"])
    frame["family"] = frame["model"].map(model_families(ds))
    grid = sns.relplot(
        data=frame, x="lr", y="final_val_acc", hue="model", col="task", row="seq_len", kind="line",
        marker="o", errorbar="sd", height=2.8, aspect=1.3,
    )
    grid.set(xscale="log", ylim=(-0.02, 1.02), xlabel="learning rate", ylabel="final val. accuracy")
    return save_figure(grid, path)
