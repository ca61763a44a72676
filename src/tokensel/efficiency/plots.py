"""Seaborn figures of the efficiency benchmark: cost against L (log-log), target ratios, throughput.

Legends sit outside the axes, so they never cover a line or a bar.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns
import xarray as xr
from IPython.display import HTML
from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter

from tokensel.present.figures import save_figure
from tokensel.present import style
from tokensel.efficiency.analysis import CONTROL, MET, MISSED, UNDECIDED, comparison_table, relative_members
from tokensel.efficiency.names import GROUP_TITLES, method_colours, method_name, model_names, ratio_name

RESULT_COLORS = {MET: "tab:green", MISSED: "tab:red", UNDECIDED: "tab:gray"}


def _length_axis(ax: Axes, label: str = "sequence length L") -> None:
    """Log base 2 in L, labelled with plain lengths (256, 1024, ...) rather than powers of ten."""
    ax.set_xscale("log", base=2)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    ax.set_xlabel(label)


def _legend_outside(ax: Axes, title: str) -> None:
    ax.legend(fontsize=8, title=title, title_fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False)


def _exponent_label(method: str, exponent: np.ndarray) -> str:
    slope, low, high = exponent
    if not np.isfinite(slope):
        return method_name(method)
    interval = f" [{low:.2f}, {high:.2f}]" if np.isfinite(low) else ""
    return f"{method_name(method)}: {slope:.2f}{interval}"


def _loglog_panels(ds: xr.Dataset, values: xr.DataArray, band: tuple[xr.DataArray, xr.DataArray] | None, labels: dict[str, str],
                   ylabel: str, legend_title: str, path: str | Path, alt: str) -> HTML:
    """One row per group of methods: values against L, optional band, legend (with exponents) outside;
    each method in its family's colour, shaded within its panel (a block is a full model: full shade)."""
    groups = [g for g in GROUP_TITLES if g in set(ds["group"].values)]
    figure, axes = plt.subplots(len(groups), 1, figsize=(9, 3.6 * len(groups)), squeeze=False)
    for ax, group in zip(axes[:, 0], groups):
        methods = [str(m) for m, g in zip(ds["method"].values, ds["group"].values) if g == group]
        frame = values.sel({"method": methods}).rename("value").to_dataframe().reset_index().dropna(subset=["value"])
        frame["label"] = frame["method"].map(labels)
        colours = method_colours(methods, ds.attrs["primary_filter"])
        palette = {labels[m]: colours[m] for m in methods}
        sns.lineplot(seed=0, data=frame, x="seq_len", y="value", hue="label", style="label", markers=True, dashes=False, palette=palette, ax=ax)
        if band is not None:
            for method in methods:
                low, high = band[0].sel({"method": method}), band[1].sel({"method": method})
                keep = np.isfinite(low.values)
                ax.fill_between(low["seq_len"].values[keep], low.values[keep], high.values[keep], color=palette[labels[method]], alpha=0.2, linewidth=0)
        ax.set(yscale="log", ylabel=ylabel, title=GROUP_TITLES[group])
        _length_axis(ax)
        _legend_outside(ax, legend_title)
    figure.tight_layout()
    return save_figure(figure, path, alt)


def time_vs_length(ds: xr.Dataset, path: str | Path) -> HTML:
    """Median forward + backward time per method with the range of the timed passes; the legend
    gives each method's fitted exponent and its interval."""
    labels = {str(m): _exponent_label(str(m), e) for m, e in zip(ds["method"].values, ds["time_exponent"].values)}
    alt = ("Forward and backward time against sequence length on log axes, one panel per group of methods "
           "(mixers, blocks, filters), each method labelled with its fitted exponent and interval.")
    return _loglog_panels(ds, ds["time_median"] * 1e3, (ds["time_min"] * 1e3, ds["time_max"] * 1e3), labels,
                          "forward + backward time (ms)", "method: time exponent [interval]", path, alt)


def memory_vs_length(ds: xr.Dataset, path: str | Path) -> HTML:
    """Measured memory per method (what is measured is in ``ds.attrs['memory_measure']``)."""
    labels = {str(m): f"{method_name(m)}: {e:.2f}" if np.isfinite(e) else method_name(m) for m, e in ds["memory_exponent"].to_series().items()}
    alt = "Memory against sequence length on log axes, one panel per group of methods, each labelled with its fitted exponent."
    return _loglog_panels(ds, ds["memory_bytes"] / 2**20, None, labels, "memory (MiB)", "method: memory exponent", path, alt)


def target_ratios(ds: xr.Dataset, path: str | Path) -> HTML:
    """Each paired comparison: its ratio with the interval, against its target and the margin around
    it (the control against the band around its known 2x), coloured by the result."""
    results = comparison_table(ds)
    figure, axes = plt.subplots(len(results), 1, figsize=(8, 1.5 * len(results)), squeeze=False)
    for ax, row in zip(axes[:, 0], results.itertuples()):
        color = RESULT_COLORS.get(row.result, "black")
        if np.isfinite(row.ratio):
            low, high = (row.ci_low, row.ci_high) if np.isfinite(row.ci_low) else (row.ratio, row.ratio)
            ax.errorbar([row.ratio], [0], xerr=[[row.ratio - low], [high - row.ratio]], fmt="o", color=color, capsize=4)
        if row.comparison == CONTROL:
            tolerance = ds.attrs["control_tolerance"]
            ax.axvspan(row.threshold / (1 + tolerance), row.threshold * (1 + tolerance), color="tab:green", alpha=0.15, linewidth=0)
        else:  # intervals reaching into the margin around the target are undecided
            margin = ds.attrs["margin"]
            ax.axvspan(row.threshold / (1 + margin), row.threshold * (1 + margin), color="tab:gray", alpha=0.15, linewidth=0)
        ax.axvline(row.threshold, color="black", linestyle="--", linewidth=1)
        ax.set(yticks=[], title=f"{row.measures}: {row.rule} {row.threshold:g} → {row.result} ({row.blocks} blocks)")
        ax.title.set_fontsize(9)
    axes[-1, 0].set_xlabel("ratio; dashed: target or known answer")
    figure.tight_layout()
    alt = "Each target ratio with its confidence interval against its target line, and the known-answer control against its band."
    return save_figure(figure, path, alt)


def relative_cost(ds: xr.Dataset, path: str | Path) -> HTML:
    """The input-dependent mixers' time over the FFT SSM mixer's, and SDPA's over theirs, against L."""
    frame = ds["relative_cost"].to_dataset("estimate").to_dataframe().reset_index().dropna(subset=["ratio"])
    members = {name: relative_members(name, ds.attrs["primary_filter"]) for name in ds["pair_name"].values}
    frame["pair_name"] = frame["pair_name"].map(lambda name: ratio_name(*members[name]))
    # A ratio wears the colour of the mixer it puts in question: the numerator, or the denominator of
    # SDPA / x, whose line is dashed so it does not read as that mixer's ratio to the SSM mixer.
    colours = method_colours(ds["method"].values, ds.attrs["primary_filter"])
    palette = {ratio_name(a, b): colours[b if a == "sdpa" else a] for a, b in members.values()}
    dashes = {ratio_name(a, b): (4, 2) if a == "sdpa" else "" for a, b in members.values()}
    figure, ax = plt.subplots(figsize=(9, 4.2))
    sns.lineplot(seed=0, data=frame, x="seq_len", y="ratio", hue="pair_name", style="pair_name", markers=True, dashes=dashes, palette=palette, ax=ax)
    for name, rows in frame.groupby("pair_name"):
        keep = np.isfinite(rows["ci_low"])
        ax.fill_between(rows["seq_len"][keep], rows["ci_low"][keep], rows["ci_high"][keep], color=palette[name], alpha=0.2, linewidth=0)
    ax.axhline(1.0, color="grey", linestyle=":", linewidth=1)
    ax.set(yscale="log", ylabel="time ratio (paired by sweep round)")
    _length_axis(ax)
    _legend_outside(ax, "ratio (band: interval)")
    alt = "Time of the input-dependent mixers relative to the FFT SSM mixer and to each other, and SDPA relative to each, against sequence length."
    return save_figure(figure, path, alt)


def throughput(ds: xr.Dataset, path: str | Path) -> HTML:
    """Training tokens per second of the small whole models at each length."""
    frame = ds["tokens_per_s"].to_dataframe().reset_index().dropna(subset=["tokens_per_s"])
    frame["model"] = frame["model"].map(model_names(ds))
    figure, ax = plt.subplots(figsize=(9, 4.2))
    sns.barplot(seed=0, data=frame, x="train_seq_len", y="tokens_per_s", hue="model", palette=style.palette(frame["model"].unique()), ax=ax)
    ax.set(yscale="log", xlabel="sequence length L", ylabel="training tokens / s")
    _legend_outside(ax, "model")
    return save_figure(figure, path, "Training throughput in tokens per second for each architecture and sequence length.")
