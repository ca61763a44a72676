"""The verdict logic on constructed results: each outcome, and each reason for it."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from tokensel.core import verdicts
from tokensel.genomic import analysis, controls, tables
from tokensel.genomic.config import VerdictSettings
from tokensel.genomic.stage import RANDOMISED, SHUFFLED, TRAINED
from tokensel.nn.config import ModelConfig

SETTINGS = VerdictSettings(n_boot=500)
MODELS = {"ssm": ModelConfig.from_params({"mixer": "ssm"}, "m"), "transformer": ModelConfig.from_params({"mixer": "attention"}, "m")}


def constructed(
    accuracy: float = 0.95, baseline: float = 0.6, known_auroc: float = 1.0, shuffled_auroc: float = 0.5,
    mass_fraction: float = 0.08, on_moved: float = 0.9, vacated_after: float = 0.05, n: int = 400, n_attr: int = 40,
    random_auroc: float = 0.5, random_on_moved: float = 0.18,
) -> xr.Dataset:
    """Results of one dataset with two families whose measures sit near the given values (the
    untrained network's where they are given, else the shuffled-label model's)."""
    rng = np.random.default_rng(0)
    models, seeds, controls = list(MODELS), [0, 1], [TRAINED, SHUFFLED, RANDOMISED]
    shape = (1, len(models), len(seeds), len(controls))
    noisy = lambda centre, *size: np.clip(centre + 0.02 * rng.standard_normal(size), 0, 1)  # noqa: E731

    def per_run(trained_value: float, shuffled_value: float, width: int, random_value: float | None = None) -> np.ndarray:
        out = np.empty(shape + (1, width))
        for i, value in enumerate((trained_value, shuffled_value, shuffled_value if random_value is None else random_value)):
            out[:, :, :, i] = noisy(value, 1, len(models), len(seeds), 1, width)
        return out

    correct = np.empty(shape + (n,))
    correct[:, :, :, 0] = rng.random((1, len(models), len(seeds), n)) < accuracy
    correct[:, :, :, 1:] = rng.random((1, len(models), len(seeds), 2, n)) < 0.5
    run_dims = ("dataset", "model", "seed", "control")
    return xr.Dataset(
        {
            "test_correct": (run_dims + ("test_example",), correct),
            "test_acc": (run_dims, correct.mean(-1)),
            "baseline_correct": (("dataset", "baseline", "test_example"), np.stack([rng.random((1, n)) < 0.5, rng.random((1, n)) < baseline], axis=1)),
            "baseline_acc": (("dataset", "baseline"), np.array([[0.5, baseline]])),
            "baseline_val_acc": (("dataset", "baseline"), np.array([[0.5, baseline]])),
            "baseline_c": (("dataset", "baseline"), np.array([[np.nan, 0.01]])),
            "motif_auroc": (run_dims + ("method", "attributed"), per_run(0.9, shuffled_auroc, n_attr, random_auroc)),
            "mass_fraction_50": (run_dims + ("method", "attributed"), per_run(mass_fraction, 0.3, n_attr)),
            "follow_original": (run_dims + ("method", "attributed"), per_run(0.9, 0.18, n_attr)),
            "follow_moved": (run_dims + ("method", "moved"), per_run(on_moved, 0.18, n_attr, random_on_moved)),
            "vacated_before": (run_dims + ("method", "moved"), per_run(0.9, 0.18, n_attr)),
            "vacated_after": (run_dims + ("method", "moved"), per_run(vacated_after, 0.18, n_attr)),
            "jaccard_index": (run_dims + ("method",), np.full(shape + (1,), 0.95)),
            "known_acc": (("dataset",), [1.0]),
            "known_motif_auroc": (("dataset", "method", "attributed"), noisy(known_auroc, 1, 1, n_attr)),
            "known_mass_fraction_50": (("dataset", "method", "attributed"), noisy(0.05, 1, 1, n_attr)),
            "known_follow_original": (("dataset", "method", "attributed"), noisy(1.0, 1, 1, n_attr)),
            "known_follow_moved": (("dataset", "method", "moved"), noisy(1.0 if known_auroc > 0.9 else 0.18, 1, 1, n_attr)),
            "known_vacated_before": (("dataset", "method", "moved"), noisy(1.0, 1, 1, n_attr)),
            "known_vacated_after": (("dataset", "method", "moved"), noisy(0.0, 1, 1, n_attr)),
            "known_jaccard_index": (("dataset", "method"), [[0.9]]),
            "n_test": (("dataset",), [n]),
        },
        coords={
            "dataset": ["motif_order"], "model": models, "seed": seeds, "control": controls, "method": ["ism"],
            "baseline": ["majority class", "6-mer"], "model_spec": (("model",), [MODELS[m].to_json() for m in models]),
        },
    )


def outcomes(results: xr.Dataset) -> list[str]:
    return [v.outcome for v in analysis.all_verdicts(results, SETTINGS)]


def test_sparse_input_dependent_and_following_is_reproduced() -> None:
    found = analysis.all_verdicts(constructed(), SETTINGS)
    assert [v.outcome for v in found] == [verdicts.REPRODUCED] * 2
    assert all(v.learned and v.controls_separate and v.sparse and v.input_dependent and v.follows for v in found)
    assert [v.family for v in found] == ["SSM", "Transformer"]
    assert analysis.overall(found) == verdicts.REPRODUCED
    assert analysis.claim(found, "ism").startswith("In-silico mutagenesis importance")


def test_a_model_that_does_not_beat_the_best_baseline_is_undecided() -> None:
    found = analysis.all_verdicts(constructed(accuracy=0.6, baseline=0.6), SETTINGS)
    assert [v.outcome for v in found] == [verdicts.UNDECIDED] * 2 and not found[0].learned
    assert found[0].best_baseline == "6-mer" and found[0].sparse is None
    assert analysis.overall(found) == verdicts.UNDECIDED


def test_controls_that_do_not_separate_leave_it_undecided() -> None:
    found = analysis.all_verdicts(constructed(known_auroc=0.5), SETTINGS)
    assert [v.outcome for v in found] == [verdicts.UNDECIDED] * 2
    assert found[0].learned and not found[0].controls_separate
    table = controls.control_separation(constructed(known_auroc=0.5), "motif_order", "ssm", "ism", SETTINGS)
    assert not table.set_index("measure").loc["motif AUROC", "separates"]
    assert table.set_index("measure").loc["mass fraction 50 %", "separates"]


def test_a_map_no_closer_to_the_motif_than_random_weights_leaves_it_undecided() -> None:
    found = analysis.all_verdicts(constructed(random_auroc=0.9, random_on_moved=0.9), SETTINGS)
    assert [v.outcome for v in found] == [verdicts.UNDECIDED] * 2
    assert found[0].learned and found[0].controls_separate and not found[0].randomisation_separates
    assert "random weights" in analysis.claim(found + analysis.all_verdicts(constructed(), SETTINGS)[:1], "ism")
    table = controls.randomisation_separation(constructed(random_auroc=0.9), "motif_order", "ssm", "ism", SETTINGS).set_index("measure")
    assert not table.loc["motif AUROC", "separates"] and table.loc["importance on moved motif", "separates"]
    assert "(does not separate)" in controls.randomisation_table(constructed(random_auroc=0.9), SETTINGS).iloc[0]["motif AUROC, random weights"]


@pytest.mark.parametrize(
    "change, failed",
    [({"mass_fraction": 0.3}, "sparse"), ({"on_moved": 0.3}, "follows"), ({"vacated_after": 0.8}, "input_dependent")],
)
def test_each_failed_property_means_not_reproduced(change, failed) -> None:
    found = analysis.all_verdicts(constructed(**change), SETTINGS)
    assert [v.outcome for v in found] == [verdicts.NOT_REPRODUCED] * 2
    assert getattr(found[0], failed) is False
    assert analysis.overall(found) == verdicts.NOT_REPRODUCED


def test_the_best_baseline_is_chosen_on_validation_not_on_test() -> None:
    # The majority class wins on validation, the 6-mer on test: the model is compared with the
    # majority class, which it beats, although it does not beat the 6-mer's test accuracy.
    results = constructed(accuracy=0.6, baseline=0.9)
    results["baseline_val_acc"][:] = [[0.7, 0.6]]
    score = analysis.learned(results, "motif_order", "ssm", SETTINGS)
    assert score.best_baseline == "majority class" and score.baseline_accuracy == 0.5 and score.learned
    results["baseline_val_acc"][:] = [[0.6, 0.7]]
    score = analysis.learned(results, "motif_order", "ssm", SETTINGS)
    assert score.best_baseline == "6-mer" and not score.learned


def test_metrics_are_compact_and_details_beside_them(tmp_path) -> None:
    results = constructed()
    found = analysis.all_verdicts(results, SETTINGS)
    metrics = analysis.write_metrics(found, analysis.accuracy_table(results), SETTINGS, tmp_path)
    assert set(metrics) == {"verdict", "claim", "cases"} and metrics["verdict"] in verdicts.VERDICTS
    assert (tmp_path / "details.json").is_file()


def test_shortcut_summary_names_the_ladder_and_the_chance_interval() -> None:
    results = constructed(baseline=0.52, n=400)
    text = tables.shortcut_summary(results.assign_coords(baseline=["majority class", "1-mer"]), 0.95)
    # 1.96 * 0.5 / sqrt(400) = 0.049
    assert "k-mer ladder (k = 1–1, counts pooled over both strands) scores 0.520–0.520 on test" in text
    assert "best validation accuracy is 1-mer (0.520 on validation, 0.520 on test, C = 0.01 chosen on validation)" in text
    assert "0.5 ± 0.049" in text


def test_follow_table_has_every_run_and_method() -> None:
    frame = tables.follow_table(constructed(on_moved=0.9))
    assert frame["run"].tolist() == [
        "motif model (known answer)", "ssm", "ssm, shuffled labels", "ssm, random weights", "transformer", "transformer, shuffled labels", "transformer, random weights",
    ]
    assert abs(frame.set_index("run").loc["ssm", "in-silico mutagenesis"] - 0.9) < 0.02


def test_claim_says_why_a_case_is_undecided() -> None:
    found = analysis.all_verdicts(constructed(accuracy=0.6, baseline=0.6), SETTINGS)
    assert "does not beat the 6-mer baseline's 0.600" in analysis.claim(found + analysis.all_verdicts(constructed(), SETTINGS)[:1], "ism")


def test_method_comparison_names_every_method() -> None:
    text = tables.method_comparison(constructed(on_moved=0.9), "ism")
    assert text.startswith("motif order (planted): on the trained models, in-silico mutagenesis puts 0.9")
