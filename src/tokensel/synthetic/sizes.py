"""How the size a model needs grows with each task, and how it compares with the constructions.

Theorems 3.1 and 3.2 claim that two-layer SSM+FNN needs poly-logarithmically many parameters in
the sequence length L (copying) and in the vocabulary |W| (recall). Per task and model, the
parameter count at the smallest solving width (``size_needed``) is fitted against the task's
growth variable in two forms, power law log p = a + b log v and poly-log log p = a + b log log v;
the form with the smaller residual sum of squares fits better (both have two coefficients).

The constructions experiment builds networks for copying and recall by hand; its results file is
read here by variable name (experiments do not import each other), so the trained sizes can be
drawn beside the constructed ones at the same task settings.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import xarray as xr

from tokensel.core.stats import growth_fit
from tokensel.nn.families import readable_names
from tokensel.synthetic.config import SyntheticExperiment
from tokensel.synthetic.diagnostics import axis_name, size_table

MIN_FIT_POINTS = 3
FIT_COLUMNS = ["task", "model", "variable", "points", "solved", "power_b", "power_rss", "polylog_b", "polylog_rss",
               "better", "reason"]
CELL_COLUMNS = ["task", "size", "vocab", "seq_len", "construction", "params", "nonzero"]
CONSTRUCTED_COLUMNS = ["task", "variable", "v", "construction", "params", "nonzero"]
# A task's settings as the constructions' coordinates name them (``copy_vocab``), by the synthetic task's key.
_QUANTITIES = {"size": "size", "vocab_size": "vocab", "seq_len": "seq_len"}


def growth_variable(ds: xr.Dataset, task: str) -> tuple[str, pd.Series]:
    """The variable a task grows along and its value per point x: L where the task's points change
    the sequence length (the ``seq_len`` coordinate), else the axis itself (|W| or V on vocabulary axes)."""
    seq_len = ds["seq_len"].sel(task=task).to_series().dropna()
    if seq_len.nunique() > 1:
        return "L", seq_len
    return axis_name(ds, task), pd.Series(seq_len.index.astype(float), index=seq_len.index)


def smallest_solving(ds: xr.Dataset) -> pd.DataFrame:
    """Per task, model and searched point: the growth variable's value ``v``, the smallest solving
    width and its parameter count (NaN where no width of the list solved), with readable names."""
    table = size_table(ds)
    names = readable_names(ds["model"].values, ds["model_spec"].values)
    frames = []
    for task, rows in table.groupby("task", sort=False):
        variable, values = growth_variable(ds, str(task))
        frames.append(rows.assign(variable=variable, v=rows["x"].map(values), name=rows["model"].map(names)))
    columns = [*table.columns, "variable", "v", "name"]
    return pd.concat(frames, ignore_index=True)[columns] if frames else pd.DataFrame(columns=columns)


def fit_growth(v: np.ndarray, params: np.ndarray) -> dict[str, float | str]:
    """Both least-squares fits of log ``params`` on the growth variable ``v`` (``growth_fit``), over
    the solved points: each form's coefficient b and residual sum of squares, the better form, and
    why there is no fit (fewer than ``MIN_FIT_POINTS`` solved points; an empty reason when fitted)."""
    fit = growth_fit(v, params)
    if fit.points < MIN_FIT_POINTS:
        return {"solved": fit.points, "power_b": math.nan, "power_rss": math.nan, "polylog_b": math.nan, "polylog_rss": math.nan,
                "better": "", "reason": f"{fit.points} solved point(s); a fit needs {MIN_FIT_POINTS}"}
    return {"solved": fit.points, "power_b": fit.power, "power_rss": fit.power_rss, "polylog_b": fit.polylog, "polylog_rss": fit.polylog_rss,
            "better": "poly-log" if fit.polylog_rss < fit.power_rss else "power", "reason": ""}


def size_fits(ds: xr.Dataset) -> pd.DataFrame:
    """Power-law and poly-log fits of the parameters needed against the growth variable, per task and model."""
    rows = [
        {"task": task, "model": model, "variable": group["variable"].iloc[0], "points": len(group),
         **fit_growth(group["v"].to_numpy(), group["needed_params"].to_numpy())}
        for (task, model), group in smallest_solving(ds).groupby(["task", "model"], sort=False)
    ]
    return pd.DataFrame(rows, columns=FIT_COLUMNS)


def full_width_points(ds: xr.Dataset) -> list[tuple[str, int]]:
    """(task, x) of every point where each model searched ran every width on the same seeds, as
    ``size_needed.search: full`` does; bisection leaves widths out, so its points are not listed."""
    points = []
    for task in ds["task"].values:
        for x in ds["x"].values:
            ran = ds["size_test_acc"].sel(task=task, x=x).notnull()
            ran = ran.sel(model=ran.any(["width", "seed"]))
            if ran.sizes["model"] and bool((ran == ran.any("width")).all()):
                points.append((str(task), int(x)))
    return points


def construction_cells(constructions: xr.Dataset) -> pd.DataFrame:
    """Every copy and recall network of the constructions results: the task it solves, its settings
    (size, vocab, seq_len), a label, and its parameter counts (dense and non-zero, closed form)."""
    frames = []
    for task in ("copy", "recall"):
        if f"{task}_params" not in constructions:
            continue
        frame = constructions[[f"{task}_params", f"{task}_nonzero"]].to_dataframe().reset_index()
        frame = frame.rename(columns=lambda column: column.removeprefix(f"{task}_"))
        if task == "copy":  # one network per layer count and digits per token at each cell
            frame["construction"] = [f"copy construction, {layers} layer{'s' * (layers > 1)}, {digits} digit{'s' * (digits > 1)} per token"
                                     for layers, digits in zip(frame["layers"], frame["digits"])]
        else:
            frame["construction"] = "recall construction, 2 layers"
        frames.append(frame.assign(task=task)[CELL_COLUMNS])
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=CELL_COLUMNS)


def constructed_sizes(constructions: xr.Dataset, ds: xr.Dataset, experiment: SyntheticExperiment) -> pd.DataFrame:
    """The constructions' parameter counts along each searched task's growth variable, at that task's
    other settings (copy's |W|; recall's pairs k and length L); one row per network and point."""
    cells = construction_cells(constructions)
    frames = []
    for task in [str(t) for t in ds["task"].values if t in experiment.size_needed.tasks]:
        spec = experiment.tasks[task]
        if spec.task not in set(cells["task"]):
            continue
        variable, _ = growth_variable(ds, task)
        grows = {_QUANTITIES[spec.axis], *(["seq_len"] if variable == "L" else [])}
        instance = spec.instance(spec.values[0])
        settings = {"size": instance.size, "vocab": instance.vocab_size, "seq_len": instance.seq_len}
        match = cells["task"] == spec.task
        for quantity, value in settings.items():
            if quantity not in grows:
                match &= cells[quantity] == value
        rows = cells[match]
        v = rows["seq_len"] if variable == "L" else rows[_QUANTITIES[spec.axis]]
        frames.append(rows.assign(task=task, variable=variable, v=v.astype(float)))
    return pd.concat(frames, ignore_index=True)[CONSTRUCTED_COLUMNS] if frames else pd.DataFrame(columns=CONSTRUCTED_COLUMNS)
