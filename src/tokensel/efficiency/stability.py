"""Do the target verdicts survive a rerun? Measure the paired comparisons several times in a row on
one machine and check that every comparison gets the same result each time.

    python -m tokensel.efficiency.stability params.yaml --runs 3

prints one line per run and comparison and exits with status 1 if any result differs between runs
(``make efficiency-stability`` runs it on ``params.yaml``). Only the paired comparisons are
measured: the memory target is a deterministic count.
"""

from __future__ import annotations

import argparse
import sys

import pandas as pd

from tokensel.efficiency import config as efficiency_config
from tokensel.efficiency.analysis import comparison_results
from tokensel.efficiency.stage import measure_comparisons, torch_threads


def repeated_results(cfg: efficiency_config.EfficiencyConfig, runs: int) -> pd.DataFrame:
    """``analysis.comparison_results`` of ``runs`` consecutive measurements, with a ``run`` column."""
    frames = []
    for run in range(runs):
        with torch_threads(cfg.threads):
            pairs = measure_comparisons(cfg, skipped=set())
        frames.append(comparison_results(pairs, cfg).assign(run=run))
    return pd.concat(frames, ignore_index=True)


def disagreements(results: pd.DataFrame) -> list[str]:
    """The comparisons whose result is not the same in every run."""
    varying = results.groupby("comparison")["result"].nunique()
    return sorted(varying[varying > 1].index)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("params_file", nargs="?", default="params.yaml")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    results = repeated_results(efficiency_config.load(args.params_file), args.runs)
    for row in results.itertuples():
        print(f"run {row.run}  {row.comparison:<24} {row.ratio:8.3f} [{row.ci_low:.3f}, {row.ci_high:.3f}]  "
              f"{row.blocks:2d} blocks  {row.rule} {row.threshold:g}: {row.result}")
    varying = disagreements(results)
    print(f"results differ between runs for: {', '.join(varying)}" if varying else f"the same results in all {args.runs} runs")
    return 1 if varying else 0


if __name__ == "__main__":
    sys.exit(main())
