"""From the benchmark sweep to numbers: scaling exponents, the crossover length, targets and metrics."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pandas as pd
import xarray as xr

from tokensel.core import verdicts
from tokensel.core.stats import loglog_slope
from tokensel.efficiency.config import EfficiencyConfig
from tokensel.nn.filters import FILTERS


def scaling_exponents(values: xr.DataArray) -> xr.DataArray:
    """Per-method slope over the upper half of the length grid (where asymptotic terms dominate).

    The middle point of an odd grid is included, so any grid of two or more lengths has a fit.
    """
    lengths = values["seq_len"].values
    upper = values.sel(seq_len=lengths[(len(lengths) - 1) // 2 :])
    slopes = [loglog_slope(upper["seq_len"].values, upper.sel({"method": m}).values) for m in values["method"].values]
    return xr.DataArray(slopes, coords={"method": values["method"].values}, dims="method")


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
        return float(lengths[0]), f"the SSM is faster at every measured length (from L={int(lengths[0])})"
    i = slower[-1]
    fraction = log_ratio[i] / (log_ratio[i] - log_ratio[i + 1])
    crossover = float(np.exp(np.log(lengths[i]) + fraction * (np.log(lengths[i + 1]) - np.log(lengths[i]))))
    return crossover, f"interpolated between L={int(lengths[i])} and L={int(lengths[i + 1])}"


def _at(ds: xr.Dataset, method: str, length: int) -> float:
    if length not in ds["seq_len"].values:
        return math.nan
    return float(ds["time_s"].sel({"method": method, "seq_len": length, "stat": "median"}))


def targets(ds: xr.Dataset, cfg: EfficiencyConfig) -> xr.Dataset:
    """The four targets: measured value, threshold, rule and whether it is met (NaN: not measured)."""
    mixer = f"ssm_mixer_{cfg.primary_filter}"
    L, share_L = cfg.target_seq_len, cfg.share_seq_len
    rows = [
        ("speedup_vs_sdpa", f"SDPA time / SSM mixer time at L={L}", _at(ds, "sdpa", L) / _at(ds, mixer, L), ">=", cfg.min_speedup_vs_sdpa),
        ("ratio_vs_fft_floor", f"SSM mixer time / FFT floor time at L={L}", _at(ds, mixer, L) / _at(ds, "fft_floor", L), "<=", cfg.max_ratio_vs_fft_floor),
        ("filter_share", f"filter generation / SSM mixer time at L={share_L}", _at(ds, f"filter_{cfg.primary_filter}", share_L) / _at(ds, mixer, share_L), "<=", cfg.max_filter_share),
        ("memory_exponent", "log-log slope of SSM mixer memory vs L (upper half of grid)", float(ds["memory_exponent"].sel({"method": mixer})), "<", cfg.max_memory_exponent),
    ]
    compare = {">=": np.greater_equal, "<=": np.less_equal, "<": np.less}
    met = [float(compare[rule](value, threshold)) if np.isfinite(value) else math.nan for _, _, value, rule, threshold in rows]
    return xr.Dataset(
        {
            "target_value": ("target", [r[2] for r in rows]),
            "target_threshold": ("target", [r[4] for r in rows]),
            "target_met": ("target", met),
        },
        coords={"target": [r[0] for r in rows], "target_rule": ("target", [r[3] for r in rows]), "target_description": ("target", [r[1] for r in rows])},
    )


def analyse(ds: xr.Dataset, cfg: EfficiencyConfig) -> xr.Dataset:
    """Add scaling exponents, the SSM/SDPA crossover, filter shares and the targets to ``ds``."""
    median = ds["time_s"].sel(stat="median", drop=True)
    ds = ds.assign(time_exponent=scaling_exponents(median), memory_exponent=scaling_exponents(ds["memory_bytes"]))
    ds["filter_share"] = xr.DataArray(
        [(median.sel({"method": f"filter_{f}"}) / median.sel({"method": f"ssm_mixer_{f}"})).values for f in FILTERS],
        coords={"filter": list(FILTERS), "seq_len": ds["seq_len"].values}, dims=("filter", "seq_len"),
    )
    crossover, note = crossover_length(median.sel({"method": f"ssm_mixer_{cfg.primary_filter}"}), median.sel({"method": "sdpa"}))
    ds.attrs.update(crossover_seq_len=crossover, crossover_note=note, primary_filter=cfg.primary_filter,
                    shape=f"B={cfg.batch_size}, d={cfg.d_model}, heads={cfg.n_heads}, state_size={cfg.state_size}")
    return ds.merge(targets(ds, cfg))


def summary(ds: xr.Dataset) -> dict[str, Any]:
    """Targets and headline numbers as plain JSON values, with a one-line ``claim``."""
    clean = lambda v: None if v is None or not np.isfinite(v) else round(float(v), 4)  # noqa: E731
    rows = {
        str(t): {
            "description": str(ds["target_description"].sel(target=t).item()),
            "value": clean(float(ds["target_value"].sel(target=t))),
            "rule": str(ds["target_rule"].sel(target=t).item()),
            "target": float(ds["target_threshold"].sel(target=t)),
            "met": None if np.isnan(m := float(ds["target_met"].sel(target=t))) else bool(m),
        }
        for t in ds["target"].values
    }
    measured = [r for r in rows.values() if r["met"] is not None]
    claim = f"{sum(r['met'] for r in measured)} of {len(rows)} targets met"
    if len(measured) < len(rows):
        claim += f" ({len(rows) - len(measured)} not measured)"
    parts = [verdicts.REPRODUCED if r["met"] else verdicts.NOT_REPRODUCED for r in measured]
    return {
        **verdicts.summary(verdicts.combine(parts or [verdicts.UNDECIDED]), claim),
        "targets": rows,
        "crossover_seq_len": clean(ds.attrs["crossover_seq_len"]),
        "crossover_note": ds.attrs["crossover_note"],
        "time_exponent": {str(m): clean(v) for m, v in ds["time_exponent"].to_series().items()},
        "memory_exponent": {str(m): clean(v) for m, v in ds["memory_exponent"].to_series().items()},
        "tokens_per_s": {f"{m}/L={L}": clean(v) for (m, L), v in ds["tokens_per_s"].to_series().items()},
        "machine": {k: np.asarray(ds.attrs[k]).item() for k in ("platform", "cpu_count", "torch_threads", "torch_version", "device_name", "dtype", "sdpa_backend")},
    }


RESULT_WORDS = {True: "pass", False: "miss", None: "not measured"}
_TARGET_WORDS = {  # heading, number format, unit
    "speedup_vs_sdpa": ("Speed against attention", ".2f", "x"),
    "ratio_vs_fft_floor": ("Overhead over the bare FFT", ".2f", "x"),
    "filter_share": ("Filter generation", ".1%", ""),
    "memory_exponent": ("Memory growth", ".2f", ""),
}


def write_metrics(ds: xr.Dataset, path: str | Path) -> dict[str, Any]:
    """``metrics.json`` for ``dvc metrics``: ``summary(ds)`` written with sorted keys."""
    metrics = summary(ds)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(metrics, indent=2, sort_keys=True) + "\n")
    return metrics


def target_table(metrics: Mapping[str, Any]) -> pd.DataFrame:
    """One row per target: what is measured, the value, the rule and pass / miss / not measured."""
    return pd.DataFrame(
        [
            {"target": name, "measures": row["description"], "value": row["value"],
             "rule": f"{row['rule']} {row['target']:g}", "result": RESULT_WORDS[row["met"]]}
            for name, row in metrics["targets"].items()
        ]
    ).set_index("target")


def verdict_lines(metrics: Mapping[str, Any]) -> list[str]:
    """The verdict in words, every number taken from ``metrics``."""
    number = lambda v, fmt: "not measured" if v is None else format(v, fmt)  # noqa: E731
    lines = [f"**{metrics['claim']}.**"]
    for name, row in metrics["targets"].items():
        heading, fmt, unit = _TARGET_WORDS[name]
        lines.append(
            f"- {heading}: {row['description']} = {number(row['value'], fmt)}{unit} "
            f"(target {row['rule']} {format(row['target'], fmt)}{unit}): {RESULT_WORDS[row['met']]}."
        )
    exponents = metrics["memory_exponent"]
    lines.append(
        f"- For comparison, the memory exponents of SDPA and naive attention are "
        f"{number(exponents.get('sdpa'), '.2f')} and {number(exponents.get('naive_attention'), '.2f')}."
    )
    crossover = metrics["crossover_seq_len"]
    lines.append(
        f"- Crossover: the SSM mixer is faster than SDPA from L ≈ {crossover:.0f} ({metrics['crossover_note']})."
        if crossover is not None else f"- Crossover: none measured ({metrics['crossover_note']})."
    )
    return lines
