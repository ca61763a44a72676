"""With the run store, growing the synthetic grid trains only the runs that are new."""

from __future__ import annotations

import copy

from tiny import TINY_SYNTHETIC

from tokensel.synthetic import config as synthetic_config
from tokensel.synthetic import stage


def run(grid: dict) -> None:
    section = copy.deepcopy(TINY_SYNTHETIC)
    section["grid"] = {**section["grid"], "tasks": ["copy"], **grid}
    section["size_needed"] = {**section["size_needed"], "models": ["ssm2"]}
    section["long_runs"] = {}
    stage.run(synthetic_config.from_params(section), "copy")


def labels(jobs: list[dict]) -> list[str]:
    return [job["label"] for job in jobs]


def test_adding_a_seed_trains_only_that_seeds_runs(trained_jobs):
    run({"models": ["ssm2", "tf"], "seeds": [0]})
    first = len(trained_jobs)
    run({"models": ["ssm2", "tf"], "seeds": [0, 1]})
    new = labels(trained_jobs[first:])
    assert first > 0 and new and all("/seed=1" in label for label in new), new
    assert len(new) == 2 * 2  # two models, two points of the copy axis


def test_adding_a_model_trains_only_its_runs(trained_jobs):
    run({"models": ["ssm2"], "seeds": [0]})
    first = len(trained_jobs)
    run({"models": ["ssm2", "tf"], "seeds": [0]})
    new = labels(trained_jobs[first:])
    assert new and all("/tf/" in label for label in new), new
    run({"models": ["ssm2", "tf"], "seeds": [0]})
    assert len(trained_jobs) == first + len(new)  # nothing new: nothing trained
