"""How the synthetic runs went, beside the verdict: the axis names, the learning-rate sweep, late
gains, the width each model needs and its growth, long runs, CPU time, the model table, and what
the profile leaves out of the full design."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

from tokensel.core.stats import loglog_slope
from tokensel.nn import families
from tokensel.nn.families import SSM1_FNN
from tokensel.synthetic.config import SyntheticExperiment


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


def profile_scope(experiment: SyntheticExperiment) -> list[str]:
    """What this profile leaves out of the full design, read from its params:
    every line names what the paper profile runs instead."""
    lines = []
    tasks = experiment.grid.tasks
    single_rate = [t for t in tasks if len(experiment.runs[t].lrs) == 1]
    if single_rate:
        lines.append(
            "One learning rate, no sweep, on " + ", ".join(f"{t} ({experiment.runs[t].lrs[0]:g})" for t in single_rate)
            + "; the sweep runs on " + (", ".join(t for t in tasks if t not in single_rate) or "no task") + "."
        )
    if not experiment.size_needed.tasks:
        lines.append("No width search: the size each model needs (Theorems 3.1 and 3.2) is not measured.")
    if not experiment.long_runs:
        lines.append("No long runs at a point where a model stays at the shortcut.")
    one_layer = [m for m in experiment.models if families.family(experiment.model(m)) == SSM1_FNN]
    without = [t for t in tasks if not any(m in experiment.runs[t].models for m in one_layer)]
    if without:
        lines.append(f"No one-layer SSM+FNN on {', '.join(without)}: there only comparability with the Transformer is judged.")
    single = {t: experiment.runs[t].single_seed for t in tasks}
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
