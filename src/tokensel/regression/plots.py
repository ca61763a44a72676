"""Seaborn figures of the regression report: normalised risk against n, and the convergence check."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import seaborn as sns
import xarray as xr
from IPython.display import HTML

from tokensel.present.figures import save_figure
from tokensel.present.style import palette
from tokensel.regression.analysis import SIEVE


def risk_vs_n(risk: xr.DataArray, labels: dict[str, str], predicted: float, path: str | Path) -> HTML:
    """Risk / Var F against n on log axes, one panel per order: seed means (lines) and seeds (dots).

    The fitted slopes are in the table beside the figure; the dotted grey line has the predicted
    slope and passes through the oracle sieve's first point, so only its slope is compared.
    """
    frame = risk.to_dataframe("risk").dropna().reset_index()
    frame["series"] = [labels.get(e, e) for e in frame["estimator"]]
    grid = sns.relplot(
        seed=0, data=frame, x="n_train", y="risk", hue="series", style="series", col="order", kind="line", palette=palette(frame["series"].unique()),
        estimator="mean", errorbar=None, markers=True, dashes=False, height=3.8, aspect=1.15,
    )
    for ax, order in zip(grid.axes.flat, grid.col_names):
        part = frame[frame["order"] == order]
        ax.scatter(part["n_train"], part["risk"], s=6, color="grey", alpha=0.35, zorder=1)
        sieve = part[part["series"] == labels.get(SIEVE, SIEVE)].groupby("n_train")["risk"].mean()
        n = np.asarray(sieve.index, dtype=float)
        if len(n):
            ax.plot(n, sieve.iloc[0] * (n / n[0]) ** predicted, ":", color="grey", linewidth=1.5)
        ax.set_title(f"{order} order")
        ax.set(xscale="log", yscale="log", xlabel="training sequences n", ylabel="test excess risk / Var F")
    return save_figure(grid, path, f"Test excess risk divided by Var F against the number of training sequences, log-log, one panel per token order, for the networks, the oracle sieve and the k-NN baseline; grey dots are seeds, the dotted line has the predicted slope {predicted:.2f}.")


def training_curves(chosen: xr.Dataset, labels: dict[str, str], variance: xr.DataArray, path: str | Path) -> HTML:
    """Training loss and validation risk (both / Var F) against step at the largest n, every seed.

    The chosen (best-validation) step of each run is marked; a flat validation curve there, and
    a stop before the step cap, say the run converged.
    """
    n_max = int(chosen["n_train"].max())
    part = chosen.sel(n_train=n_max)
    frames = []
    for name, label in (("curve_train_loss", "training loss"), ("curve_val", "validation risk")):
        frame = (part[name] / variance).to_dataframe("value").join(part["curve_step"].to_dataframe("step")[["step"]]).dropna().reset_index()
        frame["curve"] = label
        frames.append(frame)
    frame = pd.concat(frames)
    frame["run"] = [f"{labels.get(m, m)}, {o}" for m, o in zip(frame["model"], frame["order"])]
    grid = sns.relplot(
        seed=0, data=frame, x="step", y="value", hue="curve", units="seed", estimator=None, col="run", col_wrap=3,
        kind="line", height=2.8, aspect=1.3, alpha=0.7, facet_kws={"sharex": False, "sharey": False},
    )
    for ax, run in zip(grid.axes.flat, grid.col_names):
        model, order = next((m, o) for m in part["model"].values for o in part["order"].values if f"{labels.get(str(m), m)}, {o}" == run)
        for step in part["best_step"].sel(model=model, order=order).values:
            ax.axvline(step, color="black", linewidth=0.6, alpha=0.5)
        ax.set_title(run, fontsize=8)
        ax.set(yscale="log", xlabel="step", ylabel="MSE / Var F")
    grid.figure.subplots_adjust(hspace=0.45)
    return save_figure(grid, path, f"Training loss and validation risk divided by Var F against training step at n = {n_max}, one panel per model and order, one line per seed; vertical lines mark the validation-chosen steps.")
