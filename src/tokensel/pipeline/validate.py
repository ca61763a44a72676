"""Validate a params file before anything trains: ``python -m tokensel.pipeline.validate [params.yaml]``.

Checks every experiment section (types, ranges, unknown and missing keys, each named by its full
dotted key), what the configuration needs from this machine (data files, devices) and that the
``dvc.yaml`` beside the params file runs the cells the params ask for; prints one line per problem
and exits 2 if there is any. It reads only, so it never deletes a result. The
pipeline's first stage runs it, so ``dvc repro`` stops within seconds on bad input.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Mapping

from tokensel.core import compute
from tokensel.core.errors import ConfigError
from tokensel.core.params import unknown_key_problems
from tokensel.core.params_file import read_params
from tokensel.pipeline import checks
from tokensel.pipeline.experiments import EXPERIMENTS, environment_problems, load
from tokensel.pipeline.wiring import wiring_problems


def problems_of(params: Mapping[str, Any], source: str, environment: bool = True) -> list[str]:
    """Every problem of the params mapping (empty when it is valid); with ``environment``, also what
    the configuration needs that this machine lacks."""
    return checked(params, source, environment)[0]


def checked(params: Mapping[str, Any], source: str, environment: bool = True) -> tuple[list[str], dict[str, Any]]:
    """``problems_of``, and the typed config of every experiment section that loaded."""
    configs: dict[str, Any] = {}
    found = unknown_key_problems("params", params, ["profile", compute.KEY, *EXPERIMENTS])
    found = [p.replace("'params.", "'") for p in found] + checks.raw_problems(params)
    if not isinstance(params.get("profile", ""), str):
        found.append(f"'profile' must be a profile name, got {params['profile']!r}.")
    try:
        settings = compute.from_params(params.get(compute.KEY))
        found += compute.environment_problems(settings) if environment else []
    except ConfigError as error:
        found += error.problems
    for name in EXPERIMENTS:
        if name not in params:
            found.append(f"'{name}' is missing from {source}; copy it from profiles/default.yaml.")
            continue
        try:
            config = load(name, params[name])
        except ConfigError as error:
            found += error.problems
            continue
        configs[name] = config
        found += checks.section_problems(name, config)
        if environment:
            found += environment_problems(name, config)
    return one_line_per_key(found), configs


def one_line_per_key(found: list[str]) -> list[str]:
    """The first problem of each dotted key (a non-finite value also fails its range check)."""
    seen: set[str] = set()
    kept = []
    for line in found:
        key = line.split("'")[1] if line.startswith("'") else line
        if key not in seen:
            seen.add(key)
            kept.append(line)
    return kept


def validate(path: str | Path) -> list[str]:
    """Every problem of the params file at ``path``, then of the ``dvc.yaml`` beside it against
    the experiments' cells (``tokensel.pipeline.wiring``)."""
    try:
        params = read_params(path)
    except ConfigError as error:
        return error.problems
    found, configs = checked(params, str(path))
    return found or wiring_problems(params, configs, Path(path).parent / "dvc.yaml")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    path = Path(argv[0] if argv else "params.yaml")
    found = validate(path)
    if found:
        print(f"{path}: {len(found)} problem{'s' * (len(found) > 1)}; nothing was run or deleted.", file=sys.stderr)
        for line in found:
            print(f"  {line}", file=sys.stderr)
        return 2
    print(f"{path}: valid (profile '{read_params(path).get('profile', 'default')}'; {', '.join(EXPERIMENTS)}).")
    if len(argv) > 1:
        Path(argv[1]).parent.mkdir(parents=True, exist_ok=True)
        Path(argv[1]).write_text("valid\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
