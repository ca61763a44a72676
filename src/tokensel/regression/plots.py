"""Seaborn figures of the regression experiment: rate, approximation curve, fixed vs dynamic gap."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import seaborn as sns
import xarray as xr
from IPython.display import HTML

from tokensel.core.figures import save_figure
from tokensel.core.runs import tidy


def risk_vs_n(selected: xr.Dataset, slopes: pd.DataFrame, path: str | Path, order: str = "dynamic") -> HTML:
    """Test excess risk against n (log-log), seed mean and sd, with fitted and predicted slopes.

    Each model's fitted line is drawn over the fit range (dashed); the predicted exponent is a
    dotted line through the fitted line's left end, so only its slope, not its level, is compared.
    """
    frame = tidy(selected.sel(order=order), ["test_risk"])
    grid = sns.relplot(
        data=frame, x="n_train", y="test_risk", hue="model", style="model", kind="line",
        markers=True, dashes=False, errorbar="sd", height=4.0, aspect=1.3,
    )
    ax = grid.ax
    colors = dict(zip(grid.hue_names or sorted(frame["model"].unique()), sns.color_palette()))
    for row in slopes[slopes["order"] == order].itertuples():
        n = np.geomspace(row.n_min, row.n_max, 20)
        fitted = np.exp(row.intercept) * n**row.slope
        ax.plot(n, fitted, "--", color=colors[row.model], linewidth=1)
        ax.plot(n, fitted[0] * (n / n[0]) ** row.predicted, ":", color="grey", linewidth=1)
    ax.set(xscale="log", yscale="log", xlabel="training sequences n", ylabel="test excess risk")
    ax.set_title(f"{order} order: fitted (dashed) vs predicted slope (dotted grey)")
    return save_figure(grid, path, "Test excess risk against training set size on log axes for every model, with fitted and predicted slopes.")


def approximation_curve(width: xr.Dataset, path: str | Path) -> HTML:
    """Test excess risk against parameter count at the largest n (the width sweep), log-log."""
    frame = tidy(width, ["width_test_risk", "width_n_params"])
    grid = sns.relplot(
        data=frame, x="width_n_params", y="width_test_risk", hue="model", style="model", kind="line",
        markers=True, dashes=False, errorbar="sd", height=4.0, aspect=1.3,
    )
    grid.set(xscale="log", yscale="log", xlabel="parameters", ylabel="test excess risk (largest n)")
    return save_figure(grid, path, "Test excess risk against the number of parameters at the largest training set (approximation).")


def order_gap(selected: xr.Dataset, models: list[str], path: str | Path) -> HTML:
    """Risk against n of the control models, one panel per order: does depth matter only when dynamic?"""
    frame = tidy(selected.sel(model=models), ["test_risk"])
    grid = sns.relplot(
        data=frame, x="n_train", y="test_risk", hue="model", style="model", col="order", kind="line",
        markers=True, dashes=False, errorbar="sd", height=3.6, aspect=1.2,
    )
    grid.set(xscale="log", yscale="log", xlabel="training sequences n", ylabel="test excess risk")
    return save_figure(grid, path, "Excess risk under dynamic and fixed token order for the one- and two-layer models.")
