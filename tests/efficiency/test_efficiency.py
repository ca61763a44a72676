"""The efficiency benchmark's machinery: config, Dataset shape, fits, paired verdicts, memory counter, notebook.

No assertion here is about speed: timings belong to the benchmark's report, not to tests (the
stability test only checks that clearly separated ratios keep their results).
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
import yaml

from tiny import TINY_EFFICIENCY
from tokensel.core import verdicts
from tokensel.core.errors import ConfigError
from tokensel.present.nbrun import execute
from tokensel.core.stats import RatioEstimate
from tokensel.present.style import REFERENCE_GREYS, family_colour
from tokensel.present.tables import table
from tokensel.efficiency import analysis, names, stability, tables
from tokensel.efficiency.aims import TIMING_AIMS, aims_table
from tokensel.efficiency.claim import ClaimEvidence, claim_text, claim_verdict
from tokensel.efficiency.analysis import CONTROL, details, MET, MISSED, UNDECIDED, Comparison, crossover_length, decide
from tokensel.efficiency.config import METHOD_GROUPS
from tokensel.efficiency.config import from_params as efficiency_from_mapping
from tokensel.efficiency.config import load as load_efficiency
from tokensel.efficiency.stage import run
from tokensel.efficiency.workloads import activation_bytes, benchmark_module, make_workload, mixer_configs
from tokensel.nn.mixers import MIXERS

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("mapping", "match"),
    [
        ({"seq_len": [16, 32]}, "efficiency.seq_len'.*Did you mean 'seq_lens'"),
        ({"throughput": {"step": 3}}, "efficiency.throughput.step'"),
        ({"throughput": {"models": {"m": {"mixr": "ssm"}}}}, "efficiency.throughput.models.m.mixr'"),
        ({"seq_lens": [64, 32]}, "strictly increasing"),
        ({"d_model": 128, "n_heads": 3}, "must divide d_model"),
        ({"primary_filter": "lstm"}, "primary_filter"),
        ({"device": "tpu"}, "device"),
        ({"repeats": 1}, "'efficiency.repeats' must be at least 2"),
        ({"max_call_seconds": 0}, "max_call_seconds"),
        ({"selective": {"state_size": 0}}, "'efficiency.selective.state_size' must be at least 1"),
        ({"gated_conv": {"filter": "hyena"}}, "'efficiency.gated_conv.filter'"),
        ({"ssd": {"chunk_size": 0}}, "'efficiency.ssd.chunk_size' must be at least 1"),
        ({"ssd": {"head_dim": 96}}, "'efficiency.ssd' head_dim \\(96\\) must divide expand \\* d_model \\(256\\)"),
        ({"throughput": {"models": {"ssd2_fnn1": {"mixer": "ssd", "d_model": 20}}}}, "'efficiency.throughput.models.ssd2_fnn1.d_model' \\(20\\) times expand 2 must be divisible by the head_dim 16"),
        ({"ssd_aims": {"seq_len": 1000}}, "'efficiency.ssd_aims' seq_len \\(1000\\) must be one of seq_lens"),
        ({"ssd_aims": {"ssd_model": "mamba"}}, "'efficiency.ssd_aims' ssd_model 'mamba' must be one of throughput.models"),
        ({"ssd_aims": {"throughput_seq_len": 512}}, "'efficiency.ssd_aims' throughput_seq_len \\(512\\) must be one of throughput.seq_lens"),
        ({"targets": {"seq_len": 1000}}, "'efficiency.targets' seq_len \\(1000\\) must be one of seq_lens"),
        ({"paired_threads": [1]}, "'efficiency.paired_threads' must be distinct thread counts other than threads \\(1\\), got \\[1\\]"),
        ({"paired_threads": [0]}, "'efficiency.paired_threads\\[0\\]' must be"),
        ({"pairs": {"blocks": 1}}, "'efficiency.pairs.blocks' must be at least 2"),
        ({"pairs": {"margin": -0.1}}, "'efficiency.pairs.margin' must be between"),
        ({"pairs": {"confidence": 1.5}}, "'efficiency.pairs.confidence' must be between"),
    ],
)
def test_config_errors_name_the_key(mapping: dict, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        efficiency_from_mapping(mapping)


def test_load_efficiency_needs_its_section(tmp_path: Path) -> None:
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump({"synthetic": {}}))
    with pytest.raises(ConfigError, match="no 'efficiency' section"):
        load_efficiency(path)


@pytest.mark.parametrize("name", ["default.yaml", "paper.yaml"])
def test_profiles_build(name: str) -> None:
    from tokensel.pipeline import profiles

    config = efficiency_from_mapping(profiles.render(name.removesuffix(".yaml"), ROOT)["efficiency"])
    assert config.targets.seq_len in config.seq_lens


def test_tiny_benchmark_dataset() -> None:
    ds = run(efficiency_from_mapping(TINY_EFFICIENCY))
    assert ds["time_s"].dims == ("method", "seq_len", "repeat")
    assert list(ds["method"].values) == list(METHOD_GROUPS)
    assert {"gated_conv", "selective", "ssd"} <= set(ds["method"].values)
    assert list(ds["seq_len"].values) == [16, 32] and ds.sizes["repeat"] == 2
    assert np.isfinite(ds["time_s"]).all() and (ds["time_s"] > 0).all()
    assert (ds["memory_bytes"] > 0).all() and (ds["skip_reason"] == "").all()
    assert np.isfinite(ds["tokens_per_s"]).all()
    assert list(ds["comparison"].values) == [CONTROL, "speedup_vs_sdpa", "ratio_vs_fft_floor", "filter_share", *TIMING_AIMS]
    assert set(aims_table(ds)["result"]) <= {MET, MISSED, UNDECIDED} and np.isfinite(ds["ssd_throughput_estimate"]).all()
    assert (ds["comparison_blocks"].values == 2).all() and ds.sizes["pair"] == 2  # pairs.blocks x pairs.pairs_per_block
    assert set(ds["comparison_result"].values) <= {MET, MISSED, UNDECIDED}
    assert ds.attrs["sdpa_backend"] and ds.attrs["dtype"] == "float32" and ds.attrs["torch_threads"] == 1
    assert list(ds["paired_threads"].values) == [2] and ds["threaded_pair_time_s"].dims[0] == "paired_threads"
    assert (ds["threaded_pair_time_s"] > 0).all() and set(ds["threaded_result"].values.ravel()) <= {MET, MISSED, UNDECIDED}
    threads = tables.thread_table(ds)
    assert list(threads.columns) == ["comparison", "measures", "1 thread", "2 threads"] and len(threads) == ds.sizes["comparison"]


def test_no_paired_threads_leaves_the_main_timings_alone() -> None:
    ds = run(efficiency_from_mapping({**TINY_EFFICIENCY, "paired_threads": []}))
    assert "threaded_pair_time_s" not in ds and "threaded_estimate" not in ds
    assert details(ds)["comparisons_at_other_threads"] == {}


def test_budget_skips_points_with_reason_and_their_targets() -> None:
    ds = run(efficiency_from_mapping({**TINY_EFFICIENCY, "seq_lens": [16, 32, 64], "max_call_seconds": 1e-9}))
    # Only the first length can run: after it every extrapolated pass exceeds the budget.
    assert np.isfinite(ds["time_s"].sel(seq_len=16)).all()
    assert ds["time_s"].sel(seq_len=[32, 64]).isnull().all()
    assert all("over the time budget" in r for r in ds["skip_reason"].sel(seq_len=[32, 64]).values.ravel())
    assert (ds["comparison_result"].values == analysis.NOT_MEASURED).all()  # every comparison is at L=32


COMPARISON = {rule: Comparison("c", "", ("a", 1), ("b", 1), 8, rule, 2.0) for rule in (">=", "<=", "≈")}


@pytest.mark.parametrize(
    ("rule", "interval", "result"),
    [  # target 2 with a 5% margin: decided beyond 2 * 1.05 = 2.1 and below 2 / 1.05 = 1.905
        (">=", (2.15, 2.5), MET), (">=", (1.5, 1.9), MISSED), (">=", (1.95, 2.3), UNDECIDED), (">=", (2.05, 2.3), UNDECIDED),
        ("<=", (1.5, 1.9), MET), ("<=", (2.15, 2.5), MISSED), ("<=", (1.9, 2.1), UNDECIDED), ("<=", (1.5, 1.95), UNDECIDED),
        ("≈", (1.9, 2.1), MET), ("≈", (2.5, 2.7), MISSED), ("≈", (1.5, 2.1), UNDECIDED),
    ],
)
def test_a_target_is_decided_only_when_its_interval_clears_it(rule: str, interval: tuple[float, float], result: str) -> None:
    estimate = RatioEstimate(math.sqrt(interval[0] * interval[1]), *interval, n=4)
    assert decide(estimate, COMPARISON[rule], tolerance=0.15, margin=0.05) == result


def test_no_interval_is_undecided_and_no_ratio_is_not_measured() -> None:
    assert decide(RatioEstimate(3.0, math.nan, math.nan, 1), COMPARISON[">="], 0.15, 0.05) == UNDECIDED
    assert decide(RatioEstimate(math.nan, math.nan, math.nan, 0), COMPARISON[">="], 0.15, 0.05) == analysis.NOT_MEASURED


def constructed(control: tuple[float, float], targets: dict[str, tuple[float, float]], memory_exponent: float = 1.0) -> xr.Dataset:
    """An analysed Dataset with the given (ratio, half-width factor) per comparison, for the verdict logic."""
    cfg = efficiency_from_mapping(TINY_EFFICIENCY)
    rows = analysis.comparisons(cfg)
    estimates = {CONTROL: control, **targets}
    ratio = np.array([estimates.get(c.name, (1.0, 1.05))[0] for c in rows])  # the ssd aims stay outside the verdict
    spread = np.array([estimates.get(c.name, (1.0, 1.05))[1] for c in rows])
    results = [decide(RatioEstimate(r, r / s, r * s, 4), c, 0.15, 0.05) for r, s, c in zip(ratio, spread, rows)]
    return xr.Dataset(
        {
            "comparison_estimate": (("comparison", "estimate"), np.stack([ratio, ratio / spread, ratio * spread], axis=1)),
            "comparison_result": ("comparison", results),
            "comparison_blocks": ("comparison", [4] * len(rows)),
            "memory_exponent": ("method", [memory_exponent]),
        },
        coords={"comparison": [c.name for c in rows], "comparison_description": ("comparison", [c.description for c in rows]),
                "rule": ("comparison", [c.rule for c in rows]), "threshold": ("comparison", [c.threshold for c in rows]),
                "estimate": list(analysis.ESTIMATE), "method": ["ssm_mixer_s4d"]},
        attrs={"primary_filter": "s4d", "control_tolerance": 0.15, "max_memory_exponent": 1.2},
    )


def test_all_targets_met_with_a_passing_control_are_counted_as_met() -> None:
    ds = constructed((2.0, 1.02), {"speedup_vs_sdpa": (9.0, 1.05), "ratio_vs_fft_floor": (1.1, 1.05), "filter_share": (0.05, 1.1)})
    assert analysis.targets_outcome(ds).startswith("4 of 4 targets met")


def test_an_undecided_target_is_counted_as_undecided() -> None:
    ds = constructed((2.0, 1.02), {"speedup_vs_sdpa": (7.1, 1.05), "ratio_vs_fft_floor": (1.1, 1.05), "filter_share": (0.05, 1.1)})
    assert "3 of 4 targets met, 1 undecided" in analysis.targets_outcome(ds)


def test_a_failed_control_decides_no_target() -> None:
    ds = constructed((2.9, 1.05), {"speedup_vs_sdpa": (9.0, 1.05), "ratio_vs_fft_floor": (1.1, 1.05), "filter_share": (0.05, 1.1)})
    text = analysis.targets_outcome(ds)
    assert text.startswith("No target decided") and "2.90×" in text and not analysis.control_passed(ds)


def evidence(ratio, ssm=(1.2, 1.15, 1.25), sdpa=(1.7, 1.65, 1.75)) -> ClaimEvidence:
    return ClaimEvidence(8192, ratio, ssm, sdpa, sdpa_memory_exponent=1.0)


@pytest.mark.parametrize(
    ("e", "verdict"),
    [  # margin 0.10: cheaper beyond 1.1, dearer below 1 / 1.1
        (evidence((5.8, 5.6, 6.1)), verdicts.REPRODUCED),
        (evidence((8.7, 8.0, 9.4)), verdicts.REPRODUCED),  # another machine's larger ratio: the same verdict
        (evidence((1.1, 1.05, 1.2)), verdicts.UNDECIDED),  # the interval touches the margin
        (evidence((5.8, 5.6, 6.1), sdpa=(1.2, 1.1, 1.3)), verdicts.UNDECIDED),  # cheaper, but not growing apart
        (evidence((0.6, 0.55, 0.66)), verdicts.NOT_REPRODUCED),
        (evidence((5.8, 5.6, 6.1), ssm=(1.9, 1.85, 1.95)), verdicts.NOT_REPRODUCED),  # SSM grows faster
        (evidence((5.8, math.nan, math.nan)), verdicts.UNDECIDED),
    ],
)
def test_the_claim_verdict_rests_on_the_ratio_and_exponent_intervals(e: ClaimEvidence, verdict: str) -> None:
    assert claim_verdict(e, margin=0.10, control_ok=True) == verdict


def test_a_failed_control_leaves_the_claim_undecided() -> None:
    assert claim_verdict(evidence((5.8, 5.6, 6.1)), margin=0.10, control_ok=False) == verdicts.UNDECIDED


def test_the_claim_sentence_says_when_sdpa_memory_is_linear() -> None:
    assert "linear here" in claim_text(evidence((5.8, 5.6, 6.1)))


def test_crossover_interpolates_last_sign_change() -> None:
    lengths = [64, 128, 256, 512]
    ssm = xr.DataArray([2.0, 2.0, 2.0, 2.0], coords={"seq_len": lengths}, dims="seq_len")
    attention = xr.DataArray([1.0, 2.0, 4.0, 8.0], coords={"seq_len": lengths}, dims="seq_len")
    crossover, note = crossover_length(ssm, attention)
    assert crossover == pytest.approx(128.0) and "128" in note
    assert math.isnan(crossover_length(attention, ssm)[0])


def test_time_exponents_recover_a_known_exponent_with_an_interval() -> None:
    lengths = np.array([256, 512, 1024, 2048, 4096, 8192])
    noise = np.exp(np.random.default_rng(0).normal(0, 0.02, (lengths.size, 3)))
    times = np.stack([3e-7 * lengths[:, None] ** 1.7 * noise, np.where(lengths[:, None] < 2048, 1.0, np.nan) * noise])
    ds = xr.Dataset({"time_s": (("method", "seq_len", "repeat"), times)}, coords={"method": ["a", "c"], "seq_len": lengths})
    exponents = analysis.time_exponents(ds)  # upper half: 1024 to 8192
    slope, low, high = exponents.sel({"method": "a"}).values
    assert slope == pytest.approx(1.7, abs=0.05) and low <= slope <= high
    assert np.isnan(exponents.sel({"method": "c"}).values).all()  # one measured length in the upper half


@pytest.mark.parametrize("method", ["fft_floor", "ssm_mixer_fir", "selective", "ssd"])
def test_saved_tensor_memory_is_linear_in_length(method: str) -> None:
    config = efficiency_from_mapping(TINY_EFFICIENCY)
    # Lengths above DIRECT_CONV_MAX_TAPS, so the FIR filter takes the FFT path at every length;
    # the selective scan keeps its states (batch, L, E, N), which the count must include.
    memory = [activation_bytes(make_workload(config, method, length)) for length in (32, 64, 128)]
    assert memory[2] - memory[1] == 2 * (memory[1] - memory[0]) > 0
    if method == "selective":
        options = config.selective
        states = config.batch_size * 32 * options.expand * config.d_model * options.state_size * 4
        assert memory[0] > states


def test_stability_check_reports_results_that_differ_between_runs() -> None:
    results = pd.DataFrame({"comparison": ["a", "a", "b", "b"], "result": [MET, UNDECIDED, MET, MET], "run": [0, 1, 0, 1]})
    assert stability.disagreements(results) == ["a"]


@pytest.mark.slow
def test_clearly_separated_targets_keep_their_results_over_three_runs() -> None:
    """The verdict computation three times on this machine, on targets set far from the measured
    ratios (SDPA several times slower than the SSM mixer at L=2048, the mixer far below 20x the
    bare FFT) and a control band wide enough for millisecond passes on a busy machine: every run
    must give the same results."""
    section = {
        **TINY_EFFICIENCY, "seq_lens": [1024, 2048], "batch_size": 2, "d_model": 64, "threads": 1,
        "targets": {"seq_len": 2048, "share_seq_len": 2048, "min_speedup_vs_sdpa": 1.01, "max_ratio_vs_fft_floor": 20.0, "max_filter_share": 0.95},
        "pairs": {"blocks": 4, "pairs_per_block": 2, "control_tolerance": 1.0},  # millisecond passes on a busy test machine
        "ssd_aims": {**TINY_EFFICIENCY["ssd_aims"], "seq_len": 2048, "sdpa_seq_len": 2048},
    }
    results = stability.repeated_results(efficiency_from_mapping(section), runs=3)
    # The ssd aims sit near their thresholds at this width (SDPA / ssd about 0.7 for 1): not "clearly separated".
    results = results[~results["comparison"].isin(TIMING_AIMS)]
    shown = results[["run", "comparison", "ratio", "ci_low", "ci_high", "result"]].to_string()
    assert stability.disagreements(results) == [], shown
    assert set(results["result"]) == {MET}, shown


@pytest.mark.slow
def test_notebook_writes_report(tmp_path: Path) -> None:
    params = tmp_path / "params.yaml"
    params.write_text(yaml.safe_dump({"efficiency": TINY_EFFICIENCY}))
    out = tmp_path / "report"
    execute(
        ROOT / "notebooks" / "efficiency.py", tmp_path / "efficiency.ipynb",
        {"params_file": str(params), "out_dir": str(out), "results_file": str(tmp_path / "results.nc")},
        html=out / "index.html", log_output=False,
    )
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["verdict"] in verdicts.VERDICTS and metrics["claim"] and "target" in metrics["targets"]
    assert set(analysis.TARGETS[:3]) <= set(metrics["targets_ours"])
    details = json.loads((out / "details.json").read_text())
    assert set(details["comparisons"]) == {CONTROL, "speedup_vs_sdpa", "ratio_vs_fft_floor", "filter_share", *TIMING_AIMS}
    assert set(details["ssd_aims"]) == {*TIMING_AIMS, "ssd_throughput"}
    for name in ("time_vs_length.png", "memory_vs_length.png", "target_ratios.png", "relative_cost.png", "throughput.png"):
        assert (out / "figures" / name).stat().st_size > 0
    assert (out / "time_vs_length.csv").read_text().startswith("seq_len,fft_floor")
    page = (out / "index.html").read_text()
    assert "Verdict" in page and "it/s]" not in page and "what the paper reports" in page and "Three SDPA/SSM ratios" in page
    assert xr.load_dataset(tmp_path / "results.nc", engine="h5netcdf")["time_s"].sizes["method"] == len(METHOD_GROUPS)


def test_every_method_has_a_readable_name_and_a_colour_by_family() -> None:
    assert set(names.METHODS) == set(METHOD_GROUPS)
    colours = names.method_colours(METHOD_GROUPS, "s4d")
    assert colours["ssm_mixer_s4d"] == family_colour("two-layer SSM+FNN") and colours["sdpa"] == family_colour("Transformer")
    assert colours["ssm_mixer_fir"] != colours["ssm_mixer_s4d"] and colours["fft_floor"] in REFERENCE_GREYS


def test_the_page_shows_no_method_model_or_target_key_and_no_python_boolean() -> None:
    cfg = efficiency_from_mapping(TINY_EFFICIENCY)
    ds = run(cfg)
    shown = [table(frame).data for frame in (tables.readable_targets(ds), tables.readable_aims(ds), tables.exponent_table(ds),
                                             tables.relative_table(ds), tables.crossover_table(ds), tables.throughput_table(ds),
                                             tables.median_table(ds))]
    text = "\n".join([*shown, tables.setup_text(ds, cfg), tables.skipped_text(ds)])
    # Readable names may contain a key as a word ("selective SSM"); they are taken out before the search.
    readable = [*(name for name, _ in names.METHODS.values()), *names.model_names(ds).values(), *names.TARGET_NAMES.values()]
    for name in sorted(readable, key=len, reverse=True):
        text = text.replace(name, "")
    keys = [*METHOD_GROUPS, *ds["model"].values, *ds["comparison"].values, "ssd_throughput", "True", "False"]
    raw = [key for key in keys if re.search(rf"\b{re.escape(str(key))}\b", text)]
    assert raw == [], raw


def test_every_registered_mixer_is_benchmarked_and_built_by_the_registry() -> None:
    config = efficiency_from_mapping(TINY_EFFICIENCY)
    configs = mixer_configs(config)
    assert {c.mixer for c in configs.values()} == set(MIXERS) and set(configs) <= set(METHOD_GROUPS)
    for method, model in configs.items():
        assert type(benchmark_module(config, method, 16)) is MIXERS[model.mixer].module
