"""Switch between parameter profiles: ``python -m tokensel.profile use default|paper``.

A profile is a complete params file under ``profiles/``; using one validates it and copies it to
``params.yaml``, the file ``dvc repro`` reads. Stages already run under a profile are restored
from DVC's run-cache when switching back.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from tokensel.config import load_params
from tokensel.errors import ConfigError


def available(root: Path) -> list[str]:
    return sorted(p.stem for p in (root / "profiles").glob("*.yaml"))


def use(name: str, root: Path = Path(".")) -> Path:
    source = root / "profiles" / f"{name}.yaml"
    if not source.is_file():
        raise ConfigError(f"Unknown profile '{name}'; available profiles: {', '.join(available(root))}.")
    load_params(source)
    target = root / "params.yaml"
    if not (target.is_file() and target.read_bytes() == source.read_bytes()):
        shutil.copyfile(source, target)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("action", choices=["use", "list"])
    parser.add_argument("name", nargs="?", default="default")
    args = parser.parse_args(argv)
    if args.action == "list":
        print("\n".join(available(Path("."))))
        return 0
    try:
        target = use(args.name)
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"profile '{args.name}' -> {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
