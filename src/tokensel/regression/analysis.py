"""From combined regression runs to numbers: validation selection, slopes, the gap, the verdict.

Theorem 4.6 bounds the excess risk of ERM by n^{-2a/(2a+1)} up to poly-log factors (a = a-dagger);
we compare the fitted log-log slope of the test excess risk against that exponent. The slope is
fitted on the seed-mean risk, with a percentile interval from resampling seeds
(``tokensel.core.stats.fit_loglog_slope``).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from tokensel.core import verdicts
from tokensel.core.stats import fit_loglog_slope
from tokensel.nn.families import SSM1_FNN, SSM2_FNN, TRANSFORMER, model_families
from tokensel.regression.config import ORDERS, RegressionExperiment
from tokensel.regression.smooth import a_dagger, predicted_exponent

FASTER, CONSISTENT, SLOWER = "faster than predicted", "consistent with the prediction", "slower than predicted"


def select_by_validation(ds: xr.Dataset) -> xr.Dataset:
    """Per (model, seed, order, n_train): the (lr, stopping step) with the lowest validation risk.

    Returns ``test_risk``, ``val_risk``, ``best_lr`` and ``best_step``; cells that were not run
    stay NaN. The test split is never looked at when choosing.
    """
    val = ds["val_risk"]
    ran = val.notnull().any(["lr", "eval_step"])
    idx = val.fillna(np.inf).argmin(dim=["lr", "eval_step"])
    chosen = ds[["test_risk", "val_risk"]].isel(idx).drop_vars(["lr", "eval_step"])
    chosen["best_lr"] = ds["lr"].isel(lr=idx["lr"]).drop_vars("lr")
    chosen["best_step"] = ds["eval_step"].isel(eval_step=idx["eval_step"]).drop_vars("eval_step")
    return chosen.where(ran)


def select_width(ds: xr.Dataset) -> xr.Dataset:
    """Width sweep per (model, seed, width): test risk at the validation-chosen stopping step."""
    val = ds["width_val_risk"]
    ran = val.notnull().any("eval_step")
    idx = val.fillna(np.inf).argmin("eval_step")
    chosen = ds[["width_test_risk", "width_val_risk"]].isel(eval_step=idx).drop_vars("eval_step")
    chosen["width_n_params"] = ds["width_n_params"]
    return chosen.where(ran).dropna("model", how="all", subset=["width_test_risk"])


def rate_status(slope: float, ci_low: float, ci_high: float, predicted: float) -> str:
    """Where ``predicted`` falls against the slope's interval (the point slope when there is none)."""
    lo, hi = (slope, slope) if np.isnan(ci_low) else (ci_low, ci_high)
    if hi < predicted:
        return FASTER
    if lo > predicted:
        return SLOWER
    return CONSISTENT


def slope_table(selected: xr.Dataset, experiment: RegressionExperiment) -> pd.DataFrame:
    """One row per (model, order) that ran: fitted slope with CI beside -2a/(2a+1), over the fit range."""
    families = model_families(selected["model"].values, selected["model_spec"].values)
    predicted = predicted_exponent(experiment.task)
    sizes = list(experiment.fit_sizes)
    analysis = experiment.analysis
    rows = []
    for model in selected["model"].values:
        for order in ORDERS:
            risk = selected["test_risk"].sel(model=model, order=order, n_train=sizes).transpose("n_train", "seed")
            if risk.isnull().any():
                continue
            fit = fit_loglog_slope(np.asarray(sizes), risk.values, n_boot=analysis.n_boot, ci=analysis.ci)
            rows.append(
                {
                    "model": str(model),
                    "family": families[str(model)],
                    "order": order,
                    "slope": fit.slope,
                    "ci_low": fit.ci_low,
                    "ci_high": fit.ci_high,
                    "intercept": fit.intercept,
                    "predicted": predicted,
                    "status": rate_status(fit.slope, fit.ci_low, fit.ci_high, predicted),
                    "n_min": sizes[0],
                    "n_max": sizes[-1],
                    "n_seeds": int(risk.sizes["seed"]),
                    "risk_at_n_max": float(risk.isel(n_train=-1).mean()),
                }
            )
    return pd.DataFrame(rows)


def approximation_table(width: xr.Dataset) -> pd.DataFrame:
    """Slope of log test risk against log parameter count per width-swept model (seed bootstrap)."""
    rows = []
    for model in width["model"].values:
        cell = width.sel(model=model)
        n_params = cell["width_n_params"].isel(seed=0).values
        fit = fit_loglog_slope(n_params, cell["width_test_risk"].transpose("width", "seed").values)
        rows.append({"model": str(model), "slope": fit.slope, "ci_low": fit.ci_low, "ci_high": fit.ci_high})
    return pd.DataFrame(rows)


def _first_of_family(models: list[str], families: dict[str, str], family: str) -> str | None:
    return next((m for m in models if families[m] == family), None)


def gap_table(selected: xr.Dataset, experiment: RegressionExperiment) -> pd.DataFrame:
    """Seed-mean risk of the one- and two-layer SSM+FNN control models per order and n, and their ratio."""
    families = model_families(selected["model"].values, selected["model_spec"].values)
    controls = list(experiment.fixed_order.models)
    one = _first_of_family(controls, families, SSM1_FNN)
    two = _first_of_family(controls, families, SSM2_FNN)
    if one is None or two is None:
        return pd.DataFrame(columns=["order", "n_train", "one_layer", "two_layer", "ratio"])
    mean = selected["test_risk"].mean("seed")
    frame = pd.DataFrame(
        {
            "one_layer": mean.sel(model=one).to_series(),
            "two_layer": mean.sel(model=two).to_series(),
        }
    ).reset_index()
    frame["ratio"] = frame["one_layer"] / frame["two_layer"]
    frame.attrs.update(one_layer_model=one, two_layer_model=two)
    return frame


def _first_row(table: pd.DataFrame, family: str) -> pd.Series | None:
    rows = table[table["family"] == family] if len(table) else table
    return rows.iloc[0] if len(rows) else None


@dataclass(frozen=True)
class RegressionVerdict:
    """The report's conclusions, each computed from the tables (``None`` = not assessable)."""

    predicted: float
    two_layer_status: str | None
    same_rate_as_transformer: bool | None
    slope_difference: float | None
    gap_dynamic: float | None
    gap_fixed: float | None
    gap_only_when_dynamic: bool | None

    @property
    def verdict(self) -> str:
        if self.same_rate_as_transformer is None or self.two_layer_status is None:
            return verdicts.UNDECIDED
        if not self.same_rate_as_transformer:
            return verdicts.NOT_REPRODUCED
        return verdicts.REPRODUCED if self.two_layer_status == CONSISTENT else verdicts.PARTIALLY_REPRODUCED

    @property
    def claim(self) -> str:
        """One line for the index page: does SSM+FNN reach the Transformer's rate, and the theorem's?"""
        if self.same_rate_as_transformer is None or self.two_layer_status is None:
            return "not assessed (the grid lacks a two-layer SSM+FNN or a Transformer)"
        if not self.same_rate_as_transformer:
            return f"not reproduced (the two-layer SSM+FNN rate differs from the Transformer's by {self.slope_difference:+.2f})"
        if self.two_layer_status == CONSISTENT:
            return "reproduced (same rate as the Transformer, consistent with the predicted exponent)"
        return f"partially reproduced (same rate as the Transformer; the two-layer SSM+FNN is {self.two_layer_status} on this profile)"

    def lines(self, tolerance: float, gap_ratio: float) -> list[str]:
        """The verdict in words with its numbers."""
        out = []
        if self.two_layer_status is None:
            out.append("The rate of the two-layer SSM+FNN was not assessed (no such model in the grid).")
        else:
            out.append(
                f"Two-layer SSM+FNN: the fitted slope is **{self.two_layer_status}** "
                f"(predicted exponent {self.predicted:.3f})."
            )
        if self.same_rate_as_transformer is not None:
            word = "the same" if self.same_rate_as_transformer else "NOT the same"
            out.append(
                f"Against the Transformer the slopes differ by {self.slope_difference:+.3f}: {word} rate "
                f"within our tolerance of {tolerance:.2f}."
            )
        if self.gap_only_when_dynamic is not None:
            opens = "opens only when the order is dynamic" if self.gap_only_when_dynamic else "does NOT open only when the order is dynamic"
            out.append(
                f"One-layer / two-layer risk at the largest n: {self.gap_dynamic:.2f} (dynamic order) vs "
                f"{self.gap_fixed:.2f} (fixed order); with a gap threshold of {gap_ratio:.2f} the gap {opens}."
            )
        return out


def verdict(slopes: pd.DataFrame, gaps: pd.DataFrame, experiment: RegressionExperiment) -> RegressionVerdict:
    """Combine the slope and gap tables into the verdict (margins from ``regression.analysis``)."""
    dynamic = slopes[slopes["order"] == "dynamic"] if len(slopes) else slopes
    two, tf = (_first_row(dynamic, family) for family in (SSM2_FNN, TRANSFORMER))
    difference = None if two is None or tf is None else float(two["slope"] - tf["slope"])
    largest = gaps[gaps["n_train"] == experiment.n_train[-1]].set_index("order")["ratio"] if len(gaps) else None
    gap_dynamic = None if largest is None else float(largest.get("dynamic", np.nan))
    gap_fixed = None if largest is None else float(largest.get("fixed", np.nan))
    ratio = experiment.analysis.gap_ratio
    return RegressionVerdict(
        predicted=predicted_exponent(experiment.task),
        two_layer_status=None if two is None else str(two["status"]),
        same_rate_as_transformer=None if difference is None else abs(difference) <= experiment.analysis.slope_tolerance,
        slope_difference=difference,
        gap_dynamic=gap_dynamic,
        gap_fixed=gap_fixed,
        gap_only_when_dynamic=None if largest is None else bool(gap_dynamic >= ratio and gap_fixed < ratio),
    )


def write_metrics(
    slopes: pd.DataFrame,
    approximation: pd.DataFrame,
    conclusion: RegressionVerdict,
    experiment: RegressionExperiment,
    path: str | Path,
) -> dict:
    """``metrics.json`` for ``dvc metrics``: slopes with CIs, the predicted exponent, the verdict."""
    rounded = lambda v: None if v is None or (isinstance(v, float) and np.isnan(v)) else (round(v, 4) if isinstance(v, float) else v)  # noqa: E731
    metrics = {
        **verdicts.summary(conclusion.verdict, conclusion.claim),
        "a_dagger": rounded(a_dagger(experiment.task)),
        "predicted_exponent": rounded(predicted_exponent(experiment.task)),
        "fit_n_range": [experiment.fit_sizes[0], experiment.fit_sizes[-1]],
        "slopes": {
            f"{row.model}/{row.order}": {
                "slope": rounded(row.slope), "ci_low": rounded(row.ci_low), "ci_high": rounded(row.ci_high),
                "status": row.status, "risk_at_n_max": rounded(row.risk_at_n_max),
            }
            for row in slopes.itertuples()
        },
        "approximation_slopes": {
            row.model: {"slope": rounded(row.slope), "ci_low": rounded(row.ci_low), "ci_high": rounded(row.ci_high)}
            for row in approximation.itertuples()
        },
        "verdict_parts": {k: rounded(v) for k, v in asdict(conclusion).items()},
    }
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(metrics, indent=2, sort_keys=True) + "\n")
    return metrics
