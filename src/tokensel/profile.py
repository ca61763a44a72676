"""Check and switch parameter profiles.

``python -m tokensel.profile check [FILE]`` validates every section of a params file (default
``params.yaml``) and exits non-zero with a message naming the bad key.
``python -m tokensel.profile use default|paper`` validates ``profiles/<name>.yaml`` and copies it
to ``params.yaml``, the file ``dvc repro`` reads. Stages already run under a profile are restored
from DVC's run-cache when switching back.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from tokensel.config import load_params, read_params, require
from tokensel.errors import ConfigError

SECTIONS = ("synthetic", "regression", "genomic", "efficiency")


def check(path: str | Path) -> list[str]:
    """Validate every experiment section of ``path``; return the sections found."""
    from tokensel.benchmark import efficiency_from_mapping
    from tokensel.genomic.experiment import genomic_from_mapping
    from tokensel.regression_experiment import regression_from_mapping

    params = load_params(path)  # the synthetic section, and the file itself
    unknown = [k for k in params.raw if k not in ("profile", *SECTIONS)]
    require(not unknown, f"Unknown top-level key '{unknown[0] if unknown else ''}' in {path}; valid keys: profile, {', '.join(SECTIONS)}.")
    loaders = {"regression": regression_from_mapping, "genomic": genomic_from_mapping, "efficiency": efficiency_from_mapping}
    for section, loader in loaders.items():
        require(section in params.raw, f"'{path}' has no '{section}' section; copy it from profiles/default.yaml.")
        loader(params.raw[section])
    return [s for s in SECTIONS if s in params.raw]


def available(root: Path) -> list[str]:
    return sorted(p.stem for p in (root / "profiles").glob("*.yaml"))


def use(name: str, root: Path = Path(".")) -> Path:
    source = root / "profiles" / f"{name}.yaml"
    if not source.is_file():
        raise ConfigError(f"Unknown profile '{name}'; available profiles: {', '.join(available(root))}.")
    check(source)
    target = root / "params.yaml"
    if not (target.is_file() and target.read_bytes() == source.read_bytes()):
        shutil.copyfile(source, target)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=["check", "use", "list"])
    parser.add_argument("name", nargs="?", help="check: a params file (default params.yaml); use: a profile name")
    args = parser.parse_args(argv)
    try:
        if args.action == "list":
            print("\n".join(available(Path("."))))
        elif args.action == "check":
            path = args.name or "params.yaml"
            sections = check(path)
            profile = read_params(path).get("profile", "?")
            print(f"{path}: profile '{profile}' is valid ({', '.join(sections)}).")
        else:
            print(f"profile '{args.name or 'default'}' -> {use(args.name or 'default')}")
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
