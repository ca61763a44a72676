"""Typed configuration built from ``params.yaml``.

Every number an experiment uses lives in ``params.yaml`` (the default, CPU profile) or in a file
under ``profiles/``. This module turns those mappings into frozen dataclasses and rejects anything
it does not understand *before* training starts: an unknown key (with the closest valid key
suggested), an unknown model or task name, a non-positive size, a vocabulary too small for the
requested sequence.

The paper's exact hyperparameters are not public; every default here is our documented choice.
"""

from __future__ import annotations

import dataclasses
import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, TypeVar

import yaml

from tokensel.errors import ConfigError

T = TypeVar("T")

MIXERS = ("ssm", "attention")
FILTERS = ("fir", "ssm", "s4d")
POSITIONAL = ("none", "sinusoidal", "learned")
ACTIVATIONS = ("gelu", "relu")
TASKS = ("copy", "recall")


def fail_unknown_keys(section: str, given: Mapping[str, Any], valid: list[str]) -> None:
    unknown = [k for k in given if k not in valid]
    if not unknown:
        return
    key = unknown[0]
    close = difflib.get_close_matches(str(key), valid, n=1)
    hint = f" Did you mean '{close[0]}'?" if close else ""
    raise ConfigError(
        f"Unknown key '{section}.{key}'.{hint} Valid keys in '{section}': {', '.join(valid)}."
    )


def from_mapping(cls: type[T], data: Mapping[str, Any] | None, section: str) -> T:
    """Build dataclass ``cls`` from ``data``, rejecting keys the dataclass does not define."""
    data = dict(data or {})
    if not isinstance(data, dict):
        raise ConfigError(f"'{section}' must be a mapping of keys to values, got {type(data).__name__}.")
    valid = [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
    fail_unknown_keys(section, data, valid)
    return cls(**data)


def require(condition: bool, message: str) -> None:
    if not condition:
        raise ConfigError(message)


def _require_choice(name: str, value: str, allowed: tuple[str, ...]) -> None:
    require(value in allowed, f"'{name}' is '{value}'; allowed values: {', '.join(allowed)}.")


def _require_positive(name: str, value: float) -> None:
    require(value > 0, f"'{name}' must be positive, got {value}.")


@dataclass(frozen=True)
class ModelConfig:
    """One network: embedding -> ``n_layers`` x (mixer, FNN) -> readout.

    ``fnn_depth`` is the number of hidden layers of the token-wise FNN after each mixer
    (0 removes it: the "SSM without FNN" ablation). ``pre_fnn`` adds the theory's FNN *before*
    each mixer as well.
    """

    mixer: str = "ssm"
    n_layers: int = 2
    fnn_depth: int = 1
    fnn_width: int = 128
    pre_fnn: bool = False
    activation: str = "gelu"
    filter: str = "s4d"
    window: int | None = None  # FIR filter length U; None = the whole sequence
    state_size: int = 8  # N for the ``ssm`` (dense A) and ``s4d`` filters
    n_heads: int = 4
    positional: str = "none"

    def __post_init__(self) -> None:
        _require_choice("mixer", self.mixer, MIXERS)
        _require_choice("filter", self.filter, FILTERS)
        _require_choice("positional", self.positional, POSITIONAL)
        _require_choice("activation", self.activation, ACTIVATIONS)
        require(self.n_layers >= 1, f"'n_layers' must be at least 1, got {self.n_layers}.")
        require(self.fnn_depth >= 0, f"'fnn_depth' must be 0 (no FNN) or more, got {self.fnn_depth}.")
        _require_positive("fnn_width", self.fnn_width)
        _require_positive("state_size", self.state_size)
        _require_positive("n_heads", self.n_heads)
        if self.window is not None:
            _require_positive("window", self.window)


@dataclass(frozen=True)
class TaskConfig:
    """A synthetic task of size k (the params file lists several sizes per task).

    copy: k slots for data tokens, a separator, then k slots where the model must emit the string
    (length 2k + 1); the string length is drawn uniformly from {1..k} per example, so the lag to
    copy from depends on the input.
    recall: k key-value pairs followed by ``n_queries`` keys from the context (length 2k + queries);
    the answer at a query is the value paired with that key. ``n_queries: 1`` is the classic
    single-query form, ``all`` queries every pair once (the MQAR-style multi-query form).
    """

    name: str = "copy"
    size: int = 8
    vocab_size: int = 16  # copy: data tokens; recall: distinct keys (and as many values)
    n_queries: int | str = 1  # recall only: a count, or "all"

    def __post_init__(self) -> None:
        _require_choice("task", self.name, TASKS)
        _require_positive("size", self.size)
        _require_positive("vocab_size", self.vocab_size)
        require(
            self.n_queries == "all" or (isinstance(self.n_queries, int) and self.n_queries > 0),
            f"'n_queries' must be a positive integer or 'all', got {self.n_queries!r}.",
        )
        if self.name == "recall":
            require(
                self.vocab_size >= self.size,
                f"recall needs distinct keys: 'vocab_size' ({self.vocab_size}) must be at least "
                f"'size' = number of key-value pairs ({self.size}). Raise vocab_size or lower size.",
            )
            require(
                self.queries <= self.size,
                f"'n_queries' ({self.n_queries}) cannot exceed the number of pairs ({self.size}); use 'all' to query every pair.",
            )
        else:
            require(self.vocab_size >= 2, f"copy needs 'vocab_size' >= 2, got {self.vocab_size}.")

    @property
    def queries(self) -> int:
        return self.size if self.n_queries == "all" else int(self.n_queries)

    @property
    def seq_len(self) -> int:
        return 2 * self.size + (self.queries if self.name == "recall" else 1)


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation of one run. ``lrs`` is swept; the best is chosen on a validation set."""

    steps: int = 1000
    batch_size: int = 64
    lrs: tuple[float, ...] = (1e-3, 3e-3)
    weight_decay: float = 0.1
    warmup_fraction: float = 0.05
    grad_clip: float = 1.0
    eval_every: int = 100
    n_val: int = 256
    n_test: int = 1024
    d_model: int = 64
    early_stop_acc: float | None = 0.99  # stop once validation accuracy reaches this (None: never)

    def __post_init__(self) -> None:
        object.__setattr__(self, "lrs", tuple(float(x) for x in self.lrs))
        if self.early_stop_acc is not None:
            require(0 < self.early_stop_acc <= 1, f"'early_stop_acc' must be in (0, 1] or null, got {self.early_stop_acc}.")
        for name in ("steps", "batch_size", "eval_every", "n_val", "n_test", "d_model"):
            _require_positive(name, getattr(self, name))
        require(len(self.lrs) > 0, "'lrs' must list at least one learning rate.")
        for lr in self.lrs:
            _require_positive("lrs", lr)
        require(self.weight_decay >= 0, f"'weight_decay' must be >= 0, got {self.weight_decay}.")
        require(0 <= self.warmup_fraction < 1, "'warmup_fraction' must be in [0, 1).")
        _require_positive("grad_clip", self.grad_clip)


@dataclass(frozen=True)
class VerdictConfig:
    """Margins (ours, not the paper's) for calling the Figure C.1 claim reproduced.

    comparable: best two-layer SSM+FNN >= best Transformer - ``comparable_margin``;
    outperforms: best two-layer SSM+FNN >= best one-layer SSM+FNN + ``separation_margin``.
    """

    comparable_margin: float = 0.05
    separation_margin: float = 0.10

    def __post_init__(self) -> None:
        require(0 <= self.comparable_margin <= 1, "'comparable_margin' must be in [0, 1].")
        require(0 <= self.separation_margin <= 1, "'separation_margin' must be in [0, 1].")


@dataclass(frozen=True)
class GridConfig:
    """Which tasks, models and seeds the pipeline runs (tasks x models are DVC's matrix axes)."""

    tasks: tuple[str, ...]
    models: tuple[str, ...]
    seeds: tuple[int, ...]

    def __post_init__(self) -> None:
        for name in ("tasks", "models", "seeds"):
            values = tuple(getattr(self, name))
            object.__setattr__(self, name, values)
            require(len(values) > 0, f"'synthetic.grid.{name}' must list at least one value.")
            require(len(set(values)) == len(values), f"'synthetic.grid.{name}' lists a value twice: {list(values)}.")


@dataclass(frozen=True)
class SyntheticExperiment:
    """The Figure C.1 experiment: every task x model x size x seed, each with an LR sweep."""

    grid: GridConfig
    tasks: dict[str, dict[str, Any]]
    models: dict[str, ModelConfig]
    train: TrainConfig
    verdict: VerdictConfig = VerdictConfig()

    def sizes(self, name: str) -> tuple[int, ...]:
        require(name in self.tasks, f"Unknown task '{name}'; configured tasks: {', '.join(self.tasks)}.")
        return tuple(self.tasks[name]["sizes"])

    def task(self, name: str, size: int) -> TaskConfig:
        require(name in self.tasks, f"Unknown task '{name}'; configured tasks: {', '.join(self.tasks)}.")
        spec = {k: v for k, v in self.tasks[name].items() if k != "sizes"}
        return from_mapping(TaskConfig, {"name": name, "size": int(size), **spec}, f"synthetic.tasks.{name}")

    def model(self, name: str) -> ModelConfig:
        require(
            name in self.models,
            f"Unknown model '{name}'; configured models: {', '.join(self.models)}. "
            "Add it under synthetic.models in params.yaml.",
        )
        return self.models[name]


def _task_spec_fields() -> list[str]:
    """Keys allowed under ``synthetic.tasks.<name>``: the task's fields, with a list of sizes."""
    return ["sizes"] + [f.name for f in dataclasses.fields(TaskConfig) if f.name not in ("name", "size")]


def synthetic_from_mapping(data: Mapping[str, Any]) -> SyntheticExperiment:
    valid = [f.name for f in dataclasses.fields(SyntheticExperiment)]
    fail_unknown_keys("synthetic", data, valid)
    for key in ("grid", "tasks", "models", "train"):
        require(key in data, f"'synthetic.{key}' is missing from the params file.")
    tasks = {name: dict(spec or {}) for name, spec in dict(data["tasks"]).items()}
    for name, spec in tasks.items():
        _require_choice("synthetic.tasks", name, TASKS)
        fail_unknown_keys(f"synthetic.tasks.{name}", spec, _task_spec_fields())
        sizes = spec.get("sizes")
        require(
            isinstance(sizes, list) and len(sizes) > 0 and all(isinstance(k, int) and k > 0 for k in sizes),
            f"'synthetic.tasks.{name}.sizes' must be a non-empty list of positive integers, got {sizes!r}.",
        )
    models = {name: from_mapping(ModelConfig, spec, f"synthetic.models.{name}") for name, spec in dict(data["models"]).items()}
    grid = from_mapping(GridConfig, data["grid"], "synthetic.grid")
    for name in grid.tasks:
        require(name in tasks, f"'synthetic.grid.tasks' names '{name}', which is not under synthetic.tasks ({', '.join(tasks)}).")
    for name in grid.models:
        require(
            name in models,
            f"'synthetic.grid.models' names unknown model '{name}'; models defined under synthetic.models: {', '.join(models)}.",
        )
    experiment = SyntheticExperiment(
        grid=grid,
        tasks=tasks,
        models=models,
        train=from_mapping(TrainConfig, data["train"], "synthetic.train"),
        verdict=from_mapping(VerdictConfig, data.get("verdict"), "synthetic.verdict"),
    )
    # Building every (task, size) pair validates sizes and vocabularies before anything trains.
    for name in grid.tasks:
        for size in experiment.sizes(name):
            experiment.task(name, size)
    return experiment


@dataclass(frozen=True)
class Params:
    """The whole params file. Sections for other experiments are validated by their own loaders."""

    profile: str
    synthetic: SyntheticExperiment
    raw: dict[str, Any] = field(repr=False, compare=False)


def read_params(path: str | Path) -> dict[str, Any]:
    """The params file as a mapping, with clear errors for a missing or malformed file."""
    path = Path(path)
    require(path.is_file(), f"Params file '{path}' not found. Run from the repository root or pass its path.")
    raw = yaml.safe_load(path.read_text()) or {}
    require(isinstance(raw, dict), f"'{path}' must contain a mapping at the top level.")
    return raw


def read_section(path: str | Path, section: str) -> Any:
    """One experiment's section of the params file (the experiment's loader validates it)."""
    raw = read_params(path)
    require(section in raw, f"'{path}' has no '{section}' section.")
    return raw[section]


def load_params(path: str | Path = "params.yaml") -> Params:
    raw = read_params(path)
    require("synthetic" in raw, f"'{path}' has no 'synthetic' section.")
    return Params(profile=str(raw.get("profile", "default")), synthetic=synthetic_from_mapping(raw["synthetic"]), raw=raw)
