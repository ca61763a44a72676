"""Wall time of the notebook stages of the last ``dvc repro``, read from the executed notebooks.

papermill records each run's start, end and duration in the executed notebook's metadata
(``results/notebooks/*.ipynb``), so the timings are those of the run that produced the results,
not of a separate benchmark. Only notebooks that a stage of the current ``dvc.yaml`` (with the
current ``params.yaml``) writes count: a stage dropped from the grid (another profile, a removed
model) leaves its notebook, and its ``dvc.lock`` entry, behind. The combine and index steps are
plain scripts of a few seconds each and are not listed; DVC's own overhead (hashing, locking,
kernel start-up) shows up as the difference between the span and the sum.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pandas as pd
from dvc.exceptions import NotDvcRepoError
from dvc.repo import Repo

from tokensel.core.errors import ConfigError


def _experiment(stem: str) -> str:
    """'synthetic-train-copy-ssm1_fnn2' -> 'synthetic train'; 'efficiency' -> 'efficiency'."""
    parts = stem.split("-")
    return " ".join(parts[:2]) if len(parts) > 1 else parts[0]


def pipeline_outputs(root: str | Path = ".") -> set[Path] | None:
    """Absolute paths of every output of the stages ``dvc.yaml`` defines now (matrices expanded
    with the current parameters); None outside a DVC project."""
    try:
        repo = Repo(str(root))
    except NotDvcRepoError:
        return None
    with repo:
        return {Path(out.fs_path).resolve() for stage in repo.index.stages for out in stage.outs}


def read(notebook_dir: str | Path, root: str | Path | None = ".") -> pd.DataFrame:
    """One row per executed notebook of the pipeline in the DVC project at ``root``: stage, group,
    start, end (UTC) and seconds, by start time. With ``root=None``, or outside a DVC project,
    every notebook in the folder counts."""
    rows = []
    current = pipeline_outputs(root) if root is not None else None
    for path in sorted(Path(notebook_dir).glob("*.ipynb")):
        if current is not None and path.resolve() not in current:
            continue
        try:
            meta = json.loads(path.read_text())["metadata"]["papermill"]
            start, end = (datetime.fromisoformat(meta[key]) for key in ("start_time", "end_time"))
            seconds = float(meta["duration"])
        except (KeyError, TypeError, ValueError) as error:
            raise ConfigError(
                f"{path}: no papermill timing in its metadata ({error!r}). It was not written by "
                "`python -m tokensel.present.nbrun`; delete it and run `dvc repro` again."
            ) from error
        rows.append({"stage": path.stem, "group": _experiment(path.stem), "start": start, "end": end, "seconds": seconds})
    frame = pd.DataFrame(rows, columns=["stage", "group", "start", "end", "seconds"])
    return frame.sort_values("start", ignore_index=True)


def experiment_minutes(times: pd.DataFrame, experiments) -> dict[str, float]:
    """Minutes of each experiment's notebook stages (its name is the first part of a stage's)."""
    experiment = times["stage"].str.split("-").str[0]
    return {name: float(times.loc[experiment == name, "seconds"].sum()) / 60 for name in experiments}


def by_group(times: pd.DataFrame) -> pd.DataFrame:
    """Per group (e.g. 'synthetic train'): number of stages and total seconds, in run order."""
    grouped = times.groupby("group", sort=False).agg(stages=("stage", "size"), seconds=("seconds", "sum"))
    return grouped.reset_index()


def span_seconds(times: pd.DataFrame) -> float:
    """From the first notebook's start to the last one's end: the repro's wall time when every
    stage ran in one ``dvc repro``; longer (idle gaps included) when stages ran at different times."""
    if times.empty:
        return 0.0
    return float((times["end"].max() - times["start"].min()).total_seconds())
