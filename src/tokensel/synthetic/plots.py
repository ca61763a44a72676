"""Seaborn figures of the synthetic-task report, drawn from tidy frames of the results Dataset."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
import xarray as xr
from IPython.display import HTML

from tokensel.present.figures import fixed_jitter, save_figure
from tokensel.present.style import REFERENCE_GREYS, family_colour
from tokensel.nn.families import readable_names
from tokensel.synthetic.analysis import per_seed, shortcut_table
from tokensel.synthetic.diagnostics import axis_name, late_gain, lr_table, size_table, swept_tasks
from tokensel.synthetic.config import VerdictConfig
from tokensel.synthetic.sizes import full_width_points

TASK_TITLES = {"copy": "Input copying", "recall": "Associative recall", "mqar": "Multi-query AR (Zoology)"}
GROWTH_LABELS = {"L": "sequence length L", "|W|": "distinct keys |W|", "V": "vocabulary V (keys + values)", "k": "key-value pairs k"}


def _axis_label(ds: xr.Dataset, task: str) -> str:
    axis, registered = str(ds["axis"].sel(task=task).item()), str(ds["task_name"].sel(task=task).item())
    if axis == "size":
        return "longest string k (length 2k+1)" if registered == "copy" else "key-value pairs k"
    if axis == "vocab_size":
        return "distinct keys |W| (as many values)" if registered == "recall" else "vocabulary V (keys + values)"
    return {"seq_len": "sequence length L"}.get(axis, axis)


def _title(ds: xr.Dataset, task: str) -> str:
    registered = str(ds["task_name"].sel(task=task).item())
    return TASK_TITLES.get(task) or f"{TASK_TITLES.get(registered, registered)} along {axis_name(ds, task)}"


def _panels(tasks: list[str], height: float = 3.4, width: float = 4.2) -> tuple[plt.Figure, np.ndarray]:
    figure, axes = plt.subplots(1, len(tasks), figsize=(width * len(tasks), height), squeeze=False)
    return figure, axes[0]


def _names(ds: xr.Dataset) -> dict[str, str]:
    return readable_names(ds["model"].values, ds["model_spec"].values)


def _palette(ds: xr.Dataset) -> dict[str, str]:
    """Model -> the colour of its family, the same on every page."""
    return {model: family_colour(name) for model, name in _names(ds).items()}


def _legend(ax: plt.Axes, ds: xr.Dataset) -> None:
    """The legend right of the panel, with readable model names."""
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False, fontsize=8)
    names = _names(ds)
    for text in ax.get_legend().get_texts():
        model, _, rest = text.get_text().partition(", ")
        text.set_text(names.get(model, model) + (f", {rest}" if rest else ""))


def _log2_axis(ax: plt.Axes, values) -> None:
    ax.set_xscale("log", base=2)
    ax.set_xticks(sorted(values))
    ax.set_xticklabels([str(int(v)) for v in sorted(values)])
    ax.minorticks_off()


def accuracy_vs_axis(ds: xr.Dataset, cfg: VerdictConfig, path: str | Path, models: list[str] | None = None,
                     tasks: list[str] | None = None, alt: str | None = None) -> HTML:
    """Per-seed test accuracy (points) and seed median (line) against each task's axis, with the
    shortcut's score (dashed) and the solved threshold (dotted); one panel per task (default: every
    task where one of ``models`` ran)."""
    seeds = per_seed(ds, cfg)
    if models is not None:
        seeds = seeds[seeds["model"].isin(models)]
    if tasks is not None:
        seeds = seeds[seeds["task"].isin(tasks)]
    tasks = list(dict.fromkeys(seeds["task"]))
    ran = list(dict.fromkeys(seeds["model"]))
    order = [m for m in models if m in ran] if models is not None else ran  # legend in the caller's order
    palette = _palette(ds)
    shortcut = shortcut_table(ds)
    figure, axes = _panels(tasks)
    for ax, task in zip(axes, tasks):
        rows = seeds[seeds["task"] == task]
        xs = sorted(rows["x"].unique())
        offsets = dict(zip(order, np.linspace(-0.12, 0.12, len(order))))  # small log-space dodge per model
        jittered = rows.assign(x_shown=rows["x"] * 2.0 ** rows["model"].map(offsets))
        sns.scatterplot(data=jittered, x="x_shown", y="test_acc", hue="model", hue_order=order, palette=palette, ax=ax,
                        s=22, alpha=0.75, legend=False)
        medians = rows.groupby(["model", "x"])["test_acc"].median().reset_index()
        sns.lineplot(seed=0, data=medians, x="x", y="test_acc", hue="model", hue_order=order, palette=palette, ax=ax, legend=ax is axes[-1])
        cut = shortcut[shortcut["task"] == task]
        ax.plot(cut["x"], cut["shortcut_acc"], ls="--", color="black", lw=1.2, label="shortcut (no recall/copy)")
        ax.axhline(cfg.solved_acc, ls=":", color="grey", lw=1, label=f"solved ({cfg.solved_acc:g})")
        _log2_axis(ax, xs)
        ax.set(ylim=(-0.02, 1.02), xlabel=_axis_label(ds, task), ylabel="test accuracy (answer tokens)", title=_title(ds, task))
    _legend(axes[-1], ds)
    figure.tight_layout()
    return save_figure(figure, path, alt or "Test accuracy of every seed (points) and its median (lines) against each task's axis, "
                       "one panel per task, with the shortcut score dashed and the solved threshold dotted.")


def learning_rates(ds: xr.Dataset, path: str | Path) -> HTML:
    """Final validation accuracy at every learning rate of the sweep; the chosen rate circled. Only
    tasks that sweep more than one rate get a panel."""
    frame = lr_table(ds)
    frame = frame[frame["task"].isin(swept_tasks(ds))]
    tasks = list(dict.fromkeys(frame["task"]))
    order = list(dict.fromkeys(frame["model"]))
    palette = _palette(ds)
    figure, axes = _panels(tasks, height=3.2)
    for ax, task in zip(axes, tasks):
        rows = frame[frame["task"] == task]
        sns.lineplot(seed=0, data=rows, x="lr", y="sweep_final_val_acc", hue="model", hue_order=order, palette=palette, marker="o",
                     ax=ax, legend=ax is axes[-1])
        chosen = rows[rows["chosen"]]
        ax.scatter(chosen["lr"], chosen["sweep_final_val_acc"], s=140, facecolors="none", edgecolors="black", lw=1.2, zorder=5,
                   label="chosen")
        at = int(ds["lr_sweep_at"].sel(task=task))
        ax.set(xscale="log", ylim=(-0.02, 1.02), xlabel="learning rate", ylabel="final validation accuracy",
               title=f"{_title(ds, task)}, {axis_name(ds, task)}={at}")
        rates = sorted(rows["lr"].unique())
        ax.set_xticks(rates, [f"{rate:g}" for rate in rates])
        ax.minorticks_off()
        ax.set_xlim(rates[0] / 1.5, rates[-1] * 1.5)
    _legend(axes[-1], ds)
    figure.tight_layout()
    return save_figure(figure, path, "Final validation accuracy against learning rate at each task's sweep point, one line per "
                       "model; the rate chosen for each model is circled.")


def training_curves(ds: xr.Dataset, path: str | Path) -> HTML:
    """Validation accuracy against step at each task's largest point, one thin line per seed.

    A run that stopped early (solved) is held at its last value, so lines do not end abruptly."""
    frames = []
    for task in ds["task"].values:
        sub = ds.sel(task=task)
        grid_x = sub["x"].values[sub["test_acc"].notnull().any(["model", "seed"]).values]
        frame = sub["val_acc"].sel(x=grid_x.max()).to_dataframe().reset_index()
        trained = frame.dropna(subset=["val_acc"])[["model", "seed"]].drop_duplicates()
        frame = frame.merge(trained, on=["model", "seed"]).sort_values(["model", "seed", "eval_step"])
        frame["val_acc"] = frame.groupby(["model", "seed"])["val_acc"].ffill()
        last = int(sub["steps_run"].max())  # the task's own step budget: no curve is held past it
        frame = frame[frame["eval_step"] <= last]
        frames.append(frame.assign(task=str(task), x=int(grid_x.max())))
    frame = pd.concat(frames, ignore_index=True).dropna(subset=["val_acc"])
    frame["run"] = frame["model"] + "/" + frame["seed"].astype(int).astype(str)
    tasks = list(dict.fromkeys(frame["task"]))
    order = list(dict.fromkeys(frame["model"]))
    palette = _palette(ds)
    figure, axes = _panels(tasks, height=3.2)
    for ax, task in zip(axes, tasks):
        rows = frame[frame["task"] == task]
        sns.lineplot(seed=0, data=rows, x="eval_step", y="val_acc", hue="model", hue_order=order, palette=palette, units="run",
                     estimator=None, lw=1, alpha=0.8, ax=ax, legend=ax is axes[-1])
        ax.set(ylim=(-0.02, 1.02), xlabel="training step", ylabel="validation accuracy",
               title=f"{_title(ds, task)}, {axis_name(ds, task)}={int(rows['x'].iloc[0])}")
    _legend(axes[-1], ds)
    figure.tight_layout()
    return save_figure(figure, path, "Validation accuracy against training step at each task's largest point, one line per "
                       "model and seed; solved runs are held at their last value.")


def size_needed(ds: xr.Dataset, path: str | Path) -> HTML:
    """Parameters of the smallest sufficient width against the task's axis (log-log); an open marker
    at the top of a panel means no width of the list sufficed."""
    table = size_table(ds)
    tasks = list(dict.fromkeys(table["task"]))
    order = list(dict.fromkeys(table["model"]))
    palette = _palette(ds)
    figure, axes = _panels(tasks, height=3.4)
    for ax, task in zip(axes, tasks):
        rows = table[table["task"] == task]
        found = rows.dropna(subset=["needed_params"])
        sns.lineplot(seed=0, data=found, x="x", y="needed_params", hue="model", hue_order=order, palette=palette, marker="o", ax=ax,
                     legend=ax is axes[-1])
        ceiling = float(ds["size_n_params"].sel(task=task).max()) * 1.6
        for model, missing in rows[rows["needed_params"].isna()].groupby("model"):
            ax.scatter(missing["x"], [ceiling] * len(missing), marker="^", facecolors="none", edgecolors=[palette[model]], s=60)
        _log2_axis(ax, rows["x"].unique())
        ax.set_yscale("log")
        ax.set(xlabel=_axis_label(ds, task), ylabel="parameters at the smallest sufficient width", title=_title(ds, task))
    _legend(axes[-1], ds)
    figure.tight_layout()
    return save_figure(figure, path, "Parameters needed to solve each point against the task's axis on log-log axes, one line per "
                       "model; open triangles at the top mark points no width of the list solved.")


def accuracy_vs_width(ds: xr.Dataset, cfg: VerdictConfig, path: str | Path) -> HTML:
    """Test accuracy against width (d_model) at every point where the width search ran every width
    (``size_needed.search: full``): a row of panels per task, a panel per point; per model the seeds
    (dots) and their median (line), the shortcut dashed, the solved threshold dotted."""
    points = full_width_points(ds)
    if not points:
        raise ValueError("No point of the width search ran every width (bisection skips widths): nothing to draw.")
    by_task = {task: [x for t, x in points if t == task] for task in dict.fromkeys(task for task, _ in points)}
    columns = max(map(len, by_task.values()))
    figure, axes = plt.subplots(len(by_task), columns, figsize=(3.6 * columns, 3.2 * len(by_task)), squeeze=False)
    legend_ax = axes[0][len(next(iter(by_task.values()))) - 1]
    frame = ds["size_test_acc"].to_dataframe().reset_index().dropna(subset=["size_test_acc"])
    order = list(dict.fromkeys(frame["model"]))
    palette, shortcut = _palette(ds), shortcut_table(ds).set_index(["task", "x"])["shortcut_acc"]
    for row, (task, xs) in zip(axes, by_task.items()):
        for ax, x in zip(row, xs):
            rows = frame[(frame["task"] == task) & (frame["x"] == x)]
            sns.scatterplot(data=rows, x="width", y="size_test_acc", hue="model", hue_order=order, palette=palette, ax=ax, s=18,
                            alpha=0.7, legend=False)
            medians = rows.groupby(["model", "width"])["size_test_acc"].median().reset_index()
            sns.lineplot(seed=0, data=medians, x="width", y="size_test_acc", hue="model", hue_order=order, palette=palette, ax=ax,
                         legend=ax is legend_ax)
            ax.axhline(shortcut[(task, x)], ls="--", color="grey", lw=1.2, label="shortcut (no recall/copy)")
            ax.axhline(cfg.solved_acc, ls=":", color="black", lw=1, label=f"solved ({cfg.solved_acc:g})")
            _log2_axis(ax, ds["width"].values)
            ax.set(ylim=(-0.02, 1.02), xlabel="width (d_model)", ylabel="test accuracy", title=f"{_title(ds, task)}, {axis_name(ds, task)}={x}")
        for ax in row[len(xs):]:
            ax.set_visible(False)
    _legend(legend_ax, ds)
    figure.tight_layout()
    return save_figure(figure, path, "Test accuracy against model width at every point of the width grid, one row per task and one "
                       "panel per point: seeds as dots, seed medians as lines, the shortcut score dashed, the solved threshold dotted.")


def trained_vs_constructed(sizes: pd.DataFrame, constructed: pd.DataFrame, path: str | Path) -> HTML:
    """Parameters of the smallest solving trained models (markers, by model) and of the hand-built
    constructions (grey lines) against each task's growth variable, log-log, one panel per task of
    ``sizes`` (frames of ``sizes.smallest_solving`` and ``sizes.constructed_sizes``)."""
    tasks = list(dict.fromkeys(sizes["task"]))
    labels = list(dict.fromkeys(constructed["construction"]))
    greys = dict(zip(labels, REFERENCE_GREYS * len(labels)))
    dashes = dict(zip(labels, ["-", "--", "-.", ":"] * len(labels)))
    figure, axes = _panels(tasks, height=3.4, width=6.0)  # room for the legend beside each panel
    for ax, task in zip(axes, tasks):
        trained = sizes[sizes["task"] == task].dropna(subset=["needed_params"])
        for (name, rows), marker in zip(trained.groupby("name", sort=False), "osD^v<>"):  # markers tell apart models at one point
            ax.scatter(rows["v"], rows["needed_params"], color=family_colour(name), marker=marker, s=36, alpha=0.8, zorder=3,
                       label=f"{name}, trained")
        built = constructed[constructed["task"] == task]
        for label, rows in built.groupby("construction", sort=False):
            rows = rows.sort_values("v")
            ax.plot(rows["v"], rows["params"], color=greys[label], ls=dashes[label], lw=1.2, marker=".", label=label)
        if trained.empty and built.empty:
            ax.text(0.5, 0.5, "no width solved a point;\nno construction at this task's settings", ha="center", va="center",
                    transform=ax.transAxes, fontsize=8)
        else:
            ax.set(xscale="log", yscale="log")
            ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False, fontsize=7)
        variable = str(sizes.loc[sizes["task"] == task, "variable"].iloc[0])
        ax.set(xlabel=GROWTH_LABELS.get(variable, variable), ylabel="parameters", title=TASK_TITLES.get(task, task))
    figure.tight_layout()
    return save_figure(figure, path, "Parameters of the smallest trained model that solves each point (markers) and of the hand-built "
                       "constructions (grey lines) against each task's growth variable, on log-log axes, one panel per task.")


def late_gains(ds: xr.Dataset, path: str | Path) -> HTML:
    """Validation accuracy gained over the last quarter of training, per model, point and seed."""
    frame = late_gain(ds)
    tasks = list(dict.fromkeys(frame["task"]))
    figure, axes = _panels(tasks, height=3.6)
    for ax, task in zip(axes, tasks):
        rows = frame[frame["task"] == task]
        with fixed_jitter():
            sns.stripplot(data=rows, x="model", y="late_gain", hue="x", ax=ax, dodge=True, size=4, palette="viridis")
        ax.axhline(0, color="grey", lw=0.8)
        ax.set(xlabel="", ylabel="gain in the last 25% of steps", title=_title(ds, task))
        ax.tick_params(axis="x", rotation=45)
        ax.set_xticks(ax.get_xticks(), [_names(ds).get(t.get_text(), t.get_text()) for t in ax.get_xticklabels()])
        for label in ax.get_xticklabels():
            label.set_horizontalalignment("right")
        ax.legend(title=axis_name(ds, task), fontsize=7, title_fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    figure.tight_layout()
    return save_figure(figure, path, "Validation accuracy gained over the last quarter of training by every run that used all "
                       "its steps, per model, coloured by the task's axis value.")


def long_runs(ds: xr.Dataset, path: str | Path) -> HTML:
    """Validation accuracy of each long run (solid) and of the grid run at the same point and seed
    (dashed), against training step; one task per row, as two legend lines per model need the width."""
    tasks = [str(t) for t in ds["task"].values if int(ds["long_at"].sel(task=t)) >= 0]
    figure, axes = plt.subplots(len(tasks), 1, figsize=(10.0, 3.2 * len(tasks)), squeeze=False)
    axes = axes[:, 0]
    for ax, task in zip(axes, tasks):
        sub = ds.sel(task=task)
        at, seed = int(sub["long_at"]), int(sub["lr_seed"])
        models = [str(m) for m in sub["model"].values if np.isfinite(float(sub["long_test_acc"].sel(model=m)))]
        palette = _palette(ds)
        for model in models:
            long = sub["long_val_acc"].sel(model=model).to_series().dropna()
            grid = sub["val_acc"].sel(model=model, x=at, seed=seed).to_series().dropna()
            ax.plot(long.index, long.values, color=palette[model], lw=1.4, label=f"{model}, {int(long.index.max())} steps")
            ax.plot(grid.index, grid.values, color=palette[model], lw=1.2, ls="--", label=f"{model}, grid ({int(grid.index.max())} steps)")
        ax.set(ylim=(-0.02, 1.02), xlabel="training step", ylabel="validation accuracy", title=f"{_title(ds, task)}, {axis_name(ds, task)}={at}, seed {seed}")
        _legend(ax, ds)
    figure.tight_layout()
    return save_figure(figure, path, "Validation accuracy against training step of the long runs (solid) and of the grid runs at the "
                       "same point and seed (dashed), one colour per model.")
