"""The verdict on the paper's synthetic-task claim, and the tables and metrics of its report.

Claim (Figure C.1): two-layer SSM+FNN with a sufficiently expressive FNN performs comparably to a
Transformer on input copying and associative recall, and outperforms one-layer SSM+FNN.

Every point of a task's axis (copy: string length; recall and MQAR: vocabulary |W|) is judged
from per-seed outcomes, never from a mean over bimodal seeds. A seed *solves* a point when its test
accuracy reaches ``verdict.solved_acc``; a model solves it when more than ``solved_fraction`` of
its seeds do. Each family (one-layer SSM+FNN, two-layer SSM+FNN, Transformer) is represented by its
best model at the point (most seeds solved, then the highest median). At a point:

* *control*: the Transformer solves it and the shortcut (no copying, no recall) stays below the
  threshold; otherwise the point cannot show the claim and is undecided;
* *comparable*: the two-layer SSM+FNN solves it too, or its median is within
  ``comparable_margin`` of the Transformer's;
* *outperforms one layer*: the two-layer model solves it and the one-layer does not, or its
  median is at least ``separation_margin`` higher.

A task's claim is reproduced when the two-layer model is comparable at every controlled point and
outperforms one layer at one or more of them; not reproduced when it is comparable and better
than one layer at none; partially reproduced otherwise. The margins are ours, fixed before the
runs.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from tokensel.core import verdicts as vocabulary
from tokensel.nn import families
from tokensel.nn.config import ModelConfig
from tokensel.nn.families import SSM1_FNN, SSM2_FNN, TRANSFORMER
from tokensel.synthetic.config import VerdictConfig
from tokensel.synthetic.diagnostics import axis_name, growth, model_families, total_cpu_seconds


def per_seed(ds: xr.Dataset, cfg: VerdictConfig) -> pd.DataFrame:
    """One row per task, model, axis point and seed that was run: accuracy, solved, steps, CPU seconds."""
    frame = ds[["test_acc", "steps_run", "cpu_seconds"]].to_dataframe().reset_index().dropna(subset=["test_acc"])
    frame["family"] = frame["model"].map(model_families(ds))
    frame["solved"] = frame["test_acc"] >= cfg.solved_acc
    frame["x"] = frame["x"].astype(int)
    frame["seed"] = frame["seed"].astype(int)
    return frame[["task", "model", "family", "x", "seed", "test_acc", "solved", "steps_run", "cpu_seconds"]]


def model_summary(ds: xr.Dataset, cfg: VerdictConfig) -> pd.DataFrame:
    """Per task, model and point: seeds run, seeds solved, solved fraction, median accuracy, solves."""
    seeds = per_seed(ds, cfg)
    summary = (
        seeds.groupby(["task", "family", "model", "x"])
        .agg(seeds=("seed", "size"), solved=("solved", "sum"), median_acc=("test_acc", "median"))
        .reset_index()
    )
    summary["solved_fraction"] = summary["solved"] / summary["seeds"]
    summary["solves"] = summary["solved_fraction"] > cfg.solved_fraction
    return summary


def shortcut_table(ds: xr.Dataset) -> pd.DataFrame:
    """Mean shortcut accuracy over the seeds' test splits, per task and point."""
    frame = ds["shortcut_acc"].mean("seed").to_dataframe().reset_index().dropna(subset=["shortcut_acc"])
    frame["x"] = frame["x"].astype(int)
    return frame[["task", "x", "shortcut_acc"]]


@dataclass(frozen=True)
class FamilyResult:
    model: str
    solved: int
    seeds: int
    median: float
    solves: bool

    def describe(self) -> str:
        return f"{self.solved}/{self.seeds} seeds solved, median {self.median:.3f}"


@dataclass(frozen=True)
class PointVerdict:
    task: str
    x: int
    shortcut: float
    two_layer: FamilyResult
    one_layer: FamilyResult | None  # None: the task runs no one-layer SSM+FNN
    transformer: FamilyResult
    controlled: bool
    comparable: bool
    outperforms_one_layer: bool | None  # None: not assessed (no one-layer model, or both solve)

    @property
    def holds(self) -> bool:
        return self.controlled and self.comparable and self.outperforms_one_layer is not False


def _best(cell: pd.DataFrame, family: str) -> FamilyResult | None:
    """The family's best model at a point, among the models that ran every seed there (a
    single-seed ablation is shown, never judged)."""
    members = cell[(cell["family"] == family) & (cell["seeds"] == cell["seeds"].max())]
    if members.empty:
        return None
    top = members.sort_values(["solved_fraction", "median_acc"], ascending=False).iloc[0]
    return FamilyResult(str(top["model"]), int(top["solved"]), int(top["seeds"]), float(top["median_acc"]), bool(top["solves"]))


def _outperforms(two: FamilyResult, one: FamilyResult | None, margin: float) -> bool | None:
    if one is None or (two.solves and one.solves):
        return None  # nothing to compare, or both solve: the point does not separate one layer from two
    return (two.solves and not one.solves) or two.median >= one.median + margin


def point_verdicts(ds: xr.Dataset, cfg: VerdictConfig) -> list[PointVerdict]:
    """The verdict at every grid point where two-layer SSM+FNN and a Transformer ran."""
    summary = model_summary(ds, cfg)
    shortcut = shortcut_table(ds).set_index(["task", "x"])["shortcut_acc"]
    out = []
    for (task, x), cell in summary.groupby(["task", "x"]):
        two, one, tf = (_best(cell, f) for f in (SSM2_FNN, SSM1_FNN, TRANSFORMER))
        if two is None or tf is None:
            continue
        cut = float(shortcut.get((task, x), math.nan))
        out.append(
            PointVerdict(
                task=str(task), x=int(x), shortcut=cut, two_layer=two, one_layer=one, transformer=tf,
                controlled=tf.solves and cut < cfg.solved_acc,
                comparable=two.solves or two.median >= tf.median - cfg.comparable_margin,
                outperforms_one_layer=_outperforms(two, one, cfg.separation_margin),
            )
        )
    return out


def task_verdict(points: list[PointVerdict]) -> str:
    """Reproduced: the claim holds at every controlled point and two layers beat one at some point
    (where the task runs a one-layer model). Not reproduced: it holds nowhere. Else partially."""
    controlled = [p for p in points if p.controlled]
    if not controlled:
        return vocabulary.UNDECIDED
    if not any(p.holds for p in controlled):
        return vocabulary.NOT_REPRODUCED
    one_layer_ran = any(p.one_layer is not None for p in controlled)
    separated = any(p.outperforms_one_layer for p in controlled)
    if all(p.holds for p in controlled) and (separated or not one_layer_ran):
        return vocabulary.REPRODUCED
    return vocabulary.PARTIALLY_REPRODUCED


def _points_text(name: str, points: list[PointVerdict]) -> str:
    return ", ".join(f"{name}={p.x}" for p in points)


def describe_task(task: str, name: str, points: list[PointVerdict]) -> str:
    """One paragraph per task: where the claim holds, where it fails, with the seed counts."""
    verdict = task_verdict(points)
    controlled = [p for p in points if p.controlled]
    holds = [p for p in controlled if p.holds]
    fails = [p for p in controlled if not p.comparable]
    parts = [f"{task}: {verdict}."]
    if holds:
        p = holds[-1]
        one = f", one layer {p.one_layer.describe()}" if p.one_layer is not None else ""
        parts.append(
            f"At {_points_text(name, holds)} two-layer SSM+FNN is comparable to the Transformer "
            f"(at {name}={p.x}: {p.two_layer.describe()} against {p.transformer.describe()}{one})."
        )
    unseparated = [p for p in holds if p.outperforms_one_layer is None and p.one_layer is not None]
    if unseparated:
        parts.append(f"At {_points_text(name, unseparated)} one layer solves it too, so the point does not separate them.")
    if controlled and not any(p.one_layer is not None for p in controlled):
        parts.append("This task runs no one-layer SSM+FNN; only comparability with the Transformer is judged.")
    if fails:
        p = fails[-1]
        parts.append(
            f"At {_points_text(name, fails)} it is not (at {name}={p.x}: two-layer SSM+FNN {p.two_layer.describe()}; Transformer "
            f"{p.transformer.describe()}; shortcut {p.shortcut:.3f})."
        )
        beats = [p for p in fails if p.outperforms_one_layer]
        if beats:
            q = beats[-1]
            parts.append(
                f"Two layers still beat one by the margin at {_points_text(name, beats)} (at {name}={q.x}: median "
                f"{q.two_layer.median:.3f} against {q.one_layer.median:.3f})."
            )
    weaker = [p for p in controlled if p.comparable and p.outperforms_one_layer is False]
    if weaker:
        parts.append(f"At {_points_text(name, weaker)} two layers do not beat one by the margin.")
    undecided = [p for p in points if not p.controlled]
    if undecided:
        parts.append(f"Undecided at {_points_text(name, undecided)} (the Transformer did not solve it, or the shortcut does).")
    return " ".join(parts)


def input_dependent_models(ds: xr.Dataset) -> list[str]:
    """Models whose mixer is neither the time-invariant SSM nor attention (gated convolution, selective SSM, SSD)."""
    mixers = {str(m): families.mixer_family(ModelConfig.from_json(str(s))) for m, s in zip(ds["model"].values, ds["model_spec"].values)}
    return [m for m, mixer in mixers.items() if mixer not in ("SSM", TRANSFORMER)]


def input_dependence_table(ds: xr.Dataset, cfg: VerdictConfig) -> pd.DataFrame:
    """At every point where an input-dependent model ran: its seeds solved and median accuracy,
    beside the best two-layer SSM+FNN and the Transformer there (the references of the gap)."""
    dependent = input_dependent_models(ds)
    summary = model_summary(ds, cfg)
    references = {(p.task, p.x): p for p in point_verdicts(ds, cfg)}
    rows = []
    for (task, x), cell in summary[summary["model"].isin(dependent)].groupby(["task", "x"], sort=False):
        point = references.get((task, x))
        chosen = [point.two_layer.model, point.transformer.model] if point is not None else []
        here = summary[(summary["task"] == task) & (summary["x"] == x)].set_index("model")
        for model in [*chosen, *(m for m in dependent if m in cell["model"].values)]:
            row = here.loc[model]
            rows.append({
                "task": task, "point": f"{axis_name(ds, task)}={x}", "model": model, "family": row["family"],
                "seeds solved": f"{int(row['solved'])}/{int(row['seeds'])}", "median accuracy": row["median_acc"],
                "gap": bool(point is not None and point.controlled and not point.two_layer.solves),
            })
    return pd.DataFrame(rows, columns=["task", "point", "model", "family", "seeds solved", "median accuracy", "gap"])


def input_dependent_at_gaps(ds: xr.Dataset, cfg: VerdictConfig) -> dict[str, dict[str, str]]:
    """Seeds solved by each input-dependent model at the points where the Transformer solves and
    two-layer SSM+FNN does not, keyed "<task> <axis>=<x>" (the headline of the input-dependence panel)."""
    dependent = input_dependent_models(ds)
    summary = model_summary(ds, cfg).set_index(["task", "model", "x"])
    out = {}
    for p in point_verdicts(ds, cfg):
        if p.controlled and not p.two_layer.solves:
            ran = {m: summary.loc[(p.task, m, p.x)] for m in dependent if (p.task, m, p.x) in summary.index}
            if ran:
                out[f"{p.task} {axis_name(ds, p.task)}={p.x}"] = {m: f"{int(r['solved'])}/{int(r['seeds'])}" for m, r in ran.items()}
    return out


def input_dependence(ds: xr.Dataset, cfg: VerdictConfig) -> str | None:
    """Does input dependence close the gap? At every point where the Transformer solves a task and
    two-layer SSM+FNN does not, whether each input-dependent model solves it (closes the gap), or
    beats two-layer SSM+FNN's median by ``separation_margin`` (narrows it). None without such models."""
    dependent = input_dependent_models(ds)
    if not dependent:
        return None
    summary = model_summary(ds, cfg).set_index(["task", "model", "x"])
    gaps = [p for p in point_verdicts(ds, cfg) if p.controlled and not p.two_layer.solves]
    ran = [p for p in gaps if any((p.task, m, p.x) in summary.index for m in dependent)]
    if not gaps:
        return "Two-layer SSM+FNN solves every point the Transformer solves, so there is no gap for input dependence to close here."
    lines = []
    for p in gaps:
        outcomes = []
        for m in dependent:
            if (p.task, m, p.x) not in summary.index:
                continue
            row = summary.loc[(p.task, m, p.x)]
            if row["solves"]:
                word = "closes the gap"
            elif row["median_acc"] >= p.two_layer.median + cfg.separation_margin:
                word = "narrows it"
            else:
                word = "does not close it"
            outcomes.append(f"{m} {word} ({int(row['solved'])}/{int(row['seeds'])} seeds solved, median {row['median_acc']:.3f})")
        lines.append(
            f"- {p.task}, {axis_name(ds, p.task)}={p.x}: Transformer {p.transformer.describe()}; two-layer SSM+FNN "
            f"({p.two_layer.model}) {p.two_layer.describe()}. " + ("; ".join(outcomes) if outcomes else "No input-dependent model ran here") + "."
        )
    head = (
        f"The Transformer solves and two-layer SSM+FNN does not at {len(gaps)} point(s); input-dependent models ran at "
        f"{len(ran)} of them. A model *closes the gap* where it solves the point (more than {cfg.solved_fraction:.0%} of its "
        f"seeds at test accuracy ≥ {cfg.solved_acc:g}) and *narrows it* where its median is at least {cfg.separation_margin:g} "
        "above two-layer SSM+FNN's."
    )
    return "\n".join([head, "", *lines])


def claim_sentence(by_task: dict[str, list[PointVerdict]], names: dict[str, str]) -> str:
    """The verdict in one line: where two-layer SSM+FNN matches the Transformer, where it does not,
    and where it beats one layer (controlled points only)."""
    def where(test) -> str:
        found = [f"{task} {names[task]}={p.x}" for task, points in by_task.items() for p in points if p.controlled and test(p)]
        return ", ".join(found) or "no point"

    return (
        f"Trained two-layer SSM+FNN matches the Transformer at {where(lambda p: p.comparable)}; "
        f"not at {where(lambda p: not p.comparable)}; it beats one-layer SSM+FNN at {where(lambda p: p.outperforms_one_layer)}."
    )


PLOT_COLUMNS = ("two_layer_ssm_fnn", "one_layer_ssm_fnn", "transformer", "shortcut")


def write_plot_csvs(ds: xr.Dataset, cfg: VerdictConfig, out_dir: str | Path) -> list[Path]:
    """``accuracy-<task>.csv`` per task for ``dvc plots``: the seed median of each family's best
    model and the shortcut against the task's axis, one column per series."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    points = point_verdicts(ds, cfg)
    for task in dict.fromkeys(p.task for p in points):
        rows = [
            dict(zip(("x", *PLOT_COLUMNS), (p.x, p.two_layer.median, p.one_layer.median if p.one_layer else math.nan, p.transformer.median, p.shortcut)))
            for p in points if p.task == task
        ]
        path = out / f"accuracy-{task}.csv"
        pd.DataFrame(rows).to_csv(path, index=False, float_format="%.4f")
        paths.append(path)
    return paths


def write_metrics(ds: xr.Dataset, cfg: VerdictConfig, out_dir: str | Path) -> dict:
    """``metrics.json`` (verdict, claim, solved fractions per family at each point) and ``details.json``."""
    points = point_verdicts(ds, cfg)
    by_task = {task: [p for p in points if p.task == task] for task in dict.fromkeys(p.task for p in points)}
    verdicts = {task: task_verdict(found) for task, found in by_task.items()}
    verdict = vocabulary.combine(list(verdicts.values()) or [vocabulary.UNDECIDED])
    names = {task: axis_name(ds, task) for task in by_task}
    metrics = {
        **vocabulary.summary(verdict, claim_sentence(by_task, names) if by_task else "No point ran all three families."),
        "tasks": verdicts,
        "solved": {
            task: {
                f"{axis_name(ds, task)}={p.x}": {
                    role: f"{found.solved}/{found.seeds}"
                    for role, found in (("ssm2", p.two_layer), ("ssm1", p.one_layer), ("transformer", p.transformer)) if found is not None
                }
                for p in found
            }
            for task, found in by_task.items()
        },
        **({"input_dependent_at_gaps": dependent} if (dependent := input_dependent_at_gaps(ds, cfg)) else {}),
    }
    details = {
        "points": [asdict(p) | {"holds": p.holds} for p in points],
        "chosen_lr": {str(t): {str(m): float(ds["chosen_lr"].sel(task=t, model=m)) for m in ds["model"].values
                               if np.isfinite(ds["chosen_lr"].sel(task=t, model=m))} for t in ds["task"].values},
        "growth": [asdict(g) for g in growth(ds)],
        "cpu_seconds": total_cpu_seconds(ds),
    }
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2, sort_keys=True) + "\n")
    (out / "details.json").write_text(json.dumps(_rounded(details), indent=2, sort_keys=True) + "\n")
    return metrics


def _rounded(value):
    """``value`` with every float rounded to 4 decimals (NaN as null), for stable, readable JSON."""
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_rounded(v) for v in value]
    if isinstance(value, float):
        return None if math.isnan(value) else round(value, 4)
    return value
