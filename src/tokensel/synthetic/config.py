"""The ``synthetic:`` section of the params file as typed, validated dataclasses.

The paper's hyperparameters are not public; every default here is our documented choice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Mapping

from tokensel.core.errors import ConfigError
from tokensel.core.params import (
    Between,
    Distinct,
    NonEmpty,
    NonNegativeFloat,
    PositiveFloat,
    PositiveInt,
    Probability,
    build,
    check,
    convert,
    load_config,
    unknown_key_problems,
)
from tokensel.nn.config import ModelConfig
from tokensel.tasks import TASKS, Task, build_task

KEY = "synthetic"


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation of one run. ``lrs`` is swept; the best is chosen on a validation set."""

    steps: PositiveInt = 1000
    batch_size: PositiveInt = 64
    lrs: Annotated[tuple[PositiveFloat, ...], NonEmpty(), Distinct()] = (1e-3, 3e-3)
    weight_decay: NonNegativeFloat = 0.1
    warmup_fraction: Annotated[float, Between(0, 0.99)] = 0.05
    grad_clip: PositiveFloat = 1.0
    eval_every: PositiveInt = 100
    n_val: PositiveInt = 256
    n_test: PositiveInt = 1024
    d_model: PositiveInt = 64
    early_stop_acc: Annotated[float, Between(0.01, 1)] | None = 0.99  # stop once validation accuracy reaches this (null: never)


@dataclass(frozen=True)
class VerdictConfig:
    """Margins (ours, not the paper's) for calling the Figure C.1 claim reproduced.

    comparable: best two-layer SSM+FNN >= best Transformer - ``comparable_margin``;
    outperforms: best two-layer SSM+FNN >= best one-layer SSM+FNN + ``separation_margin``.
    """

    comparable_margin: Probability = 0.05
    separation_margin: Probability = 0.10


@dataclass(frozen=True)
class GridConfig:
    """Which tasks, models and seeds the pipeline runs (tasks x models are DVC's matrix axes)."""

    tasks: Annotated[tuple[str, ...], NonEmpty(), Distinct()]
    models: Annotated[tuple[str, ...], NonEmpty(), Distinct()]
    seeds: Annotated[tuple[int, ...], NonEmpty(), Distinct()]


@dataclass(frozen=True)
class TaskSpec:
    """A task's params entry: its name, the sizes the grid runs, and the task's own keys."""

    name: str
    sizes: tuple[int, ...]
    settings: dict[str, Any]

    @classmethod
    def from_params(cls, data: Any, key: str) -> TaskSpec:
        name = key.rsplit(".", 1)[-1]
        if name not in TASKS:
            raise ConfigError(f"'{key}' is not a known task; registered tasks: {', '.join(TASKS)}.")
        if not isinstance(data, Mapping):
            raise ConfigError(f"'{key}' must be a mapping with 'sizes' and the task's settings, got {data!r}.")
        valid = ["sizes", *(f for f in TASKS[name].__dataclass_fields__ if f != "size")]
        problems = unknown_key_problems(key, data, valid)
        if "sizes" not in data:
            problems.append(f"'{key}.sizes' is missing; list the task sizes to run, e.g. [4, 16].")
        if problems:
            raise ConfigError(problems)
        sizes = convert(data["sizes"], Annotated[tuple[PositiveInt, ...], NonEmpty(), Distinct()], f"{key}.sizes")
        spec = cls(name, sizes, {k: v for k, v in data.items() if k != "sizes"})
        for size in sizes:  # every size builds, so bad vocabularies fail before training
            spec.task(size)
        return spec

    def task(self, size: int) -> Task:
        return build_task(self.name, self.settings, size, f"{KEY}.tasks.{self.name}")

    def to_params(self) -> dict[str, Any]:
        return {"sizes": list(self.sizes), **self.settings}


@dataclass(frozen=True)
class SyntheticExperiment:
    """The Figure C.1 experiment: every task x model x size x seed, each with an LR sweep."""

    grid: GridConfig
    tasks: dict[str, TaskSpec]
    models: dict[str, ModelConfig]
    train: TrainConfig
    verdict: VerdictConfig = field(default_factory=VerdictConfig)

    def __post_init__(self) -> None:
        for name in self.grid.tasks:
            check(name in self.tasks, "grid.tasks", f"names '{name}', which is not under synthetic.tasks ({', '.join(self.tasks)})")
        for name in self.grid.models:
            check(name in self.models, "grid.models", f"names unknown model '{name}'; models defined under synthetic.models: {', '.join(self.models)}")

    def sizes(self, name: str) -> tuple[int, ...]:
        return self.tasks[name].sizes

    def task(self, name: str, size: int) -> Task:
        return self.tasks[name].task(size)

    def model(self, name: str) -> ModelConfig:
        if name not in self.models:
            raise ConfigError(f"Unknown model '{name}'; models under synthetic.models: {', '.join(self.models)}.")
        return self.models[name]


def from_params(section: Any, key: str = KEY) -> SyntheticExperiment:
    """The experiment from the ``synthetic:`` mapping; every problem is raised at once with its key."""
    return build(SyntheticExperiment, section, key)


def load(params_file: str | Path = "params.yaml") -> SyntheticExperiment:
    """The ``synthetic:`` section of a params file, typed and validated."""
    return load_config(params_file, KEY, from_params)


def dry_run(section: dict) -> dict:
    """The same tasks, sizes and models with the least work: 2 steps, one seed, one learning rate."""
    train = section.get("train", {})
    return {
        **section,
        "grid": {**section["grid"], "seeds": section["grid"]["seeds"][:1]},
        "train": {**train, "steps": 2, "eval_every": 1, "lrs": list(train.get("lrs", [1e-3]))[:1], "n_val": 8, "n_test": 8},
    }
