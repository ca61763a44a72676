"""The paper-scale and one-GPU profiles cannot be run here (they need a GPU), and the extended profile
takes hours, but none may fail on its first run for a trivial reason: every stage runs with their
shapes and two training steps (on the local executor: the GPU profile's Ray settings are checked
without a cluster)."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
import xarray as xr

from tokensel.core import compute
from tokensel.pipeline import experiments, profiles

ROOT = Path(__file__).resolve().parents[2]


LARGER_PROFILES = ["paper", "gpu", "extended"]


@pytest.mark.slow
@pytest.mark.parametrize("profile", LARGER_PROFILES)
@pytest.mark.parametrize("name", list(experiments.EXPERIMENTS))
def test_every_stage_of_the_larger_profiles_runs_with_its_shapes(profile, name, monkeypatch):
    rendered = profiles.render(profile, ROOT)
    if profile != "paper" and rendered[name] == profiles.render("default", ROOT)[name]:
        pytest.skip(f"{profile}: the {name} section is the default profile's (the pipeline tests run it)")
    monkeypatch.setenv("TOKENSEL_WORKERS", "1")
    section = experiments.dry_run(name, rendered[name])
    config = experiments.load(name, section)
    stage = importlib.import_module(f"tokensel.{name}.stage")
    cells = stage.cells(config)
    assert cells, f"{name}: the paper profile defines no stage"
    for cell in cells:
        result = stage.run(config, **cell)
        assert isinstance(result, xr.Dataset) and result.sizes, f"{name} {cell}: empty result"


@pytest.mark.parametrize("profile", LARGER_PROFILES)
def test_dry_runs_keep_the_shapes_and_cut_the_work(profile):
    rendered = profiles.render(profile, ROOT)
    for name in experiments.EXPERIMENTS:
        shrunk = experiments.dry_run(name, rendered[name])
        full, cut = experiments.load(name, rendered[name]), experiments.load(name, shrunk)
        stage = importlib.import_module(f"tokensel.{name}.stage")
        assert stage.cells(cut) == stage.cells(full), f"{name}: the dry run changed the stage's cells"
        assert cut != full, f"{name}: the dry run cuts no work"
        assert shrunk.get("models", {}) == rendered[name].get("models", {}), f"{name}: the dry run changed a model"


def test_the_gpu_profile_packs_several_runs_on_one_gpu():
    settings = compute.from_params(profiles.render("gpu", ROOT)[compute.KEY])
    assert settings.executor == "ray" and 0 < settings.gpus_per_run <= 0.25
