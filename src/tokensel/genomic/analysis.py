"""From combined run files to the report's tables, metrics and verdicts (no plotting here).

``results`` is the ``xr.combine_by_coords`` of every run Dataset made by
:func:`tokensel.genomic.stage.run`: dimensions (dataset, model, seed, method, ...).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import xarray as xr

from tokensel.core import verdicts as vocabulary
from tokensel.genomic.baselines import (
    gc_content_baseline,
    kmer_logistic_regression,
    majority_class_baseline,
)
from tokensel.genomic.config import GenomicExperiment
from tokensel.nn.config import ModelConfig
from tokensel.nn.families import mixer_family

#: Per-(dataset, model, method) measures, each averaged over examples then over seeds.
IMPORTANCE_MEASURES = (
    "mass_fraction_50",
    "mass_fraction_90",
    "gini",
    "motif_auroc",
    "jaccard_pairs",
    "jaccard_position_only",
    "jaccard_chance",
    "input_dependence",
    "top1_entropy",
    "top1_entropy_max",
)


MAJORITY = "majority class"
GC = "GC-content threshold"


def model_families(results: xr.Dataset) -> dict[str, str]:
    """Model name -> its mixer's family ('SSM', 'Transformer', ...), from the ``model_spec`` coordinate."""
    return {str(m): mixer_family(ModelConfig.from_json(str(s))) for m, s in zip(results["model"].values, results["model_spec"].values)}


def baseline_scores(experiment: GenomicExperiment, datasets: list[str]) -> pd.DataFrame:
    """Test accuracy and AUROC of the non-neural baselines, one row per (dataset, baseline)."""
    rows = []
    cfg = experiment.baselines
    for name in datasets:
        data = experiment.dataset(name).load()
        for baseline, (acc, auroc) in (
            (f"{cfg.kmer}-mer logistic regression", kmer_logistic_regression(data.train, data.test, cfg.kmer, cfg.c, cfg.max_iter)),
            (GC, gc_content_baseline(data.train, data.test)),
            (MAJORITY, majority_class_baseline(data.train, data.test)),
        ):
            rows.append({"dataset": name, "model": baseline, "family": "baseline", "acc_mean": acc, "auroc_mean": auroc})
    return pd.DataFrame(rows)


def accuracy_table(results: xr.Dataset, baselines: pd.DataFrame) -> pd.DataFrame:
    """Mean and sd over seeds of test accuracy and AUROC per (dataset, model), baselines appended."""
    frame = results[["test_acc", "test_auroc"]].to_dataframe().reset_index().dropna(subset=["test_acc"])
    table = frame.groupby(["dataset", "model"]).agg(
        acc_mean=("test_acc", "mean"),
        acc_sd=("test_acc", "std"),
        auroc_mean=("test_auroc", "mean"),
        auroc_sd=("test_auroc", "std"),
        n_seeds=("seed", "nunique"),
    ).reset_index()
    table.insert(2, "family", table["model"].map(model_families(results)))
    return pd.concat([table, baselines], ignore_index=True).sort_values(["dataset", "family", "model"], ignore_index=True)


def importance_table(results: xr.Dataset) -> pd.DataFrame:
    """Each measure of :data:`IMPORTANCE_MEASURES`: mean over examples, then mean and sd over seeds."""
    per_seed = xr.Dataset(
        {k: results[k].mean("example") if "example" in results[k].dims else results[k] for k in IMPORTANCE_MEASURES}
    )
    spread = ["mass_fraction_50", "gini", "motif_auroc", "input_dependence"]
    mean = per_seed.mean("seed").to_dataframe()[list(IMPORTANCE_MEASURES)]
    sd = per_seed[spread].std("seed", ddof=1).to_dataframe()[spread].add_suffix("_sd")
    table = mean.join(sd).reset_index()
    table.insert(2, "family", table["model"].map(model_families(results)))
    return table.dropna(subset=["mass_fraction_50"])


@dataclass(frozen=True)
class Verdict:
    dataset: str
    model: str
    family: str
    learned: bool
    sparse: bool
    input_dependent: bool
    mass_fraction_50: float
    input_dependence: float


def verdicts(importance: pd.DataFrame, accuracy: pd.DataFrame, experiment: GenomicExperiment) -> list[Verdict]:
    """Sparse / input-dependent calls per (dataset, model) from the verdict method's numbers.

    ``learned`` is whether the model's accuracy beats the better of the GC-content and
    majority-class baselines by ``min_gain_over_baseline`` (a GC threshold can score below chance
    on test data, so chance must bound it).
    """
    cfg = experiment.verdict
    acc = accuracy.set_index(["dataset", "model"])["acc_mean"]
    baselines = accuracy[accuracy["model"].isin([GC, MAJORITY])]
    bar = baselines.groupby("dataset")["acc_mean"].max()  # max skips the GC NaN of multi-class tasks
    rows = importance[importance["method"] == cfg.method]
    return [
        Verdict(
            dataset=str(r.dataset),
            model=str(r.model),
            family=str(r.family),
            learned=bool(acc[(r.dataset, r.model)] >= bar[r.dataset] + cfg.min_gain_over_baseline),
            sparse=bool(r.mass_fraction_50 <= cfg.max_mass_fraction_50),
            input_dependent=bool(r.input_dependence >= cfg.min_input_dependence),
            mass_fraction_50=float(r.mass_fraction_50),
            input_dependence=float(r.input_dependence),
        )
        for r in rows.itertuples()
    ]


def family_verdicts(verdict_list: list[Verdict]) -> dict[str, dict[str, bool | None]]:
    """Per family: is importance sparse / input-dependent for every model that learned the task?

    None where no model of the family beat the baselines on any dataset (undetermined).
    """
    out: dict[str, dict[str, bool | None]] = {}
    for v in verdict_list:
        entry = out.setdefault(v.family, {"sparse": None, "input_dependent": None})
        if v.learned:
            entry["sparse"] = v.sparse and entry["sparse"] is not False
            entry["input_dependent"] = v.input_dependent and entry["input_dependent"] is not False
    return out


def _records(frame: pd.DataFrame) -> list[dict]:
    # NaN is not valid JSON; DVC's metrics reader needs strict JSON.
    return json.loads(frame.to_json(orient="records"))


def claim(families: dict[str, dict[str, bool | None]]) -> str:
    """One line for the index page: is importance sparse and input-dependent in every family?"""
    def state(family: dict[str, bool | None]) -> str:
        if family["sparse"] is None:
            return "undetermined (no model beat the baselines)"
        parts = ["sparse" if family["sparse"] else "not sparse", "input-dependent" if family["input_dependent"] else "not input-dependent"]
        return " and ".join(parts)

    if not families:
        return "not assessed"
    holds = all(v["sparse"] is True and v["input_dependent"] is True for v in families.values())
    detail = "; ".join(f"{name}: {state(v)}" for name, v in sorted(families.items()))
    return f"{'reproduced' if holds else 'not reproduced'} ({detail})"


def write_metrics(accuracy: pd.DataFrame, importance: pd.DataFrame, verdict_list: list[Verdict], path: str | Path) -> dict:
    """metrics.json: accuracies, importance measures and verdicts (all numbers the report quotes)."""
    families = family_verdicts(verdict_list)
    parts = [
        vocabulary.UNDECIDED if v["sparse"] is None else vocabulary.REPRODUCED if v["sparse"] and v["input_dependent"] else vocabulary.NOT_REPRODUCED
        for v in families.values()
    ]
    metrics = {
        **vocabulary.summary(vocabulary.combine(parts or [vocabulary.UNDECIDED]), claim(families)),
        "families": families,
        "verdicts": [v.__dict__ for v in verdict_list],
        "accuracy": _records(accuracy),
        "importance": _records(importance),
    }
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(metrics, indent=2, sort_keys=True) + "\n")
    return metrics


def describe(v: Verdict, experiment: GenomicExperiment) -> str:
    cfg = experiment.verdict
    sparse = "sparse" if v.sparse else "not sparse"
    dependent = "input-dependent" if v.input_dependent else "mostly positional"
    caveat = "" if v.learned else f" -- not counted: accuracy not {cfg.min_gain_over_baseline:.2f} above the GC-content and majority-class baselines"
    return (
        f"{v.dataset} / {v.model} ({v.family}): {sparse} (half the mass on {v.mass_fraction_50:.1%} of tokens; "
        f"threshold {cfg.max_mass_fraction_50:.0%}), {dependent} (input-dependence index {v.input_dependence:.2f}; "
        f"threshold {cfg.min_input_dependence:.2f}){caveat}"
    )
