"""The full width grid (``size_needed.search: full``), the size fits, the constructions beside the
trained sizes, and their figures, on constructed results."""

import json
import math

import numpy as np
import pytest
import xarray as xr

from tokensel.core.errors import ConfigError
from tokensel.core.runs import merge_runs
from tokensel.synthetic import plots, sizes
from tokensel.synthetic.config import from_params
from tokensel.synthetic.stage import ModelOutcome, _width_grid, _width_search, model_plan, task_dataset
from tokensel.synthetic.train import RunResult

SECTION = {
    "grid": {"tasks": ["copy", "recall"], "models": ["ssm2", "tf"], "seeds": [0, 1, 2]},
    "tasks": {
        "copy": {"axis": "size", "values": [2, 4, 8], "lr_sweep_at": 2, "vocab_size": 4},
        "recall": {"axis": "vocab_size", "values": [8, 16, 32], "lr_sweep_at": 8, "size": 2, "n_queries": "all"},
    },
    "models": {
        "ssm2": {"mixer": "ssm", "d_model": 8, "n_layers": 2, "fnn_depth": 2, "fnn_width": 8, "filter": "fir"},
        "tf": {"mixer": "attention", "d_model": 8, "n_layers": 2, "fnn_width": 8, "n_heads": 2, "positional": "sinusoidal"},
    },
    "train": {"steps": 4, "batch_size": 4, "lrs": [0.01], "eval_every": 2, "n_val": 8, "n_test": 64},
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
        return 1.0 if "/width=" in job["label"] and job["model_config"].d_model >= 16 else 0.3

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


def test_the_fits_tell_a_poly_log_law_from_a_power_law():
    v = 2.0 ** np.arange(3, 12)
    polylog = sizes.fit_growth(v, 5 * np.log(v) ** 2)
    assert polylog["better"] == "poly-log" and polylog["polylog_b"] == pytest.approx(2) and polylog["polylog_rss"] < 1e-20
    assert polylog["power_rss"] > 0.01 and polylog["power_b"] < 0.5
    power = sizes.fit_growth(v, 3 * v**0.5)
    assert power["better"] == "power" and power["power_b"] == pytest.approx(0.5) and power["power_rss"] < power["polylog_rss"]
    unsolved = sizes.fit_growth(v[:4], np.array([10.0, np.nan, 30.0, np.nan]))
    assert unsolved["solved"] == 2 and math.isnan(unsolved["power_b"]) and unsolved["reason"] == "2 solved point(s); a fit needs 3"


def outcome(model: str, xs: list[int], accuracy, needed: dict[int, int | None], task: str = "copy") -> ModelOutcome:
    """Every width and seed of the size search at ``xs``, each width's run with 10 w^2 parameters."""
    found = ModelOutcome(model, [run(0.5)], 0.01, {(x, s): run(0.5) for x in FULL.tasks[task].values for s in (0, 1, 2)})
    found.size_runs = {(x, w, s): run(accuracy(x, w, s), 10 * w**2) for x in xs for w in WIDTHS for s in (0, 1, 2)}
    found.needed_width = needed
    return found


def copy_results() -> xr.Dataset:
    # ssm2 needs width 4, 8, 16 at k = 2, 4, 8; tf width 4 everywhere; seed 2 solves nothing.
    ssm2 = outcome("ssm2", [2, 4, 8], lambda x, w, s: 1.0 if w >= 2 * x and s < 2 else 0.4, {2: 4, 4: 8, 8: 16})
    tf = outcome("tf", [2, 4, 8], lambda x, w, s: 0.99, {2: 4, 4: 4, 8: 4})
    return task_dataset(FULL, "copy", [ssm2, tf])


def test_the_sizes_follow_the_sequence_length_along_copy_and_the_vocabulary_along_recall():
    ds = copy_results()
    frame = sizes.smallest_solving(ds)
    ssm2 = frame[frame["model"] == "ssm2"]
    assert ssm2["variable"].unique().tolist() == ["L"] and ssm2["v"].tolist() == [5.0, 9.0, 17.0]
    assert ssm2["needed_params"].tolist() == [160.0, 640.0, 2560.0] and ssm2["name"].iloc[0] == "two-layer SSM+FNN"
    fits = sizes.size_fits(ds).set_index("model")
    assert fits.loc["ssm2", "solved"] == 3 and fits.loc["ssm2", "power_b"] == pytest.approx(np.polyfit(np.log([5, 9, 17]), np.log([160, 640, 2560]), 1)[0])
    assert fits.loc["tf", "power_b"] == pytest.approx(0) and fits.loc["tf", "reason"] == ""
    recall = task_dataset(FULL, "recall", [outcome("ssm2", [8, 32], lambda x, w, s: 1.0, {8: 4, 32: 4}, "recall")])
    variable, values = sizes.growth_variable(recall, "recall")
    assert variable == "|W|" and values.to_dict() == {8: 8.0, 16: 16.0, 32: 32.0}
    assert sizes.size_fits(recall)["reason"].tolist() == ["2 solved point(s); a fit needs 3"]


def bisected_results() -> xr.Dataset:
    """Widths 4 and 8 on seeds 0 and 1 only, as a bisection would leave them."""
    found = outcome("ssm2", [2], lambda x, w, s: 1.0, {2: 4})
    found.size_runs = {key: result for key, result in found.size_runs.items() if key[1] in (4, 8) and key[2] < 2}
    return task_dataset(FULL, "copy", [found])


def test_a_point_is_drawn_against_width_only_where_every_width_ran():
    ds = copy_results()
    assert sizes.full_width_points(ds) == [("copy", 2), ("copy", 4), ("copy", 8)]
    assert sizes.full_width_points(bisected_results()) == []


def constructions() -> xr.Dataset:
    """The variables and coordinates of the constructions experiment's results that the comparison reads."""
    copy_cells = {"copy_size": [2, 8, 4], "copy_vocab": [4, 4, 16], "copy_seq_len": [5, 17, 9]}
    recall_cells = {"recall_size": [2, 2, 2, 4], "recall_vocab": [16, 256, 16, 16], "recall_seq_len": [6, 6, 5, 12]}
    params = np.arange(12.0).reshape(3, 2, 2) + 1000
    return xr.Dataset(
        {"copy_params": (("copy_cell", "layers", "digits"), params), "copy_nonzero": (("copy_cell", "layers", "digits"), params / 10),
         "recall_params": ("recall_cell", [1.0, 2.0, 3.0, 4.0]), "recall_nonzero": ("recall_cell", [0.1, 0.2, 0.3, 0.4])},
        coords={"layers": [1, 2], "digits": [1, 2], **{k: ("copy_cell", v) for k, v in copy_cells.items()},
                **{k: ("recall_cell", v) for k, v in recall_cells.items()}},
    )


def test_the_constructions_are_matched_to_each_task_by_its_settings():
    ds = merge_runs([copy_results(), task_dataset(FULL, "recall", [outcome("ssm2", [8, 32], lambda x, w, s: 1.0, {8: 4, 32: 4}, "recall")])])
    built = sizes.constructed_sizes(constructions(), ds, FULL)
    copy = built[built["task"] == "copy"]
    # |W| = 4 as the task's; the |W| = 16 cell is another task setting
    assert sorted(set(copy["v"])) == [5.0, 17.0] and copy["variable"].unique().tolist() == ["L"] and len(copy) == 8
    assert copy[copy["construction"] == "copy construction, 2 layers, 1 digit per token"]["params"].tolist() == [1002.0, 1006.0]
    recall = built[built["task"] == "recall"]
    # two pairs, all queried (L = 6): the L = 5 cell queries one pair, the last cell has four pairs
    assert recall[["v", "params", "construction"]].values.tolist() == [[16.0, 1.0, "recall construction, 2 layers"], [256.0, 2.0, "recall construction, 2 layers"]]
    assert sizes.constructed_sizes(xr.Dataset(), ds, FULL).empty


def test_the_figures_write_pngs(tmp_path):
    ds = copy_results()
    html = plots.accuracy_vs_width(ds, FULL.verdict, tmp_path / "width.png")
    assert (tmp_path / "width.png").read_bytes().startswith(b"\x89PNG") and "<img" in html.data
    with pytest.raises(ValueError, match="nothing to draw"):
        plots.accuracy_vs_width(bisected_results(), FULL.verdict, tmp_path / "none.png")
    assert not (tmp_path / "none.png").exists()
    trained = sizes.smallest_solving(ds)
    built = sizes.constructed_sizes(constructions(), ds, FULL)
    plots.trained_vs_constructed(trained, built, tmp_path / "sizes.png")
    assert (tmp_path / "sizes.png").read_bytes().startswith(b"\x89PNG")
    plots.trained_vs_constructed(trained.assign(needed_params=np.nan), built.iloc[:0], tmp_path / "empty.png")
    assert (tmp_path / "empty.png").stat().st_size > 0
