"""A task's entry under ``synthetic.tasks``: the registered task it runs, the axis it sweeps, and
what it sets instead of the experiment's defaults."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Mapping, get_args, get_origin

from tokensel.core.errors import ConfigError
from tokensel.core.params import Distinct, NonEmpty, PositiveFloat, PositiveInt, build, convert, fields_of, unknown_key_problems
from tokensel.tasks import TASKS, Task

# The section's key lives here, not in ``config`` (which imports this module), because a spec
# names the keys of the task it builds by it.
KEY = "synthetic"

# Keys of a task's params entry that belong to the experiment, not to the task itself.
_SPEC_KEYS = ("task", "axis", "values", "lr_sweep_at", "lrs", "steps", "models", "single_seed_models")


@dataclass(frozen=True)
class TaskSpec:
    """A task's params entry: the registered ``task`` it runs (default: the entry's name, so one
    task can be swept along several axes under different names), the task's own keys, the one key
    the grid sweeps (``axis``) with its ``values``, the value where the learning rate is chosen,
    and optionally its own learning rates ``lrs`` (instead of ``train.lrs``), ``steps`` and model
    lists (instead of ``grid.models`` and ``grid.single_seed_models``); ``SyntheticExperiment``
    resolves them into the task's ``TaskRuns``."""

    name: str
    task: str
    axis: str
    values: tuple[int, ...]
    lr_sweep_at: int
    lrs: tuple[float, ...] | None
    steps: int | None
    models: tuple[str, ...] | None
    single_seed_models: tuple[str, ...] | None
    settings: dict[str, Any]

    @classmethod
    def from_params(cls, data: Any, key: str) -> TaskSpec:
        name = key.rsplit(".", 1)[-1]
        if not isinstance(data, Mapping):
            raise ConfigError(f"'{key}' must be a mapping with 'axis', 'values' and the task's settings, got {data!r}.")
        task = data.get("task", name)
        if task not in TASKS:
            where = f"'{key}.task' is '{task}'" if "task" in data else f"'{key}' is not a known task"
            raise ConfigError(f"{where}; registered tasks: {', '.join(TASKS)} (an entry of another name sets 'task').")
        task_fields = fields_of(TASKS[task])
        int_fields = [f for f, annotation in task_fields.items() if _is_int(annotation)]
        axis = data.get("axis")
        if axis not in int_fields:
            raise ConfigError(f"'{key}.axis' is {axis!r}; it must name an integer key of the {task} task: {', '.join(int_fields)}.")
        problems = unknown_key_problems(key, data, [*_SPEC_KEYS, *(f for f in task_fields if f != axis)])
        for required in ("values", "lr_sweep_at"):
            if required not in data:
                problems.append(f"'{key}.{required}' is missing; see profiles/default.yaml for an example.")
        if problems:
            raise ConfigError(problems)
        values = convert(data["values"], Annotated[tuple[PositiveInt, ...], NonEmpty(), Distinct()], f"{key}.values")
        sweep_at = convert(data["lr_sweep_at"], int, f"{key}.lr_sweep_at")
        if sweep_at not in values:
            raise ConfigError(f"'{key}.lr_sweep_at' is {sweep_at}; it must be one of '{key}.values' {list(values)}.")
        steps = convert(data["steps"], PositiveInt, f"{key}.steps") if data.get("steps") is not None else None
        rates = Annotated[tuple[PositiveFloat, ...], NonEmpty(), Distinct()]
        lrs = convert(data["lrs"], rates, f"{key}.lrs") if data.get("lrs") is not None else None
        names = Annotated[tuple[str, ...], Distinct()]
        models, single = (convert(data[k], names, f"{key}.{k}") if data.get(k) is not None else None for k in ("models", "single_seed_models"))
        settings = {k: v for k, v in data.items() if k not in _SPEC_KEYS}
        spec = cls(name, task, axis, tuple(sorted(values)), sweep_at, lrs, steps, models, single, settings)
        for value in spec.values:  # every point builds, so bad vocabularies fail before training
            spec.instance(value)
        return spec

    def instance(self, value: int) -> Task:
        """The task at point ``value`` of the axis."""
        return build(TASKS[self.task], {**self.settings, self.axis: value}, f"{KEY}.tasks.{self.name}")

    def to_params(self) -> dict[str, Any]:
        own = {k: getattr(self, k) for k in ("lrs", "steps", "models", "single_seed_models") if getattr(self, k) is not None}
        own = {k: list(v) if isinstance(v, tuple) else v for k, v in own.items()}
        named = {} if self.task == self.name else {"task": self.task}
        return {**named, "axis": self.axis, "values": list(self.values), "lr_sweep_at": self.lr_sweep_at, **own, **self.settings}


def _is_int(annotation: Any) -> bool:
    if get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    return annotation is int
