"""Figures of the genomic report, drawn from the combined results Dataset."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
import xarray as xr
from IPython.display import HTML
from matplotlib.patches import Rectangle

from tokensel.core.figures import save_figure
from tokensel.genomic.config import VerdictSettings
from tokensel.genomic.sequences import decode


def sorted_importance_curves(results: xr.Dataset, path: str | Path, max_rank: int = 40) -> HTML:
    """Mean sorted-importance curve (share of the mass at each rank), bands = sd over seeds.

    The dashed line is uniform importance, 1/L: a sparse attribution starts far above it and
    drops below it after a few ranks.
    """
    frame = results["sorted_mean"].sel(rank=slice(1, max_rank)).to_dataframe().reset_index()
    frame = frame.dropna(subset=["sorted_mean"])
    grid = sns.relplot(
        data=frame, x="rank", y="sorted_mean", hue="model", row="dataset", col="method", kind="line",
        errorbar="sd", height=2.8, aspect=1.25, facet_kws={"sharey": False},
    )
    for (dataset, _), ax in grid.axes_dict.items():
        length = int(results["tokens"].sel(dataset=dataset).notnull().any(["model", "seed", "example"]).sum())
        ax.axhline(1.0 / length, color="grey", linestyle="--", linewidth=1)
    grid.set(yscale="log", xlabel="rank of token", ylabel="share of importance")
    return save_figure(grid, path, "Mean sorted token importance against rank for every model and dataset: how fast importance decays.")


def top1_histograms(results: xr.Dataset, path: str | Path, method: str, bins: int = 40) -> HTML:
    """Where each input's most important token sits (counts pooled over seeds)."""
    counts = results["top1_hist"].sel({"method": method}).sum("seed").to_dataframe().reset_index()
    counts = counts.dropna(subset=["top1_hist"])
    grid = sns.displot(
        data=counts, x="position", weights="top1_hist", row="dataset", col="model", bins=bins,
        height=2.4, aspect=1.6, facet_kws={"sharey": False, "sharex": False},
    )
    grid.set(xlabel="position of the top-1 token", ylabel="inputs")
    grid.figure.suptitle(f"Top-1 positions ({method})", y=1.02)
    return save_figure(grid, path, "Histograms of the most important position per input, one panel per model and dataset.")


def _runs(mask_row: np.ndarray) -> list[tuple[int, int]]:
    """(start, end) of each run of True in a 1-D boolean array."""
    edges = np.diff(np.concatenate([[0], mask_row.astype(int), [0]]))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)))


def attribution_examples(
    results: xr.Dataset, dataset: str, path: str | Path, method: str, n_examples: int = 4
) -> HTML:
    """Heatmaps of one seed's attributions per model for a few test inputs; motif bases boxed.

    Inputs with ground-truth motif bases are preferred, so the boxes show whether the models'
    important tokens fall on the known motifs.
    """
    # combine_by_coords may reorder dimensions; fix the order every array below is indexed in.
    run = results.sel(dataset=dataset).isel(seed=0).transpose("model", "method", "example", "position", ...)
    models = [m for m in run["model"].values if bool(run["importance"].sel(model=m).notnull().any())]
    first = run.sel(model=models[0])
    valid = first["tokens"].notnull().all("example").values
    tokens = first["tokens"].values[:, valid].astype(int)
    motif = first["motif"].values[:, valid].astype(bool)
    with_motif = np.flatnonzero(motif.any(1))
    chosen = (with_motif if with_motif.size >= n_examples else np.arange(len(tokens)))[:n_examples]
    classes = json.loads(str(first["class_names"].values))
    length = int(valid.sum())
    fig, axes = plt.subplots(len(chosen), 1, figsize=(12, 0.45 * len(models) * len(chosen) + 1.0), squeeze=False)
    for ax, i in zip(axes[:, 0], chosen):
        heat = np.stack([run["importance"].sel({"model": m, "method": method}).values[i, valid] for m in models])
        ax.imshow(heat, aspect="auto", cmap="magma", interpolation="nearest", extent=(-0.5, length - 0.5, len(models) - 0.5, -0.5))
        for start, end in _runs(motif[i]):
            ax.add_patch(Rectangle((start - 0.5, -0.5), end - start, len(models), fill=False, edgecolor="cyan", linewidth=1.5))
        ax.set_yticks(range(len(models)), models)
        label = classes[int(first["label"].values[i])]
        ax.set_title(f"test input {i} (class {label}): {decode(tokens[i])[:60]}...", fontsize=8, loc="left")
    axes[-1, 0].set_xlabel(f"position ({method}, per-input normalised; cyan boxes = motif bases)")
    fig.tight_layout()
    return save_figure(fig, path, "Example inputs with per-base importance and the ground-truth motif positions marked.")


def sparsity_vs_input_dependence(importance: pd.DataFrame, verdict: VerdictSettings, path: str | Path) -> HTML:
    """Each (dataset, model, method): share of tokens carrying half the mass vs input-dependence
    index; the shaded corner is 'sparse and input-dependent' by the report's thresholds."""
    grid = sns.relplot(
        data=importance, x="mass_fraction_50", y="input_dependence", hue="model", style="method",
        col="dataset", s=70, height=3.2, aspect=1.1,
    )
    for ax in grid.axes.flat:
        ax.axvspan(0, verdict.max_mass_fraction_50, ymin=0, ymax=1, color="green", alpha=0.06)
        ax.axvline(verdict.max_mass_fraction_50, color="grey", linestyle="--", linewidth=1)
        ax.axhline(verdict.min_input_dependence, color="grey", linestyle="--", linewidth=1)
        ax.set(xlim=(0, 0.5), ylim=(0, 1.05))
    grid.set(xlabel="fraction of tokens carrying 50% of importance", ylabel="input-dependence index")
    return save_figure(grid, path, "Sparsity (fraction of tokens carrying half the importance) against input dependence, one point per model and dataset, with the verdict thresholds.")
