"""The results table at the top of the genomic page, read from its metrics (the verdict lives in
``analysis``; this module only presents it)."""

from __future__ import annotations

import numpy as np
import xarray as xr

from tokensel.core import verdicts
from tokensel.present.results import NOT_PUBLIC, ClaimResult, ResultsSummary
from tokensel.nn.families import readable_names

CLAIM = ("On real DNA the tokens that decide the output are few and depend on the input (Section 7): importance is sparse "
         "and follows the motif when it moves")


def _where(cases: dict, names: dict[str, str], test) -> str:
    found = []
    for case, values in cases.items():
        dataset, _, model = case.partition("/")
        if isinstance(values, dict) and test(values.get("outcome")):
            found.append(f"{names.get(model, model)} on {dataset.replace('_', ' ')}")
    return "; ".join(found) or "none"


def results_summary(metrics: dict, results: xr.Dataset, seeds: int) -> ResultsSummary:
    seconds = sum(float(np.nansum(results[name].values)) for name in results.data_vars if name.endswith("seconds"))
    cases = metrics.get("cases", {})
    names = readable_names(results["model"].values, results["model_spec"].values) if "model_spec" in results else {}
    return ResultsSummary(
        rows=(ClaimResult(CLAIM, f"{NOT_PUBLIC}: the paper's genomic numbers, data splits and settings",
                          f"{seeds} seeds per family and dataset; {metrics['claim']}", metrics["verdict"]),),
        setup=("A planted motif-order task that no k-mer count solves and the janggu Oct4/MafK peaks; each family trained on "
               "every seed and on shuffled labels, importance by in-silico mutagenesis and gradient methods."),
        easy=f"Cases where the claim held: {_where(cases, names, lambda outcome: outcome == verdicts.REPRODUCED)}.",
        hard=f"Cases where it did not, or could not be decided: {_where(cases, names, lambda outcome: outcome != verdicts.REPRODUCED)}.",
        compute=f"{seconds / 60:.1f} CPU-minutes of training and attribution (2 shared CPU cores).",
    )
