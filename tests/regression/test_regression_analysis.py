"""The analysis on constructed results: validation choice, slopes, ratios, convergence and every verdict outcome."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from tokensel.core import verdicts
from tokensel.regression import analysis
from tokensel.regression.analysis import KNN, SIEVE
from tokensel.regression.config import from_params
from tiny import TINY_REGRESSION

SIZES = [64, 256, 1024]
SEEDS = [0, 1, 2, 3, 4]


def experiment():
    section = copy.deepcopy(TINY_REGRESSION)
    section.update(n_train=SIZES, seeds=SEEDS)
    return from_params(section)


def power_law(level: float, slope: float, noise: float = 0.02, seed: int = 0) -> np.ndarray:
    """(n_sizes, n_seeds) risks level * (n / 64)^slope with a little multiplicative seed noise."""
    rng = np.random.default_rng(seed)
    n = np.asarray(SIZES, dtype=float)[:, None]
    return level * (n / 64) ** slope * np.exp(noise * rng.standard_normal((len(SIZES), len(SEEDS))))


def risks(ssm2: np.ndarray, tf: np.ndarray, ssm1: np.ndarray, ssm2_fixed: np.ndarray, ssm1_fixed: np.ndarray, sieve_slope: float = -2 / 3) -> xr.DataArray:
    estimators = ["ssm2", "ssm1", "tf", SIEVE, KNN]
    data = np.full((5, 2, len(SIZES), len(SEEDS)), np.nan)
    sieve = power_law(0.03, sieve_slope, seed=9)
    data[:, 0] = [ssm2, ssm1, tf, sieve, power_law(0.7, -0.17, seed=8)]
    data[0, 1], data[1, 1], data[3, 1], data[4, 1] = ssm2_fixed, ssm1_fixed, sieve, power_law(0.5, -0.2, seed=7)
    return xr.DataArray(data, dims=("estimator", "order", "n_train", "seed"), coords={"estimator": estimators, "order": ["dynamic", "fixed"], "n_train": SIZES, "seed": SEEDS})


def verdict_of(risk: xr.DataArray) -> dict[str, str]:
    return {p.name: p.verdict for p in analysis.verdict_parts(risk, experiment())}


AT_RATE = power_law(0.06, -2 / 3, seed=1)  # twice the sieve, same slope


def test_networks_at_the_oracle_rate_reproduce_every_part():
    fixed = power_law(0.06, -2 / 3, seed=3)
    risk = risks(AT_RATE, power_law(0.06, -2 / 3, seed=2), power_law(0.12, -2 / 3, seed=4), fixed, fixed * 1.01)
    assert verdict_of(risk) == {"a": verdicts.REPRODUCED, "b": verdicts.REPRODUCED, "c": verdicts.REPRODUCED}


def test_networks_far_above_the_oracle_are_not_read_as_a_rate():
    far = power_law(0.6, -0.45, seed=1)
    risk = risks(far, far * 1.02, far * 1.01, AT_RATE, AT_RATE)
    parts = analysis.verdict_parts(risk, experiment())
    assert parts[0].verdict == verdicts.UNDECIDED and "not reached the estimation regime" in parts[0].text
    assert parts[2].verdict == verdicts.NOT_REPRODUCED  # one layer does as well as two


def test_a_slower_network_near_the_oracle_is_not_reproduced():
    slow = power_law(0.02, -0.3, seed=1)  # ends at about 1.9x the sieve with slope -0.3
    risk = risks(slow, slow, slow, AT_RATE, AT_RATE)
    assert verdict_of(risk)["a"] == verdicts.NOT_REPRODUCED


def test_a_transformer_clearly_better_than_the_ssm_is_not_comparable():
    risk = risks(AT_RATE, AT_RATE / 2, AT_RATE, AT_RATE, AT_RATE)
    assert verdict_of(risk)["b"] == verdicts.NOT_REPRODUCED


def test_a_broken_sieve_control_makes_every_part_undecided():
    risk = risks(AT_RATE, AT_RATE, AT_RATE, AT_RATE, AT_RATE, sieve_slope=-1.0)
    parts = analysis.verdict_parts(risk, experiment())
    assert [p.verdict for p in parts] == [verdicts.UNDECIDED] * 3
    assert "misses the predicted" in parts[0].text


def test_slope_table_recovers_constructed_slopes_and_levels():
    risk = risks(AT_RATE, AT_RATE, AT_RATE, AT_RATE, AT_RATE)
    table = analysis.slope_table(risk, experiment()).set_index(["estimator", "order"])
    assert table.loc[(SIEVE, "dynamic"), "slope"] == pytest.approx(-2 / 3, abs=0.03)
    assert table.loc[(KNN, "fixed"), "slope"] == pytest.approx(-0.2, abs=0.03)
    row = table.loc[("ssm2", "dynamic")]
    assert row.ci_low <= row.slope <= row.ci_high
    assert row.risk_at_largest_n == pytest.approx(AT_RATE[-1].mean())
    assert ("tf", "fixed") not in table.index  # did not run


def test_paired_ratio_and_slope_difference():
    a, b = power_law(0.1, -0.5, seed=1), power_law(0.05, -0.5, seed=1)
    ratio = analysis.ratio_at_largest(a, b, n_boot=200, ci=0.95)
    assert ratio.value == pytest.approx(2.0) and ratio.low == pytest.approx(2.0) and ratio.high == pytest.approx(2.0)
    diff = analysis.slope_difference(SIZES, power_law(0.1, -0.3, seed=1), b, n_boot=200, ci=0.95)
    assert diff.value == pytest.approx(0.2, abs=1e-9)


def runs_dataset() -> xr.Dataset:
    """Two learning rates; the tuning seed prefers lr 0.01 at n = 64 and 0.003 at n = 256."""
    shape = (1, 1, 3, 2, 2, 1)  # model, order, seed, n_train, lr, d_model
    val = np.full(shape, np.nan)
    test = np.full(shape, np.nan)
    val[0, 0, 0, 0] = [[2.0], [1.0]]
    val[0, 0, 0, 1] = [[1.0], [2.0]]
    test[0, 0, 0] = [[[0.5], [0.4]], [[0.3], [0.6]]]
    for seed in (1, 2):
        val[0, 0, seed, 0, 1, 0], test[0, 0, seed, 0, 1, 0] = 1.0, 0.4 + seed
        val[0, 0, seed, 1, 0, 0], test[0, 0, seed, 1, 0, 0] = 1.0, 0.3 + seed
    cell = ("model", "order", "seed", "n_train", "lr", "d_model")
    checks = np.tile(np.arange(1.0, 5.0), (*shape, 1))
    return xr.Dataset(
        {"val_risk": (cell, val), "test_risk": (cell, test), "best_step": (cell, test * 0 + 2), "steps_run": (cell, test * 0 + 4),
         "step_cap": (cell, test * 0 + 8), "curve_val": ((*cell, "check"), checks[..., ::-1].copy()), "curve_step": ((*cell, "check"), checks),
         "n_params": (("model", "d_model"), [[10.0]]), "target_variance": (("model", "seed"), [[1.0, 1.0, 1.0]])},
        coords={"model": ["m"], "order": ["dynamic"], "seed": [0, 1, 2], "n_train": [64, 256], "lr": [0.003, 0.01], "d_model": [8]},
    )


def test_choice_follows_the_tuning_seed_validation_only():
    chosen = analysis.chosen_runs(runs_dataset())
    np.testing.assert_allclose(chosen["lr"].sel(model="m", order="dynamic").values, [0.01, 0.003])
    np.testing.assert_allclose(chosen["test_risk"].sel(model="m", order="dynamic", n_train=64).values, [0.4, 1.4, 2.4])
    np.testing.assert_allclose(chosen["test_risk"].sel(model="m", order="dynamic", n_train=256).values, [0.3, 1.3, 2.3])


def test_convergence_counts_early_stops_and_flat_curves():
    table = analysis.convergence_table(analysis.chosen_runs(runs_dataset()), flat_tolerance=0.01)
    assert list(table["stopped early"]) == [3, 3]
    # The validation curve keeps falling (4, 3, 2, 1): not flat at the end.
    assert list(table["flat at the end"]) == [0, 0]


def test_the_declared_dvc_plot_columns_are_written_for_the_default_models(tmp_path):
    import yaml

    from tokensel.nn.families import family
    from tokensel.regression.config import load

    root = Path(__file__).resolve().parents[2]
    default = load(root / "profiles" / "default.yaml")
    estimators = [*default.models, SIEVE, KNN]
    data = np.ones((len(estimators), 2, 2, 1))
    for e, name in enumerate(estimators):  # only the fixed-order models and the references ran the fixed order
        if name not in (*default.fixed_order, SIEVE, KNN):
            data[e, 1] = np.nan
    risk = xr.DataArray(data, dims=("estimator", "order", "n_train", "seed"), coords={"estimator": estimators, "order": ["dynamic", "fixed"], "n_train": [64, 128], "seed": [0]})
    labels = {name: family(config) for name, config in default.models.items()}
    header = analysis.write_plot_csv(risk, labels, tmp_path / "risk.csv").read_text().splitlines()[0].split(",")
    plots = yaml.safe_load((root / "dvc.yaml").read_text())["plots"]
    declared = next(p["regression_risk_vs_n"] for p in plots if "regression_risk_vs_n" in p)
    assert declared["x"] == header[0]
    assert set(declared["y"]["reports/regression/risk.csv"]) == set(header[1:])


def test_the_verdict_follows_the_paper_claims_and_reports_the_layer_question_beside_it(tmp_path):
    """Networks far above the oracle: the rate and the comparison are undecided (pre-asymptotic),
    and one layer doing as well as two does not turn the claim's verdict into "not reproduced"."""
    from tokensel.regression.summary import results_summary

    far = power_law(3.0, -0.3, seed=1)
    risk = risks(far, power_law(3.0, -0.3, seed=2), power_law(3.0, -0.3, seed=3), power_law(3.0, -0.3, seed=4), power_law(3.0, -0.3, seed=5))
    parts, exp = analysis.verdict_parts(risk, experiment()), experiment()
    slopes = analysis.slope_table(risk, exp)
    assert {p.name: p.verdict for p in parts}["c"] == verdicts.NOT_REPRODUCED
    metrics = analysis.write_metrics(tmp_path, slopes, parts, exp)
    assert metrics["verdict"] == analysis.claim_verdict(parts) == verdicts.combine([parts[0].verdict, parts[1].verdict])
    assert metrics["verdict"] != verdicts.NOT_REPRODUCED and metrics["two_vs_one_layer"] == verdicts.NOT_REPRODUCED
    assert analysis.pre_asymptotic(slopes, exp) and "pre-asymptotic" in metrics["claim"]
    table = results_summary(parts, slopes, exp, cpu_seconds=60.0)
    assert [r.verdict for r in table.rows] == [p.verdict for p in parts] and "pre-asymptotic" in table.hard


def test_networks_at_the_oracle_rate_reproduce_the_claim_whatever_the_layer_question():
    risk = risks(AT_RATE, power_law(0.06, -2 / 3, seed=2), AT_RATE * 1.0, AT_RATE, AT_RATE)
    parts = analysis.verdict_parts(risk, experiment())
    assert analysis.claim_verdict(parts) == verdicts.REPRODUCED
    assert not analysis.pre_asymptotic(analysis.slope_table(risk, experiment()), experiment())


def test_the_page_tables_put_each_network_against_the_sieve_and_show_every_seed():
    from tokensel.regression import report

    twice = power_law(0.06, -2 / 3, seed=1)
    risk = risks(twice, twice, twice, twice, twice)
    labels = {"ssm2": "two-layer", "ssm1": "one-layer", "tf": "Transformer", SIEVE: SIEVE, KNN: KNN}
    shown = report.slope_table(analysis.slope_table(risk, experiment()), labels, SIZES[-1]).set_index(["estimator", "order"])
    sieve = risk.sel(estimator=SIEVE, order="dynamic", n_train=SIZES[-1]).mean()
    assert shown.loc[("two-layer", "dynamic"), "× sieve at largest n"] == pytest.approx(float(twice[-1].mean() / sieve))
    assert shown.loc[(SIEVE, "dynamic"), "× sieve at largest n"] == pytest.approx(1.0)
    per_seed = report.per_seed_table(risk, labels, SIZES[-1]).set_index(["estimator", "order"])
    assert list(per_seed.columns) == SEEDS and per_seed.loc[("two-layer", "dynamic"), 0] == pytest.approx(twice[-1, 0])
    assert "c = 3 alone moves it by +" in report.log_factor_text(tuple(SIZES))
