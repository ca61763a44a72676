"""Input-dependent mixers (gated convolution, selective SSM) at the synthetic points: do they close
the gap where the Transformer solves a task and two-layer SSM+FNN does not? Beyond the paper."""

from __future__ import annotations

import pandas as pd
import xarray as xr

from tokensel.nn import families
from tokensel.nn.config import ModelConfig
from tokensel.nn.families import TRANSFORMER
from tokensel.synthetic.analysis import model_summary, point_verdicts
from tokensel.synthetic.config import VerdictConfig
from tokensel.synthetic.diagnostics import axis_name


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
    names = families.readable_names(ds["model"].values, ds["model_spec"].values)
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
            outcomes.append(f"{names[m]} {word} ({int(row['solved'])}/{int(row['seeds'])} seeds solved, median {row['median_acc']:.3f})")
        lines.append(
            f"- {p.task}, {axis_name(ds, p.task)}={p.x}: Transformer {p.transformer.describe()}; two-layer SSM+FNN "
            f"{p.two_layer.describe()}. " + ("; ".join(outcomes) if outcomes else "No input-dependent model ran here") + "."
        )
    head = (
        f"The Transformer solves and two-layer SSM+FNN does not at {len(gaps)} point(s); input-dependent models ran at "
        f"{len(ran)} of them. A model *closes the gap* where it solves the point (more than {cfg.solved_fraction:.0%} of its "
        f"seeds at test accuracy ≥ {cfg.solved_acc:g}) and *narrows it* where its median is at least {cfg.separation_margin:g} "
        "above two-layer SSM+FNN's."
    )
    return "\n".join([head, "", *lines])
