"""The package's layers: the shared core and the building blocks import no experiment, no experiment
imports another, and the code that presents results imports no training code."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tokensel.core.imports import closure
from tokensel.pipeline import training_code
from tokensel.pipeline.experiments import EXPERIMENTS

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "tokensel"
SHARED = ("core", "nn", "tasks", "present")
# Modules that only turn stored results into pages; they must load without torch.
PRESENTATION = (*(f"present/{p.name}" for p in sorted((PACKAGE / "present").glob("*.py"))), "core/verdicts.py", "pipeline/site.py",
                "pipeline/stage_times.py")
RUN_MODULES = sorted({module for modules in training_code.RUN_MODULES.values() for module in modules})
TRAINING = ("torch", "tokensel.core.training", "tokensel.nn")


def imports(path: Path) -> set[str]:
    """Every module ``path`` imports (``from a import b`` counts ``a`` and ``a.b``)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def within(module: str, package: str) -> bool:
    return module == package or module.startswith(f"{package}.")


def offenders(folder: str, forbidden: list[str]) -> list[str]:
    return sorted(
        f"{path.relative_to(PACKAGE)} imports {module}"
        for path in (PACKAGE / folder).rglob("*.py")
        for module in imports(path)
        if any(within(module, bad) for bad in forbidden)
    )


@pytest.mark.parametrize("folder", SHARED)
def test_the_shared_layers_import_no_experiment_and_no_pipeline(folder):
    assert offenders(folder, [f"tokensel.{name}" for name in EXPERIMENTS] + ["tokensel.pipeline"]) == []


@pytest.mark.parametrize("name", list(EXPERIMENTS))
def test_no_experiment_imports_another(name):
    assert offenders(name, [f"tokensel.{other}" for other in EXPERIMENTS if other != name]) == []


@pytest.mark.parametrize("module", PRESENTATION)
def test_presentation_imports_no_training_code(module):
    assert [m for m in imports(PACKAGE / module) if any(within(m, bad) for bad in TRAINING)] == []


@pytest.mark.parametrize("folder", ("core", "nn", "tasks"))
def test_what_computes_imports_nothing_that_presents(folder):
    assert offenders(folder, ["tokensel.present"]) == []


@pytest.mark.parametrize("module", RUN_MODULES)
def test_no_training_run_imports_what_presents(module):
    """A change to figures or tables must never change a run's key in the run store."""
    assert [p for p in closure({module}) if "present" in p.relative_to(PACKAGE).parts] == []


def test_the_scan_sees_an_offending_import(tmp_path):
    offending = tmp_path / "offending.py"
    offending.write_text("from tokensel.synthetic.train import train_run\nimport torch.nn as nn\n")
    assert {"tokensel.synthetic.train", "tokensel.synthetic.train.train_run", "torch.nn"} <= imports(offending)
    assert within("tokensel.synthetic.train", "tokensel.synthetic") and not within("tokensel.synthetics", "tokensel.synthetic")
