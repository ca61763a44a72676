"""The efficiency benchmark's machinery: config, Dataset shape, fits, memory counter, notebook.

No assertion here is about speed: timings belong to the benchmark's report, not to tests.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
import yaml

from tokensel.core.stats import loglog_slope
from tokensel.efficiency.analysis import crossover_length, scaling_exponents
from tokensel.efficiency.config import METHOD_GROUPS, STATS
from tokensel.efficiency.config import from_params as efficiency_from_mapping
from tokensel.efficiency.config import load as load_efficiency
from tokensel.efficiency.stage import run
from tokensel.efficiency.workloads import activation_bytes, make_workload
from tokensel.core.errors import ConfigError
from tokensel.core.nbrun import execute
from tiny import TINY_EFFICIENCY

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
        ({"repeats": 2, "min_repeats": 3}, "min_repeats"),
        ({"max_call_seconds": 0}, "max_call_seconds"),
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
def test_profiles_measure_the_target_lengths(name: str) -> None:
    config = load_efficiency(ROOT / "profiles" / name)
    assert config.target_seq_len in config.seq_lens and config.share_seq_len in config.seq_lens


def test_tiny_benchmark_dataset() -> None:
    ds = run(efficiency_from_mapping(TINY_EFFICIENCY))
    assert ds["time_s"].dims == ("method", "seq_len", "stat")
    assert list(ds["method"].values) == list(METHOD_GROUPS)
    assert list(ds["seq_len"].values) == [16, 32] and list(ds["stat"].values) == list(STATS)
    median = ds["time_s"].sel(stat="median")
    assert np.isfinite(median).all() and (median > 0).all()
    assert (ds["memory_bytes"] > 0).all() and (ds["skip_reason"] == "").all()
    assert np.isfinite(ds["tokens_per_s"]).all()
    assert set(ds["target"].values) == {"speedup_vs_sdpa", "ratio_vs_fft_floor", "filter_share", "memory_exponent"}
    assert ds.attrs["sdpa_backend"] and ds.attrs["dtype"] == "float32" and ds.attrs["torch_threads"] == 1


def test_budget_skips_points_with_reason() -> None:
    ds = run(efficiency_from_mapping({**TINY_EFFICIENCY, "seq_lens": [16, 32, 64], "max_call_seconds": 1e-9}))
    # Only the first length can run: after it every extrapolated pass exceeds the budget.
    assert np.isfinite(ds["time_s"].sel(seq_len=16, stat="median")).all()
    later = ds["time_s"].sel(seq_len=[32, 64], stat="median")
    assert later.isnull().all()
    assert all("max_call_seconds" in r for r in ds["skip_reason"].sel(seq_len=[32, 64]).values.ravel())


def test_loglog_slope_recovers_known_exponent() -> None:
    lengths = np.array([256, 512, 1024, 2048, 4096, 8192])
    values = 3e-7 * lengths**1.7 * np.exp(np.random.default_rng(0).normal(0, 0.01, lengths.size))
    assert loglog_slope(lengths, values) == pytest.approx(1.7, abs=0.03)
    data = xr.DataArray(
        np.stack([values, 5.0 * lengths, np.where(lengths < 2048, lengths**2.0, np.nan)]),
        coords={"method": ["a", "b", "c"], "seq_len": lengths}, dims=("method", "seq_len"),
    )
    slopes = scaling_exponents(data)  # upper half: 1024 to 8192
    assert slopes.sel({"method": "a"}) == pytest.approx(1.7, abs=0.05)
    assert slopes.sel({"method": "b"}) == pytest.approx(1.0)
    assert math.isnan(slopes.sel({"method": "c"}))  # one finite point in the upper half


def test_crossover_interpolates_last_sign_change() -> None:
    lengths = [64, 128, 256, 512]
    ssm = xr.DataArray([2.0, 2.0, 2.0, 2.0], coords={"seq_len": lengths}, dims="seq_len")
    attention = xr.DataArray([1.0, 2.0, 4.0, 8.0], coords={"seq_len": lengths}, dims="seq_len")
    crossover, note = crossover_length(ssm, attention)
    assert crossover == pytest.approx(128.0) and "128" in note
    assert math.isnan(crossover_length(attention, ssm)[0])


@pytest.mark.parametrize("method", ["fft_floor", "ssm_mixer_fir"])
def test_saved_tensor_memory_is_linear_in_length(method: str) -> None:
    config = efficiency_from_mapping(TINY_EFFICIENCY)
    # Lengths above DIRECT_CONV_MAX_TAPS, so the FIR filter takes the FFT path at every length.
    memory = [activation_bytes(make_workload(config, method, length)) for length in (32, 64, 128)]
    # Every saved tensor is O(L): zero-padded FFTs of length 2L, so bytes = a L + b exactly.
    assert memory[2] - memory[1] == 2 * (memory[1] - memory[0]) > 0


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
    assert re.fullmatch(r"\d of 4 targets met( \(\d not measured\))?", metrics["claim"])
    assert all(t["met"] in (True, False) for t in metrics["targets"].values())  # every target on the tiny grid
    for name in ("time_vs_length.png", "memory_vs_length.png", "speedup_vs_length.png", "throughput.png"):
        assert (out / "figures" / name).stat().st_size > 0
    assert "Verdict" in (out / "index.html").read_text()
    assert xr.load_dataset(tmp_path / "results.nc", engine="h5netcdf")["time_s"].sizes["method"] == len(METHOD_GROUPS)
