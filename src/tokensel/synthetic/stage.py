"""One DVC cell of the synthetic experiment: every model of the grid on one task.

Per model, the runs go in this order (one plan, see ``tokensel.synthetic.train``):

1. the learning-rate sweep: every rate of the task's ``lrs`` (default ``train.lrs``) on seed ``train.lr_seed`` at the task's
   ``lr_sweep_at`` point; the best final validation accuracy picks the rate;
2. at that rate, every other point of the task's axis and every seed of the model, and, side by
   side, the width search of ``size_needed``: with ``search: bisection``, bisection over the widths,
   seeds run until enough have solved or too many have failed; with ``search: full``, every width
   on every seed.

The Dataset of a task (dimension ``x`` is the value of the task's axis, e.g. k or |W|) holds

* the grid: ``test_acc``, ``test_exact``, ``final_val_acc``, ``steps_run``, ``cpu_seconds``
  (model, x, seed); ``val_acc``, ``train_loss`` (model, x, seed, eval_step); ``n_params``
  (model, x); training stops early once validation accuracy reaches ``early_stop_acc``, so curves
  hold NaN after ``steps_run``;
* the sweep: ``sweep_final_val_acc``, ``sweep_test_acc``, ``sweep_steps_run``,
  ``sweep_cpu_seconds`` (model, lr), ``sweep_val_acc`` (model, lr, eval_step), ``chosen_lr`` (model);
* the width search: ``size_test_acc``, ``size_steps_run``, ``size_cpu_seconds`` (model, x, width,
  seed), ``size_n_params`` (model, x, width) and ``needed_width`` (model, x; NaN where no width of
  the list sufficed); cells the search did not run are NaN (none with ``search: full``);
* the long runs: ``long_val_acc`` (model, long_step), ``long_test_acc``, ``long_steps_run``,
  ``long_cpu_seconds`` (model), at point ``long_at`` (task; -1 without one) and ``train.lr_seed``;
* the controls: ``shortcut_acc`` (x, seed), the score of the no-mechanism guess on each seed's
  test split; ``seq_len`` (x);
* coordinates ``model_spec`` (model); ``task_name`` (the registered task), ``axis``,
  ``lr_sweep_at`` and ``lr_seed`` (task).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import xarray as xr

from tokensel.synthetic.config import SyntheticExperiment
from tokensel.synthetic.train import Plan, RunResult, best_run, run_plans
from tokensel.tasks import shortcut_score


@dataclass
class ModelOutcome:
    model: str
    sweep: list[RunResult]
    chosen_lr: float
    runs: dict[tuple[int, int], RunResult]  # (x, seed) -> run at the chosen rate
    size_runs: dict[tuple[int, int, int], RunResult] = field(default_factory=dict)  # (x, width, seed)
    needed_width: dict[int, int | None] = field(default_factory=dict)  # x -> smallest sufficient width
    long_run: RunResult | None = None


def side_by_side(plans: list[Plan]) -> Plan:
    """One plan that advances several plans together, round by round; returns their results in order."""
    outcomes: list[Any] = [None] * len(plans)
    batches: dict[int, list[dict]] = {}
    for index, plan in enumerate(plans):
        try:
            batches[index] = next(plan)
        except StopIteration as stop:
            outcomes[index] = stop.value
    while batches:
        order = list(batches)
        results = yield [job for index in order for job in batches[index]]
        start = 0
        for index in order:
            count = len(batches[index])
            try:
                batches[index] = plans[index].send(results[start : start + count])
            except StopIteration as stop:
                outcomes[index] = stop.value
                del batches[index]
            start += count
    return outcomes


def _seed_runs(jobs: dict[tuple[int, int], dict]) -> Plan:
    results = yield list(jobs.values())
    return dict(zip(jobs, results))


def _width_search(experiment: SyntheticExperiment, job, x: int) -> Plan:
    """Bisection for the smallest width of ``size_needed.widths`` that solves point ``x``."""
    size, threshold = experiment.size_needed, experiment.verdict.solved_acc
    runs: dict[tuple[int, int, int], RunResult] = {}

    def suffices(width: int) -> Plan:
        solved, remaining = 0, list(size.seeds)
        while True:
            need = size.required - solved
            if need <= 0:
                return True
            if need > len(remaining):
                return False
            seeds, remaining = remaining[:need], remaining[need:]
            results = yield [job(x, seed, width) for seed in seeds]
            for seed, result in zip(seeds, results):
                runs[(x, width, seed)] = result
                solved += result.test_acc >= threshold

    low, high = 0, len(size.widths)  # the answer's index lies in [low, high]; len(widths) = none suffices
    while low < high:
        middle = (low + high) // 2
        if (yield from suffices(size.widths[middle])):
            high = middle
        else:
            low = middle + 1
    return runs, (size.widths[low] if low < len(size.widths) else None)


def _width_grid(experiment: SyntheticExperiment, job, x: int) -> Plan:
    """Every width of ``size_needed.widths`` on every seed at point ``x``; the smallest width at
    which ``required`` seeds solve, as ``_width_search`` defines it but read off the whole grid."""
    size, threshold = experiment.size_needed, experiment.verdict.solved_acc
    runs = yield from _seed_runs({(x, width, seed): job(x, seed, width) for width in size.widths for seed in size.seeds})
    solved = {width: sum(runs[(x, width, seed)].test_acc >= threshold for seed in size.seeds) for width in size.widths}
    return runs, next((width for width in size.widths if solved[width] >= size.required), None)


WIDTH_SEARCHES = {"bisection": _width_search, "full": _width_grid}


def model_plan(experiment: SyntheticExperiment, task: str, model: str) -> Plan:
    spec, train, runs = experiment.tasks[task], experiment.train, experiment.runs[task]
    config = experiment.model(model)

    def job(x: int, seed: int, lr: float, width: int | None = None) -> dict:
        widened = config if width is None else config.replace(d_model=width, fnn_width=experiment.size_needed.fnn_per_width * width)
        where = f"{task}/{model}/{spec.axis}={x}/seed={seed}" + ("" if width is None else f"/width={width}")
        return dict(model_config=widened, task=spec.instance(x), train=train, lr=lr, seed=seed, steps=runs.steps, label=where, lr_key=runs.lrs_key)

    sweep = yield [job(spec.lr_sweep_at, train.lr_seed, lr) for lr in runs.lrs]
    chosen = best_run(sweep)
    cells = {(x, seed): job(x, seed, chosen.lr) for x in spec.values for seed in experiment.seeds_of(task, model)}
    del cells[(spec.lr_sweep_at, train.lr_seed)]
    searched = experiment.size_needed.tasks.get(task, ()) if model in experiment.size_needed.models else ()
    search = WIDTH_SEARCHES[experiment.size_needed.search]
    searches = [search(experiment, lambda x, seed, width: job(x, seed, chosen.lr, width), x) for x in searched]
    long = experiment.long_runs.get(task)
    longer = {}
    if long is not None and model in long.models:
        longer[(long.at, train.lr_seed)] = {**job(long.at, train.lr_seed, chosen.lr), "steps": long.steps, "label": f"{task}/{model}/long"}
    runs, long_runs, *found = yield from side_by_side([_seed_runs(cells), _seed_runs(longer), *searches])
    outcome = ModelOutcome(model, sweep, chosen.lr, {**runs, (spec.lr_sweep_at, train.lr_seed): chosen})
    outcome.long_run = next(iter(long_runs.values()), None)
    for x, (size_runs, width) in zip(searched, found):
        outcome.size_runs.update(size_runs)
        outcome.needed_width[x] = width
    return outcome


def _filled(shape: tuple[int, ...]) -> np.ndarray:
    return np.full(shape, np.nan)


def task_dataset(experiment: SyntheticExperiment, task: str, outcomes: list[ModelOutcome]) -> xr.Dataset:
    spec, train = experiment.tasks[task], experiment.train
    size = experiment.size_needed
    models = [o.model for o in outcomes]
    xs = sorted(set(spec.values) | set(size.tasks.get(task, ())))
    seeds, widths, lrs = list(experiment.grid.seeds), list(size.widths), list(experiment.runs[task].lrs)
    size_seeds = sorted(set(size.seeds) | set(seeds))
    eval_steps = outcomes[0].sweep[0].eval_steps
    m, n_x, n_s, n_e = len(models), len(xs), len(size_seeds), len(eval_steps)
    grid = {name: _filled((m, n_x, n_s)) for name in ("test_acc", "test_exact", "final_val_acc", "steps_run", "cpu_seconds")}
    curves = {name: _filled((m, n_x, n_s, n_e)) for name in ("val_acc", "train_loss")}
    n_params = _filled((m, n_x))
    sweep = {name: _filled((m, len(lrs))) for name in ("final_val_acc", "test_acc", "steps_run", "cpu_seconds")}
    sweep_curve = _filled((m, len(lrs), n_e))
    sized = {name: _filled((m, n_x, len(widths), n_s)) for name in ("test_acc", "steps_run", "cpu_seconds")}
    size_params = _filled((m, n_x, len(widths)))
    needed = _filled((m, n_x))
    for i, outcome in enumerate(outcomes):
        for (x, seed), run in outcome.runs.items():
            at = (i, xs.index(x), size_seeds.index(seed))
            for name in grid:
                grid[name][at] = getattr(run, name)
            curves["val_acc"][at] = run.val_acc
            curves["train_loss"][at] = run.train_loss
            n_params[at[:2]] = run.n_params
        for j, run in enumerate(outcome.sweep):
            for name in sweep:
                sweep[name][i, j] = getattr(run, name)
            sweep_curve[i, j] = run.val_acc
        for (x, width, seed), run in outcome.size_runs.items():
            at = (i, xs.index(x), widths.index(width), size_seeds.index(seed))
            for name in sized:
                sized[name][at] = getattr(run, name)
            size_params[at[:3]] = run.n_params
        for x, width in outcome.needed_width.items():
            needed[i, xs.index(x)] = np.nan if width is None else width
    shortcut = np.array([[shortcut_score(spec.instance(x), train.n_test, seed) for seed in size_seeds] for x in xs])
    long_runs = [o.long_run for o in outcomes if o.long_run is not None]
    long_steps = long_runs[0].eval_steps if long_runs else np.array([], dtype=int)
    long_curve, long_scalars = _filled((m, len(long_steps))), {name: _filled((m,)) for name in ("test_acc", "steps_run", "cpu_seconds")}
    for i, outcome in enumerate(outcomes):
        if outcome.long_run is not None:
            long_curve[i] = outcome.long_run.val_acc
            for name in long_scalars:
                long_scalars[name][i] = getattr(outcome.long_run, name)
    dims, curve_dims = ("model", "x", "seed"), ("model", "x", "seed", "eval_step")
    size_dims = ("model", "x", "width", "seed")
    ds = xr.Dataset(
        {
            **{name: (dims, values) for name, values in grid.items()},
            **{name: (curve_dims, values) for name, values in curves.items()},
            "n_params": (("model", "x"), n_params),
            **{f"sweep_{name}": (("model", "lr"), values) for name, values in sweep.items()},
            "sweep_val_acc": (("model", "lr", "eval_step"), sweep_curve),
            "chosen_lr": ("model", [o.chosen_lr for o in outcomes]),
            **{f"size_{name}": (size_dims, values) for name, values in sized.items()},
            "size_n_params": (("model", "x", "width"), size_params),
            "needed_width": (("model", "x"), needed),
            "long_val_acc": (("model", "long_step"), long_curve),
            **{f"long_{name}": ("model", values) for name, values in long_scalars.items()},
            "shortcut_acc": (("x", "seed"), shortcut),
            "seq_len": ("x", [float(spec.instance(x).seq_len) for x in xs]),
        },
        coords={"model": models, "x": xs, "seed": size_seeds, "eval_step": eval_steps, "lr": lrs, "width": widths, "long_step": long_steps},
    )
    ds = ds.assign_coords(model_spec=("model", [experiment.model(name).to_json() for name in models]))
    ds = ds.expand_dims(task=[task])
    long_at = experiment.long_runs[task].at if task in experiment.long_runs else -1
    ds = ds.assign_coords(task_name=("task", [spec.task]), axis=("task", [spec.axis]), lr_sweep_at=("task", [spec.lr_sweep_at]),
                          long_at=("task", [long_at]), lr_seed=("task", [train.lr_seed]))
    ds["test_acc"].attrs["description"] = "token accuracy on answer positions, held-out test split"
    ds["shortcut_acc"].attrs["description"] = "accuracy of the most frequent candidate token (no copying, no recall) on the test split"
    ds["needed_width"].attrs["description"] = "smallest width (d_model) of size_needed.widths solving the point on enough seeds; NaN: none"
    return ds


def run(experiment: SyntheticExperiment, task: str, workers: int | None = None) -> xr.Dataset:
    """Train every model of the grid on ``task``: sweep, seeds and width search."""
    models = experiment.runs[task].models
    outcomes = run_plans([model_plan(experiment, task, model) for model in models], workers, desc=task)
    return task_dataset(experiment, task, outcomes)


def cells(experiment: SyntheticExperiment) -> list[dict]:
    """The DVC matrix of ``synthetic_train``: one cell per task of the grid."""
    return [{"task": task} for task in experiment.grid.tasks]
