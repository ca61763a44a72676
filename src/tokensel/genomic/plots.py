"""Figures of the genomic report (seaborn), each ending in ``save_figure`` with its alt text."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
import xarray as xr
from IPython.display import HTML

from tokensel.present.figures import save_figure
from tokensel.genomic.results import CONTROL_TITLES, METHOD_TITLES, dataset_title, one_dataset, run_name
from tokensel.genomic.stage import RUNS, SHUFFLED, TRAINED

KNOWN = "motif model (known answer)"


def training_curves(results: xr.Dataset, path: str | Path) -> HTML:
    """Training loss and validation loss against step, per dataset, model, seed and control."""
    frames = []
    for variable, step, title in (("train_loss", "log_step", "training loss"), ("val_loss", "eval_step", "validation loss")):
        frame = results[variable].to_dataframe().reset_index().dropna(subset=[variable])
        frames.append(frame.rename(columns={variable: "loss", step: "step"}).assign(curve=title))
    tidy = pd.concat(frames)
    tidy["dataset"] = tidy["dataset"].map(dataset_title)
    tidy["labels"] = tidy["control"].map({TRAINED: "true", SHUFFLED: "shuffled"})
    tidy["run"] = tidy["seed"].astype(str) + tidy["control"]
    grid = sns.relplot(
        seed=0, data=tidy, x="step", y="loss", hue="model", style="labels", style_order=["true", "shuffled"], units="run", estimator=None, kind="line",
        row="dataset", col="curve", height=2.8, aspect=1.5, facet_kws={"sharex": "row", "sharey": False},
    )
    grid.set_titles("{row_name}: {col_name}")
    grid.set(yscale="log")
    return save_figure(grid, path, "Training and validation loss (log scale) against step for every model, seed and control, per dataset; "
                       "solid lines are trained on the true labels, dashed lines on shuffled labels.")


def accuracy_ladder(results: xr.Dataset, path: str | Path) -> HTML:
    """Test accuracy of the baseline ladder, the known-answer model and each model's seeds."""
    rows = []
    for dataset in results["dataset"].values:
        ds = one_dataset(results, str(dataset))
        title = dataset_title(str(dataset))
        rows += [{"dataset": title, "run": str(b), "kind": "baseline", "accuracy": float(a)}
                 for b, a in zip(ds["baseline"].values, ds["baseline_acc"].values) if np.isfinite(a)]
        rows.append({"dataset": title, "run": KNOWN, "kind": "known answer", "accuracy": float(ds["known_acc"])})
        for model in ds["model"].values:
            for control in RUNS:
                values = ds["test_acc"].sel(model=model, control=control).values
                rows += [{"dataset": title, "run": run_name(str(model), control), "kind": CONTROL_TITLES.get(control, "model"), "accuracy": float(v)}
                         for v in values if np.isfinite(v)]
    grid = sns.catplot(data=pd.DataFrame(rows), x="accuracy", y="run", hue="kind", col="dataset", kind="strip", height=4.2, aspect=1.1,
                       jitter=False, s=40)
    for ax in grid.axes.flat:
        ax.axvline(0.5, color="grey", lw=0.8, ls=":")
    grid.set_titles("{col_name}")
    grid.set_axis_labels("test accuracy", "")
    return save_figure(grid, path, "Test accuracy per dataset: majority class, GC threshold, the k-mer logistic regression ladder, "
                       "the known-answer motif model, each model's seeds and its two negative controls (shuffled labels, random weights); the dotted line is chance.")


def _measure_frame(results: xr.Dataset, variables: dict[str, str]) -> pd.DataFrame:
    rows = []
    for dataset in results["dataset"].values:
        ds = one_dataset(results, str(dataset))
        for method in ds["method"].values:
            for title, variable in variables.items():
                known = ds[f"known_{variable}"].sel({"method": method}).values.ravel()
                rows += [{"dataset": dataset_title(str(dataset)), "method": METHOD_TITLES[str(method)], "run": KNOWN, "measure": title, "value": v} for v in known if np.isfinite(v)]
                for model in ds["model"].values:
                    for control in RUNS:
                        values = ds[variable].sel({"method": method, "model": model, "control": control}).values.ravel()
                        rows += [{"dataset": dataset_title(str(dataset)), "method": METHOD_TITLES[str(method)], "run": run_name(str(model), control), "measure": title, "value": v}
                                 for v in values if np.isfinite(v)]
    return pd.DataFrame(rows)


def follow_fractions(results: xr.Dataset, path: str | Path) -> HTML:
    """Share of the top-k importance on the motif, on the moved motif and on the bases it left."""
    tidy = _measure_frame(results, {"on motif": "follow_original", "on moved motif": "follow_moved", "on its old bases after the move": "vacated_after"})
    grid = sns.catplot(seed=0, data=tidy, x="value", y="run", hue="measure", row="method", col="dataset", kind="bar", errorbar=("ci", 95),
                       height=3.4, aspect=1.5)
    grid.set_titles("{col_name} – {row_name}")
    grid.set_axis_labels("share of the top-k importance", "")
    return save_figure(grid, path, "Per dataset and attribution method, the share of the top-k importance on the motif, on the motif after "
                       "it is moved, and on the bases it left, for each model, its negative controls (shuffled labels, random weights) and the known-answer model.")


def _per_method_bars(tidy: pd.DataFrame, reference: float, style: str, xlabel: str, path: str | Path, alt: str) -> HTML:
    grid = sns.catplot(seed=0, data=tidy, x="value", y="run", hue="method", col="dataset", kind="bar", errorbar=("ci", 95), height=4.2, aspect=1.2)
    for ax in grid.axes.flat:
        ax.axvline(reference, color="grey", lw=0.8, ls=style)
    grid.set_titles("{col_name}")
    grid.set_axis_labels(xlabel, "")
    return save_figure(grid, path, alt)


def motif_auroc(results: xr.Dataset, path: str | Path) -> HTML:
    """AUROC of importance against the motif bases, per method and run."""
    return _per_method_bars(
        _measure_frame(results, {"motif AUROC": "motif_auroc"}), 0.5, ":", "motif AUROC (0.5 = chance)", path,
        "Motif AUROC of the importance of every base against the motif bases, per dataset, method and run; the dotted line is chance.",
    )


def sparsity(results: xr.Dataset, threshold: float, path: str | Path) -> HTML:
    """Fraction of the bases holding half the importance, per method and run."""
    return _per_method_bars(
        _measure_frame(results, {"mass fraction": "mass_fraction_50"}), threshold, "--", "fraction of bases holding half the importance", path,
        f"Fraction of the bases that hold half the importance, per dataset, method and run (uniform importance: 0.5); "
        f"the dashed line is the sparsity threshold {threshold:g}.",
    )


def importance_tracks(results: xr.Dataset, dataset: str, method: str, path: str | Path) -> HTML:
    """The first shown input and its relocated copy: importance per base of every trained model."""
    ds = one_dataset(results, dataset).sel({"method": method, "shown": 0})
    first_seed = int(ds["seed"].values[0])
    runs = [(KNOWN, ds["known_importance_original"], ds["known_importance_moved"])]
    runs += [(str(m), ds["importance_original"].sel(model=m, seed=first_seed, control=TRAINED), ds["importance_moved"].sel(model=m, seed=first_seed, control=TRAINED))
             for m in ds["model"].values]
    figure, axes = plt.subplots(len(runs), 2, figsize=(11, 1.3 * len(runs) + 0.6), sharex=True, squeeze=False)
    for col, (kind, motif) in enumerate((("original", ds["shown_original_motif"].values), ("motif moved", ds["shown_moved_motif"].values))):
        for row, (name, original, moved) in enumerate(runs):
            ax = axes[row, col]
            values = (original if col == 0 else moved).values
            for start in np.flatnonzero(np.diff(np.concatenate([[0], motif, [0]])) == 1):
                end = start + np.argmax(np.concatenate([motif[start:], [0]]) == 0)
                ax.axvspan(start - 0.5, end - 0.5, color="gold", alpha=0.4, lw=0)
            sns.lineplot(seed=0, x=np.arange(values.size), y=values, ax=ax, color="C0", lw=1)
            ax.set_ylabel(name, rotation=0, ha="right", va="center", fontsize=8)
            ax.set_yticks([])
            if row == 0:
                ax.set_title(f"{dataset_title(dataset)}, {kind}")
        axes[-1, col].set_xlabel("position")
    figure.tight_layout()
    return save_figure(figure, path, f"{METHOD_TITLES[method]} importance per base of one {dataset_title(dataset)} test input (left) and the same "
                       "input with its motif moved (right), for each trained model and the known-answer model; motif bases shaded.")


def learning_rate_sweep(results: xr.Dataset, path: str | Path) -> HTML:
    """Final validation loss against learning rate, per dataset and model (profiles with several rates)."""
    tidy = results[["sweep_lr", "sweep_val_loss"]].to_dataframe().reset_index().dropna()
    tidy["dataset"] = tidy["dataset"].map(dataset_title)
    grid = sns.relplot(seed=0, data=tidy, x="sweep_lr", y="sweep_val_loss", hue="model", col="dataset", kind="line", marker="o", height=3, aspect=1.3)
    grid.set(xscale="log")
    grid.set_axis_labels("peak learning rate", "final validation loss")
    grid.set_titles("{col_name}")
    return save_figure(grid, path, "Final validation loss against the peak learning rate for each model and dataset; the lowest is used.")
