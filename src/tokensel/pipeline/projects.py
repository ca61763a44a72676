"""One pipeline folder per profile, so that the results of different profiles never overwrite each other.

The default profile's pipeline is the repository root (``dvc.yaml``, ``params.yaml``,
``dvc.lock``, ``results/``, ``reports/``). Every other profile NAME that is reproduced gets
``profiles/NAME/`` with the same four things of its own:

* ``profiles/NAME/dvc.yaml`` is *derived* from the root ``dvc.yaml``: the same stages, with paths to
  the shared code and notebooks (``src/``, ``notebooks/``) taken from two folders up, and every
  output relative to the profile's folder. It is written by ``project NAME`` and must not be edited
  (``derived_dvc_yaml`` is checked against it by the tests).
* ``profiles/NAME/params.yaml`` is the rendered profile, with the same protection against lost
  edits as the root's (``tokensel.pipeline.profiles.use``).
* ``profiles/NAME/dvc.lock``, ``results/`` and ``reports/`` are written by ``dvc repro`` run in that
  folder.

All folders belong to one DVC project (no sub-repositories: DVC's ignore rules, which keep
``__pycache__`` out of the code hashes, apply only inside a project). ``dvc repro`` without a
target reproduces only the ``dvc.yaml`` of the folder it runs in; ``dvc status`` and
``dvc metrics show`` take the pipeline file as target (``dvc status dvc.yaml``,
``dvc status profiles/extended/dvc.yaml``).

``python -m tokensel.pipeline.projects project NAME`` writes the folder; ``make reproduce
PROFILE=NAME`` calls it and then runs ``dvc repro`` there.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import yaml

from tokensel.pipeline import command, profiles
from tokensel.pipeline.wiring import entry_path, stage_outputs

SHARED = ("src/", "notebooks/")  # the code every profile's stages read from the repository root
HEADER = (
    "# Derived from the root dvc.yaml by `python -m tokensel.pipeline.projects project {name}`: do not edit.\n"
    "# The same stages as the default profile's, reading the shared code two folders up and writing\n"
    "# every result below profiles/{name}/ (see tokensel.pipeline.projects).\n"
)


def folder(name: str, root: Path) -> Path:
    """Where profile ``name``'s pipeline lives: the root for the default profile, else profiles/NAME/."""
    profiles.profile_path(name, root)  # refuses names that are not plain file names
    return root if name == profiles.BASE else root / "profiles" / name


def _shared(path: str) -> bool:
    return path.startswith(SHARED)


def _relocate_word(word: str, up: str) -> str:
    return up + word if _shared(word) else word


def _relocate_dep(dep: Any, up: str) -> Any:
    if isinstance(dep, str):
        return _relocate_word(dep, up)
    return {_relocate_word(path, up): options for path, options in dep.items()}


def derived_dvc_yaml(root: Path, name: str) -> str:
    """The text of profiles/NAME/dvc.yaml: the root's stages with the shared code two folders up."""
    pipeline = yaml.safe_load((root / "dvc.yaml").read_text())
    up = "../../"
    stages = {}
    for stage_name, stage in pipeline["stages"].items():
        stage = dict(stage)
        stage["cmd"] = " ".join(_relocate_word(word, up) for word in stage["cmd"].split())
        stage["deps"] = [_relocate_dep(dep, up) for dep in stage.get("deps", [])]
        stages[stage_name] = stage
    derived = {**pipeline, "stages": stages}
    return HEADER.format(name=name) + yaml.safe_dump(derived, sort_keys=False, width=120, allow_unicode=True)


def unshared_inputs(root: Path) -> list[str]:
    """Dependencies of the root pipeline that are neither shared code nor written by one of its
    stages: a derived pipeline would look for them in the profile's folder, where they do not exist."""
    pipeline = yaml.safe_load((root / "dvc.yaml").read_text())
    outputs = set().union(*(stage_outputs(stage) for stage in pipeline["stages"].values()))
    found = []
    for stage_name, stage in pipeline["stages"].items():
        for dep in stage.get("deps", []):
            path = entry_path(dep)
            written = any(path == out or path.startswith(out.rstrip("/") + "/") or out.startswith(path.rstrip("/") + "/") for out in outputs)
            if not _shared(path) and not written and "${" not in path:
                found.append(f"{stage_name}: {path}")
    return found


def project(name: str, root: Path = Path("."), force: bool = False) -> str:
    """Write profile ``name``'s pipeline folder (dvc.yaml derived, params.yaml rendered)."""
    if name == profiles.BASE:
        return profiles.use(name, root, force=force)
    target = folder(name, root)
    target.mkdir(parents=True, exist_ok=True)
    pipeline = derived_dvc_yaml(root, name)
    if not (target / "dvc.yaml").is_file() or (target / "dvc.yaml").read_text() != pipeline:
        (target / "dvc.yaml").write_text(pipeline)
    return profiles.use(name, root, force=force, target=target)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=["project", "folder"])
    parser.add_argument("name", help="a profile name (profiles/NAME.yaml)")
    parser.add_argument("--force", action="store_true", help="overwrite edits of the folder's params.yaml (a copy goes to params.yaml.bak)")
    args = parser.parse_args(argv)
    root = Path(".")
    if args.action == "folder":
        return command(lambda: folder(args.name, root).as_posix())
    return command(lambda: project(args.name, root, force=args.force))


if __name__ == "__main__":
    raise SystemExit(main())
