"""Numbers for the synthetic-task report: metrics JSON (``dvc metrics``), plot CSV, text tables."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import pandas as pd
import xarray as xr

from tokensel.claims import TaskVerdict, family_table, overall


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
    metrics = {
        "claim": overall(verdict_list),
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
