"""The verdict on the paper's synthetic-task claim (the published files: ``outputs``; the input-dependent mixers: ``gaps``).

Claim (Figure C.1): two-layer SSM+FNN with a sufficiently expressive FNN performs comparably to a
Transformer on input copying and associative recall, and outperforms one-layer SSM+FNN.

Every point of a task's axis (copy: string length; recall and MQAR: vocabulary |W|) is judged
from per-seed outcomes, never from a mean over bimodal seeds. A seed *solves* a point when its test
accuracy reaches ``verdict.solved_acc``; a model solves it when more than ``solved_fraction`` of
its seeds do. Each family (one-layer SSM+FNN, two-layer SSM+FNN, Transformer) is represented by its
best model at the point (most seeds solved, then the highest median). At a point:

* *control*: the Transformer solves it and the shortcut (no copying, no recall) stays below the
  threshold; otherwise the point cannot show the claim and is undecided;
* *comparable*: the two-layer SSM+FNN solves it too, or every one of its seeds is within
  ``comparable_margin`` of every Transformer seed; *not comparable* when every one of its seeds is
  more than the margin below every Transformer seed; otherwise undecided;
* *outperforms one layer*: the two-layer model solves it and the one-layer does not, or every
  two-layer seed is at least ``separation_margin`` above every one-layer seed; it does not when
  one layer solves and two do not, or when no pair of seeds is that far apart; otherwise undecided.

The interval over seeds is the range of seed-pair differences, so a verdict never rests on one
run's value near a margin: with seeds on both sides of it, the point is undecided. A task's claim
is reproduced when the two-layer model is comparable at every controlled point and outperforms one
layer at one or more of them; not reproduced when it is comparable at none and no point is
undecided; undecided when no controlled point is decided; partially reproduced otherwise. The
margins are ours, fixed before the runs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd
import xarray as xr

from tokensel.core import verdicts as vocabulary
from tokensel.nn.families import SSM1_FNN, SSM2_FNN, TRANSFORMER
from tokensel.synthetic.config import VerdictConfig
from tokensel.synthetic.diagnostics import model_families


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
        .agg(seeds=("seed", "size"), solved=("solved", "sum"), median_acc=("test_acc", "median"), accs=("test_acc", tuple))
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
    accs: tuple[float, ...]  # every seed's test accuracy

    def describe(self) -> str:
        spread = f" (seeds {min(self.accs):.2f}–{max(self.accs):.2f})" if len(self.accs) > 1 else ""
        return f"{self.solved}/{self.seeds} seeds solved, median {self.median:.3f}{spread}"


def seed_range(a: FamilyResult, b: FamilyResult) -> tuple[float, float]:
    """The lowest and highest accuracy difference a − b over every pair of their seeds."""
    return min(a.accs) - max(b.accs), max(a.accs) - min(b.accs)


@dataclass(frozen=True)
class PointVerdict:
    task: str
    x: int
    shortcut: float
    two_layer: FamilyResult
    one_layer: FamilyResult | None  # None: the task runs no one-layer SSM+FNN
    transformer: FamilyResult
    controlled: bool
    comparable: bool | None  # None: undecided, the seeds straddle the margin
    outperforms_one_layer: bool | None  # None: not assessed (no one-layer model, or both solve) or undecided
    separation_undecided: bool = False  # the one-layer comparison was assessed, but its seeds straddle the margin

    @property
    def holds(self) -> bool:
        return self.controlled and self.comparable is True and self.outperforms_one_layer is not False


def _best(cell: pd.DataFrame, family: str) -> FamilyResult | None:
    """The family's best model at a point, among the models that ran every seed there (a
    single-seed ablation is shown, never judged)."""
    members = cell[(cell["family"] == family) & (cell["seeds"] == cell["seeds"].max())]
    if members.empty:
        return None
    top = members.sort_values(["solved_fraction", "median_acc"], ascending=False).iloc[0]
    return FamilyResult(str(top["model"]), int(top["solved"]), int(top["seeds"]), float(top["median_acc"]), bool(top["solves"]),
                        tuple(float(a) for a in top["accs"]))


def _comparable(two: FamilyResult, tf: FamilyResult, margin: float) -> bool | None:
    if two.solves:
        return True
    low, high = seed_range(two, tf)
    return True if low >= -margin else False if high < -margin else None


def _outperforms(two: FamilyResult, one: FamilyResult | None, margin: float) -> tuple[bool | None, bool]:
    """(outperforms, undecided): whether two layers beat one at a point, and whether that was
    assessed but left undecided by seeds on both sides of the margin."""
    if one is None or (two.solves and one.solves):
        return None, False  # nothing to compare, or both solve: the point does not separate one layer from two
    if two.solves != one.solves:
        return two.solves, False
    low, high = seed_range(two, one)
    if low >= margin:
        return True, False
    if high < margin:
        return False, False
    return None, True


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
        outperforms, separation_undecided = _outperforms(two, one, cfg.separation_margin)
        out.append(
            PointVerdict(
                task=str(task), x=int(x), shortcut=cut, two_layer=two, one_layer=one, transformer=tf,
                controlled=tf.solves and cut < cfg.solved_acc,
                comparable=_comparable(two, tf, cfg.comparable_margin),
                outperforms_one_layer=outperforms, separation_undecided=separation_undecided,
            )
        )
    return out


def task_verdict(points: list[PointVerdict]) -> str:
    """Reproduced: the claim holds at every controlled point and two layers beat one at some point
    (where the task runs a one-layer model). Not reproduced: it holds at no point and none is
    undecided. Undecided: no controlled point decides comparability. Else partially."""
    controlled = [p for p in points if p.controlled]
    undecided = [p for p in controlled if p.comparable is None]
    if len(undecided) == len(controlled):
        return vocabulary.UNDECIDED
    if not any(p.holds for p in controlled):
        return vocabulary.UNDECIDED if undecided else vocabulary.NOT_REPRODUCED
    one_layer_ran = any(p.one_layer is not None for p in controlled)
    separated = any(p.outperforms_one_layer for p in controlled)
    if all(p.holds for p in controlled) and (separated or not one_layer_ran):
        return vocabulary.REPRODUCED
    return vocabulary.PARTIALLY_REPRODUCED


def _points_text(name: str, points: list[PointVerdict]) -> str:
    return ", ".join(f"{name}={p.x}" for p in points)


def _against_transformer(name: str, points: list[PointVerdict], finding: str, with_shortcut: bool = False) -> str:
    """``finding`` at ``points``, shown by the seeds of two-layer SSM+FNN and the Transformer at the last of them."""
    p = points[-1]
    shortcut = f"; shortcut {p.shortcut:.3f}" if with_shortcut else ""
    return (
        f"At {_points_text(name, points)} {finding} (at {name}={p.x}: two-layer SSM+FNN {p.two_layer.describe()}; "
        f"Transformer {p.transformer.describe()}{shortcut})."
    )


def describe_task(task: str, name: str, points: list[PointVerdict]) -> str:
    """One paragraph per task: where the claim holds, where it fails, with the seed counts."""
    verdict = task_verdict(points)
    controlled = [p for p in points if p.controlled]
    holds = [p for p in controlled if p.holds]
    fails = [p for p in controlled if p.comparable is False]
    straddles = [p for p in controlled if p.comparable is None]
    parts = [f"{task}: {verdict}."]
    if holds:
        p = holds[-1]
        one = f", one layer {p.one_layer.describe()}" if p.one_layer is not None else ""
        parts.append(
            f"At {_points_text(name, holds)} two-layer SSM+FNN is comparable to the Transformer "
            f"(at {name}={p.x}: {p.two_layer.describe()} against {p.transformer.describe()}{one})."
        )
    unseparated = [p for p in holds if p.outperforms_one_layer is None and p.one_layer is not None and not p.separation_undecided]
    if unseparated:
        parts.append(f"At {_points_text(name, unseparated)} one layer solves it too, so the point does not separate them.")
    if controlled and not any(p.one_layer is not None for p in controlled):
        parts.append("This task runs no one-layer SSM+FNN; only comparability with the Transformer is judged.")
    if fails:
        parts.append(_against_transformer(name, fails, "it is not", with_shortcut=True))
        beats = [p for p in fails if p.outperforms_one_layer]
        if beats:
            q = beats[-1]
            parts.append(
                f"Two layers still beat one by the margin at {_points_text(name, beats)} (at {name}={q.x}: median "
                f"{q.two_layer.median:.3f} against {q.one_layer.median:.3f})."
            )
    if straddles:
        parts.append(_against_transformer(name, straddles, "comparability is undecided: the seeds straddle the margin"))
    weaker = [p for p in controlled if p.comparable and p.outperforms_one_layer is False]
    if weaker:
        parts.append(f"At {_points_text(name, weaker)} two layers do not beat one by the margin.")
    open_ = [p for p in controlled if p.separation_undecided]
    if open_:
        q = open_[-1]
        parts.append(
            f"Whether two layers beat one at {_points_text(name, open_)} is undecided: neither solves and their seeds overlap the "
            f"margin (at {name}={q.x}: two layers {q.two_layer.describe()}, one layer {q.one_layer.describe()})."
        )
    undecided = [p for p in points if not p.controlled]
    if undecided:
        parts.append(f"Undecided at {_points_text(name, undecided)} (the Transformer did not solve it, or the shortcut does).")
    return " ".join(parts)


def claim_sentence(by_task: dict[str, list[PointVerdict]], names: dict[str, str]) -> str:
    """The verdict in one line: where two-layer SSM+FNN matches the Transformer, where it does not,
    and where it beats one layer (controlled points only)."""
    def where(test) -> str:
        found = [f"{task} {names[task]}={p.x}" for task, points in by_task.items() for p in points if p.controlled and test(p)]
        return ", ".join(found) or "no point"

    undecided = where(lambda p: p.comparable is None or p.separation_undecided)
    return (
        f"Trained two-layer SSM+FNN matches the Transformer at {where(lambda p: p.comparable is True)}; "
        f"not at {where(lambda p: p.comparable is False)}; it beats one-layer SSM+FNN at {where(lambda p: p.outperforms_one_layer)}"
        + (f"; undecided (seeds straddle a margin) at {undecided}." if undecided != "no point" else ".")
    )
