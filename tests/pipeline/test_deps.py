"""Every stage of dvc.yaml declares the code it runs: the tokensel modules its command and notebook
import, followed transitively, must each lie under one of the stage's deps."""

from __future__ import annotations

import re
from pathlib import Path

import jupytext
import pytest
import yaml

from tokensel.core.imports import closure, imported_modules

ROOT = Path(__file__).resolve().parents[2]
STAGES = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]


def stage_modules(stage: dict) -> set[str]:
    cmd = " ".join(stage["cmd"]) if isinstance(stage["cmd"], list) else stage["cmd"]
    modules = set(re.findall(r"python -m (tokensel[\w.]*)", cmd))
    for notebook in re.findall(r"tokensel\.present\.nbrun (\S+\.py)", cmd):
        code = "\n".join(c.source for c in jupytext.read(ROOT / notebook).cells if c.cell_type == "code")
        modules |= imported_modules(code)
    return modules


def covered(path: Path, deps: list[str]) -> bool:
    relative = path.relative_to(ROOT)
    return any(relative == Path(dep) or Path(dep) in relative.parents for dep in deps)


@pytest.mark.parametrize("name", sorted(STAGES))
def test_stage_deps_cover_every_module_it_imports(name):
    stage = STAGES[name]
    modules = stage_modules(stage)
    assert modules, f"stage {name} runs no tokensel module"
    missing = sorted(str(p.relative_to(ROOT)) for p in closure(modules) if not covered(p, stage.get("deps", [])))
    assert not missing, f"dvc.yaml stage '{name}' imports code its deps do not list: {missing}"


def test_the_closure_follows_imports_transitively():
    files = {str(p.relative_to(ROOT / "src")) for p in closure({"tokensel.synthetic.stage"})}
    assert {"tokensel/__init__.py", "tokensel/synthetic/train.py", "tokensel/nn/mixers/long_conv.py", "tokensel/core/params.py"} <= files


def test_a_stage_without_its_package_fails_the_check():
    stage = STAGES["synthetic_train"]
    deps = [d for d in stage["deps"] if d != "src/tokensel/nn"]
    assert any(not covered(p, deps) for p in closure(stage_modules(stage)))
