"""Seaborn figures of the constructions report, drawn from tidy frames of the results Dataset."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import seaborn as sns
import xarray as xr
from IPython.display import HTML
from matplotlib.ticker import NullFormatter

from tokensel.constructions.analysis import BIN_LABELS
from tokensel.present.figures import save_figure

MEASURE_TITLES = {"d_model": "channels d_model", "fnn_width": "FNN width", "params": "parameters (all)",
                  "params_blocks": "parameters (blocks)", "nonzero_blocks": "non-zero parameters (blocks)"}
BOUND_LABELS = {"1bit": "lower bound, 1-bit channels", "float32": "lower bound, 32-bit channels",
                "float64": "lower bound, 64-bit channels"}  # the bits a channel resolves
AXIS_TITLES = {"length": "sequence length L", "vocabulary": "vocabulary size |W|"}


def selection_margin(ds: xr.Dataset, path: str | Path) -> HTML:
    """Fraction of positions answered exactly, per margin bin (margin / delta), one line per window."""
    grid_cells = ds["sel_sweep"].values == "grid"
    frame = ds["sel_correct"].isel(sel_cell=np.flatnonzero(grid_cells)).sel(dtype="float32").to_dataframe().reset_index()
    frame["margin / δ"] = frame["margin_bin"].map(BIN_LABELS)
    frame = frame.rename(columns={"sel_window": "U", "sel_key_dim": "d"})
    grid = sns.relplot(seed=0, data=frame, x="margin / δ", y="sel_correct", hue="U", col="d", kind="line", marker="o",
                       palette="viridis", height=3.2, aspect=1.1)
    grid.set(ylim=(-0.02, 1.02), ylabel="fraction answered exactly")
    grid.set_titles("key dimension d = {col_name}")
    return save_figure(grid, path, "Selection network: fraction of positions whose output equals the argmax value, against the "
                                   "margin between the best and second-best score in units of the design margin delta, one line "
                                   "per window U, one panel per key dimension (float32).")


def _cost_frame(ds: xr.Dataset, measures: tuple[str, ...]) -> pd.DataFrame:
    frames = []
    for curve in ds["cost_curve"].values:
        one = ds.sel(cost_curve=curve)
        for measure in measures:
            frames.append(pd.DataFrame({"x": one["cost_x"].values, "value": one[f"cost_{measure}"].values,
                                        "construction": str(one["cost_construction"].values),
                                        "axis": str(one["cost_axis"].values), "measure": MEASURE_TITLES[measure]}))
    return pd.concat(frames).dropna()


def costs(ds: xr.Dataset, axis: str, path: str | Path) -> HTML:
    """Closed-form costs against L or |W| on log axes (the axes of the synthetic size-needed plot)."""
    frame = _cost_frame(ds, ("d_model", "fnn_width", "params", "params_blocks", "nonzero_blocks"))
    frame = frame[frame["axis"] == axis]
    grid = sns.relplot(seed=0, data=frame, x="x", y="value", hue="construction", style="construction", col="measure", col_wrap=3,
                       kind="line", height=3.0, aspect=1.15, facet_kws={"sharey": False})
    grid.set(xscale="log", yscale="log", xlabel=AXIS_TITLES[axis], ylabel="")
    grid.set_titles("{col_name}")
    return save_figure(grid, path, f"Costs of the constructions against {AXIS_TITLES[axis]} on log-log axes: channels, FNN "
                                   "width, all parameters, block parameters and non-zero block parameters, one line per "
                                   "construction.")


def bounds(ds: xr.Dataset, path: str | Path) -> HTML:
    """Channels of the one-layer copy and of the recall construction against L, beside the lower
    bounds for one layer (copy) and for two layers (recall) at 1, 32 and 64 bits per channel."""
    frames = []
    for name in ("copy, 1 layer", "recall"):
        one = ds.sel(cost_curve=f"{name} | length")
        frames.append(pd.DataFrame({"x": one["cost_x"].values, "d_model": one["cost_d_model"].values,
                                    "line": "our construction", "panel": name}))
        for bits, label in BOUND_LABELS.items():
            frames.append(pd.DataFrame({"x": one["cost_x"].values, "d_model": one[f"cost_bound_{bits}"].values,
                                        "line": label, "panel": name}))
    frame = pd.concat(frames).dropna()
    grid = sns.relplot(seed=0, data=frame, x="x", y="d_model", hue="line", style="line", col="panel", kind="line",
                       height=3.2, aspect=1.2)
    grid.set(xscale="log", yscale="log", xlabel=AXIS_TITLES["length"], ylabel="channels d_model")
    for ax, name in zip(grid.axes.flat, grid.col_names):
        ax.set_title("copying, one layer" if name.startswith("copy") else "recall, two layers (bound: any two layers)")
    return save_figure(grid, path, "Channels of our one-layer copy and two-layer recall networks against sequence length, "
                                   "beside the lower bounds for any network of the class with channels of 1, 32 or 64 bits.")


def accuracy(ds: xr.Dataset, path: str | Path) -> HTML:
    """Accuracy of the best network per cell and dtype against L (copy) and |W| (recall), with the shortcut."""
    frames = []
    for prefix, sweep, x in (("copy", "length", "seq_len"), ("recall", "vocabulary", "vocab")):
        cells = np.flatnonzero(ds[f"{prefix}_sweep"].values == sweep)
        acc = ds[f"{prefix}_acc"].isel({f"{prefix}_cell": cells})
        acc = acc.max([d for d in acc.dims if d not in (f"{prefix}_cell", "dtype")])
        for dtype in acc["dtype"].values:
            frames.append(pd.DataFrame({"x": ds[f"{prefix}_{x}"].values[cells], "accuracy": acc.sel(dtype=dtype).values,
                                        "scored": f"construction, {dtype}", "task": prefix}))
        frames.append(pd.DataFrame({"x": ds[f"{prefix}_{x}"].values[cells], "accuracy": ds[f"{prefix}_shortcut"].values[cells],
                                    "scored": "shortcut: commonest token", "task": prefix}))
    frame = pd.concat(frames)
    grid = sns.relplot(seed=0, data=frame, x="x", y="accuracy", hue="scored", style="scored", col="task", kind="line", markers=True,
                       height=3.2, aspect=1.2, facet_kws={"sharex": False})
    grid.set(xscale="log", ylim=(-0.02, 1.05))
    for ax, task in zip(grid.axes.flat, grid.col_names):
        ax.xaxis.set_minor_formatter(NullFormatter())  # minor labels collide on a short log axis
        ax.set_xlabel(AXIS_TITLES["length" if task == "copy" else "vocabulary"])
        ax.set_title("input copying" if task == "copy" else "associative recall")
    return save_figure(grid, path, "Answer accuracy of the constructed networks in float32 and float64 against sequence "
                                   "length (copying) and vocabulary size (recall), with the accuracy of answering every "
                                   "question with the commonest token of the context.")


def precision(ds: xr.Dataset, path: str | Path) -> HTML:
    """float32 accuracy of the one-digit copy network against the bits the formula says it needs."""
    frame = ds[["prec_acc", "prec_bits"]].to_dataframe().reset_index()
    grid = sns.relplot(seed=0, data=frame, x="prec_bits", y="prec_acc", hue="prec_size", kind="line", marker="o", palette="viridis",
                       height=3.2, aspect=1.4)
    for ax in grid.axes.flat:
        ax.axvline(24, color="grey", linestyle=":")
    grid.set(xlabel="significand bits the construction needs (formula)", ylabel="float32 accuracy", ylim=(-0.02, 1.02))
    grid.legend.set_title("string length k")
    return save_figure(grid, path, "Float32 accuracy of the two-layer copy network with one digit per token against the "
                                   "bits of precision it needs by our formula, one line per string length; the dotted line "
                                   "marks the 24 significand bits of float32.")


def bridge(ds: xr.Dataset, path: str | Path) -> HTML:
    """Accuracy before and after fine-tuning against the relative noise on the construction."""
    frame = ds[["bridge_acc_before", "bridge_acc_after"]].to_dataframe().dropna().reset_index()
    frame = frame.melt(id_vars=["bridge_task", "bridge_start", "bridge_sigma", "bridge_seed"],
                       value_vars=["bridge_acc_before", "bridge_acc_after"], var_name="when", value_name="accuracy")
    frame["when"] = frame["when"].map({"bridge_acc_before": "before fine-tuning", "bridge_acc_after": "after fine-tuning"})
    noisy = frame[frame["bridge_start"] != "scratch"].copy()
    noisy["start"] = "construction + noise on " + noisy["bridge_start"] + " entries, " + noisy["when"]
    grid = sns.relplot(seed=0, data=noisy, x="bridge_sigma", y="accuracy", hue="start", style="start", col="bridge_task", kind="line",
                       markers=True, errorbar=("pi", 100), height=3.2, aspect=1.3)
    scratch = frame[(frame["bridge_start"] == "scratch") & (frame["when"] == "after fine-tuning")]
    for ax, task in zip(grid.axes.flat, grid.col_names):
        ax.axhline(scratch[scratch["bridge_task"] == task]["accuracy"].mean(), color="grey", linestyle=":")
        ax.set_title("input copying" if task == "copy" else "associative recall")
    grid.set(xlabel="relative noise σ", ylim=(-0.02, 1.02))
    for ax in grid.axes.flat:
        ax.set_xscale("symlog", linthresh=1e-3)
        ax.set_xlim(left=0)
    return save_figure(grid, path, "Accuracy of the construction with relative Gaussian noise sigma before and after "
                                   "fine-tuning, one panel per task (range over seeds); the dotted line is the same "
                                   "architecture trained from its default initialisation for as many steps.")
