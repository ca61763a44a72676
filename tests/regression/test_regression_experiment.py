"""Training, the stage cells and the notebooks end to end, with tiny parameters."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pytest
import yaml

from tokensel.core import verdicts
from tokensel.core.runs import combine, save
from tokensel.nn.config import ModelConfig
from tokensel.regression import stage
from tokensel.regression.config import REFERENCES, TaskConfig, TrainConfig, dry_run, from_params, load
from tokensel.regression.data import make_splits
from tokensel.regression.train import fit
from tiny import TINY_REGRESSION

TASK = TaskConfig(d=2, seq_len=8, window=4, top_j=2, max_basis=32, sigma=0.1, delta=0.02)
MODEL = ModelConfig.from_params({"filter": "fir", "window": 4, "d_model": 8, "pre_fnn": True, "n_layers": 1, "fnn_width": 16}, "test")

# Runs are single-threaded in the pipeline's workers; two threads on a busy machine are 10x slower.
pytestmark = pytest.mark.usefixtures("one_thread")


def test_training_lowers_the_risk_stops_early_and_is_deterministic(monkeypatch):
    monkeypatch.setenv("TOKENSEL_WORKERS", "1")
    splits = make_splits(TASK, "fixed", 64, 32, 64, seed=0)
    train = TrainConfig(batch_size=16, min_steps=3000, max_epochs=1, n_evals=100, patience=3, n_val=32, n_test=64)
    result = fit(MODEL, TASK, train, splits.train, splits.val, splits.test, lr=1e-2, seed=0)
    assert result.step_cap == 3000 and len(result.steps) == len(result.val_curve) == len(result.train_loss)
    assert result.val_curve.min() < 0.5 * result.val_curve[0]  # it learned something
    assert result.val_risk == result.val_curve.min() and result.best_step in result.steps
    assert result.steps_run < result.step_cap  # 64 sequences, 3000 steps: validation turns first
    again = fit(MODEL, TASK, train, splits.train, splits.val, splits.test, lr=1e-2, seed=0)
    assert again.test_risk == pytest.approx(result.test_risk, rel=1e-6)


def test_step_cap_grows_with_n():
    train = TrainConfig(batch_size=64, max_epochs=150, min_steps=400)
    assert [train.step_cap(n) for n in (64, 256, 1024)] == [400, 600, 2400]
    assert TrainConfig(max_steps=100).step_cap(1024) == 100


def test_a_model_cell_tunes_on_the_first_seed_and_reuses_the_choice(monkeypatch):
    monkeypatch.setenv("TOKENSEL_WORKERS", "1")
    experiment = from_params(TINY_REGRESSION)
    ds = stage.run(experiment, "ssm2")
    ran = ds["test_risk"].notnull().squeeze("model")
    assert bool(ran.sel(seed=0).all())  # the tuning seed ran every lr on both orders
    per_seed = ran.sel(seed=1).sum(["lr", "d_model"])
    assert (per_seed == 1).all()  # the other seeds ran only the chosen pair
    tf = stage.run(experiment, "tf")
    assert not tf["test_risk"].sel(order="fixed").notnull().any()
    assert ds["model_spec"].values[0] == experiment.models["ssm2"].to_json()


def test_the_reference_cell_covers_every_order_seed_and_n(monkeypatch):
    monkeypatch.setenv("TOKENSEL_WORKERS", "1")
    experiment = from_params(TINY_REGRESSION)
    assert {"model": REFERENCES} in stage.cells(experiment)
    refs = stage.run(experiment, REFERENCES)
    assert refs["sieve_risk"].notnull().all() and refs["knn_risk"].notnull().all()
    assert refs.sizes == {"order": 2, "seed": 2, "n_train": 2}
    np.testing.assert_allclose(refs["target_variance"], 1.0)


def test_dry_run_keeps_models_sizes_and_widths():
    section = copy.deepcopy(TINY_REGRESSION)
    section["train"]["d_models"] = [4, 8]
    shrunk = dry_run(section)
    assert shrunk["models"] == section["models"] and shrunk["n_train"] == [section["n_train"][0], section["n_train"][-1]]
    assert shrunk["train"]["d_models"] == [4, 8] and shrunk["train"]["max_steps"] == 2
    assert from_params(shrunk).train.step_cap(10**6) == 2


@pytest.mark.slow
def test_notebooks_train_and_report(tmp_path: Path, run_notebook) -> None:
    params = tmp_path / "params.yaml"
    params.write_text(yaml.safe_dump({"regression": TINY_REGRESSION}))
    runs = tmp_path / "runs"
    # One model cell and the references through the notebook (a kernel start costs seconds); the rest in-process.
    run_notebook("regression_train", {"params_file": str(params), "model": "ssm2", "out_path": str(runs / "ssm2.nc")})
    run_notebook("regression_train", {"params_file": str(params), "model": REFERENCES, "out_path": str(tmp_path / "references.nc")})
    experiment = load(params)
    for model in ("ssm1", "tf"):
        save(stage.run(experiment, model), runs / f"{model}.nc")
    results = save(combine(sorted(runs.glob("*.nc"))), tmp_path / "results.nc")

    out = tmp_path / "report"
    run_notebook(
        "regression_report",
        {"params_file": str(params), "results_file": str(results), "references_file": str(tmp_path / "references.nc"), "out_dir": str(out)},
        html=out / "index.html",
    )
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["verdict"] in verdicts.VERDICTS and "oracle sieve" in metrics["claim"]
    assert metrics["slope"]["predicted"] == pytest.approx(-0.667, abs=1e-3)
    assert len(json.loads((out / "details.json").read_text())["parts"]) == 3
    for name in ("risk_vs_n.png", "training_curves.png"):
        assert (out / "figures" / name).stat().st_size > 0
    header = (out / "risk.csv").read_text().splitlines()[0].split(",")
    assert header[0] == "n_train" and "oracle sieve (dynamic order)" in header and "two-layer SSM+FNN (fixed order)" in header
    page = (out / "index.html").read_text()
    assert "Verdict" in page and "what the paper reports" in page and "<title>Nonparametric regression" in page and "−2a†/(2a†+1)" in page and "\\frac" not in page and "$" not in page


def test_adding_a_seed_trains_only_that_seeds_networks_and_references(trained_jobs):
    section = {**copy.deepcopy(TINY_REGRESSION), "seeds": [0]}
    for cell in ("references", "ssm2"):
        stage.run(from_params(section), cell)
    first = len(trained_jobs)
    for cell in ("references", "ssm2"):
        stage.run(from_params({**section, "seeds": [0, 1]}), cell)
    assert first > 0 and {job["seed"] for job in trained_jobs[first:]} == {1}
