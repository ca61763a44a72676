"""The paper-scale profile cannot be run here (it needs a GPU), but it must not fail on its first
GPU run for a trivial reason: every stage runs with the paper's shapes and two training steps."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
import xarray as xr

from tokensel.pipeline import experiments, profiles

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.parametrize("name", list(experiments.EXPERIMENTS))
def test_every_stage_of_the_paper_profile_runs_with_its_shapes(name, monkeypatch):
    monkeypatch.setenv("TOKENSEL_WORKERS", "1")
    section = experiments.dry_run(name, profiles.render("paper", ROOT)[name])
    config = experiments.load(name, section)
    stage = importlib.import_module(f"tokensel.{name}.stage")
    cells = stage.cells(config)
    assert cells, f"{name}: the paper profile defines no stage"
    for cell in cells:
        result = stage.run(config, **cell)
        assert isinstance(result, xr.Dataset) and result.sizes, f"{name} {cell}: empty result"


def test_dry_runs_keep_the_shapes_and_cut_the_work():
    paper = profiles.render("paper", ROOT)
    for name in experiments.EXPERIMENTS:
        shrunk = experiments.dry_run(name, paper[name])
        full, cut = experiments.load(name, paper[name]), experiments.load(name, shrunk)
        stage = importlib.import_module(f"tokensel.{name}.stage")
        assert stage.cells(cut) == stage.cells(full), f"{name}: the dry run changed the stage's cells"
        assert cut != full, f"{name}: the dry run cuts no work"
        assert shrunk.get("models", {}) == paper[name].get("models", {}), f"{name}: the dry run changed a model"
