"""The full width grid (``size_needed.search: full``): every width on every seed, and the same
smallest solving width as the bisection."""

import json
import math

import numpy as np
import pytest

from tokensel.core.errors import ConfigError
from tokensel.synthetic.config import from_params
from tokensel.synthetic.stage import _width_grid, _width_search, model_plan
from tokensel.synthetic.train import RunResult

SECTION = {
    "grid": {"tasks": ["copy", "recall"], "models": ["ssm2", "tf"], "seeds": [0, 1, 2]},
    "tasks": {
        "copy": {"axis": "size", "values": [2, 4, 8], "lr_sweep_at": 2, "vocab_size": 4},
        "recall": {"axis": "vocab_size", "values": [8, 16, 32], "lr_sweep_at": 8, "size": 2, "n_queries": "all"},
    },
    "models": {
        "ssm2": {"mixer": "ssm", "n_layers": 2, "fnn_depth": 2, "fnn_width": 8, "filter": "fir"},
        "tf": {"mixer": "attention", "n_layers": 2, "fnn_width": 8, "n_heads": 2, "positional": "sinusoidal"},
    },
    "train": {"steps": 4, "batch_size": 4, "lrs": [0.01], "eval_every": 2, "n_val": 8, "n_test": 64, "d_model": 8},
    "size_needed": {"tasks": {"copy": [2, 4, 8], "recall": [8, 32]}, "models": ["ssm2", "tf"], "widths": [4, 8, 16, 32],
                    "seeds": [0, 1, 2], "required": 2, "search": "full"},
}
FULL = from_params(SECTION)
BISECTION = from_params({**SECTION, "size_needed": {**SECTION["size_needed"], "search": "bisection"}})
WIDTHS = (4, 8, 16, 32)


def run(test: float, n_params: int = 100) -> RunResult:
    return RunResult(0.01, np.array([2, 4]), np.array([1.0, 0.5]), np.array([0.3, test]), test, 4, test, 0.0, n_params, 1.0)


def drive(plan, accuracy):
    """Run a plan on fake results, ``accuracy(job)`` giving each run's test accuracy; returns (result, jobs run)."""
    jobs_run = []
    try:
        jobs = next(plan)
        while True:
            jobs_run += jobs
            jobs = plan.send([run(accuracy(job)) for job in jobs])
    except StopIteration as stop:
        return stop.value, jobs_run


def solving_from(first_width: dict[int, float]):
    """Monotone in width: seed s solves from width ``first_width[s]`` on (math.inf: never)."""
    return lambda job: 1.0 if job["width"] >= first_width[job["seed"]] else 0.3


JOB = lambda x, seed, width: {"x": x, "seed": seed, "width": width}  # noqa: E731


@pytest.mark.parametrize("first_width", [{0: 8, 1: 32, 2: 16}, {0: 4, 1: 4, 2: 4}, {0: math.inf, 1: 32, 2: math.inf},
                                         {0: 32, 1: 8, 2: 4}, {0: 16, 1: 16, 2: math.inf}])
def test_the_full_grid_runs_every_width_and_seed_and_finds_the_width_bisection_finds(first_width):
    (runs, needed), jobs = drive(_width_grid(FULL, JOB, 8), solving_from(first_width))
    assert sorted((j["width"], j["seed"]) for j in jobs) == [(w, s) for w in WIDTHS for s in (0, 1, 2)]
    assert set(runs) == {(8, w, s) for w in WIDTHS for s in (0, 1, 2)}
    (_, bisected), fewer = drive(_width_search(BISECTION, JOB, 8), solving_from(first_width))
    assert needed == bisected and len(fewer) < len(jobs)
    expected = next((w for w in WIDTHS if sum(w >= first for first in first_width.values()) >= 2), None)
    assert needed == expected


def test_the_model_plan_runs_the_configured_search():
    def accuracy(job):  # the width search's runs are the ones with a width in their label
        return 1.0 if "/width=" in job["label"] and job["d_model"] >= 16 else 0.3

    full, jobs = drive(model_plan(FULL, "recall", "ssm2"), accuracy)
    assert set(full.size_runs) == {(x, w, s) for x in (8, 32) for w in WIDTHS for s in (0, 1, 2)}
    bisected, fewer = drive(model_plan(BISECTION, "recall", "ssm2"), accuracy)
    assert full.needed_width == bisected.needed_width == {8: 16, 32: 16} and len(fewer) < len(jobs)


def test_an_unknown_search_is_named_by_its_key():
    section = json.loads(json.dumps(SECTION))
    section["size_needed"]["search"] = "bisect"
    with pytest.raises(ConfigError, match=r"'synthetic.size_needed.search' is 'bisect' \(a string\) \(did you mean 'bisection'\?\); "
                                          r"allowed values: bisection, full"):
        from_params(section)
    assert from_params({**SECTION, "size_needed": {k: v for k, v in SECTION["size_needed"].items() if k != "search"}}).size_needed.search == "bisection"
