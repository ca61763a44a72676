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
from tokensel.core.stats import loglog_slope
from tokensel.nn import families
from tokensel.nn.config import ModelConfig
from tokensel.nn.families import SSM1_FNN, SSM2_FNN, TRANSFORMER
from tokensel.synthetic.config import SyntheticExperiment, VerdictConfig

AXIS_NAMES = {"size": "k", "vocab_size": "|W|", "seq_len": "L"}


def model_families(ds: xr.Dataset) -> dict[str, str]:
    """Model name -> family, from the ``model_spec`` coordinate of a run Dataset."""
    return families.model_families(ds["model"].values, ds["model_spec"].values)


def axis_name(ds: xr.Dataset, task: str) -> str:
    """The axis's symbol: k, L, |W| (recall's distinct keys) or V (MQAR's whole vocabulary, Zoology's convention)."""
    axis = str(ds["axis"].sel(task=task).item())
    if axis == "vocab_size" and str(ds["task_name"].sel(task=task).item()) == "mqar":
        return "V"
    return AXIS_NAMES.get(axis, axis)


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


def lr_table(ds: xr.Dataset) -> pd.DataFrame:
    """Final validation accuracy of every rate of the sweep, per task and model, and the rate chosen."""
    frame = ds[["sweep_final_val_acc", "sweep_steps_run"]].to_dataframe().reset_index().dropna(subset=["sweep_final_val_acc"])
    chosen = ds["chosen_lr"].to_dataframe().reset_index().dropna(subset=["chosen_lr"])
    frame = frame.merge(chosen, on=["task", "model"])
    frame["chosen"] = np.isclose(frame["lr"], frame["chosen_lr"])
    return frame[["task", "model", "lr", "sweep_final_val_acc", "sweep_steps_run", "chosen"]]


def swept_tasks(ds: xr.Dataset) -> list[str]:
    """Tasks whose models were trained at more than one learning rate."""
    counts = lr_table(ds).groupby("task", sort=False)["lr"].nunique()
    return [str(task) for task, count in counts.items() if count > 1]


def late_gain(ds: xr.Dataset, fraction: float = 0.25) -> pd.DataFrame:
    """Validation accuracy gained over the last ``fraction`` of training, for runs that used every step.

    A run still gaining a lot at the end was cut short by the step budget, not by what the model can
    learn; early-stopped (solved) runs are left out."""
    rows = []
    for task in ds["task"].values:
        sub = ds.sel(task=task)
        steps = sub["eval_step"].values[np.isfinite(sub["val_acc"].max(["model", "x", "seed"]).values)]
        if steps.size < 2:
            continue
        last, cut = steps.max(), steps.max() * (1 - fraction)
        earlier = steps[steps <= cut].max() if (steps <= cut).any() else steps.min()
        full = sub["steps_run"] == last
        gain = (sub["val_acc"].sel(eval_step=last) - sub["val_acc"].sel(eval_step=earlier)).where(full)
        frame = gain.rename("late_gain").to_dataframe().reset_index().dropna(subset=["late_gain"])
        rows.append(frame.assign(task=str(task))[["task", "model", "x", "seed", "late_gain"]])
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=["task", "model", "x", "seed", "late_gain"])


@dataclass(frozen=True)
class Growth:
    """How the width (and parameter count) a model needs grows along a task's axis."""

    task: str
    model: str
    points: int
    width_exponent: float  # slope of log(width needed) on log(x); NaN with fewer than two points
    params_exponent: float
    censored: int  # points where no width of the list sufficed


def size_table(ds: xr.Dataset) -> pd.DataFrame:
    """Per task, model and searched point: the smallest sufficient width and its parameter count."""
    needed = ds["needed_width"]
    searched = ds["size_test_acc"].notnull().any(["width", "seed"])
    rows = []
    for task in ds["task"].values:
        for model in ds["model"].values:
            for x in ds["x"].values:
                if not bool(searched.sel(task=task, model=model, x=x)):
                    continue
                width = float(needed.sel(task=task, model=model, x=x))
                params = float(ds["size_n_params"].sel(task=task, model=model, x=x, width=width)) if math.isfinite(width) else math.nan
                rows.append({"task": str(task), "model": str(model), "x": int(x), "needed_width": width, "needed_params": params})
    frame = pd.DataFrame(rows, columns=["task", "model", "x", "needed_width", "needed_params"])
    frame["family"] = frame["model"].map(model_families(ds))
    return frame


def growth(ds: xr.Dataset) -> list[Growth]:
    """Log-log growth exponents of the width and parameters needed, per task and model.

    Polynomial growth keeps the exponent roughly constant as the axis grows; poly-logarithmic
    growth (the theorems' claim for two-layer SSM+FNN) drives it towards 0."""
    table = size_table(ds)
    out = []
    for (task, model), rows in table.groupby(["task", "model"]):
        found = rows.dropna(subset=["needed_width"])
        out.append(
            Growth(
                str(task), str(model), len(found),
                loglog_slope(found["x"].to_numpy(), found["needed_width"].to_numpy()),
                loglog_slope(found["x"].to_numpy(), found["needed_params"].to_numpy()),
                int(rows["needed_width"].isna().sum()),
            )
        )
    return out


def describe_growth(fits: list[Growth]) -> str:
    """The growth exponents in words; a fit needs two points that some width solved."""
    lines = []
    for fit in fits:
        if fit.points < 2:
            reason = "no width of the list solved any point" if fit.points == 0 else "only one point was solved"
            lines.append(f"- {fit.task}, {fit.model}: no fit ({reason}; {fit.censored} point(s) unsolved at every width).")
        else:
            lines.append(
                f"- {fit.task}, {fit.model}: width needed grows as x^{fit.width_exponent:.2f}, parameters as x^{fit.params_exponent:.2f} "
                f"over {fit.points} solved points" + (f"; {fit.censored} point(s) unsolved at every width" if fit.censored else "") + "."
            )
    return "\n".join(lines + [
        "\nWidths come in powers of two, so an exponent from a few points is coarse. Polynomial growth keeps the exponent "
        "as the axis grows; the theorems' poly-logarithmic growth drives it towards 0 at large x, which only the paper "
        "profile's longer axes can show."
    ])


def describe_late_gains(gains: pd.DataFrame, threshold: float = 0.05) -> str:
    """Which models were still improving when their step budget ran out."""
    if gains.empty:
        return "Every run solved its point before the step budget ran out."
    still = gains[gains["late_gain"] > threshold]
    if still.empty:
        return f"No run that used all its steps gained more than {threshold:g} validation accuracy in its last quarter: the curves have flattened."
    counts = still.groupby(["task", "model"]).size()
    runs = gains.groupby(["task", "model"]).size()
    parts = [f"{task}/{model}: {n} of {runs[(task, model)]}" for (task, model), n in counts.items()]
    return (
        f"Runs still gaining more than {threshold:g} validation accuracy in their last quarter of steps (of those that used "
        f"every step): {'; '.join(parts)}. With more steps these models might reach higher accuracy; the paper profile trains longer."
    )


def long_run_table(ds: xr.Dataset) -> pd.DataFrame:
    """Per task and model with a long run: its point and test accuracy, beside the grid run of the
    same point and seed (the learning-rate seed)."""
    rows = []
    for task in ds["task"].values:
        sub = ds.sel(task=task)
        at, seed = int(sub["long_at"]), int(sub["lr_seed"])
        for model in sub["model"].values:
            accuracy = float(sub["long_test_acc"].sel(model=model))
            if math.isfinite(accuracy):
                grid = sub.sel(model=model, x=at, seed=seed)
                rows.append({
                    "task": str(task), "model": str(model), "point": f"{axis_name(ds, str(task))}={at}", "seed": seed,
                    "grid steps": float(grid["steps_run"]), "grid test acc": float(grid["test_acc"]),
                    "long steps": float(sub["long_steps_run"].sel(model=model)), "long test acc": accuracy,
                })
    return pd.DataFrame(rows, columns=["task", "model", "point", "seed", "grid steps", "grid test acc", "long steps", "long test acc"])


def input_dependent_models(ds: xr.Dataset) -> list[str]:
    """Models whose mixer is neither the time-invariant SSM nor attention (gated convolution, selective SSM)."""
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


def claim_sentence(by_task: dict[str, list[PointVerdict]], names: dict[str, str], verdict: str) -> str:
    """The verdict in one line: where two-layer SSM+FNN matches the Transformer, where it does not,
    and where it beats one layer (controlled points only)."""
    def where(test) -> str:
        found = [f"{task} {names[task]}={p.x}" for task, points in by_task.items() for p in points if p.controlled and test(p)]
        return ", ".join(found) or "no point"

    return (
        f"{verdict.capitalize()}: trained two-layer SSM+FNN matches the Transformer at {where(lambda p: p.comparable)}; "
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
        **vocabulary.summary(verdict, claim_sentence(by_task, names, verdict) if by_task else "no point ran all three families"),
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


def total_cpu_seconds(ds: xr.Dataset) -> float:
    """CPU seconds of every run: grid, sweep and width search (the chosen sweep run counted once)."""
    runs = ds["cpu_seconds"].sum() + ds["sweep_cpu_seconds"].sum() + ds["size_cpu_seconds"].sum() + ds["long_cpu_seconds"].sum()
    return float(runs - _counted_twice(ds))


def _counted_twice(ds: xr.Dataset) -> float:
    """The CPU seconds of the chosen sweep run, which the grid also holds (at the sweep point, lr seed)."""
    total = 0.0
    for task in ds["task"].values:
        sub = ds.sel(task=task)
        for model in sub["model"].values:
            lr = float(sub["chosen_lr"].sel(model=model))
            if math.isfinite(lr):
                total += float(sub["sweep_cpu_seconds"].sel(model=model, lr=lr))
    return total


def _rounded(value):
    """``value`` with every float rounded to 4 decimals (NaN as null), for stable, readable JSON."""
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_rounded(v) for v in value]
    if isinstance(value, float):
        return None if math.isnan(value) else round(value, 4)
    return value


def profile_scope(experiment: SyntheticExperiment) -> list[str]:
    """What this profile leaves out of the full design (issue 11 and 15), read from its params:
    every line names what the paper profile runs instead."""
    lines = []
    tasks = experiment.grid.tasks
    single_rate = [t for t in tasks if len(experiment.lrs_of(t)) == 1]
    if single_rate:
        lines.append(
            "One learning rate, no sweep, on " + ", ".join(f"{t} ({experiment.lrs_of(t)[0]:g})" for t in single_rate)
            + "; the sweep runs on " + (", ".join(t for t in tasks if t not in single_rate) or "no task") + "."
        )
    if not experiment.size_needed.tasks:
        lines.append("No width search: the size each model needs (Theorems 3.1 and 3.2) is not measured.")
    if not experiment.long_runs:
        lines.append("No long runs at a point where a model stays at the shortcut.")
    one_layer = [m for m in experiment.models if families.family(experiment.model(m)) == SSM1_FNN]
    without = [t for t in tasks if not any(m in experiment.all_models_of(t) for m in one_layer)]
    if without:
        lines.append(f"No one-layer SSM+FNN on {', '.join(without)}: there only comparability with the Transformer is judged.")
    single = {t: experiment.single_seed_models_of(t) for t in tasks}
    for model in dict.fromkeys(m for t in tasks for m in single[t]):
        where = [t for t in tasks if model in single[t]]
        lines.append(f"{model}: one seed (seed {experiment.train.lr_seed}), on {', '.join(where)} only." if len(where) < len(tasks)
                     else f"{model}: one seed (seed {experiment.train.lr_seed}).")
    unused = [m for m in experiment.models if m not in experiment.all_models]
    if unused:
        lines.append(f"Defined but not run here: {', '.join(unused)}.")
    return lines


def model_table(experiment: SyntheticExperiment) -> pd.DataFrame:
    """One row per model the grid runs: its params entry and family. Keys another mixer has are
    empty; the FIR filter's ``window: null`` reads "whole sequence"."""
    rows = []
    for name in experiment.all_models:
        config = experiment.model(name)
        entry = config.to_params()
        if "window" in entry and entry["window"] is None:
            entry["window"] = "whole sequence"
        if config.fnn_depth == 0:
            entry.pop("fnn_width")  # no FNN: its width is unused
        rows.append({"model": name, **entry, "family": families.family(config)})
    return pd.DataFrame(rows)
