"""The first commands on a fresh clone leave the checkout clean, and interactive runs touch nothing tracked."""

from __future__ import annotations

import difflib
import json
import re
import subprocess
import sys
from pathlib import Path

import jupytext
import papermill
import pytest

from tiny_repo import env_with_package

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.py"))
# Every committed pipeline: the default profile's at the root, and each profile folder whose lock is in git.
PIPELINES = ["."] + sorted(str(Path(lock).parent) for lock in subprocess.run(
    ["git", "ls-files", "profiles/*/dvc.lock"], cwd=ROOT, capture_output=True, text=True).stdout.split())
# Parameters naming what a notebook writes; efficiency.py writes its results_file too.
OUTPUT_PARAMETERS = {"out_path", "out_dir"}


@pytest.mark.committed_lock
@pytest.mark.slow
@pytest.mark.parametrize("pipeline", PIPELINES)
def test_a_fresh_clone_sees_no_modified_dependency_or_changed_command(tmp_path, pipeline):
    """`dvc status` on a clone of HEAD: the committed dvc.lock matches the committed code, params and
    commands (every dependency in git hashes as locked). Run files and executed notebooks are not in
    git, so the stages that read them may show those as changed, and outputs as deleted."""
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "--no-checkout", str(ROOT), str(clone)], check=True, capture_output=True)
    subprocess.run(["git", "checkout", "-q", head], cwd=clone, check=True, capture_output=True)
    folder = clone / pipeline
    result = subprocess.run([sys.executable, "-m", "dvc", "status", "--json", "dvc.yaml"], cwd=folder, capture_output=True, text=True, env=env_with_package())
    assert result.returncode == 0, result.stderr
    stale = {}
    for stage, changes in json.loads(result.stdout).items():
        for change in changes:
            if not isinstance(change, dict):
                stale.setdefault(stage, []).append(change)  # e.g. "changed command"
                continue
            modified = {path: state for path, state in change.get("changed deps", {}).items() if state != "deleted" and in_git(folder, path)}
            if modified:
                stale.setdefault(stage, []).append(modified)
    assert not stale, f"the committed {pipeline}/dvc.lock does not match HEAD (regenerate it from a clean checkout): {stale}"
    assert subprocess.run(["git", "status", "--porcelain"], cwd=clone, capture_output=True, text=True).stdout == "", "dvc status changed the checkout"


@pytest.mark.committed_lock
@pytest.mark.parametrize("pipeline", PIPELINES)
def test_the_committed_lock_is_exactly_as_dvc_writes_it(pipeline):
    """Otherwise the first `dvc repro` rewrites dozens of its lines (wrapping, null as empty)."""
    import yaml
    from dvc.utils.serialize import dumps_yaml

    committed = (ROOT / pipeline / "dvc.lock").read_text()
    rewritten = dumps_yaml(yaml.safe_load(committed))
    changed = [line for line in difflib.unified_diff(committed.splitlines(), rewritten.splitlines(), lineterm="", n=0)
               if line[:1] in "+-" and line[:3] not in ("+++", "---")]
    assert not changed, f"DVC would rewrite {len(changed)} lines of dvc.lock; commit it as DVC writes it: {changed[:4]}"


def in_git(folder: Path, path: str) -> bool:
    """Whether git holds ``path``, relative to ``folder`` (a file, or a folder with a file other than DVC's .gitignore)."""
    listed = subprocess.run(["git", "ls-files", "--", path], cwd=folder, capture_output=True, text=True).stdout.split()
    return any(Path(name).name != ".gitignore" for name in listed)


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_interactive_runs_write_only_to_scratch(notebook):
    """A notebook run in JupyterLab with its default parameters writes nothing DVC or git tracks."""
    defaults = {name: spec["default"].strip("\"'") for name, spec in papermill.inspect_notebook(jupytext.read(notebook)).items()}
    written = {name: value for name, value in defaults.items() if name in OUTPUT_PARAMETERS or (notebook.stem == "efficiency" and name == "results_file")}
    assert written, f"{notebook.name} declares no output parameter"
    for name, value in written.items():
        assert value.startswith("scratch/"), f"{notebook.name}: {name} = {value!r} writes outside scratch/"
    ignored = subprocess.run(["git", "check-ignore", "-q", "scratch/x.nc"], cwd=ROOT).returncode == 0
    assert ignored and re.search(r"^/scratch/$", (ROOT / ".dvcignore").read_text(), re.M), "scratch/ must be ignored by git and DVC"


def test_make_env_installs_janggu_without_dependencies_last():
    """pip reports janggu's (unneeded) TensorFlow dependencies as missing on every install after it."""
    installs = [line.strip() for line in (ROOT / "Makefile").read_text().splitlines() if "pip install" in line]
    assert installs[-1].endswith("--no-deps janggu==0.10.2"), installs
