"""From the benchmark's timings to numbers: exponents, relative costs, paired target ratios.

A target is *met* or *missed* only when the confidence interval of its paired ratio lies entirely
on one side of the target, clear of it by ``pairs.margin``; otherwise it is *undecided*, however
close the point estimate. The verdict needs the known-answer control first: two passes of the bare FFT against
one, timed the same way, must come out at 2x within ``pairs.control_tolerance``, or the machine's
timings are too noisy to support any verdict. The targets are ours; the verdict on the paper's
claim is in ``efficiency.claim``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from tokensel.core.stats import fit_loglog_slope, loglog_slope, paired_ratio
from tokensel.efficiency.aims import aims_table, ssd_aim_comparisons, throughput_aim
from tokensel.efficiency.comparison import MET, MISSED, NOT_MEASURED, UNDECIDED, Comparison, decide
from tokensel.efficiency.config import EfficiencyConfig

CONTROL = "control_two_passes"
TARGETS = ("speedup_vs_sdpa", "ratio_vs_fft_floor", "filter_share", "memory_exponent")
# The input-dependent mixers against the FFT SSM mixer and against SDPA, from the sweep's rounds.
RELATIVE = {
    "selective / SSM": ("selective", "ssm_mixer"),
    "gated conv / SSM": ("gated_conv", "ssm_mixer"),
    "SDPA / selective": ("sdpa", "selective"),
    "SDPA / gated conv": ("sdpa", "gated_conv"),
    "SDPA / SSM": ("sdpa", "ssm_mixer"),
    "ssd / SSM": ("ssd", "ssm_mixer"),
    "selective / ssd": ("selective", "ssd"),
    "SDPA / ssd": ("sdpa", "ssd"),
}
ESTIMATE = ("ratio", "ci_low", "ci_high")


def comparisons(cfg: EfficiencyConfig) -> list[Comparison]:
    """The known-answer control, the three timing targets and the ssd aims."""
    t, mixer = cfg.targets, f"ssm_mixer_{cfg.primary_filter}"
    L, share = t.seq_len, t.share_seq_len
    return [
        Comparison(CONTROL, f"two passes / one pass of the bare FFT at L={L}", ("fft_floor", 2), ("fft_floor", 1), L, "≈", 2.0),
        Comparison("speedup_vs_sdpa", f"SDPA time / SSM mixer time at L={L}", ("sdpa", 1), (mixer, 1), L, ">=", t.min_speedup_vs_sdpa),
        Comparison("ratio_vs_fft_floor", f"SSM mixer time / bare FFT time at L={L}", (mixer, 1), ("fft_floor", 1), L, "<=", t.max_ratio_vs_fft_floor),
        Comparison("filter_share", f"filter generation / SSM mixer time at L={share}", (f"filter_{cfg.primary_filter}", 1), (mixer, 1), share, "<=", t.max_filter_share),
        *ssd_aim_comparisons(cfg),
    ]


def comparison_results(ds: xr.Dataset, cfg: EfficiencyConfig, pair_times: str = "pair_time_s") -> pd.DataFrame:
    """One row per comparison: its description, ratio and interval, blocks it rests on, rule and
    result, from the timings in ``pair_times`` (one thread count)."""
    rows = []
    for comparison in comparisons(cfg):
        times = ds[pair_times].sel({"comparison": comparison.name})
        estimate = paired_ratio(times.sel(member="numerator").values, times.sel(member="denominator").values,
                                cfg.pairs.confidence, blocks=ds["block"].values)
        rows.append({
            "comparison": comparison.name, "measures": comparison.description,
            "ratio": estimate.ratio, "ci_low": estimate.ci_low, "ci_high": estimate.ci_high, "blocks": estimate.n,
            "rule": comparison.rule, "threshold": comparison.threshold,
            "result": decide(estimate, comparison, cfg.pairs.control_tolerance, cfg.pairs.margin),
        })
    return pd.DataFrame(rows)


def threaded_comparisons(ds: xr.Dataset, cfg: EfficiencyConfig) -> xr.Dataset:
    """Every comparison's ratio, interval and result at each of ``paired_threads``."""
    estimates, results = [], []
    for threads in ds["paired_threads"].values:
        frame = comparison_results(ds.sel(paired_threads=threads), cfg, "threaded_pair_time_s").set_index("comparison")
        estimates.append(frame[list(ESTIMATE)].loc[ds["comparison"].values].to_numpy())
        results.append(frame["result"].loc[ds["comparison"].values].to_numpy().astype(str))
    dims = ("paired_threads", "comparison")
    return xr.Dataset({"threaded_estimate": ((*dims, "estimate"), np.array(estimates)), "threaded_result": (dims, np.array(results))},
                      coords={"estimate": list(ESTIMATE)})


def time_exponents(ds: xr.Dataset) -> xr.DataArray:
    """Per method, the log-log slope of time against L over the upper half of the grid (where the
    asymptotic terms dominate; the middle point of an odd grid included), with an interval from
    resampling the rounds (``fit_loglog_slope``: the rounds play the seeds). NaN with fewer than
    two measured lengths."""
    lengths = ds["seq_len"].values
    upper = ds["time_s"].sel(seq_len=lengths[(len(lengths) - 1) // 2 :])
    rows = []
    for method in ds["method"].values:
        times = upper.sel({"method": method})
        measured = times.notnull().all("repeat")
        if int(measured.sum()) < 2:
            rows.append([math.nan] * 3)
            continue
        fit = fit_loglog_slope(times["seq_len"].values[measured.values], times.values[measured.values], seed_axis=1)
        rows.append([fit.slope, fit.ci_low, fit.ci_high])
    return xr.DataArray(rows, coords={"method": ds["method"].values, "estimate": list(ESTIMATE)}, dims=("method", "estimate"))


def memory_exponents(memory: xr.DataArray) -> xr.DataArray:
    """Per method, the log-log slope of memory against L over the upper half of the grid (memory
    counts are deterministic, so there is no interval)."""
    lengths = memory["seq_len"].values
    upper = memory.sel(seq_len=lengths[(len(lengths) - 1) // 2 :])
    slopes = [loglog_slope(upper["seq_len"].values, upper.sel({"method": m}).values) for m in memory["method"].values]
    return xr.DataArray(slopes, coords={"method": memory["method"].values}, dims="method")


def relative_members(pair_name: str, primary_filter: str) -> tuple[str, str]:
    """The two methods of a ``RELATIVE`` ratio, the SSM mixer being the one with the primary filter."""
    return tuple(m.replace("ssm_mixer", f"ssm_mixer_{primary_filter}") for m in RELATIVE[str(pair_name)])


def relative_costs(ds: xr.Dataset, cfg: EfficiencyConfig) -> xr.DataArray:
    """The ``RELATIVE`` ratios at every length, paired by sweep round, with their intervals."""
    values = np.full((len(RELATIVE), ds.sizes["seq_len"], len(ESTIMATE)), np.nan)
    for i, name in enumerate(RELATIVE):
        numerator, denominator = relative_members(name, cfg.primary_filter)
        a, b = ds["time_s"].sel({"method": numerator}), ds["time_s"].sel({"method": denominator})
        for j in range(ds.sizes["seq_len"]):
            estimate = paired_ratio(a.values[j], b.values[j], cfg.pairs.confidence)
            values[i, j] = [estimate.ratio, estimate.ci_low, estimate.ci_high]
    return xr.DataArray(values, coords={"pair_name": list(RELATIVE), "seq_len": ds["seq_len"].values, "estimate": list(ESTIMATE)},
                        dims=("pair_name", "seq_len", "estimate"))


def crossover_length(ssm: xr.DataArray, attention: xr.DataArray) -> tuple[float, str]:
    """Length from which the SSM is faster than attention at every longer measured length.

    Interpolated log-linearly between the grid points around the last sign change of
    log(t_ssm / t_attention).
    """
    log_ratio = np.log((ssm / attention).values)
    lengths = ssm["seq_len"].values.astype(float)
    finite = np.isfinite(log_ratio)
    log_ratio, lengths = log_ratio[finite], lengths[finite]
    if log_ratio.size == 0:
        return math.nan, "not measured"
    if log_ratio[-1] >= 0:
        return math.nan, f"attention is as fast or faster at the longest measured length (L={int(lengths[-1])})"
    slower = np.nonzero(log_ratio >= 0)[0]
    if slower.size == 0:
        return float(lengths[0]), f"faster at every measured length (from L={int(lengths[0])})"
    i = slower[-1]
    fraction = log_ratio[i] / (log_ratio[i] - log_ratio[i + 1])
    crossover = float(np.exp(np.log(lengths[i]) + fraction * (np.log(lengths[i + 1]) - np.log(lengths[i]))))
    return crossover, f"interpolated between L={int(lengths[i])} and L={int(lengths[i + 1])}"


def analyse(ds: xr.Dataset, cfg: EfficiencyConfig) -> xr.Dataset:
    """Add medians, exponents, relative costs, crossovers, comparison results and targets to ``ds``."""
    median = ds["time_s"].median("repeat")
    ds = ds.assign(
        time_median=median,
        time_min=ds["time_s"].min("repeat"),
        time_max=ds["time_s"].max("repeat"),
        time_exponent=time_exponents(ds),
        memory_exponent=memory_exponents(ds["memory_bytes"]),
        relative_cost=relative_costs(ds, cfg),
        tokens_per_s=(cfg.throughput.batch_size * ds["train_seq_len"] / ds["step_time_s"].median("repeat")).transpose("model", "train_seq_len"),
    )
    mixer = f"ssm_mixer_{cfg.primary_filter}"
    crossovers = {m: crossover_length(median.sel({"method": m}), median.sel({"method": "sdpa"})) for m in (mixer, "gated_conv", "selective", "ssd")}
    ds["crossover_seq_len"] = xr.DataArray([c[0] for c in crossovers.values()], coords={"crossover_method": list(crossovers)}, dims="crossover_method")
    ds["crossover_note"] = xr.DataArray([c[1] for c in crossovers.values()], coords={"crossover_method": list(crossovers)}, dims="crossover_method")
    results = comparison_results(ds, cfg).set_index("comparison")
    ds["comparison_estimate"] = (("comparison", "estimate"), results[list(ESTIMATE)].loc[ds["comparison"].values].to_numpy())
    ds["comparison_result"] = ("comparison", results["result"].loc[ds["comparison"].values].to_numpy().astype(str))
    ds["comparison_blocks"] = ("comparison", results["blocks"].loc[ds["comparison"].values].to_numpy())
    ds = ds.merge(throughput_aim(ds, cfg))
    if "threaded_pair_time_s" in ds:
        ds = ds.merge(threaded_comparisons(ds, cfg))
    ds.attrs.update(primary_filter=cfg.primary_filter, confidence=cfg.pairs.confidence, margin=cfg.pairs.margin,
                    control_tolerance=cfg.pairs.control_tolerance, max_memory_exponent=cfg.targets.max_memory_exponent, target_seq_len=cfg.targets.seq_len,
                    shape=f"B={cfg.batch_size}, d={cfg.d_model}, heads={cfg.n_heads}, state size N={cfg.state_size}")
    return ds


def comparison_table(ds: xr.Dataset) -> pd.DataFrame:
    """The rows of ``comparison_results``, read back from an analysed Dataset."""
    estimate = ds["comparison_estimate"]
    return pd.DataFrame({
        "comparison": ds["comparison"].values, "measures": ds["comparison_description"].values,
        **{name: estimate.sel(estimate=name).values for name in ESTIMATE},
        "blocks": ds["comparison_blocks"].values, "rule": ds["rule"].values, "threshold": ds["threshold"].values,
        "result": ds["comparison_result"].values,
    })


def target_table(ds: xr.Dataset) -> pd.DataFrame:
    """The four targets: the three paired timing ratios and the memory exponent (a deterministic count)."""
    rows = []
    for name in TARGETS[:3]:
        ratio, low, high = ds["comparison_estimate"].sel({"comparison": name}).values
        rows.append({
            "target": name, "measures": str(ds["comparison_description"].sel({"comparison": name}).item()),
            "value": ratio, "ci_low": low, "ci_high": high, "blocks": int(ds["comparison_blocks"].sel({"comparison": name})),
            "rule": f"{ds['rule'].sel({'comparison': name}).item()} {float(ds['threshold'].sel({'comparison': name})):g}",
            "result": str(ds["comparison_result"].sel({"comparison": name}).item()),
        })
    mixer = f"ssm_mixer_{ds.attrs['primary_filter']}"
    exponent = float(ds["memory_exponent"].sel({"method": mixer}))
    threshold = ds.attrs["max_memory_exponent"]
    rows.append({
        "target": "memory_exponent", "measures": "log-log slope of SSM mixer memory against L (upper half of the grid)",
        "value": exponent, "ci_low": math.nan, "ci_high": math.nan, "blocks": 0, "rule": f"< {threshold:g}",
        "result": NOT_MEASURED if not math.isfinite(exponent) else MET if exponent < threshold else MISSED,
    })
    return pd.DataFrame(rows)


def targets_outcome(ds: xr.Dataset) -> str:
    """Our engineering targets, met or missed: counts and the control, one sentence. They are not
    the paper's claim, so they never set the verdict (``efficiency.claim`` does)."""
    control = ds["comparison_estimate"].sel({"comparison": CONTROL}).values
    control_text = f"known-answer control {control[0]:.2f}× [{control[1]:.2f}, {control[2]:.2f}] for 2×"
    if str(ds["comparison_result"].sel({"comparison": CONTROL}).item()) != MET:
        tolerance = ds.attrs["control_tolerance"]
        return (f"No target decided: two passes of the bare FFT against one timed {control[0]:.2f}× [{control[1]:.2f}, {control[2]:.2f}], "
                f"not within a factor {1 + tolerance:g} of the known 2×, so these timings cannot decide anything")
    results = target_table(ds)["result"]
    counts = ", ".join(f"{int((results == r).sum())} {r}" for r in (MISSED, UNDECIDED, NOT_MEASURED) if (results == r).any())
    return f"{int((results == MET).sum())} of {len(results)} targets met" + (f", {counts}" if counts else "") + f" ({control_text})"


def control_passed(ds: xr.Dataset) -> bool:
    return str(ds["comparison_result"].sel({"comparison": CONTROL}).item()) == MET


def clean(value: Any) -> Any:
    return None if value is None or (isinstance(value, float) and not math.isfinite(value)) else round(float(value), 4)


def details(ds: xr.Dataset) -> dict[str, Any]:
    """Everything behind the headline numbers, for ``details.json``."""
    targets = target_table(ds).set_index("target")
    return {
        "targets": {name: {k: (clean(v) if isinstance(v, (float, np.floating)) else v) for k, v in row.items()} for name, row in targets.iterrows()},
        "ssd_aims": {row["aim"]: {k: (clean(v) if isinstance(v, (float, np.floating)) else v) for k, v in row.items() if k != "aim"}
                     for _, row in aims_table(ds).iterrows()},
        "comparisons": {str(c): {"ratio": clean(e[0]), "ci_low": clean(e[1]), "ci_high": clean(e[2]),
                                 "blocks": int(ds["comparison_blocks"].sel({"comparison": c})),
                                 "result": str(ds["comparison_result"].sel({"comparison": c}).item())}
                        for c, e in zip(ds["comparison"].values, ds["comparison_estimate"].values)},
        "time_exponent": {str(m): [clean(v) for v in row] for m, row in zip(ds["method"].values, ds["time_exponent"].values)},
        "memory_exponent": {str(m): clean(v) for m, v in ds["memory_exponent"].to_series().items()},
        "relative_cost": {f"{p} @ L={int(L)}": [clean(v) for v in ds["relative_cost"].sel({"pair_name": p, "seq_len": L}).values]
                          for p in ds["pair_name"].values for L in ds["seq_len"].values},
        "crossover_seq_len": {str(m): clean(v) for m, v in ds["crossover_seq_len"].to_series().items()},
        "tokens_per_s": {f"{m} @ L={L}": clean(v) for (m, L), v in ds["tokens_per_s"].to_series().items()},
        "comparisons_at_other_threads": {
            f"{c} @ {int(t)} threads": {"ratio": clean(e[0]), "ci_low": clean(e[1]), "ci_high": clean(e[2]),
                                        "result": str(ds["threaded_result"].sel({"paired_threads": t, "comparison": c}).item())}
            for t in ds["paired_threads"].values
            for c, e in zip(ds["comparison"].values, ds["threaded_estimate"].sel({"paired_threads": t}).values)
        } if "threaded_estimate" in ds else {},
        "machine": {k: np.asarray(ds.attrs[k]).item() for k in ("platform", "cpu_count", "torch_threads", "torch_version", "device_name", "dtype", "sdpa_backend")},
    }


def write_plot_data(ds: xr.Dataset, path: str | Path) -> None:
    """Median seconds per pass, one column per method and one row per length, for ``dvc plots``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    ds["time_median"].transpose("seq_len", "method").to_pandas().to_csv(path, float_format="%.6g")
