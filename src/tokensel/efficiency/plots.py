"""Seaborn figures of the efficiency benchmark (``tokensel.efficiency``): cost against L, log-log."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
import xarray as xr
from IPython.display import HTML
from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter

from tokensel.core.figures import save_figure

GROUP_TITLES = {"mixer": "Sequence mixers", "block": "Full blocks (mixer + FNN)", "filter": "Filter generation only"}


def _length_axis(ax: Axes) -> None:
    """Log base 2 in L, labelled with plain lengths (256, 1024, ...) rather than powers of ten."""
    ax.set_xscale("log", base=2)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    ax.set_xlabel("sequence length L")


def _frame(ds: xr.Dataset, values: xr.DataArray, exponent: xr.DataArray, scale: float) -> pd.DataFrame:
    """Long frame (method, group, seq_len, value, label) of the measured points; label carries the slope."""
    frame = (values / scale).rename("value").to_dataframe().reset_index().dropna(subset=["value"])
    frame["group"] = frame["method"].map(dict(zip(ds["method"].values, ds["group"].values)))
    slopes = exponent.to_series()
    frame["label"] = [f"{m} (slope {slopes[m]:.2f})" for m in frame["method"]]
    return frame


def _loglog_panels(frame: pd.DataFrame, ylabel: str, band: pd.DataFrame | None, path: str | Path, alt: str) -> HTML:
    groups = [g for g in GROUP_TITLES if g in set(frame["group"])]
    figure, axes = plt.subplots(1, len(groups), figsize=(5.2 * len(groups), 4.2), squeeze=False)
    for ax, group in zip(axes[0], groups):
        part = frame[frame["group"] == group]
        sns.lineplot(data=part, x="seq_len", y="value", hue="label", style="label", markers=True, dashes=False, ax=ax)
        if band is not None:
            colors = {text.get_text(): line.get_color() for text, line in zip(ax.get_legend().texts, ax.get_legend().get_lines())}
            for label, rows in band[band["group"] == group].groupby("label"):
                ax.fill_between(rows["seq_len"], rows["q25"], rows["q75"], color=colors.get(label), alpha=0.2, linewidth=0)
        ax.set(yscale="log", ylabel=ylabel, title=GROUP_TITLES[group])
        _length_axis(ax)
        ax.legend(fontsize=7, title="method (fitted exponent)", title_fontsize=7)
    figure.tight_layout()
    return save_figure(figure, path, alt)


def time_vs_length(ds: xr.Dataset, path: str | Path) -> HTML:
    """Median forward+backward time per method, IQR band, fitted exponent in the legend."""
    frame = _frame(ds, ds["time_s"].sel(stat="median", drop=True), ds["time_exponent"], 1e-3)
    quartiles = ds["time_s"].sel(stat=["q25", "q75"]).drop_vars("group").to_dataset("stat") / 1e-3
    band = frame.merge(quartiles.to_dataframe().reset_index(), on=["method", "seq_len"])
    alt = "Forward and backward time against sequence length on log axes, one panel per group of methods, with fitted exponents."
    return _loglog_panels(frame, "forward + backward time (ms)", band, path, alt)


def memory_vs_length(ds: xr.Dataset, path: str | Path) -> HTML:
    """Measured memory per method (what is measured is in ``ds.attrs['memory_measure']``)."""
    frame = _frame(ds, ds["memory_bytes"], ds["memory_exponent"], 2**20)
    alt = "Memory against sequence length on log axes, one panel per group of methods, with fitted exponents."
    return _loglog_panels(frame, "memory (MiB)", None, path, alt)


def speedup_vs_length(ds: xr.Dataset, path: str | Path, target: float | None = None) -> HTML:
    """How many times slower attention is than the SSM, mixer against mixer and block against block."""
    median = ds["time_s"].sel(stat="median", drop=True)
    mixer = f"ssm_mixer_{ds.attrs['primary_filter']}"
    ratios = {
        f"SDPA / {mixer}": median.sel({"method": "sdpa"}) / median.sel({"method": mixer}),
        "transformer_block / ssm_block": median.sel({"method": "transformer_block"}) / median.sel({"method": "ssm_block"}),
    }
    frame = pd.concat([r.rename("ratio").to_dataframe().reset_index().assign(pair=name) for name, r in ratios.items()])
    figure, ax = plt.subplots(figsize=(6, 4.2))
    sns.lineplot(data=frame.dropna(subset=["ratio"]), x="seq_len", y="ratio", hue="pair", marker="o", ax=ax)
    ax.axhline(1.0, color="grey", linestyle=":", linewidth=1, label="equal time")
    if target is not None:
        ax.axhline(target, color="black", linestyle="--", linewidth=1, label=f"target {target:g}x")
    crossover = ds.attrs.get("crossover_seq_len", np.nan)
    if np.isfinite(crossover):
        ax.axvline(crossover, color="grey", linestyle="-.", linewidth=1, label=f"crossover L = {crossover:.0f}")
    ax.set(yscale="log", ylabel="attention time / SSM time")
    _length_axis(ax)
    ax.legend(fontsize=8)
    return save_figure(figure, path, "Speed-up of the SSM mixer over attention against sequence length, with the target line.")


def throughput(ds: xr.Dataset, path: str | Path) -> HTML:
    """Training tokens per second of the small whole models at each length."""
    frame = ds["tokens_per_s"].to_dataframe().reset_index().dropna(subset=["tokens_per_s"])
    figure, ax = plt.subplots(figsize=(6, 4.2))
    sns.barplot(data=frame, x="train_seq_len", y="tokens_per_s", hue="model", ax=ax)
    ax.set(yscale="log", xlabel="sequence length L", ylabel="training tokens / s")
    return save_figure(figure, path, "Training throughput in tokens per second for each architecture and sequence length.")
