"""The genomic report's descriptive tables and sentences (what ran, accuracies and training,
the baselines against chance, importance measures, motif following); the verdict is in
``tokensel.genomic.analysis``."""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr
from scipy.special import erfinv

from tokensel.genomic.analysis import chance_share, importance_measures, known_measures
from tokensel.genomic.baselines import best_on_validation
from tokensel.genomic.config import GenomicExperiment
from tokensel.genomic.results import METHOD_TITLES, dataset_title, one_dataset, run_name
from tokensel.genomic.stage import RUNS, SHUFFLED, TRAINED


def profile_summary(results: xr.Dataset, experiment: GenomicExperiment) -> str:
    """What this profile runs, in a few sentences with its numbers."""
    train = experiment.train
    widths = sorted({model.d_model for model in experiment.models.values()})
    parts = [
        f"Every model is {' or '.join(map(str, widths))} wide (d_model) with a stem over {train.stem_width} bases, trained with batch {train.batch_size}; "
        f"seeds {', '.join(map(str, experiment.seeds))}, shuffled-label controls at seed {', '.join(map(str, experiment.control_seeds))}; "
        f"canonical k-mer ladder up to k = {experiment.baselines.max_k}, C from {', '.join(f'{c:g}' for c in experiment.baselines.cs)} chosen on validation."
    ]
    for name in results["dataset"].values:
        ds = results.sel(dataset=name)
        spec = experiment.datasets[str(name)]
        parts.append(
            f"{dataset_title(str(name))}: {spec.length} bases, {int(ds['n_train'])} training, {int(ds['n_val'])} validation and "  # type: ignore[union-attr]
            f"{int(ds['n_test'])} test sequences; {int(ds['n_attributed'])} attributed, {int(ds['n_moved'])} of them moved "
            f"(chance share on a moved motif {chance_share(results, str(name)):.2f})."
        )
    return "\n\n".join(parts)


def measures_table(results: xr.Dataset, method: str) -> pd.DataFrame:
    """Every importance measure of ``method`` per dataset and run (trained, shuffled, known answer)."""
    rows = []
    for dataset in results["dataset"].values:
        base = {"dataset": dataset_title(str(dataset))}
        rows.append({**base, "model": "motif model (known answer)", **known_measures(results, str(dataset), method)})
        for model in results["model"].values:
            for control in RUNS:
                rows.append({**base, "model": run_name(str(model), control), **importance_measures(results, str(dataset), str(model), method, control)})
    return pd.DataFrame(rows)



def accuracy_points(results: xr.Dataset) -> pd.DataFrame:
    """Tidy (dataset, model, seed, accuracy) of the trained runs, for ``dvc plots``."""
    frame = results["test_acc"].sel(control=TRAINED).to_dataframe().reset_index().dropna(subset=["test_acc"])
    return frame[["dataset", "model", "seed", "test_acc"]].rename(columns={"test_acc": "accuracy"})


def training_table(results: xr.Dataset) -> pd.DataFrame:
    """Per dataset and model: steps, the learning rates tried and the one chosen on validation (the
    lowest final validation loss of the first seed), and the end of training (means over seeds)."""
    rows = []
    for dataset in results["dataset"].values:
        ds = one_dataset(results, str(dataset))
        for model in ds["model"].values:
            run = ds.sel(model=model, control=TRAINED)
            shuffled = ds.sel(model=model, control=SHUFFLED)
            tried = ds["sweep_lr"].sel(model=model).dropna("candidate").values
            final = lambda run, name: float(run[name].dropna(run[name].dims[-1], how="all").isel({run[name].dims[-1]: -1}).mean())  # noqa: E731
            rows.append({
                "dataset": dataset_title(str(dataset)), "model": str(model), "steps": int(run["steps"].max()),
                "learning rates tried": ", ".join(f"{lr:g}" for lr in tried), "chosen": float(run["lr"].max()),
                "final training loss": final(run, "train_loss"), "final validation loss": final(run, "val_loss"),
                "final validation accuracy": final(run, "val_acc"), "shuffled labels: final training loss": final(shuffled, "train_loss"),
            })
    return pd.DataFrame(rows)


def shortcut_summary(results: xr.Dataset, ci: float) -> str:
    """Per dataset, the k-mer ladder on test, the baseline chosen on validation (with its C), and
    the binomial half-width of chance at the test size."""
    z = float(np.sqrt(2) * erfinv(ci))
    parts = []
    for dataset in results["dataset"].values:
        ds = one_dataset(results, str(dataset))
        accuracies = ds["baseline_acc"].to_series().dropna()
        kmers = accuracies[[name for name in accuracies.index if name.endswith("-mer")]]
        best = best_on_validation([str(b) for b in ds["baseline"].values], ds["baseline_val_acc"].values)
        c = float(ds["baseline_c"].sel(baseline=best))
        tuned = f", C = {c:g} chosen on validation" if np.isfinite(c) else ""
        n = int(ds["n_test"])
        parts.append(
            f"{dataset_title(str(dataset))}: the k-mer ladder (k = 1–{len(kmers)}, counts pooled over both strands) scores "
            f"{kmers.min():.3f}–{kmers.max():.3f} on test; the baseline with the best validation accuracy is {best} "
            f"({float(ds['baseline_val_acc'].sel(baseline=best)):.3f} on validation, {accuracies[best]:.3f} on test{tuned}); "
            f"chance is 0.5 ± {z * 0.5 / np.sqrt(n):.3f} ({ci:.0%} binomial interval, {n:,} test sequences)."
        )
    return "\n\n".join(parts)


def method_comparison(results: xr.Dataset, verdict_method: str) -> str:
    """How much of the top-k importance each method puts on the moved motif for the trained
    models: a method can separate the two controls and still miss what a trained model uses."""
    parts = []
    for dataset in results["dataset"].values:
        ds = one_dataset(results, str(dataset))
        shares = ds["follow_moved"].sel(control=TRAINED).mean(["seed", "moved"])
        spans = {str(m): f"{float(shares.sel({'method': m}).min()):.2f}–{float(shares.sel({'method': m}).max()):.2f}" for m in ds["method"].values}
        others = ", ".join(f"{METHOD_TITLES[m]} {span}" for m, span in spans.items() if m != verdict_method)
        parts.append(
            f"{dataset_title(str(dataset))}: on the trained models, {METHOD_TITLES[verdict_method]} puts {spans[verdict_method]} of the "
            f"top-k importance on the moved motif (range over families); {others}."
        )
    return "\n\n".join(parts)


def follow_table(results: xr.Dataset) -> pd.DataFrame:
    """Share of the top-k importance on the moved motif, per dataset, run and method (means over
    seeds and moved inputs), the known-answer model and the shuffled-label runs beside the models."""
    rows = []
    for dataset in results["dataset"].values:
        ds = one_dataset(results, str(dataset))
        runs = [("motif model (known answer)", ds["known_follow_moved"])]
        for model in ds["model"].values:
            runs += [(run_name(str(model), control), ds["follow_moved"].sel(model=model, control=control)) for control in RUNS]
        for name, values in runs:
            row = {"dataset": dataset_title(str(dataset)), "run": name}
            row.update({METHOD_TITLES[str(m)]: float(np.nanmean(values.sel({"method": m}).values)) for m in ds["method"].values})
            rows.append(row)
    return pd.DataFrame(rows)

