"""The synthetic page's tables and prose, every number read from the results (the notebook only
displays them)."""

from __future__ import annotations

import pandas as pd
import xarray as xr

from tokensel.nn import families
from tokensel.synthetic import analysis, diagnostics
from tokensel.synthetic.config import SyntheticExperiment


def verdict_text(ds: xr.Dataset, experiment: SyntheticExperiment, metrics: dict, profile: str) -> str:
    """The verdict, one line per task, and the rule that decides a point."""
    cfg = experiment.verdict
    points = analysis.point_verdicts(ds, cfg)
    lines = [f"**{metrics['verdict'].capitalize()}** on the {profile} profile."]
    for task in dict.fromkeys(p.task for p in points):
        lines.append(f"- {analysis.describe_task(task, diagnostics.axis_name(ds, task), [p for p in points if p.task == task])}")
    lines.append(
        f"\nA seed solves a point at test accuracy ≥ {cfg.solved_acc:g}; a model solves it when more than "
        f"{cfg.solved_fraction:.0%} of its seeds do. A point counts only where the Transformer solves it and the shortcut "
        f"does not (the controls). There, two-layer SSM+FNN is *comparable* when it solves the point too, or when every one of its "
        f"seeds is within {cfg.comparable_margin:g} of every Transformer seed; it *outperforms one layer* when it solves the point "
        f"and one-layer SSM+FNN does not, or when every two-layer seed is ≥ {cfg.separation_margin:g} above every one-layer seed. "
        "Where seeds fall on both sides of a margin the point is undecided: no verdict rests on one run near a margin. "
        "These margins are ours, fixed before the runs."
    )
    return "\n".join(lines)


def grid_models(experiment: SyntheticExperiment) -> list[str]:
    """Every model that runs on at least one task of the grid, in the params' order."""
    return [m for m in experiment.all_models if any(m in runs.every_seed for runs in experiment.runs.values())]


def seeds_solved_table(ds: xr.Dataset, experiment: SyntheticExperiment) -> pd.DataFrame:
    """Per task and point: "solved/seeds" for every model, and the shortcut's accuracy."""
    summary = analysis.model_summary(ds, experiment.verdict)
    summary["seeds solved"] = summary["solved"].astype(int).astype(str) + "/" + summary["seeds"].astype(int).astype(str)
    wide = summary.pivot_table(index=["task", "x"], columns="model", values="seeds solved", aggfunc="first").reset_index()
    wide = wide.merge(analysis.shortcut_table(ds), on=["task", "x"], how="left").rename(columns={"x": "point", "shortcut_acc": "shortcut"})
    return wide[["task", "point", *[m for m in experiment.all_models if m in wide.columns], "shortcut"]]


def per_seed_table(ds: xr.Dataset, experiment: SyntheticExperiment) -> pd.DataFrame:
    """Test accuracy of every seed: one row per task, model and point, one column per seed."""
    seeds = analysis.per_seed(ds, experiment.verdict)
    wide = seeds.pivot_table(index=["task", "model", "x"], columns="seed", values="test_acc").reset_index()
    wide.columns = [f"seed {c}" if isinstance(c, (int, float)) else c for c in wide.columns]
    return wide.rename(columns={"x": "point"})


def chosen_lr_table(ds: xr.Dataset) -> pd.DataFrame:
    """The learning rate chosen per model (rows) and task (columns)."""
    lrs = diagnostics.lr_table(ds)
    return lrs[lrs["chosen"]].pivot_table(index="model", columns="task", values="lr").reset_index()


def reference_models(ds: xr.Dataset, experiment: SyntheticExperiment) -> list[str]:
    """The grid's two-layer SSM+FNN and Transformer: what the input-dependent mixers are drawn beside."""
    found = diagnostics.model_families(ds)
    return [m for m in experiment.grid.models if found.get(m) in (families.SSM2_FNN, families.TRANSFORMER)]


def tasks_running(experiment: SyntheticExperiment, models: list[str]) -> list[str]:
    """The grid's tasks on which at least one of ``models`` runs."""
    return [t for t in experiment.grid.tasks if any(m in experiment.runs[t].models for m in models)]


def ablation_models(experiment: SyntheticExperiment, input_dependent: list[str]) -> list[str]:
    """The FNN-depth, no-FNN and filter variants: models outside the grid that are not input-dependent."""
    return [m for m in experiment.all_models if m not in experiment.grid.models and m not in input_dependent]


def configuration_text(ds: xr.Dataset, experiment: SyntheticExperiment) -> str:
    """Training settings, each task's axis, rates and steps, and the CPU time of the grid."""
    train = experiment.train
    task_lines = [
        f"- {name}: {diagnostics.axis_name(ds, name)} ∈ {list(spec.values)}, learning rates {list(experiment.runs[name].lrs)} "
        f"(chosen at {spec.lr_sweep_at}), {experiment.runs[name].steps} steps; "
        + ", ".join(f"{key} {value}" for key, value in spec.settings.items())
        for name, spec in experiment.tasks.items() if name in experiment.grid.tasks
    ]
    return "\n".join([
        f"Training: batch {train.batch_size}, AdamW (weight decay {train.weight_decay}), cosine schedule with "
        f"{train.warmup_fraction:.0%} warm-up, gradient clip {train.grad_clip}, learning rates chosen on seed "
        f"{train.lr_seed} (each model's width d_model is in the model table), early stop at validation accuracy "
        f"{train.early_stop_acc}; seeds {list(experiment.grid.seeds)}; {train.n_val} validation and "
        f"{train.n_test} test examples per run.",
        *task_lines,
        f"\nTraining took {diagnostics.total_cpu_seconds(ds) / 60:.1f} CPU-minutes (single-threaded runs).",
    ])
