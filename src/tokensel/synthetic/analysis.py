"""The verdict on the paper's synthetic-task claim, and the tables and metrics of its report.

Claim (Figure C.1): two-layer SSM+FNN with a sufficiently expressive FNN performs comparably to a
Transformer on input copying and associative recall, and outperforms one-layer SSM+FNN.

Each model is assigned a family from its config. Per task and sequence length we compare the seed
means of the best model in each family; the margins that count as "comparable" and "outperforms"
are parameters (``synthetic.verdict`` is not in the paper; they are ours).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd
import xarray as xr

from tokensel.core import verdicts as vocabulary
from tokensel.nn import families
from tokensel.nn.families import SSM1_FNN, SSM2_FNN, TRANSFORMER


def model_families(ds: xr.Dataset) -> dict[str, str]:
    """Model name -> family, from the ``model_spec`` coordinate of a run Dataset."""
    return families.model_families(ds["model"].values, ds["model_spec"].values)


@dataclass(frozen=True)
class TaskVerdict:
    task: str
    seq_len: int
    ssm2: float  # best two-layer SSM+FNN, seed mean
    ssm2_model: str
    ssm1: float
    transformer: float
    comparable: bool
    outperforms_one_layer: bool

    @property
    def reproduced(self) -> bool:
        return self.comparable and self.outperforms_one_layer


def family_table(best: xr.Dataset, metric: str = "test_acc") -> pd.DataFrame:
    """Seed mean and standard deviation of ``metric`` per task, seq_len and model, with families."""
    frame = best[metric].to_dataframe().reset_index().dropna(subset=[metric])
    table = frame.groupby(["task", "seq_len", "model"])[metric].agg(["mean", "std", "count"]).reset_index()
    table["family"] = table["model"].map(model_families(best))
    return table


def verdicts(best: xr.Dataset, comparable_margin: float, separation_margin: float) -> list[TaskVerdict]:
    table = family_table(best)
    out = []
    for (task, seq_len), cell in table.groupby(["task", "seq_len"]):
        top = cell.sort_values("mean", ascending=False).groupby("family").head(1).set_index("family")
        if not {SSM2_FNN, SSM1_FNN, TRANSFORMER} <= set(top.index):
            continue
        ssm2, ssm1, tf = (float(top.loc[f, "mean"]) for f in (SSM2_FNN, SSM1_FNN, TRANSFORMER))
        out.append(
            TaskVerdict(
                task=str(task),
                seq_len=int(seq_len),
                ssm2=ssm2,
                ssm2_model=str(top.loc[SSM2_FNN, "model"]),
                ssm1=ssm1,
                transformer=tf,
                comparable=ssm2 >= tf - comparable_margin,
                outperforms_one_layer=ssm2 >= ssm1 + separation_margin,
            )
        )
    return out


def describe(verdict: TaskVerdict) -> str:
    parts = [
        f"{verdict.task}, L={verdict.seq_len}: two-layer SSM+FNN ({verdict.ssm2_model}) {verdict.ssm2:.3f}, "
        f"one-layer SSM+FNN {verdict.ssm1:.3f}, Transformer {verdict.transformer:.3f}."
    ]
    parts.append("Comparable to the Transformer." if verdict.comparable else "NOT comparable to the Transformer.")
    parts.append(
        "Outperforms one layer." if verdict.outperforms_one_layer else "Does NOT outperform one layer by the margin."
    )
    return " ".join(parts)


def at_longest(verdict_list: list[TaskVerdict]) -> list[TaskVerdict]:
    """The verdict of each task at its longest sequence, where the claim is judged.

    At short lengths every architecture can solve the tasks (nothing separates them); the claim
    is about the regime where one layer no longer suffices, so shorter lengths are context only.
    """
    longest: dict[str, TaskVerdict] = {}
    for v in verdict_list:
        if v.task not in longest or v.seq_len > longest[v.task].seq_len:
            longest[v.task] = v
    return list(longest.values())


def overall(verdict_list: list[TaskVerdict]) -> str:
    judged = at_longest(verdict_list)
    if not judged:
        return "not assessed (the grid lacks a one-layer SSM+FNN, a two-layer SSM+FNN or a Transformer)"
    n_ok = sum(v.reproduced for v in judged)
    if n_ok == len(judged):
        return "reproduced"
    if n_ok == 0:
        return "not reproduced"
    tasks = ", ".join(v.task for v in judged if v.reproduced)
    return f"partially reproduced ({n_ok} of {len(judged)} tasks: {tasks})"


def best_over_lr(ds: xr.Dataset) -> xr.Dataset:
    """Keep, per cell, the learning rate with the best final validation accuracy (never the test set)."""
    best = ds["final_val_acc"].fillna(-1.0).argmax("lr")
    selected = ds.isel(lr=best)
    return selected.rename({"lr": "best_lr"}) if "lr" in selected.coords else selected


def accuracy_table(best: xr.Dataset) -> pd.DataFrame:
    """Mean +- sd test accuracy per task, model and length, models in rows, one column per length.

    Tasks have their own lengths, so a task's row is blank under another task's lengths.
    """
    table = family_table(best)
    table["cell"] = table.apply(lambda r: f"{r['mean']:.3f} ± {0 if pd.isna(r['std']) else r['std']:.3f}", axis=1)
    wide = table.pivot_table(index=["task", "family", "model"], columns="seq_len", values="cell", aggfunc="first")
    return wide.fillna("")


def write_plot_csv(best: xr.Dataset, path: str | Path) -> Path:
    table = family_table(best).rename(columns={"mean": "test_acc", "std": "test_acc_sd", "count": "n_seeds"})
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(path, index=False, float_format="%.4f")
    return path


def write_metrics(best: xr.Dataset, verdict_list: list[TaskVerdict], path: str | Path) -> dict:
    table = family_table(best)
    longest = table[table["seq_len"] == table.groupby("task")["seq_len"].transform("max")]
    judged = at_longest(verdict_list)
    verdict = vocabulary.combine([vocabulary.REPRODUCED if v.reproduced else vocabulary.NOT_REPRODUCED for v in judged] or [vocabulary.UNDECIDED])
    metrics = {
        **vocabulary.summary(verdict, overall(verdict_list)),
        "test_acc_at_longest": {
            task: {row.model: round(float(row.mean), 4) for row in group.itertuples()}
            for task, group in longest.groupby("task")
        },
        "verdicts": [
            {k: (round(v, 4) if isinstance(v, float) else v) for k, v in asdict(v).items()} | {"reproduced": v.reproduced}
            for v in verdict_list
        ],
    }
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(metrics, indent=2, sort_keys=True) + "\n")
    return metrics
