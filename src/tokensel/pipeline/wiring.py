"""``dvc.yaml`` against the experiment registry, checked by the validate stage before anything trains.

Each registered experiment N declares the cells of its training (``tokensel.N.stage.cells``: one
per task, dataset, model or part the params ask for). The stages of ``dvc.yaml`` that run N's
training notebook must run exactly those cells, with the values they pass as ``-p`` parameters,
and some stage must write N's page ``reports/N/index.html``. A registered experiment without
stages, a stage left behind for a cell the params no longer ask for, or a matrix written out by
hand that no longer matches the params is then named before any run starts, instead of failing
(or silently missing) mid-pipeline.
"""

from __future__ import annotations

import importlib
import itertools
import re
import shlex
from pathlib import Path
from typing import Any, Iterator, Mapping

import yaml

from tokensel.pipeline import lookup
from tokensel.pipeline.checks import MATRIX_AXIS
from tokensel.pipeline.experiments import EXPERIMENTS

_ITEM = re.compile(r"\$\{item\.(\w+)\}")


def _axis_values(axis: Any, params: Mapping[str, Any]) -> list[Any]:
    """A matrix axis's values: a list as written, or the list (or mapping keys) a ``${key}`` names."""
    reference = MATRIX_AXIS.match(axis) if isinstance(axis, str) else None
    values = lookup(params, reference.group(1)) if reference else axis
    return list(values) if isinstance(values, (list, Mapping)) else []


def _expanded_commands(stage: Mapping[str, Any], params: Mapping[str, Any]) -> Iterator[str]:
    """The stage's command once per cell of its matrix (once without one)."""
    matrix = stage.get("matrix") or {}
    axes = list(matrix)
    for values in itertools.product(*(_axis_values(matrix[a], params) for a in axes)):
        item = dict(zip(axes, values))
        yield _ITEM.sub(lambda m: str(item.get(m.group(1), m.group(0))), " ".join(str(stage["cmd"]).split()))


def _parameters(command: str) -> dict[str, str]:
    words = shlex.split(command)
    return {words[i + 1]: words[i + 2] for i in range(len(words) - 2) if words[i] == "-p"}


def entry_path(entry: str | Mapping[str, Any]) -> str:
    """The path of a ``dvc.yaml`` deps, outs or metrics entry (a bare path, or a path with options)."""
    return entry if isinstance(entry, str) else next(iter(entry))


def stage_outputs(stage: Mapping[str, Any]) -> set[str]:
    """Every path a ``dvc.yaml`` stage writes: its outs and its metrics."""
    return {entry_path(out) for out in [*stage.get("outs", []), *stage.get("metrics", [])]}


def training_notebook(name: str, stages: Mapping[str, Any]) -> str:
    """The notebook that runs experiment ``name``'s cells: ``notebooks/N_train.py``, or
    ``notebooks/N.py`` for an experiment that is one stage."""
    train = f"notebooks/{name}_train.py"
    return train if any(train in str(stage.get("cmd", "")) for stage in stages.values()) else f"notebooks/{name}.py"


def stage_cells(stages: Mapping[str, Any], name: str, keys: set[str], params: Mapping[str, Any]) -> list[dict[str, str]]:
    """The cells the stages of ``dvc.yaml`` run for experiment ``name``: the ``-p`` values of
    ``keys`` in every expanded command of its training notebook."""
    notebook = training_notebook(name, stages)
    found = []
    for stage in stages.values():
        for command in _expanded_commands(stage, params):
            if any(word.endswith(notebook) for word in command.split()):
                found.append({k: v for k, v in _parameters(command).items() if k in keys})
    return found


def _shown(cell: Mapping[str, str]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(cell.items())) or "its one cell"


def wiring_problems(params: Mapping[str, Any], configs: Mapping[str, Any], dvc_yaml: str | Path) -> list[str]:
    """Every disagreement between ``dvc_yaml`` and the registered experiments' cells and pages
    (``configs``: the typed config of each valid experiment section)."""
    path = Path(dvc_yaml)
    if not path.is_file():
        return []
    stages = (yaml.safe_load(path.read_text()) or {}).get("stages", {})
    problems = []
    for name, config in configs.items():
        expected = [{k: str(v) for k, v in cell.items()} for cell in importlib.import_module(f"tokensel.{name}.stage").cells(config)]
        keys = {k for cell in expected for k in cell}
        found = stage_cells(stages, name, keys, params)
        notebook = training_notebook(name, stages)
        fix = f"edit {path.name} so its {name} stages run the cells of tokensel.{name}.stage.cells (docs/adding-an-experiment.md)"
        for cell in expected:
            if cell not in found:
                problems.append(f"'{name}': {path} runs no stage of {notebook} for {_shown(cell)}, which the params ask for; {fix}.")
        for cell in found:
            if cell not in expected:
                problems.append(f"'{name}': {path} runs {notebook} for {_shown(cell)}, which the params do not ask for; {fix}.")
        page = f"reports/{name}/index.html"
        if not any(page in stage_outputs(stage) for stage in stages.values()):
            problems.append(f"'{name}': no stage of {path} writes {page}, the page of an experiment in tokensel.pipeline.experiments.EXPERIMENTS; {fix}.")
    unknown = sorted({stage.split("_")[0] for stage in stages} - {*EXPERIMENTS, "validate", "index"})
    problems += [f"{path}: stages named '{prefix}_...' belong to no registered experiment; register it in tokensel.pipeline.experiments or remove them."
                 for prefix in unknown]
    return problems
