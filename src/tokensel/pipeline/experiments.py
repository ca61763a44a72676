"""The experiment registry: every experiment of the pipeline, its params section and its report title.

An experiment named N is the package ``tokensel.N``, the params section ``N:`` and the report
``reports/N/``. Its ``stage`` module provides ``run(config, **cell) -> xr.Dataset`` (one DVC cell)
and ``cells(config)`` (the cells of its DVC matrix, checked against ``dvc.yaml`` by
``tokensel.pipeline.wiring``); its ``config`` module provides

* ``from_params(section, key) -> config``: the typed, validated section (raises ``ConfigError``
  listing every problem with its dotted key);
* optionally ``environment_problems(config) -> list[str]``: data or devices the config needs that
  this machine lacks (checked before anything trains);
* ``dry_run(section) -> section``: the same shapes with the least work (two training steps, one
  seed, one learning rate), for the paper-profile dry run.

Adding an experiment takes a line here and about ten other files (its package, notebooks, params
block, dvc.yaml stages, tests): docs/adding-an-experiment.md lists each.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

EXPERIMENTS: dict[str, str] = {
    "synthetic": "Synthetic tasks: input copying and associative recall (Figure C.1)",
    "regression": "Nonparametric regression on piecewise γ-smooth functions (Theorems 4.5, 4.6)",
    "genomic": "Genomic sequences: sparse, input-dependent important tokens (Section 7)",
    "efficiency": "Efficiency: SSM+FNN against attention from short to long sequences",
    "constructions": "Constructions: selection, copying and recall with weights set by formula (Lemma 3.3, Theorems 3.1, 3.2)",
}


def config_module(name: str) -> ModuleType:
    return importlib.import_module(f"tokensel.{name}.config")


def load(name: str, section: Any) -> Any:
    """The typed config of experiment ``name`` from its params section."""
    return config_module(name).from_params(section, name)


def environment_problems(name: str, config: Any) -> list[str]:
    check = getattr(config_module(name), "environment_problems", None)
    return check(config) if check else []


def dry_run(name: str, section: Any) -> Any:
    return config_module(name).dry_run(section)

