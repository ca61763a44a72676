"""The synthetic experiment's published files: metrics.json, details.json and the plot CSVs."""

from __future__ import annotations

import json
import math
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from tokensel.core import verdicts as vocabulary
from tokensel.nn.families import readable_names
from tokensel.present.results import NOT_PUBLIC, ClaimResult, ResultsSummary
from tokensel.synthetic.analysis import claim_sentence, point_verdicts, task_verdict
from tokensel.synthetic.config import VerdictConfig
from tokensel.synthetic.diagnostics import axis_name, growth, total_cpu_seconds
from tokensel.synthetic.gaps import input_dependent_at_gaps


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
    """``metrics.json`` (verdict, claim, the seed-median accuracy of each family at each point, numbers
    ``dvc exp show`` can compare) and ``details.json`` (seeds solved, every point's verdict)."""
    points = point_verdicts(ds, cfg)
    by_task = {task: [p for p in points if p.task == task] for task in dict.fromkeys(p.task for p in points)}
    verdicts = {task: task_verdict(found) for task, found in by_task.items()}
    verdict = vocabulary.combine(list(verdicts.values()) or [vocabulary.UNDECIDED])
    names = {task: axis_name(ds, task) for task in by_task}
    metrics = {
        **vocabulary.summary(verdict, claim_sentence(by_task, names) if by_task else "No point ran all three families."),
        "tasks": verdicts,
        "median_accuracy": {
            task: {
                f"{axis_name(ds, task)}={p.x}": {
                    role: round(found.median, 4)
                    for role, found in (("two_layer", p.two_layer), ("one_layer", p.one_layer), ("transformer", p.transformer)) if found is not None
                }
                for p in found
            }
            for task, found in by_task.items()
        },
        **({"input_dependent_at_gaps": dependent} if (dependent := input_dependent_at_gaps(ds, cfg)) else {}),
    }
    details = {
        "solved": {
            task: {
                f"{axis_name(ds, task)}={p.x}": {
                    role: f"{found.solved}/{found.seeds}"
                    for role, found in (("two_layer", p.two_layer), ("one_layer", p.one_layer), ("transformer", p.transformer)) if found is not None
                }
                for p in found
            }
            for task, found in by_task.items()
        },
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


PAPER_FIGURE = f"Figure C.1 shows it as curves; its numbers, seeds and settings are {NOT_PUBLIC}"


def results_summary(ds: xr.Dataset, cfg: VerdictConfig, metrics: dict) -> ResultsSummary:
    """One row per task: where two layers match the Transformer and beat one layer, by seed intervals."""
    points = point_verdicts(ds, cfg)
    rows = []
    for task in dict.fromkeys(p.task for p in points):
        found, name = [p for p in points if p.task == task], axis_name(ds, task)
        where = lambda test: ", ".join(f"{name}={p.x}" for p in found if p.controlled and test(p)) or "no point"  # noqa: E731
        seeds = max(p.two_layer.seeds for p in found)
        ours = (f"{seeds} seeds; comparable at {where(lambda p: p.comparable is True)}, not at {where(lambda p: p.comparable is False)}; "
                f"beats one layer at {where(lambda p: p.outperforms_one_layer)}; undecided at "
                f"{where(lambda p: p.comparable is None or p.separation_undecided)} (a point is decided by solving, or by every "
                f"pair of seeds clearing the margin)")
        paper = PAPER_FIGURE if task in ("copy", "recall") else "not in the paper: Zoology's multi-query recall, our addition"
        rows.append(ClaimResult(f"{task}: two-layer SSM+FNN performs comparably to the Transformer and outperforms one-layer SSM+FNN",
                                paper, ours, metrics["tasks"][task]))
    gaps = metrics.get("input_dependent_at_gaps", {})
    names = readable_names(ds["model"].values, ds["model_spec"].values)
    beside = tuple(f"Input-dependent mixers at {point}, where the Transformer solves and two-layer SSM+FNN does not: "
                   + ", ".join(f"{names.get(model, model)} {solved} seeds solved" for model, solved in models.items()) for point, models in gaps.items())
    controlled = [p for p in points if p.controlled]
    easy = [f"{p.task} {axis_name(ds, p.task)}={p.x}" for p in controlled if p.two_layer.solves and p.transformer.solves]
    hard = [f"{p.task} {axis_name(ds, p.task)}={p.x}" for p in controlled if not p.two_layer.solves]
    return ResultsSummary(
        rows=tuple(rows),
        beside=beside,
        setup=(f"Every model trained from scratch on fresh batches at each point of each task's axis, learning rate chosen on "
               f"validation at one point per task; a seed solves a point at test accuracy ≥ {cfg.solved_acc:g}; margins "
               f"{cfg.comparable_margin:g} (comparable) and {cfg.separation_margin:g} (beats one layer) are ours."),
        easy=f"Points two-layer SSM+FNN and the Transformer both solve: {', '.join(easy) or 'none'}.",
        hard=f"Points the Transformer solves and two-layer SSM+FNN does not: {', '.join(hard) or 'none'}.",
        compute=f"{total_cpu_seconds(ds) / 60:.1f} CPU-minutes of training (2 shared CPU cores).",
    )
