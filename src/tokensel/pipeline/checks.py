"""Checks the typed sections cannot make on their own, run by the validate stage.

* Every number is finite: ``.inf`` or ``.nan`` anywhere (a learning rate, a margin) would only
  fail, or train to garbage, when its stage runs.
* Names that DVC puts into stage names, shell commands and file names (the keys of every training
  matrix in ``dvc.yaml``) are identifier-like, so none can inject a command or escape a folder.
* Values whose limits come from data or shapes: attention heads that divide the model width, a
  real dataset's ``length`` within its sequences, synthetic task sequences of bounded length.

Each problem is one line that starts with the full dotted params key.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any, Iterator, Mapping

import yaml

from tokensel.core.paths import resolve
from tokensel.pipeline import lookup

# Stage names, file names and shell words all accept these as they are.
MATRIX_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")
# Attention memory grows with the square of the length; the paper profile stays below 300 tokens.
MAX_SYNTHETIC_SEQ_LEN = 8192
MATRIX_AXIS = re.compile(r"^\$\{([\w.]+)\}$")  # a matrix axis that names a params key


def non_finite(node: Any, key: str) -> Iterator[str]:
    if isinstance(node, float) and not math.isfinite(node):
        yield f"'{key}' must be a finite number, got {node}."
    elif isinstance(node, Mapping):
        for name, value in node.items():
            yield from non_finite(value, f"{key}.{name}" if key else str(name))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from non_finite(value, f"{key}[{i}]")


def matrix_axes(dvc_yaml: str | Path = "dvc.yaml") -> list[str]:
    """The dotted params keys of every ``matrix`` axis in dvc.yaml (none without a dvc.yaml)."""
    path = resolve(dvc_yaml)
    if not path.is_file():
        return []
    stages = (yaml.safe_load(path.read_text()) or {}).get("stages", {})
    found = (MATRIX_AXIS.match(str(axis)) for stage in stages.values() for axis in (stage.get("matrix") or {}).values())
    return sorted({match.group(1) for match in found if match})


def unsafe_names(params: Mapping[str, Any], axes: list[str]) -> Iterator[str]:
    for dotted in axes:
        node = lookup(params, dotted)
        for name in (node if isinstance(node, (list, Mapping)) else []):
            if not isinstance(name, str) or not MATRIX_NAME.match(name):
                yield (f"'{dotted}' has the name {name!r}, which DVC would put into a stage name, a command and a file name; "
                       "use letters, digits, '_' and '-' only, starting with a letter.")


def raw_problems(params: Mapping[str, Any]) -> list[str]:
    """Problems of the params mapping as written, before any section is built."""
    return [*non_finite(params, ""), *unsafe_names(params, matrix_axes())]


def synthetic_problems(config: Any) -> list[str]:
    problems = []
    for name in config.grid.tasks:
        spec = config.tasks[name]
        for value in spec.values:
            length = spec.instance(value).seq_len
            if length > MAX_SYNTHETIC_SEQ_LEN:
                problems.append(f"'synthetic.tasks.{name}.values' has {value}, which makes sequences of {length} tokens; "
                                f"at most {MAX_SYNTHETIC_SEQ_LEN} are allowed, use smaller values.")
    return problems


def genomic_problems(config: Any) -> list[str]:
    from tokensel.genomic.sources import JANGGU_SEQ_LEN

    problems = []
    for name, spec in config.datasets.items():
        if getattr(spec, "kind", None) == "janggu" and spec.length > JANGGU_SEQ_LEN:
            problems.append(f"'genomic.datasets.{name}.length' ({spec.length}) is longer than the janggu peaks "
                            f"({JANGGU_SEQ_LEN} bases); use at most {JANGGU_SEQ_LEN}.")
    return problems


SECTION_CHECKS = {"synthetic": synthetic_problems, "genomic": genomic_problems}


def section_problems(name: str, config: Any) -> list[str]:
    check = SECTION_CHECKS.get(name)
    return check(config) if check else []
