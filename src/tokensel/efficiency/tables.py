"""The report page's tables and set-up text, every number read from the analysed Dataset."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import xarray as xr

from tokensel.present.tables import significant
from tokensel.efficiency.aims import aims_table
from tokensel.efficiency.analysis import CONTROL, comparison_table, relative_members, target_table
from tokensel.efficiency.config import EfficiencyConfig
from tokensel.efficiency.names import FILTER_NAMES, GROUP_TITLES, method_name, model_names, ratio_name, target_name


def _interval(low: float, high: float) -> str:
    return f"[{significant(low)}, {significant(high)}]" if np.isfinite(low) and np.isfinite(high) else "–"


def setup_text(ds: xr.Dataset, cfg: EfficiencyConfig) -> str:
    mixers = json.loads(ds.attrs["config"])
    return (
        f"- Machine: {ds.attrs['platform']}; CPU {ds.attrs['cpu']} ({ds.attrs['cpu_count']} logical cores); "
        f"device {ds.attrs['device']} ({ds.attrs['device_name']}); torch {ds.attrs['torch_version']} "
        f"with {ds.attrs['torch_threads']} thread{'' if ds.attrs['torch_threads'] == 1 else 's'}.\n"
        f"- dtype {ds.attrs['dtype']}; SDPA kernel that ran: {ds.attrs['sdpa_backend']} "
        "(read from the output's autograd node, not assumed).\n"
        f"- Shape: {ds.attrs['shape']}; SSM filter of the blocks and targets: {FILTER_NAMES[ds.attrs['primary_filter']]}.\n"
        f"- Input-dependent mixers: " + "; ".join(f"{method_name(m)} {_options(mixers[m])}" for m in ("gated_conv", "selective", "ssd")) + ".\n"
        f"- Memory: {ds.attrs['memory_measure']}.\n"
        f"- Sweep: per length, {cfg.warmup} warm-up pass(es) per method, then {cfg.repeats} rounds timing every "
        f"method once; budget {cfg.max_call_seconds:g} s per pass (CPU seconds on a CPU, so machine load does not "
        f"change which points run) and {cfg.max_memory_gb:g} GiB per point.\n"
        f"- Targets: pairs of alternating passes, one pair of each comparison per round, {cfg.pairs.blocks} blocks of "
        f"{cfg.pairs.pairs_per_block} rounds; {cfg.pairs.confidence:.0%} t intervals over the block medians of the log ratio; "
        f"decided only when clear of the target by a factor {1 + cfg.pairs.margin:g}; control tolerance a factor "
        f"{1 + cfg.pairs.control_tolerance:g}."
    )


def _options(options: dict) -> str:
    """Set options in words ("state size 16", "gated yes", "filter S4D"); unset ones left out."""
    def shown(key: str, value) -> str:
        if isinstance(value, bool):
            return "yes" if value else "no"
        return FILTER_NAMES.get(value, value) if key == "filter" else str(value)
    return "(" + ", ".join(f"{k.replace('_', ' ')} {shown(k, v)}" for k, v in options.items() if v is not None) + ")"


def readable_targets(ds: xr.Dataset) -> pd.DataFrame:
    """The control and the four targets: what is measured, the value with its interval, the rule, the result."""
    control = comparison_table(ds).set_index("comparison").loc[CONTROL]
    rows = [{"target": "known-answer control", "measures": control["measures"], "value": control["ratio"],
             "interval": _interval(control["ci_low"], control["ci_high"]), "blocks": control["blocks"],
             "rule": f"≈ {control['threshold']:g} (within a factor {1 + ds.attrs['control_tolerance']:g})", "result": control["result"]}]
    for row in target_table(ds).itertuples():
        rows.append({"target": target_name(row.target), "measures": row.measures, "value": row.value,
                     "interval": _interval(row.ci_low, row.ci_high), "blocks": row.blocks or "–", "rule": row.rule, "result": row.result})
    return pd.DataFrame(rows)


def readable_aims(ds: xr.Dataset) -> pd.DataFrame:
    """The ssd mixer's aims: what is measured, the ratio with its interval, the rule, the result."""
    aims = aims_table(ds)
    return pd.DataFrame({"aim": aims["aim"].map(target_name), "measures": aims["measures"], "ratio": aims["ratio"],
                         "interval": [_interval(lo, hi) for lo, hi in zip(aims["ci_low"], aims["ci_high"])],
                         "rule": aims["rule"], "result": aims["result"]})


def thread_table(ds: xr.Dataset) -> pd.DataFrame:
    """Every paired comparison at the main thread count and at each of ``paired_threads``: the
    ratio with its interval and its result, one column per thread count."""
    def cell(estimate: np.ndarray, result: str) -> str:
        ratio, low, high = estimate
        return f"{significant(ratio)} {_interval(low, high)}: {result}" if np.isfinite(ratio) else result

    def heading(threads: int) -> str:
        return f"{threads} thread{'' if threads == 1 else 's'}"

    frame = pd.DataFrame({"comparison": [target_name(c) for c in ds["comparison"].values], "measures": ds["comparison_description"].values})
    frame[heading(int(ds.attrs["torch_threads"]))] = [cell(e, r) for e, r in zip(ds["comparison_estimate"].values, ds["comparison_result"].values)]
    for threads in ds["paired_threads"].values:
        at = ds.sel(paired_threads=threads)
        frame[heading(int(threads))] = [cell(e, r) for e, r in zip(at["threaded_estimate"].values, at["threaded_result"].values)]
    return frame


def exponent_table(ds: xr.Dataset) -> pd.DataFrame:
    """Per method: the time exponent with its interval and the memory exponent."""
    time = ds["time_exponent"]
    return pd.DataFrame({
        "method": [method_name(m) for m in ds["method"].values], "group": [GROUP_TITLES[g] for g in ds["group"].values],
        "time exponent": time.sel(estimate="ratio").values,
        "interval": [_interval(lo, hi) for lo, hi in zip(time.sel(estimate="ci_low").values, time.sel(estimate="ci_high").values)],
        "memory exponent": ds["memory_exponent"].values,
    })


def relative_table(ds: xr.Dataset) -> pd.DataFrame:
    """The input-dependent mixers' relative costs, one row per ratio and one column per length:
    the ratio with its interval."""
    cost = ds["relative_cost"]
    rows = []
    for name in ds["pair_name"].values:
        row = {"ratio": ratio_name(*relative_members(name, ds.attrs["primary_filter"]))}
        for length in ds["seq_len"].values:
            ratio, low, high = cost.sel({"pair_name": name, "seq_len": length}).values
            row[f"L = {int(length):,}"] = f"{significant(ratio)} {_interval(low, high)}" if np.isfinite(ratio) else "–"
        rows.append(row)
    return pd.DataFrame(rows)


def crossover_table(ds: xr.Dataset) -> pd.DataFrame:
    return pd.DataFrame({
        "mixer": [method_name(m) for m in ds["crossover_method"].values],
        "faster than SDPA from L": ds["crossover_seq_len"].values,
        "note": ds["crossover_note"].values,
    })


def throughput_table(ds: xr.Dataset) -> pd.DataFrame:
    frame = ds["tokens_per_s"].to_pandas().rename(index=model_names(ds))
    frame.columns = [f"L = {L:,}" for L in frame.columns]
    return frame.rename_axis("model").reset_index()


def median_table(ds: xr.Dataset) -> pd.DataFrame:
    frame = (ds["time_median"] * 1e3).drop_vars("group").to_pandas().rename(index=method_name)
    frame.columns = [f"L = {L:,}" for L in frame.columns]
    return frame.reset_index()


def skipped_text(ds: xr.Dataset) -> str:
    skipped = ds["skip_reason"].to_series()
    first = skipped[skipped != ""].groupby(level="method").first()
    if first.empty:
        return "Every point on the grid was measured."
    return "\n".join(f"- {method_name(method)}: {reason}." for method, reason in first.items())
