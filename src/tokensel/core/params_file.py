"""The params file itself: read, its sections found, a dotted key looked up, every failure named.

Checking a section's values is ``tokensel.core.params``; ``load_config`` hands a section to an
experiment's ``from_params``, which does that.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

import yaml

from tokensel.core.errors import ConfigError
from tokensel.core.params import describe
from tokensel.core.paths import resolve


def read_params(path: str | Path) -> dict[str, Any]:
    """The params file as a mapping; a missing, empty, unparsable or non-mapping file is named."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"Params file '{path}' not found. Run from the repository root, or restore it: git checkout params.yaml.")
    try:
        raw = yaml.safe_load(path.read_text())
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise ConfigError(f"'{path}' is not valid YAML{where}: {problem}. Fix that line, or restore the file: git checkout {path.name}.") from None
    if raw is None:
        raise ConfigError(f"'{path}' is empty. Restore it with `git checkout {path.name}` or `python -m tokensel.pipeline.profiles use default --force`.")
    if not isinstance(raw, dict):
        raise ConfigError(f"'{path}' must hold a mapping of sections (synthetic:, regression:, ...) at the top level, got {describe(raw)}.")
    return raw


def read_section(path: str | Path, section: str) -> Any:
    """One experiment's section of the params file (the experiment's loader validates it)."""
    raw = read_params(path)
    if section not in raw:
        raise ConfigError(f"'{path}' has no '{section}' section; copy it from profiles/default.yaml.")
    return raw[section]


def load_config(params_file: str | Path, key: str, from_params):
    """``from_params`` applied to section ``key`` of a params file (relative paths from the repository root)."""
    return from_params(read_section(resolve(params_file), key), key)


def profile_name(params_file: str | Path = "params.yaml") -> str:
    """The ``profile:`` a params file names (relative paths from the repository root)."""
    return str(read_params(resolve(params_file)).get("profile", "default"))


def lookup(params: Mapping[str, Any], dotted: str) -> Any:
    """``params['a']['b']`` for ``'a.b'``; a missing key is named."""
    node: Any = params
    for part in dotted.split("."):
        if not isinstance(node, Mapping) or part not in node:
            raise ConfigError(f"'{dotted}' is not in the params file.")
        node = node[part]
    return node

