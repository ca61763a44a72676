"""With the run store, growing the synthetic grid trains only the runs that are new."""

from __future__ import annotations

import copy

import pytest
from tiny import TINY_SYNTHETIC

from tokensel.core.engine import Engine
from tokensel.synthetic import config as synthetic_config
from tokensel.synthetic import stage


@pytest.fixture
def trained_labels(tmp_path, monkeypatch) -> list[str]:
    """The label of every run the engine really trains (not those it reuses from the store)."""
    monkeypatch.setenv("TOKENSEL_STORE", str(tmp_path / "store"))
    monkeypatch.setenv("TOKENSEL_WORKERS", "1")
    labels: list[str] = []
    train = Engine._train

    def spy(self, function, job, *args):
        labels.append(job["label"])
        return train(self, function, job, *args)

    monkeypatch.setattr(Engine, "_train", spy)
    return labels


def run(grid: dict) -> None:
    section = copy.deepcopy(TINY_SYNTHETIC)
    section["grid"] = {**section["grid"], "tasks": ["copy"], **grid}
    section["size_needed"] = {**section["size_needed"], "models": ["ssm2"]}
    section["long_runs"] = {}
    stage.run(synthetic_config.from_params(section), "copy")


def test_adding_a_seed_trains_only_that_seeds_runs(trained_labels):
    run({"models": ["ssm2", "tf"], "seeds": [0]})
    first = len(trained_labels)
    run({"models": ["ssm2", "tf"], "seeds": [0, 1]})
    new = trained_labels[first:]
    assert first > 0 and new and all("/seed=1" in label for label in new), new
    assert len(new) == 2 * 2  # two models, two points of the copy axis


def test_adding_a_model_trains_only_its_runs(trained_labels):
    run({"models": ["ssm2"], "seeds": [0]})
    first = len(trained_labels)
    run({"models": ["ssm2", "tf"], "seeds": [0]})
    new = trained_labels[first:]
    assert new and all("/tf/" in label for label in new), new
    run({"models": ["ssm2", "tf"], "seeds": [0]})
    assert len(trained_labels) == first + len(new)  # nothing new: nothing trained
