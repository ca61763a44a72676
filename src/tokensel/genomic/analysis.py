"""Tables, controls and the verdict of the genomic experiment, from the combined results.

Per dataset and model family, read from ``verdict.method`` (in-silico mutagenesis by default):

1. **learned beyond k-mer composition?** The seed-mean test accuracy beats the best baseline
   (majority class, GC threshold, tuned canonical k-mer ladder; the best is the one with the
   highest *validation* accuracy): the lower end of a paired bootstrap interval of the accuracy
   difference (over test sequences) is above zero. Attributions of a model that did not learn the task are no
   evidence.
2. **do the controls separate?** For the motif AUROC, the share of top-k importance on the moved
   motif, and the mass fraction (sparse direction), the known-answer motif model minus the family's
   shuffled-label model has a bootstrap lower bound above ``min_separation``. A method that cannot
   tell a model that uses exactly the motif from one that learned nothing cannot decide anything.
   And the parameter-randomisation test (Adebayo et al. 2018): on the motif AUROC and the share on
   the moved motif, the trained family minus the same network with random weights has a lower
   bound above ``min_separation``; otherwise the map shows the architecture, not what was learned.
3. Only then: **sparse?** (half the importance on at most ``max_mass_fraction_50`` of the bases),
   **input-dependent?** (after the motif moves, the importance left on its old bases is at most
   ``max_vacated_retention`` of what was there before), **follows the motif?** (at least
   ``min_follow`` of the top-k importance lands on the moved motif).

A family reproduces the claim on a dataset when all three hold, does not when any fails, and is
undecided when it did not learn or a control does not separate. The paper's claim is about SSMs
and Transformers; the input-dependent mixers are reported beside it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from tokensel.core import verdicts
from tokensel.core.stats import bootstrap_mean
from tokensel.genomic.baselines import best_on_validation
from tokensel.genomic.config import VerdictSettings
from tokensel.genomic.controls import control_separation, randomisation_separation
from tokensel.genomic.results import METHOD_TITLES, PAPER_FAMILIES, dataset_title, families, one_dataset
from tokensel.genomic.stage import RANDOMISED, SHUFFLED, TRAINED

# --------------------------------------------------------------------------- accuracy


def accuracy_table(results: xr.Dataset) -> pd.DataFrame:
    """Per dataset: every baseline, the known-answer model, each model per seed and its control."""
    rows = []
    seeds = [int(s) for s in results["seed"].values]
    for dataset in results["dataset"].values:
        ds = one_dataset(results, str(dataset))
        for name in ds["baseline"].values:
            acc = float(ds["baseline_acc"].sel(baseline=name))
            if np.isfinite(acc):
                rows.append({"dataset": dataset_title(str(dataset)), "model": str(name), "kind": "baseline", "accuracy": acc})
        rows.append({"dataset": dataset_title(str(dataset)), "model": "motif model (known answer)", "kind": "positive control", "accuracy": float(ds["known_acc"])})
        for model, family in families(results).items():
            trained = ds["test_acc"].sel(model=model, control=TRAINED)
            row = {"dataset": dataset_title(str(dataset)), "model": model, "kind": family, "accuracy": float(trained.mean())}
            row.update({f"seed {s}": float(trained.sel(seed=s)) for s in seeds})
            row["shuffled-label control"] = float(ds["test_acc"].sel(model=model, control=SHUFFLED).mean())
            row["random-weight control"] = float(ds["test_acc"].sel(model=model, control=RANDOMISED).mean())
            rows.append(row)
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class Learned:
    best_baseline: str
    baseline_accuracy: float
    accuracy: float
    gain: float
    gain_low: float
    gain_high: float

    @property
    def learned(self) -> bool:
        return bool(self.gain_low > 0)


def learned(results: xr.Dataset, dataset: str, model: str, settings: VerdictSettings) -> Learned:
    """Seed-mean accuracy against the baseline with the best validation accuracy, paired over test
    sequences (the test split does not choose the baseline it is compared with)."""
    ds = one_dataset(results, dataset)
    names = [str(b) for b in ds["baseline"].values]
    best = best_on_validation(names, ds["baseline_val_acc"].values)
    correct = ds["test_correct"].sel(model=model, control=TRAINED).dropna("seed", how="all").mean("seed").values
    reference = ds["baseline_correct"].sel(baseline=best).values
    gain, lo, hi = bootstrap_mean(correct - reference, settings.n_boot, settings.ci)
    return Learned(best, float(ds["baseline_acc"].sel(baseline=best)), float(np.nanmean(correct)), gain, lo, hi)


# --------------------------------------------------------------------------- controls and measures


def importance_measures(results: xr.Dataset, dataset: str, model: str, method: str, control: str = TRAINED) -> dict[str, float]:
    """Means over seeds and inputs; ``retention`` = importance left on the vacated bases after the
    move relative to before it."""
    ds = one_dataset(results, dataset).sel({"method": method, "model": model, "control": control})
    mean = lambda name: float(np.nanmean(ds[name].values))  # noqa: E731
    before, after = mean("vacated_before"), mean("vacated_after")
    return {
        "motif AUROC": mean("motif_auroc"),
        "mass fraction 50 %": mean("mass_fraction_50"),
        "on motif": mean("follow_original"),
        "on moved motif": mean("follow_moved"),
        "on vacated bases, before": before,
        "on vacated bases, after": after,
        "retention": after / before if before > 0 else np.nan,
        "Jaccard index": mean("jaccard_index"),
    }


def known_measures(results: xr.Dataset, dataset: str, method: str) -> dict[str, float]:
    ds = one_dataset(results, dataset).sel({"method": method})
    mean = lambda name: float(np.nanmean(ds[f"known_{name}"].values))  # noqa: E731
    before, after = mean("vacated_before"), mean("vacated_after")
    return {
        "motif AUROC": mean("motif_auroc"), "mass fraction 50 %": mean("mass_fraction_50"), "on motif": mean("follow_original"),
        "on moved motif": mean("follow_moved"), "on vacated bases, before": before, "on vacated bases, after": after,
        "retention": after / before if before > 0 else np.nan, "Jaccard index": mean("jaccard_index"),
    }


def chance_share(results: xr.Dataset, dataset: str) -> float:
    """The share of top-k importance a moved motif gets from importance unrelated to it: k / L."""
    return float(results["moved_motif_fraction"].sel(dataset=dataset).mean())


# --------------------------------------------------------------------------- verdict


@dataclass(frozen=True)
class FamilyVerdict:
    dataset: str
    model: str
    family: str
    accuracy: float
    best_baseline: str
    baseline_accuracy: float
    learned: bool
    controls_separate: bool
    randomisation_separates: bool
    mass_fraction_50: float
    on_moved_motif: float
    retention: float
    sparse: bool | None
    input_dependent: bool | None
    follows: bool | None
    outcome: str


def family_verdict(results: xr.Dataset, dataset: str, model: str, settings: VerdictSettings, method: str | None = None) -> FamilyVerdict:
    """The verdict of one family on one dataset, read from ``method`` (default: the verdict method)."""
    method = method or settings.method
    score = learned(results, dataset, model, settings)
    separate = bool(control_separation(results, dataset, model, method, settings)["separates"].all())
    randomised = bool(randomisation_separation(results, dataset, model, method, settings)["separates"].all())
    m = importance_measures(results, dataset, model, method)
    decided = score.learned and separate and randomised
    sparse = m["mass fraction 50 %"] <= settings.max_mass_fraction_50 if decided else None
    dependent = m["retention"] <= settings.max_vacated_retention if decided else None
    follows = m["on moved motif"] >= settings.min_follow if decided else None
    if not decided:
        outcome = verdicts.UNDECIDED
    else:
        outcome = verdicts.REPRODUCED if (sparse and dependent and follows) else verdicts.NOT_REPRODUCED
    return FamilyVerdict(
        dataset, model, families(results)[model], score.accuracy, score.best_baseline, score.baseline_accuracy, score.learned,
        separate, randomised, m["mass fraction 50 %"], m["on moved motif"], m["retention"],
        None if sparse is None else bool(sparse), None if dependent is None else bool(dependent), None if follows is None else bool(follows), outcome,
    )


def all_verdicts(results: xr.Dataset, settings: VerdictSettings, method: str | None = None) -> list[FamilyVerdict]:
    return [family_verdict(results, str(d), str(m), settings, method) for d in results["dataset"].values for m in results["model"].values]


def verdicts_by_method(results: xr.Dataset, settings: VerdictSettings) -> pd.DataFrame:
    """The outcome of every family and dataset under every attribution method, the verdict
    method's column first and marked: how much the verdict depends on the method."""
    methods = [settings.method] + [str(m) for m in results["method"].values if str(m) != settings.method]
    columns = {m: all_verdicts(results, settings, m) for m in methods}
    rows = []
    for i, v in enumerate(columns[settings.method]):
        row = {"dataset": dataset_title(v.dataset), "family": v.family}
        for m in methods:
            title = METHOD_TITLES[m] + (" (sets the verdict)" if m == settings.method else "")
            row[title] = columns[m][i].outcome
        rows.append(row)
    return pd.DataFrame(rows)


def verdict_table(found: list[FamilyVerdict]) -> pd.DataFrame:
    yes_no = lambda v: "–" if v is None else ("yes" if v else "no")  # noqa: E731
    return pd.DataFrame([{
        "dataset": dataset_title(v.dataset), "family": v.family, "accuracy": v.accuracy,
        "best baseline": f"{v.best_baseline} ({v.baseline_accuracy:.3f})", "learned beyond k-mer composition": yes_no(v.learned),
        "controls separate": yes_no(v.controls_separate), "unlike random weights": yes_no(v.randomisation_separates), "sparse": yes_no(v.sparse), "input-dependent": yes_no(v.input_dependent),
        "follows the motif": yes_no(v.follows), "outcome": v.outcome,
    } for v in found])


def overall(found: list[FamilyVerdict]) -> str:
    """The paper's claim (SSM and Transformer on every dataset) as one verdict."""
    return verdicts.combine([v.outcome for v in found if v.family in PAPER_FAMILIES])


def claim(found: list[FamilyVerdict], method: str) -> str:
    """One sentence with the numbers behind the verdict."""
    paper = [v for v in found if v.family in PAPER_FAMILIES]
    other = [v for v in found if v.family not in PAPER_FAMILIES]
    decided = [v for v in paper if v.outcome != verdicts.UNDECIDED]
    if not decided:
        return f"No SSM or Transformer both learned a dataset and had separating controls ({METHOD_TITLES[method]})."
    span = lambda values: f"{min(values):.2f}–{max(values):.2f}"  # noqa: E731
    held = sum(v.outcome == verdicts.REPRODUCED for v in paper)
    text = (
        f"{METHOD_TITLES[method].capitalize()} importance of the SSM and Transformer is sparse and follows the motif "
        f"in {held} of {len(paper)} family-dataset cases (half the importance on {span([v.mass_fraction_50 for v in decided])} of the bases, "
        f"{span([v.on_moved_motif for v in decided])} of the top-k importance on a moved motif, "
        f"{span([v.retention for v in decided])} left behind)"
    )
    open_cases = [v for v in paper if v.outcome == verdicts.UNDECIDED]
    if open_cases:
        text += "; undecided: " + ", ".join(f"{v.family} on {dataset_title(v.dataset)} ({_why_undecided(v)})" for v in open_cases)
    if other:
        text += f"; input-dependent mixers: {sum(v.outcome == verdicts.REPRODUCED for v in other)} of {len(other)}"
    return text + "."


def _why_undecided(v: FamilyVerdict) -> str:
    if not v.learned:
        return f"accuracy {v.accuracy:.3f} does not beat the {v.best_baseline} baseline's {v.baseline_accuracy:.3f}"
    if not v.controls_separate:
        return "the known-answer and shuffled-label controls do not separate"
    return "its importance is no closer to the motif than that of the same network with random weights"


def write_metrics(found: list[FamilyVerdict], accuracy: pd.DataFrame, settings: VerdictSettings, out_dir: str | Path) -> dict:
    """Compact ``metrics.json`` (verdict, claim, headline numbers) and ``details.json`` beside it."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    r = lambda v: None if v is None or (isinstance(v, float) and not np.isfinite(v)) else (round(v, 4) if isinstance(v, float) else v)  # noqa: E731
    metrics = {
        **verdicts.summary(overall(found), claim(found, settings.method)),
        "cases": {f"{v.dataset}/{v.model}": {"outcome": v.outcome, "accuracy": r(v.accuracy), "on_moved_motif": r(v.on_moved_motif)} for v in found},
    }
    details = {
        "verdicts": [{k: r(val) for k, val in asdict(v).items()} for v in found],
        "accuracy": [{k: r(val) for k, val in row.items()} for row in accuracy.to_dict("records")],
        "settings": asdict(settings),
    }
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2, sort_keys=True) + "\n")
    (out / "details.json").write_text(json.dumps(details, indent=2, sort_keys=True) + "\n")
    return metrics
