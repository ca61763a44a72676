"""The verdict, the width search and the stage's bookkeeping, on constructed results."""

import json

import numpy as np
import pytest

from tokensel.core import verdicts
from tokensel.core.errors import ConfigError
from tokensel.synthetic import analysis, diagnostics, gaps, outputs
from tokensel.synthetic.config import from_params
from tokensel.synthetic.stage import ModelOutcome, _width_search, side_by_side, task_dataset
from tokensel.synthetic.train import RunResult

SECTION = {
    "grid": {"tasks": ["recall", "copy"], "models": ["ssm2", "ssm1", "tf"], "seeds": [0, 1, 2]},
    "tasks": {
        "recall": {"axis": "vocab_size", "values": [8, 16, 32], "lr_sweep_at": 16, "size": 2},
        "copy": {"axis": "size", "values": [1, 4], "lr_sweep_at": 4, "vocab_size": 2},
    },
    "models": {
        "ssm1": {"mixer": "ssm", "d_model": 8, "n_layers": 1, "fnn_depth": 2, "fnn_width": 8, "filter": "fir"},
        "ssm2": {"mixer": "ssm", "d_model": 8, "n_layers": 2, "fnn_depth": 2, "fnn_width": 8, "filter": "fir"},
        "tf": {"mixer": "attention", "d_model": 8, "n_layers": 2, "fnn_width": 8, "n_heads": 2, "positional": "sinusoidal"},
    },
    "train": {"steps": 4, "batch_size": 4, "lrs": [0.001, 0.01], "eval_every": 2, "n_val": 8, "n_test": 256},
    "size_needed": {"tasks": {"recall": [8, 16]}, "models": ["ssm2", "tf"], "widths": [4, 8, 16, 32], "seeds": [0, 1, 2], "required": 2},
}
EXPERIMENT = from_params(SECTION)


def run(test: float, lr: float = 0.01, steps: int = 4) -> RunResult:
    return RunResult(lr, np.array([2, 4]), np.array([1.0, 0.5]), np.array([0.3, test]), test, steps, test, 0.0, 100, 1.0)


def outcome(model: str, accuracies: dict[int, list[float]]) -> ModelOutcome:
    sweep = [run(0.5, lr) for lr in EXPERIMENT.train.lrs]
    runs = {(x, seed): run(acc) for x, accs in accuracies.items() for seed, acc in enumerate(accs)}
    return ModelOutcome(model, sweep, 0.01, runs)


def recall_results(ssm2: dict, ssm1: dict, tf: dict):
    ds = task_dataset(EXPERIMENT, "recall", [outcome("ssm2", ssm2), outcome("ssm1", ssm1), outcome("tf", tf)])
    points = analysis.point_verdicts(ds, EXPERIMENT.verdict)
    return ds, points


SOLVED, STUCK, CHANCE = [1.0, 1.0, 1.0], [0.6, 0.55, 0.62], [0.5, 0.5, 0.5]


def test_reproduced_where_two_layers_solve_like_the_transformer_and_one_layer_does_not():
    ds, points = recall_results({8: SOLVED, 16: [1.0, 0.98, 0.5], 32: SOLVED}, {8: CHANCE, 16: CHANCE, 32: CHANCE}, {8: SOLVED, 16: SOLVED, 32: SOLVED})
    assert [p.holds for p in points] == [True, True, True]
    # The bimodal point: its mean (0.83) is below the threshold, but 2 of 3 seeds solve it.
    assert points[1].two_layer.solves and points[1].two_layer.solved == 2
    assert analysis.task_verdict(points) == verdicts.REPRODUCED


def test_not_reproduced_where_two_layers_stay_at_the_shortcut():
    ds, points = recall_results({8: CHANCE, 16: CHANCE, 32: CHANCE}, {8: CHANCE, 16: CHANCE, 32: CHANCE}, {8: SOLVED, 16: SOLVED, 32: SOLVED})
    assert not any(p.comparable for p in points)
    assert analysis.task_verdict(points) == verdicts.NOT_REPRODUCED


def test_partially_reproduced_when_the_claim_holds_at_small_vocabularies_only():
    ds, points = recall_results({8: SOLVED, 16: SOLVED, 32: CHANCE}, {8: CHANCE, 16: CHANCE, 32: CHANCE}, {8: SOLVED, 16: SOLVED, 32: SOLVED})
    assert analysis.task_verdict(points) == verdicts.PARTIALLY_REPRODUCED
    text = analysis.describe_task("recall", "|W|", points)
    assert "At |W|=8, |W|=16 two-layer SSM+FNN is comparable" in text and "At |W|=32 it is not" in text and "0/3 seeds solved" in text


def test_seeds_on_both_sides_of_a_margin_leave_the_point_undecided():
    ds, points = recall_results({8: [0.90, 0.92, 0.2]}, {8: [0.81, 0.82, 0.9]}, {8: [0.93, 0.94, 0.5]})
    point = points[0]
    assert not point.controlled, "without a Transformer that solves the point, it cannot show the claim"
    # Medians 0.90 vs 0.93 are within the 0.05 margin, but the 0.2 seed is not: one run near a margin decides nothing.
    assert point.comparable is None and point.outperforms_one_layer is None and point.separation_undecided
    assert analysis.task_verdict(points) == verdicts.UNDECIDED


def test_beating_one_layer_needs_a_solve_or_every_pair_of_seeds_past_the_margin():
    _, (clear, straddling) = recall_results({8: [0.80, 0.82, 0.85], 16: [0.80, 0.82, 0.85]}, {8: [0.60, 0.65, 0.68], 16: [0.60, 0.65, 0.79]},
                                            {8: SOLVED, 16: SOLVED})
    assert clear.outperforms_one_layer is True and not clear.separation_undecided  # lowest 0.80 - highest 0.68 = 0.12 >= 0.10
    assert straddling.outperforms_one_layer is None and straddling.separation_undecided  # 0.80 - 0.79 < 0.10 < 0.85 - 0.60
    assert clear.comparable is False  # every two-layer seed more than 0.05 below every solved Transformer seed
    _, points = recall_results({8: [0.97, 0.96, 0.5]}, {8: [0.91, 0.92, 0.93]}, {8: SOLVED})
    assert points[0].two_layer.solves and points[0].outperforms_one_layer is True  # solving decides, whatever the margin


def test_a_task_whose_every_controlled_point_straddles_is_undecided():
    _, points = recall_results({8: [0.99, 0.9, 0.7]}, {8: CHANCE}, {8: SOLVED})
    assert points[0].controlled and points[0].comparable is None
    assert analysis.task_verdict(points) == verdicts.UNDECIDED
    assert ("At |W|=8 comparability is undecided: the seeds straddle the margin (at |W|=8: two-layer SSM+FNN 1/3 seeds solved, "
            "median 0.900 (seeds 0.70–0.99); Transformer 3/3 seeds solved, median 1.000 (seeds 1.00–1.00)).") in analysis.describe_task("recall", "|W|", points)


def test_points_where_one_layer_solves_too_do_not_separate_the_layers():
    ds, points = recall_results({8: SOLVED, 16: SOLVED, 32: SOLVED}, {8: SOLVED, 16: SOLVED, 32: SOLVED}, {8: SOLVED, 16: SOLVED, 32: SOLVED})
    assert all(p.outperforms_one_layer is None and p.holds for p in points)
    assert analysis.task_verdict(points) == verdicts.PARTIALLY_REPRODUCED, "comparable, but two layers never shown better than one"
    ds, points = recall_results({8: SOLVED, 16: SOLVED, 32: SOLVED}, {8: SOLVED, 16: CHANCE, 32: CHANCE}, {8: SOLVED, 16: SOLVED, 32: SOLVED})
    assert analysis.task_verdict(points) == verdicts.REPRODUCED


def test_a_task_without_a_one_layer_model_is_judged_on_comparability():
    ds = task_dataset(EXPERIMENT, "recall", [outcome("ssm2", {8: SOLVED, 16: SOLVED, 32: SOLVED}), outcome("tf", {8: SOLVED, 16: SOLVED, 32: SOLVED})])
    points = analysis.point_verdicts(ds, EXPERIMENT.verdict)
    assert len(points) == 3 and all(p.one_layer is None and p.outperforms_one_layer is None for p in points)
    assert analysis.task_verdict(points) == verdicts.REPRODUCED
    assert "runs no one-layer SSM+FNN" in analysis.describe_task("recall", "|W|", points)


def test_a_point_the_shortcut_solves_is_not_a_control():
    # copy with strings of length 1: the only token is the answer, so the shortcut scores 1.
    ds = task_dataset(EXPERIMENT, "copy", [outcome("ssm2", {1: SOLVED, 4: SOLVED}), outcome("ssm1", {1: SOLVED, 4: CHANCE}), outcome("tf", {1: SOLVED, 4: SOLVED})])
    points = analysis.point_verdicts(ds, EXPERIMENT.verdict)
    assert points[0].shortcut == 1.0 and not points[0].controlled
    assert points[1].controlled and points[1].holds


def test_metrics_carry_the_verdict_the_claim_and_seed_counts(tmp_path):
    ds, _ = recall_results({8: SOLVED, 16: SOLVED, 32: CHANCE}, {8: CHANCE, 16: CHANCE, 32: CHANCE}, {8: SOLVED, 16: SOLVED, 32: SOLVED})
    metrics = outputs.write_metrics(ds, EXPERIMENT.verdict, tmp_path)
    assert metrics["verdict"] == "partially reproduced" and metrics["claim"] == (
        "Trained two-layer SSM+FNN matches the Transformer at recall |W|=8, recall |W|=16; not at recall |W|=32; "
        "it beats one-layer SSM+FNN at recall |W|=8, recall |W|=16.")
    assert metrics["median_accuracy"]["recall"]["|W|=32"] == {"two_layer": 0.5, "one_layer": 0.5, "transformer": 1.0}
    assert json.loads((tmp_path / "details.json").read_text())["solved"]["recall"]["|W|=32"] == {"two_layer": "0/3", "one_layer": "0/3", "transformer": "3/3"}
    details = json.loads((tmp_path / "details.json").read_text())
    assert details["chosen_lr"]["recall"]["ssm2"] == 0.01 and "NaN" not in (tmp_path / "details.json").read_text()


def test_plot_files_have_one_column_per_series(tmp_path):
    ds, _ = recall_results({8: SOLVED, 16: SOLVED, 32: CHANCE}, {8: CHANCE, 16: CHANCE, 32: CHANCE}, {8: SOLVED, 16: SOLVED, 32: SOLVED})
    (path,) = outputs.write_plot_csvs(ds, EXPERIMENT.verdict, tmp_path)
    assert path.read_text().splitlines()[0] == "x,two_layer_ssm_fnn,one_layer_ssm_fnn,transformer,shortcut"
    assert path.read_text().splitlines()[3].startswith("32,0.5000,0.5000,1.0000,0.5000")


def drive(plan, outcome_of):
    """Run a plan with fake results: ``outcome_of(job)`` gives the test accuracy; returns (result, jobs run)."""
    jobs_run = []
    try:
        jobs = next(plan)
        while True:
            jobs_run += jobs
            jobs = plan.send([run(outcome_of(job)) for job in jobs])
    except StopIteration as stop:
        return stop.value, jobs_run


def test_width_search_finds_the_smallest_sufficient_width_with_few_runs():
    job = lambda x, seed, width: {"x": x, "seed": seed, "width": width}  # noqa: E731
    # Width 16 and more solve on seeds 0 and 2, width 8 only on seed 0.
    rule = lambda j: 1.0 if j["width"] >= 16 and j["seed"] != 1 or j["width"] == 8 and j["seed"] == 0 else 0.3  # noqa: E731
    (runs, needed), jobs = drive(_width_search(EXPERIMENT, job, 8), rule)
    assert needed == 16
    assert [(j["width"], j["seed"]) for j in jobs] == [(16, 0), (16, 1), (16, 2), (8, 0), (8, 1), (8, 2)]
    (runs, needed), jobs = drive(_width_search(EXPERIMENT, job, 8), lambda j: 0.3)
    assert needed is None and [j["width"] for j in jobs] == [16, 16, 32, 32], "two failed seeds settle a width"
    (runs, needed), jobs = drive(_width_search(EXPERIMENT, job, 8), lambda j: 1.0)
    assert needed == 4 and len(jobs) == 6 and set(runs) == {(8, w, s) for w in (16, 8, 4) for s in (0, 1)}


def test_side_by_side_advances_plans_independently():
    def plan(name, rounds):
        total = 0
        for r in range(rounds):
            results = yield [f"{name}{r}a", f"{name}{r}b"]
            total += sum(results)
        return name, total

    combined = side_by_side([plan("p", 1), plan("q", 3)])
    (found, jobs) = drive_values(combined)
    assert found == [("p", 2), ("q", 6)] and jobs == [["p0a", "p0b", "q0a", "q0b"], ["q1a", "q1b"], ["q2a", "q2b"]]


def drive_values(plan):
    rounds = []
    try:
        jobs = next(plan)
        while True:
            rounds.append(jobs)
            jobs = plan.send([1] * len(jobs))
    except StopIteration as stop:
        return stop.value, rounds


def test_long_runs_sit_beside_the_grid_run_of_their_point():
    found = outcome("ssm2", {8: SOLVED, 16: CHANCE, 32: CHANCE})
    found.long_run = RunResult(0.01, np.array([2, 4, 6, 8]), np.ones(4), np.array([0.3, 0.5, 0.9, 0.99]), 0.99, 8, 0.98, 0.9, 100, 5.0)
    section = json.loads(json.dumps(SECTION))
    section["long_runs"] = {"recall": {"at": 16, "steps": 8, "models": ["ssm2"]}}
    experiment = from_params(section)
    ds = task_dataset(experiment, "recall", [found, outcome("ssm1", {8: CHANCE}), outcome("tf", {8: SOLVED})])
    table = diagnostics.long_run_table(ds)
    assert table.to_dict("records") == [{"task": "recall", "model": "ssm2", "point": "|W|=16", "seed": 0, "grid steps": 4.0,
                                         "grid test acc": 0.5, "long steps": 8.0, "long test acc": 0.98}]
    # grid 9 + 3 + 3 runs, sweeps 3 x 2, the long run 5 s; each chosen sweep run is also a grid run, counted once
    assert diagnostics.total_cpu_seconds(ds) == pytest.approx(15 + 6 + 5 - 3)


def test_dataset_holds_the_width_search_and_the_shortcut():
    found = outcome("ssm2", {8: SOLVED, 16: SOLVED, 32: SOLVED})
    found.size_runs = {(8, 4, 0): run(1.0), (8, 4, 1): run(1.0)}
    found.needed_width = {8: 4, 16: None}
    ds = task_dataset(EXPERIMENT, "recall", [found, outcome("ssm1", {8: CHANCE}), outcome("tf", {8: SOLVED})])
    assert float(ds["needed_width"].sel(task="recall", model="ssm2", x=8)) == 4
    assert np.isnan(ds["needed_width"].sel(task="recall", model="ssm2", x=16))
    assert float(ds["shortcut_acc"].sel(task="recall", x=8).mean()) == pytest.approx(0.5)  # 2 pairs with distinct values
    table = diagnostics.size_table(ds)
    assert table[["model", "x", "needed_width"]].values.tolist()[0] == ["ssm2", 8, 4.0]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda s: s["tasks"]["recall"].update(lr_sweep_at=12), r"'synthetic.tasks.recall.lr_sweep_at' is 12; it must be one of"),
        (lambda s: s["tasks"]["recall"].update(axis="pairs"), r"'synthetic.tasks.recall.axis' is 'pairs'; it must name an integer key"),
        (lambda s: s["tasks"]["recall"].update(vocab_size=8), r"Unknown key 'synthetic.tasks.recall.vocab_size'"),
        (lambda s: s["tasks"]["recall"].update(values=[8, 16, 1]), r"'synthetic.tasks.recall.vocab_size' \(1\) must be at least the number of key-value pairs \(2\)"),
        (lambda s: s["train"].update(lr_seed=5), r"'synthetic.train.lr_seed' \(5\) must be one of grid.seeds"),
        (lambda s: s["size_needed"].update(models=["ssm1_fnn9"]), r"'synthetic.size_needed.models' names unknown model 'ssm1_fnn9'"),
        (lambda s: s["size_needed"].update(widths=[5]), r"'synthetic.size_needed.widths' \(5\) must be divisible by the 2 heads of 'tf'"),
        (lambda s: s["size_needed"].update(tasks={"mqar": [4]}), r"'synthetic.size_needed.tasks' names 'mqar'"),
        (lambda s: s["models"]["tf"].update(d_model=7), r"'synthetic.models.tf.d_model' \(7\) must be divisible by the 2 heads"),
        (lambda s: s["models"].update(ssd={"mixer": "ssd", "d_model": 8, "head_dim": 12}), r"'synthetic.models.ssd.d_model' \(8\) times expand 2 must be divisible by the head_dim 12"),
        (lambda s: s["size_needed"].update(required=4), r"'synthetic.size_needed.required' \(4\) cannot exceed"),
        (lambda s: s["tasks"]["copy"].update(models=["nope"]), r"'synthetic.tasks.copy.models' names unknown model 'nope'"),
        (lambda s: s["tasks"]["recall"].update(models=["ssm1", "tf"]), r"'synthetic.size_needed.models' names 'ssm2', which task 'recall' does not run"),
        (lambda s: s["tasks"]["copy"].update(single_seed_models=["ssm2", "ssm1", "tf"]), r"'synthetic.tasks.copy' runs no model on every seed"),
        (lambda s: s.update(long_runs={"recall": {"at": 12, "steps": 9, "models": ["ssm2"]}}), r"'synthetic.long_runs.recall.at' \(12\) must be one of"),
        (lambda s: s.update(long_runs={"mqar": {"at": 8, "steps": 9, "models": ["ssm2"]}}), r"'synthetic.long_runs' names 'mqar'"),
        (lambda s: s.update(long_runs={"recall": {"at": 8, "steps": 9, "models": ["nope"]}}), r"'synthetic.long_runs.recall.models' names 'nope'"),
    ],
)
def test_bad_params_are_named_with_their_key(change, message):
    section = json.loads(json.dumps(SECTION))
    change(section)
    with pytest.raises(ConfigError, match=message):
        from_params(section)


def test_a_task_can_run_its_own_models():
    section = json.loads(json.dumps(SECTION))
    section["tasks"]["copy"].update(models=["ssm2", "tf"], single_seed_models=["ssm1"], steps=8)
    experiment = from_params(section)
    assert experiment.runs["copy"].models == ("ssm2", "tf", "ssm1") and experiment.seeds_of("copy", "ssm1") == (0,)
    assert experiment.seeds_of("recall", "ssm1") == (0, 1, 2) and experiment.runs["copy"].steps == 8 and experiment.runs["recall"].steps == 4
    assert experiment.tasks["copy"].to_params()["models"] == ["ssm2", "tf"]


def test_a_single_seed_model_runs_one_seed_where_the_grid_runs_it_on_every_seed():
    section = json.loads(json.dumps(SECTION))
    section["tasks"]["copy"]["single_seed_models"] = ["tf"]
    section["grid"]["single_seed_models"] = ["ssm1"]
    experiment = from_params(section)
    assert experiment.runs["copy"].every_seed == ("ssm2", "ssm1") and experiment.runs["copy"].single_seed == ("tf",)
    assert experiment.runs["recall"].every_seed == ("ssm2", "tf") and experiment.seeds_of("recall", "ssm1") == (0,)


def test_a_task_can_sweep_its_own_learning_rates():
    section = json.loads(json.dumps(SECTION))
    section["tasks"]["copy"]["lrs"] = [0.003]
    experiment = from_params(section)
    assert experiment.runs["copy"].lrs == (0.003,) and experiment.runs["recall"].lrs == (0.001, 0.01)
    assert experiment.runs["copy"].lrs_key == "synthetic.tasks.copy.lrs" and experiment.runs["recall"].lrs_key == "synthetic.train.lrs"
    assert experiment.tasks["copy"].to_params()["lrs"] == [0.003]
    assert "One learning rate, no sweep, on copy (0.003); the sweep runs on recall." in diagnostics.profile_scope(experiment)
    section["tasks"]["copy"]["lrs"] = [0.003, "fast"]
    with pytest.raises(ConfigError, match=r"'synthetic.tasks.copy.lrs\[1\]' must be a number"):
        from_params(section)


GATED = {"mixer": "gated_conv", "n_layers": 2, "fnn_depth": 0, "filter": "fir"}


def test_input_dependence_is_judged_where_the_transformer_solves_and_two_layer_ssm_does_not():
    section = json.loads(json.dumps(SECTION))
    section["models"]["gated"] = GATED
    section["tasks"]["recall"]["single_seed_models"] = ["gated"]
    experiment = from_params(section)
    gated = ModelOutcome("gated", [run(0.5, lr) for lr in experiment.train.lrs], 0.01, {(8, 0): run(1.0), (16, 0): run(0.7), (32, 0): run(0.5)})
    outcomes = [outcome("ssm2", {8: SOLVED, 16: STUCK, 32: CHANCE}), outcome("ssm1", {8: CHANCE, 16: CHANCE, 32: CHANCE}),
                outcome("tf", {8: SOLVED, 16: SOLVED, 32: SOLVED}), gated]
    ds = task_dataset(experiment, "recall", outcomes)
    assert gaps.input_dependent_models(ds) == ["gated"]
    text = gaps.input_dependence(ds, experiment.verdict)
    assert "at 2 point(s); input-dependent models ran at 2 of them" in text
    assert "|W|=16: Transformer 3/3 seeds solved" in text and "gated convolution without FNN narrows it (0/1 seeds solved, median 0.700)" in text
    assert "gated convolution without FNN does not close it (0/1 seeds solved, median 0.500)" in text
    table = gaps.input_dependence_table(ds, experiment.verdict)
    assert table[table["point"] == "|W|=8"]["model"].tolist() == ["ssm2", "tf", "gated"]
    assert table.groupby("point")["gap"].first().to_dict() == {"|W|=16": True, "|W|=32": True, "|W|=8": False}
    assert "gated: one seed (seed 0), on recall only." in diagnostics.profile_scope(experiment)
    assert gaps.input_dependent_at_gaps(ds, experiment.verdict) == {"recall |W|=16": {"gated": "0/1"}, "recall |W|=32": {"gated": "0/1"}}
    assert gaps.input_dependence(task_dataset(EXPERIMENT, "recall", outcomes[:3]), experiment.verdict) is None


def test_a_point_two_layers_fail_still_says_whether_they_beat_one_layer():
    ds, points = recall_results({8: SOLVED, 16: SOLVED, 32: [0.7, 0.7, 0.7]}, {8: CHANCE, 16: CHANCE, 32: CHANCE}, {8: SOLVED, 16: SOLVED, 32: SOLVED})
    text = analysis.describe_task("recall", "|W|", points)
    assert ("At |W|=32 it is not (at |W|=32: two-layer SSM+FNN 0/3 seeds solved, median 0.700 (seeds 0.70–0.70); Transformer 3/3 seeds "
            "solved, median 1.000 (seeds 1.00–1.00); shortcut 0.500).") in text
    assert "Two layers still beat one by the margin at |W|=32 (at |W|=32: median 0.700 against 0.500)." in text


def test_model_table_names_every_setting_in_words():
    table = diagnostics.model_table(EXPERIMENT)
    assert table.loc[table["model"] == "ssm2", "window"].item() == "whole sequence"
    assert table.loc[table["model"] == "tf", "window"].isna().all(), "the Transformer has no filter window: an empty cell"


def test_the_page_tables_count_solving_seeds_and_show_every_seed():
    from tokensel.synthetic import report

    ds, _ = recall_results({8: SOLVED, 16: [1.0, 0.98, 0.5], 32: SOLVED}, {8: CHANCE, 16: CHANCE, 32: CHANCE}, {8: SOLVED, 16: SOLVED, 32: SOLVED})
    solved = report.seeds_solved_table(ds, EXPERIMENT).set_index("point")
    assert list(solved.columns) == ["task", "ssm2", "ssm1", "tf", "shortcut"]
    assert solved.loc[16, "ssm2"] == "2/3" and solved.loc[8, "ssm1"] == "0/3" and solved.loc[32, "tf"] == "3/3"
    per_seed = report.per_seed_table(ds, EXPERIMENT)
    assert list(per_seed.columns) == ["task", "model", "point", "seed 0", "seed 1", "seed 2"]
    assert per_seed.set_index(["model", "point"]).loc[("ssm2", 16), "seed 2"] == 0.5
    assert report.grid_models(EXPERIMENT) == ["ssm2", "ssm1", "tf"] and report.ablation_models(EXPERIMENT, []) == []


def test_the_same_results_draw_the_same_figure_bytes(tmp_path):
    from tokensel.synthetic import plots

    ds, _ = recall_results({8: SOLVED, 16: [1.0, 0.98, 0.5], 32: STUCK}, {8: CHANCE, 16: STUCK, 32: CHANCE}, {8: SOLVED, 16: SOLVED, 32: SOLVED})
    for name, draw in {"gains": lambda p: plots.late_gains(ds, p), "accuracy": lambda p: plots.accuracy_vs_axis(ds, EXPERIMENT.verdict, p)}.items():
        first, second = tmp_path / f"{name}-1.png", tmp_path / f"{name}-2.png"
        draw(first), draw(second)
        assert first.read_bytes() == second.read_bytes(), name


def test_the_results_table_names_models_by_family_not_by_params_key(tmp_path):
    ds, _ = recall_results({8: SOLVED, 16: SOLVED, 32: CHANCE}, {8: CHANCE, 16: CHANCE, 32: CHANCE}, {8: SOLVED, 16: SOLVED, 32: SOLVED})
    metrics = {**outputs.write_metrics(ds, EXPERIMENT.verdict, tmp_path), "input_dependent_at_gaps": {"recall |W|=32": {"ssm1": "0/3"}}}
    (line,) = outputs.results_summary(ds, EXPERIMENT.verdict, metrics).beside
    assert line.endswith("one-layer SSM+FNN 0/3 seeds solved") and "ssm1" not in line
