"""The ``synthetic:`` section of the params file as typed, validated dataclasses.

The paper's hyperparameters are not public; every default here is our documented choice (the
reasons are in the comments of ``profiles/default.yaml``). A task's own entry is ``task_specs``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from tokensel.core.errors import ConfigError
from tokensel.core.params import (
    Between,
    Distinct,
    NonEmpty,
    PositiveFloat,
    PositiveInt,
    Probability,
    build,
    check,
)
from tokensel.core.params_file import load_config
from tokensel.core.optim import OptimConfig
from tokensel.nn.config import ModelConfig
from tokensel.synthetic.task_specs import KEY, TaskSpec


@dataclass(frozen=True)
class TrainConfig(OptimConfig):
    """Optimisation of one run. Every model is trained at each of ``lrs`` on seed ``lr_seed`` at
    its task's ``lr_sweep_at`` point; the rate with the best final validation accuracy is then used
    for every other point and seed of that task and model."""

    steps: PositiveInt = 3000
    batch_size: PositiveInt = 32
    lrs: Annotated[tuple[PositiveFloat, ...], NonEmpty(), Distinct()] = (1e-3, 3e-3, 1e-2)
    lr_seed: int = 0
    eval_every: PositiveInt = 100
    n_val: PositiveInt = 256
    n_test: PositiveInt = 1024
    early_stop_acc: Annotated[float, Between(0.01, 1)] | None = 0.99  # stop once validation accuracy reaches this (null: never)


@dataclass(frozen=True)
class GridConfig:
    """Which tasks, models and seeds the pipeline runs (one training stage per task).

    ``models`` run every seed; ``single_seed_models`` (ablations) run only ``train.lr_seed``, also
    where ``models`` lists them. A task may set either list for itself."""

    tasks: Annotated[tuple[str, ...], NonEmpty(), Distinct()]
    models: Annotated[tuple[str, ...], NonEmpty(), Distinct()]
    seeds: Annotated[tuple[int, ...], NonEmpty(), Distinct()]
    single_seed_models: Annotated[tuple[str, ...], Distinct()] = ()


@dataclass(frozen=True)
class SizeNeededConfig:
    """The smallest width at which a model solves a task point (Theorems 3.1 and 3.2).

    A width w means d_model = w and FNN width = ``fnn_per_width`` * w. A width suffices when at
    least ``required`` of ``seeds`` solve the point (test accuracy >= ``verdict.solved_acc``).
    ``search: bisection`` tries few widths, assuming that a width that suffices stays sufficient
    when widened; ``search: full`` runs every width on every seed, so accuracy can be drawn against
    width. Each model trains at the learning rate chosen for it in the grid."""

    tasks: dict[str, Annotated[tuple[PositiveInt, ...], NonEmpty(), Distinct()]] = field(default_factory=dict)
    models: Annotated[tuple[str, ...], Distinct()] = ()
    widths: Annotated[tuple[PositiveInt, ...], NonEmpty(), Distinct()] = (8, 16, 32, 64)
    fnn_per_width: PositiveInt = 2
    seeds: Annotated[tuple[int, ...], NonEmpty(), Distinct()] = (0, 1, 2)
    required: PositiveInt = 2
    search: Literal["bisection", "full"] = "bisection"

    def __post_init__(self) -> None:
        object.__setattr__(self, "widths", tuple(sorted(self.widths)))
        check(self.required <= len(self.seeds), "required", f"({self.required}) cannot exceed the number of seeds ({len(self.seeds)})")


@dataclass(frozen=True)
class LongRun:
    """One seed (``train.lr_seed``) of ``models`` trained for ``steps`` at point ``at`` of a task, at
    the learning rate chosen for it: is a run stuck at the shortcut on a plateau it would leave with
    more steps, or at a limit of the architecture?"""

    at: PositiveInt
    steps: PositiveInt
    models: Annotated[tuple[str, ...], NonEmpty(), Distinct()]


@dataclass(frozen=True)
class VerdictConfig:
    """When a seed, a model and the claim count as solving (ours, not the paper's; fixed before the runs).

    A seed solves a point at test accuracy >= ``solved_acc``; a model solves it when more than
    ``solved_fraction`` of its seeds do (2 of 3). Where solving does not decide, seed medians do:
    comparable = two-layer SSM+FNN median >= Transformer median - ``comparable_margin``;
    outperforms = two-layer median >= one-layer median + ``separation_margin``."""

    solved_acc: Probability = 0.95
    solved_fraction: Probability = 0.5
    comparable_margin: Probability = 0.05
    separation_margin: Probability = 0.10


@dataclass(frozen=True)
class TaskRuns:
    """What the grid runs for one task, its own settings and the experiment's defaults resolved:
    models on every seed (its ``models`` or ``grid.models``, less its single-seed models), models
    on ``train.lr_seed`` only (its ``single_seed_models`` or the grid's), the learning rates swept
    with the params key they come from (named when a run diverges), and the steps per run."""

    every_seed: tuple[str, ...]
    single_seed: tuple[str, ...]
    lrs: tuple[float, ...]
    lrs_key: str
    steps: int

    @property
    def models(self) -> tuple[str, ...]:
        return self.every_seed + self.single_seed


def task_runs(spec: TaskSpec, grid: GridConfig, train: TrainConfig) -> TaskRuns:
    single = spec.single_seed_models if spec.single_seed_models is not None else grid.single_seed_models
    every = tuple(m for m in (spec.models if spec.models is not None else grid.models) if m not in single)
    lrs_key = f"{KEY}.tasks.{spec.name}.lrs" if spec.lrs else f"{KEY}.train.lrs"
    return TaskRuns(every, single, spec.lrs or train.lrs, lrs_key, spec.steps or train.steps)


@dataclass(frozen=True)
class SyntheticExperiment:
    """Figure C.1: copying along its length, recall and MQAR along the vocabulary |W|."""

    grid: GridConfig
    tasks: dict[str, TaskSpec]
    models: dict[str, ModelConfig]
    train: TrainConfig
    size_needed: SizeNeededConfig = field(default_factory=SizeNeededConfig)
    long_runs: dict[str, LongRun] = field(default_factory=dict)
    verdict: VerdictConfig = field(default_factory=VerdictConfig)

    runs: dict[str, TaskRuns] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name in self.grid.tasks:
            check(name in self.tasks, "grid.tasks", f"names '{name}', which is not under synthetic.tasks ({', '.join(self.tasks)})")
        lists = [(f"grid.{f}", getattr(self.grid, f)) for f in ("models", "single_seed_models")] + [("size_needed.models", self.size_needed.models)]
        lists += [(f"tasks.{t}.{f}", getattr(self.tasks[t], f) or ()) for t in self.grid.tasks for f in ("models", "single_seed_models")]
        for where, names in lists:
            for name in names:
                check(name in self.models, where, f"names unknown model '{name}'; models defined under synthetic.models: {', '.join(self.models)}")
        object.__setattr__(self, "runs", {task: task_runs(self.tasks[task], self.grid, self.train) for task in self.grid.tasks})
        for task, runs in self.runs.items():
            check(bool(runs.every_seed), f"tasks.{task}", "runs no model on every seed; list one in its models or in grid.models")
        check(self.train.lr_seed in self.grid.seeds, "train.lr_seed", f"({self.train.lr_seed}) must be one of grid.seeds {list(self.grid.seeds)}")
        size = self.size_needed
        for name, values in size.tasks.items():
            check(name in self.grid.tasks, "size_needed.tasks", f"names '{name}', which grid.tasks does not run (its learning rates come from the grid)")
            for value in values:
                try:
                    self.tasks[name].instance(value)
                except ConfigError as error:
                    check(False, f"size_needed.tasks.{name}", f"value {value} makes an invalid task: {error.problems[0]}")
            for model in size.models:
                check(model in self.runs[name].every_seed, "size_needed.models",
                      f"names '{model}', which task '{name}' does not run on every seed (its learning rate comes from the grid)")
        for name, long in self.long_runs.items():
            check(name in self.grid.tasks, "long_runs", f"names '{name}', which grid.tasks does not run (its learning rates come from the grid)")
            check(long.at in self.tasks[name].values, f"long_runs.{name}.at", f"({long.at}) must be one of the task's values {list(self.tasks[name].values)}")
            for model in long.models:
                check(model in self.runs[name].models, f"long_runs.{name}.models", f"names '{model}', which task '{name}' does not run")
        for name in size.models:
            for width in size.widths:
                check(not (problem := self.models[name].width_problem(width)), "size_needed.widths", f"({width}) {problem} of '{name}'")

    def model(self, name: str) -> ModelConfig:
        if name not in self.models:
            raise ConfigError(f"Unknown model '{name}'; models under synthetic.models: {', '.join(self.models)}.")
        return self.models[name]

    @property
    def all_models(self) -> tuple[str, ...]:
        """Every model some task of the grid runs, in the order the params list them."""
        return tuple(dict.fromkeys(m for runs in self.runs.values() for m in runs.models))

    def seeds_of(self, task: str, model: str) -> tuple[int, ...]:
        return self.grid.seeds if model in self.runs[task].every_seed else (self.train.lr_seed,)


def from_params(section: Any, key: str = KEY) -> SyntheticExperiment:
    """The experiment from the ``synthetic:`` mapping; every problem is raised at once with its key."""
    return build(SyntheticExperiment, section, key)


def load(params_file: str | Path = "params.yaml") -> SyntheticExperiment:
    """The ``synthetic:`` section of a params file, typed and validated."""
    return load_config(params_file, KEY, from_params)


def dry_run(section: dict) -> dict:
    """The same tasks, points, models and widths with the least work: 2 steps of 2 sequences per run
    (long runs too), one learning rate, one seed (the learning-rate seed), one seed per width."""
    train = section.get("train", {})
    lr_seed = train.get("lr_seed", 0)
    size = section.get("size_needed", {})
    return {
        **section,
        "grid": {**section["grid"], "seeds": [lr_seed]},
        "train": {**train, "steps": 2, "eval_every": 1, "batch_size": 2, "lrs": list(train.get("lrs", [1e-3]))[:1], "n_val": 8, "n_test": 8},
        "tasks": {name: {**{k: v for k, v in spec.items() if k != "steps"}, **({"lrs": list(spec["lrs"])[:1]} if spec.get("lrs") else {})}
                  for name, spec in section["tasks"].items()},
        "size_needed": {**size, "seeds": [lr_seed], "required": 1},
        "long_runs": {name: {**long, "steps": 2} for name, long in section.get("long_runs", {}).items()},
    }
