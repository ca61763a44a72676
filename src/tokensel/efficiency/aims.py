"""The Mamba-2 (SSD) mixer's aims: two paired timing ratios and a paired training-throughput ratio.

They stand beside the paper's targets, not in its verdict: whether the SSD form makes the
input-dependent SSM cheap enough to run in every grid is a question about this repository's
models, not about the paper's claim.
"""

from __future__ import annotations

import pandas as pd
import xarray as xr

from tokensel.core.stats import paired_ratio
from tokensel.efficiency.comparison import Comparison, decide
from tokensel.efficiency.config import EfficiencyConfig
from tokensel.efficiency.names import method_name, model_names

TIMING_AIMS = ("ssd_vs_ssm", "sdpa_vs_ssd")


def ssd_aim_comparisons(cfg: EfficiencyConfig) -> list[Comparison]:
    """The two timing aims, measured with the targets' alternating pairs."""
    aims, mixer = cfg.ssd_aims, f"ssm_mixer_{cfg.primary_filter}"
    return [
        Comparison(TIMING_AIMS[0], f"{method_name('ssd')} time / SSM mixer time at L={aims.seq_len}", ("ssd", 1), (mixer, 1),
                   aims.seq_len, "<=", aims.max_ratio_vs_ssm),
        Comparison(TIMING_AIMS[1], f"SDPA time / {method_name('ssd')} time at L={aims.sdpa_seq_len}", ("sdpa", 1), ("ssd", 1),
                   aims.sdpa_seq_len, ">=", 1.0),
    ]


def throughput_aim(ds: xr.Dataset, cfg: EfficiencyConfig) -> xr.Dataset:
    """Training tokens/s of the ssd model over the selective model's at ``ssd_aims.throughput_seq_len``,
    paired by throughput round (the step-time ratio selective / ssd), with its interval and result."""
    aims = cfg.ssd_aims
    steps = ds["step_time_s"].sel(train_seq_len=aims.throughput_seq_len)
    estimate = paired_ratio(steps.sel({"model": aims.selective_model}).values, steps.sel({"model": aims.ssd_model}).values, cfg.pairs.confidence)
    rule = Comparison("ssd_throughput", "", ("", 1), ("", 1), aims.throughput_seq_len, ">=", aims.min_throughput_vs_selective)
    names = model_names(ds)
    description = (f"training tokens/s of {names[aims.ssd_model]} / {names[aims.selective_model]} at L={aims.throughput_seq_len} "
                   f"({estimate.n} rounds)")
    return xr.Dataset({
        "ssd_throughput_estimate": ("estimate", [estimate.ratio, estimate.ci_low, estimate.ci_high]),
        "ssd_throughput_result": decide(estimate, rule, cfg.pairs.control_tolerance, cfg.pairs.margin),
        "ssd_throughput_description": description,
        "ssd_throughput_threshold": aims.min_throughput_vs_selective,
    })


def aims_table(ds: xr.Dataset) -> pd.DataFrame:
    """The three aims: what is measured, the ratio with its interval, the rule and the result."""
    rows = []
    for name in TIMING_AIMS:
        ratio, low, high = ds["comparison_estimate"].sel({"comparison": name}).values
        rows.append({"aim": name, "measures": str(ds["comparison_description"].sel({"comparison": name}).item()),
                     "ratio": ratio, "ci_low": low, "ci_high": high,
                     "rule": f"{ds['rule'].sel({'comparison': name}).item()} {float(ds['threshold'].sel({'comparison': name})):g}",
                     "result": str(ds["comparison_result"].sel({"comparison": name}).item())})
    ratio, low, high = ds["ssd_throughput_estimate"].values
    rows.append({"aim": "ssd_throughput", "measures": str(ds["ssd_throughput_description"].item()),
                 "ratio": ratio, "ci_low": low, "ci_high": high, "rule": f">= {float(ds['ssd_throughput_threshold']):g}",
                 "result": str(ds["ssd_throughput_result"].item())})
    return pd.DataFrame(rows)
