"""The controls every attribution verdict must pass, per dataset, family and method.

* **Known answer vs shuffled labels.** The known-answer motif model (its output depends on the
  motif bases only) against the family trained on shuffled labels: a method that cannot tell a
  model that uses exactly the motif from one that learned nothing cannot decide anything.
* **Parameter randomisation** (Adebayo et al. 2018, arXiv 1810.03292): the trained family against
  the same network with its random initial weights. A method whose map of the trained model is no
  closer to the motif than its map of an untrained one shows the architecture, not what was learned.

Each compares two samples of per-input measures with a percentile bootstrap of the difference of
means; it separates when the lower bound clears ``min_separation``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from tokensel.core.stats import bootstrap_difference
from tokensel.genomic.config import VerdictSettings
from tokensel.genomic.results import METHOD_TITLES, dataset_title, one_dataset
from tokensel.genomic.stage import RANDOMISED, SHUFFLED, TRAINED

# Measure -> (variable, better direction of the known-answer model over the shuffled-label model)
SEPARATIONS = {"motif AUROC": ("motif_auroc", 1), "importance on moved motif": ("follow_moved", 1), "mass fraction 50 %": ("mass_fraction_50", -1)}
# The randomisation control asks whether the map depends on what the model learned; sparsity is
# not part of that question (a random network's importance can be as peaked as a trained one's).
RANDOMISATION = {title: SEPARATIONS[title] for title in ("motif AUROC", "importance on moved motif")}


def _separation(title: str, reference: np.ndarray, control: np.ndarray, sign: int, settings: VerdictSettings) -> dict:
    diff, lo, hi = bootstrap_difference(sign * reference, sign * control, settings.n_boot, settings.ci)
    return {
        "measure": title, "reference": float(np.nanmean(reference)), "control": float(np.nanmean(control)),
        "separation": diff, "low": lo, "high": hi, "separates": bool(lo > settings.min_separation),
    }


def control_separation(results: xr.Dataset, dataset: str, model: str, method: str, settings: VerdictSettings) -> pd.DataFrame:
    """Known-answer motif model minus the model's shuffled-label runs, per measure."""
    ds = one_dataset(results, dataset).sel({"method": method})
    rows = [
        _separation(title, ds[f"known_{variable}"].values.ravel(), ds[variable].sel(model=model, control=SHUFFLED).values.ravel(), sign, settings)
        for title, (variable, sign) in SEPARATIONS.items()
    ]
    return pd.DataFrame(rows).rename(columns={"reference": "known answer", "control": "shuffled labels"})


def randomisation_separation(results: xr.Dataset, dataset: str, model: str, method: str, settings: VerdictSettings) -> pd.DataFrame:
    """The parameter-randomisation test (Adebayo et al. 2018): the trained model's runs minus the
    same architecture with random weights, on the motif measures. A method whose map of the
    trained model is no closer to the motif than its map of an untrained one explains the
    architecture, not what was learned."""
    ds = one_dataset(results, dataset).sel({"method": method, "model": model})
    rows = [
        _separation(title, ds[variable].sel(control=TRAINED).values.ravel(), ds[variable].sel(control=RANDOMISED).values.ravel(), sign, settings)
        for title, (variable, sign) in RANDOMISATION.items()
    ]
    return pd.DataFrame(rows).rename(columns={"reference": "trained", "control": "random weights"})


def controls_table(results: xr.Dataset, settings: VerdictSettings) -> pd.DataFrame:
    """Per dataset, method and measure: the known-answer value, each family's shuffled-label value,
    and whether their difference clears the margin (``control_separation``) for that family."""
    rows = []
    for dataset in results["dataset"].values:
        for method in results["method"].values:
            frames = {str(m): control_separation(results, str(dataset), str(m), str(method), settings).set_index("measure") for m in results["model"].values}
            for measure in SEPARATIONS:
                row = {"dataset": dataset_title(str(dataset)), "method": METHOD_TITLES.get(str(method), str(method)), "measure": measure}
                row["known answer"] = next(iter(frames.values())).loc[measure, "known answer"]
                for model, frame in frames.items():
                    mark = "" if frame.loc[measure, "separates"] else " (does not separate)"
                    row[f"{model}, shuffled labels"] = f"{frame.loc[measure, 'shuffled labels']:.3f}{mark}"
                rows.append(row)
    return pd.DataFrame(rows)


def randomisation_table(results: xr.Dataset, settings: VerdictSettings) -> pd.DataFrame:
    """Per dataset, method and family: each motif measure of the trained runs and of the same
    network with random weights, marked where their difference does not clear the margin."""
    rows = []
    for dataset in results["dataset"].values:
        for method in results["method"].values:
            for model in results["model"].values:
                frame = randomisation_separation(results, str(dataset), str(model), str(method), settings).set_index("measure")
                row = {"dataset": dataset_title(str(dataset)), "method": METHOD_TITLES[str(method)], "model": str(model)}
                for measure in RANDOMISATION:
                    mark = "" if frame.loc[measure, "separates"] else " (does not separate)"
                    row[f"{measure}, trained"] = frame.loc[measure, "trained"]
                    row[f"{measure}, random weights"] = f"{frame.loc[measure, 'random weights']:.3f}{mark}"
                rows.append(row)
    return pd.DataFrame(rows)
