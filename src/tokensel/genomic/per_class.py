"""Attribution per class: does a model find each class's own motif in that class's inputs?

On janggu the classes have different motifs (the Oct4 octamer in Oct4 peaks, the MARE and T-MARE
in MafK peaks), so pooled measures can hide a model that finds one motif and classifies by its
presence alone, calling every input without it the other class. Split by class, such a model has
its importance on the motif in one class and near chance in the other.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from tokensel.core.stats import bootstrap_mean
from tokensel.genomic.config import VerdictSettings
from tokensel.genomic.results import dataset_title, families, one_dataset
from tokensel.genomic.stage import TRAINED

KNOWN = "motif model (known answer)"


def _class_values(values: xr.DataArray, labels: xr.DataArray, label: int) -> np.ndarray:
    """The finite values of the inputs whose label is ``label`` (``labels`` along the inputs' dimension), over every run."""
    picked = values.where(labels == label).values.ravel()
    return picked[np.isfinite(picked)]


def _measures(ds: xr.Dataset, prefix: str, label: int, selection: dict) -> dict[str, float]:
    attributed = lambda name: _class_values(ds[prefix + name].sel(selection), ds["attributed_label"], label)  # noqa: E731
    moved = lambda name: _class_values(ds[prefix + name].sel(selection), ds["moved_label"], label)  # noqa: E731
    before, after = moved("vacated_before"), moved("vacated_after")
    mean = lambda x: float(x.mean()) if x.size else np.nan  # noqa: E731
    return {
        "attributed": int((ds["attributed_label"] == label).sum()),
        "moved": int((ds["moved_label"] == label).sum()),
        "motif AUROC": mean(attributed("motif_auroc")),
        "on motif": mean(attributed("follow_original")),
        "on moved motif": mean(moved("follow_moved")),
        "retention": mean(after) / mean(before) if mean(before) > 0 else np.nan,
    }


def classes(results: xr.Dataset, dataset: str) -> list[tuple[int, str, str]]:
    """(label, class name, its motifs) of one dataset."""
    ds = one_dataset(results, dataset)
    names = [str(n) for n in ds["class_name"].values if isinstance(n, str) and n]
    return [(i, name, str(ds["class_motifs"].values[i])) for i, name in enumerate(names)]


def per_class_table(results: xr.Dataset, method: str) -> pd.DataFrame:
    """Per dataset, class and run (known answer, each model's trained seeds): the class's own motif
    as ground truth, its motif AUROC, share of the top-k importance on the motif, on the moved
    motif, and the retention on the bases it left; ``attributed`` and ``moved`` count its inputs."""
    rows = []
    for dataset in results["dataset"].values:
        ds = one_dataset(results, str(dataset)).sel({"method": method})
        for label, name, motifs in classes(results, str(dataset)):
            base = {"dataset": dataset_title(str(dataset)), "class": name, "its motif": motifs}
            rows.append({**base, "run": KNOWN, **_measures(ds, "known_", label, {})})
            for model in ds["model"].values:
                rows.append({**base, "run": str(model), **_measures(ds, "", label, {"model": model, "control": TRAINED})})
    return pd.DataFrame(rows)


def motif_found(results: xr.Dataset, dataset: str, model: str, method: str, label: int, settings: VerdictSettings) -> bool | None:
    """Whether the trained model's top-k importance is on the class's own motif in that class's
    inputs: True when the bootstrap interval of the mean share lies at or above ``min_follow``,
    False when below it, None when it straddles it."""
    ds = one_dataset(results, dataset).sel({"method": method, "model": model, "control": TRAINED})
    share, low, high = bootstrap_mean(_class_values(ds["follow_original"], ds["attributed_label"], label), settings.n_boot, settings.ci)
    if not np.isfinite(share):
        return None
    return True if low >= settings.min_follow else (False if high < settings.min_follow else None)


def one_sided(results: xr.Dataset, settings: VerdictSettings) -> list[str]:
    """A plain sentence for every family and dataset (with different motifs per class) whose
    importance finds one class's motif and not another's."""
    sentences = []
    for dataset in results["dataset"].values:
        found_classes = classes(results, str(dataset))
        if len({motifs for _, _, motifs in found_classes}) < 2:
            continue
        table = per_class_table(results.sel(dataset=[dataset]), settings.method).set_index(["class", "run"])
        for model, family in families(results).items():
            found = {name: motif_found(results, str(dataset), model, settings.method, label, settings) for label, name, _ in found_classes}
            hits = [name for name, f in found.items() if f is True]
            misses = [name for name, f in found.items() if f is False]
            if hits and misses:
                share = lambda name: table.loc[(name, model), "on motif"]  # noqa: E731
                motif = dict((name, motifs) for _, name, motifs in found_classes)
                sentences.append(
                    f"On {dataset_title(str(dataset))}, the {family}'s importance sits on the {', '.join(hits)} motif in "
                    f"{', '.join(hits)} inputs ({', '.join(f'{share(n):.2f}' for n in hits)} of the top-k) but not on the "
                    f"{', '.join(misses)} motif ({', '.join(motif[n] for n in misses)}) in {', '.join(misses)} inputs "
                    f"({', '.join(f'{share(n):.2f}' for n in misses)}): it detects one motif and treats its absence as the other class."
                )
    return sentences


def insertion_table(results: xr.Dataset, settings: VerdictSettings) -> pd.DataFrame:
    """The motif-insertion test (``tokensel.genomic.insertion``) per dataset, class whose motif is
    inserted, and run: the mean change of that class's centred logit with the motif and with its
    shuffled bases, and their paired difference (seed-mean per input) with a bootstrap interval."""
    rows = []
    for dataset in results["dataset"].values:
        ds = one_dataset(results, str(dataset))
        if "insertion_target" not in ds or not np.isfinite(ds["insertion_target"].values.astype(float)).any():
            continue
        runs = [(KNOWN, ds["known_insertion_motif"], ds["known_insertion_shuffled"])]
        runs += [(str(m), ds["insertion_motif"].sel(model=m, control=TRAINED).mean("seed"), ds["insertion_shuffled"].sel(model=m, control=TRAINED).mean("seed"))
                 for m in ds["model"].values]
        for label, name, motifs in classes(results, str(dataset)):
            into = (ds["insertion_target"] == label).values
            for run, motif, shuffled in runs:
                gain, low, high = bootstrap_mean((motif.values - shuffled.values)[into], settings.n_boot, settings.ci)
                rows.append({
                    "dataset": dataset_title(str(dataset)), "inserted": f"{name} motif ({motifs})", "run": run, "inputs": int(into.sum()),
                    "logit change, motif": float(np.nanmean(motif.values[into])), "logit change, shuffled": float(np.nanmean(shuffled.values[into])),
                    "effect of the motif": gain, "low": low, "high": high, "raises the class": "yes" if low > 0 else "no",
                })
    return pd.DataFrame(rows)
