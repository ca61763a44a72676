"""Tests of the regression experiment: training, config validation, the notebooks end to end."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pytest
import torch
import xarray as xr
import yaml

from tokensel.core.errors import ConfigError
from tokensel.core.nbrun import execute
from tokensel.core.runs import combine, save
from tokensel.nn.config import ModelConfig
from tokensel.regression.config import RegressionTaskConfig, RegressionTrainConfig, from_params, load
from tokensel.regression.data import make_splits
from tokensel.regression.stage import run
from tokensel.regression.train import Tensors, train_regression
from tiny import TINY_REGRESSION

ROOT = Path(__file__).resolve().parents[2]



def test_tiny_model_risk_decreases_over_training() -> None:
    task = RegressionTaskConfig(d=2, seq_len=10, window=4, top_j=2, n_sup_points=256, max_basis=32)
    train = RegressionTrainConfig(steps=60, eval_every=20, batch_size=16, n_val=32, n_test=64, d_model=8)
    splits = make_splits(task, 64, train.n_val, train.n_test, seed=0)
    data, val, test = (Tensors.from_sample(s, torch.device("cpu")) for s in (splits.train, splits.val, splits.test))
    model = ModelConfig.from_params({"filter": "fir", "n_layers": 1, "fnn_width": 16}, "test")
    run = train_regression(model, task, train, data, val, test, lr=1e-2, seed=0)
    assert run.test_risk.shape == (3,) and np.all(np.isfinite(run.test_risk))
    assert run.train_loss[-1] < run.train_loss[0]
    assert run.test_risk[-1] < run.test_risk[0]
    again = train_regression(model, task, train, data, val, test, lr=1e-2, seed=0)
    np.testing.assert_allclose(again.test_risk, run.test_risk, rtol=1e-5)  # deterministic by seed


def _mutated(path: tuple, value) -> dict:
    data = copy.deepcopy(TINY_REGRESSION)
    node = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return data


@pytest.mark.parametrize(
    "path, value, key",
    [
        (("lrate",), 0.1, "regression.lrate"),
        (("train", "stpes"), 5, "regression.train.stpes"),
        (("task", "windw"), 4, "regression.task.windw"),
        (("models", "ssm2", "n_layer"), 2, "regression.models.ssm2.n_layer"),
        (("train", "steps"), 0, "regression.train.steps"),
        (("n_train",), [32, 16], "regression.n_train"),
        (("width_sweep", "models"), ["nope"], "regression.width_sweep.models"),
        (("fixed_order", "models"), ["nope"], "regression.fixed_order.models"),
        (("models", "tf", "n_heads"), 3, "regression.models.tf.n_heads"),
        (("analysis",), {"fit_n_min": 32}, "regression.analysis"),
        (("task", "top_j"), 9, "regression.task.top_j"),
    ],
)
def test_config_errors_name_the_key(path: tuple, value, key: str) -> None:
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        from_params(_mutated(path, value))


def test_load_regression_reads_only_its_section(tmp_path: Path) -> None:
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump({"synthetic": {"anything": 1}, "regression": TINY_REGRESSION}))
    experiment = load(path)
    assert experiment.fit_sizes == (16, 32) and experiment.orders("tf") == ("dynamic",)
    path.write_text(yaml.safe_dump({"synthetic": {}}))
    with pytest.raises(ConfigError, match="no 'regression' section"):
        load(path)


@pytest.mark.slow
def test_notebooks_train_and_report(tmp_path: Path) -> None:
    params = tmp_path / "params.yaml"
    params.write_text(yaml.safe_dump({"regression": TINY_REGRESSION}))
    runs = tmp_path / "runs"
    # One cell through the notebook (a kernel start costs seconds); the rest in-process.
    execute(
        ROOT / "notebooks" / "regression_train.py", tmp_path / "train-ssm2-0.ipynb",
        {"params_file": str(params), "model": "ssm2", "seed": 0, "out_path": str(runs / "ssm2-0.nc")},
        log_output=False,
    )
    assert (runs / "ssm2-0.nc").stat().st_size > 0
    experiment = load(params)
    for model in TINY_REGRESSION["models"]:
        for seed in TINY_REGRESSION["seeds"]:
            if (model, seed) != ("ssm2", 0):
                save(run(experiment, model, seed), runs / f"{model}-{seed}.nc")

    combined = combine(sorted(runs.glob("*.nc")))
    assert combined.sizes["model"] == 3 and combined.sizes["seed"] == 2
    # Only the control models ran the fixed order; only ssm2 ran the width sweep.
    fixed = combined["test_risk"].sel(order="fixed").notnull().any(["seed", "n_train", "lr", "eval_step"])
    assert fixed.to_series().to_dict() == {"ssm1": True, "ssm2": True, "tf": False}
    assert combined["width_test_risk"].sel(model="ssm2").notnull().all()
    results = save(combined, tmp_path / "results.nc")

    out = tmp_path / "report"
    execute(
        ROOT / "notebooks" / "regression_report.py", tmp_path / "report.ipynb",
        {"params_file": str(params), "results_file": str(results), "out_dir": str(out)},
        html=out / "index.html", log_output=False,
    )
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["predicted_exponent"] == pytest.approx(-2 / 3, abs=1e-4)
    assert set(metrics["slopes"]) == {"ssm1/dynamic", "ssm1/fixed", "ssm2/dynamic", "ssm2/fixed", "tf/dynamic"}
    assert metrics["verdict_parts"]["gap_only_when_dynamic"] in (True, False)
    for name in ("risk_vs_n.png", "approximation.png", "order_gap.png"):
        assert (out / "figures" / name).stat().st_size > 0
    assert (out / "slopes.csv").read_text().startswith("model,family,order,slope")
    assert "Verdict" in (out / "index.html").read_text()
    assert xr.load_dataset(results, engine="h5netcdf")["n_params"].notnull().all()


def test_index_claim_follows_the_verdict():
    from tokensel.regression.analysis import CONSISTENT, SLOWER, RegressionVerdict

    def verdict(status, same):
        return RegressionVerdict(-0.667, status, same, 0.02, 1.2, 1.0, True)

    assert verdict(CONSISTENT, True).claim.startswith("reproduced")
    assert verdict(SLOWER, True).claim.startswith("partially reproduced") and SLOWER in verdict(SLOWER, True).claim
    assert verdict(SLOWER, False).claim.startswith("not reproduced")
    assert verdict(None, None).claim.startswith("not assessed")
