"""From the runs to numbers: validation choices, normalised risks, slopes, ratios, convergence, verdict.

Theorem 4.6 bounds the expected excess risk of empirical risk minimisation over SSM+FNN networks by
n^(-2a†/(2a†+1)) up to poly-log factors. We compare log-log slopes of the test excess risk,
normalised by Var F per seed (1 - R^2), over the fit range: of the networks, of the oracle-Gamma
sieve (the positive control: it must show the predicted slope) and of the no-Gamma k-NN baseline.
Slopes are fitted to the seed-mean risk; intervals resample whole seeds (paired across estimators
where two are compared), so the correlation between sizes and estimators within a seed is kept.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from tokensel.core import verdicts
from tokensel.core.stats import fit_loglog_slope, ols_slopes
from tokensel.regression.config import RegressionExperiment
from tokensel.regression.smooth import predicted_exponent

SIEVE = "oracle sieve"
KNN = "k-NN without Γ"


def chosen_runs(ds: xr.Dataset) -> xr.Dataset:
    """Per (model, order, n): the (lr, d_model) with the smallest validation risk of the tuning
    (first) seed, and every seed's run with it. Dims (model, order, n_train, seed)."""
    val = ds["val_risk"].isel(seed=0, drop=True).stack(pair=("lr", "d_model"))
    ran = val.notnull().any("pair")
    best = val.fillna(np.inf).argmin("pair").drop_vars(["pair", "lr", "d_model"], errors="ignore")
    picked = ds.drop_vars(["n_params", "target_variance"]).stack(pair=("lr", "d_model")).isel(pair=best)
    picked = picked.reset_coords(["lr", "d_model"]).drop_vars("pair")
    return picked.where(ran)


def normalised_risks(chosen: xr.Dataset, refs: xr.Dataset) -> xr.DataArray:
    """Test excess risk / Var F per seed, dims (estimator, order, n_train, seed); NaN where not run."""
    networks = chosen["test_risk"].rename(model="estimator")
    sieve = refs["sieve_risk"].expand_dims(estimator=[SIEVE])
    knn = refs["knn_risk"].expand_dims(estimator=[KNN])
    risk = xr.concat([networks.drop_vars("model_spec", errors="ignore"), sieve, knn], dim="estimator", join="outer")
    return (risk / refs["target_variance"]).transpose("estimator", "order", "n_train", "seed")


def _seed_matrix(risk: xr.DataArray, estimator: str, order: str, sizes: list[int]) -> np.ndarray | None:
    """(n_sizes, n_seeds) risks, or None where the estimator did not run this order everywhere."""
    values = risk.sel(estimator=estimator, order=order, n_train=sizes).values
    return None if np.isnan(values).any() else values


@dataclass(frozen=True)
class Comparison:
    """A statistic of two estimators on the same seeds, with a paired seed-bootstrap interval."""

    value: float
    low: float
    high: float


def _paired(a: np.ndarray, b: np.ndarray, statistic, n_boot: int, ci: float) -> Comparison:
    value = statistic(a, b)
    n_seeds = a.shape[1]
    if n_seeds < 2:
        return Comparison(value, np.nan, np.nan)
    idx = np.random.default_rng(0).integers(0, n_seeds, size=(n_boot, n_seeds))
    boot = np.array([statistic(a[:, i], b[:, i]) for i in idx])
    low, high = np.quantile(boot, [(1 - ci) / 2, (1 + ci) / 2])
    return Comparison(float(value), float(low), float(high))


def _slope(log_n: np.ndarray, r: np.ndarray) -> float:
    return float(ols_slopes(log_n, np.log(r.mean(axis=1))[:, None])[0][0])


def ratio_at_largest(a: np.ndarray, b: np.ndarray, n_boot: int, ci: float) -> Comparison:
    """Seed-mean risk of a over that of b at the largest n (rows: sizes, columns: seeds)."""
    return _paired(a, b, lambda x, y: float(x[-1].mean() / y[-1].mean()), n_boot, ci)


def slope_difference(sizes: list[int], a: np.ndarray, b: np.ndarray, n_boot: int, ci: float) -> Comparison:
    """Slope of a minus slope of b (positive: a decreases more slowly)."""
    log_n = np.log(np.asarray(sizes, dtype=float))
    return _paired(a, b, lambda x, y: _slope(log_n, x) - _slope(log_n, y), n_boot, ci)


def slope_table(risk: xr.DataArray, experiment: RegressionExperiment) -> pd.DataFrame:
    """One row per (estimator, order) that ran everywhere in the fit range: slope, CI, level at the largest n."""
    sizes, analysis = list(experiment.fit_sizes), experiment.analysis
    rows = []
    for order in risk["order"].values:
        for estimator in risk["estimator"].values:
            values = _seed_matrix(risk, str(estimator), str(order), sizes)
            if values is None:
                continue
            fit = fit_loglog_slope(np.asarray(sizes), values, n_boot=analysis.n_boot, ci=analysis.ci)
            rows.append({
                "estimator": str(estimator), "order": str(order), "slope": fit.slope, "ci_low": fit.ci_low, "ci_high": fit.ci_high,
                "risk_at_largest_n": float(values[-1].mean()), "r2_at_largest_n": float(1 - values[-1].mean()), "seeds": values.shape[1],
            })
    return pd.DataFrame(rows)


def convergence_table(chosen: xr.Dataset, flat_tolerance: float) -> pd.DataFrame:
    """Per (model, order, n): how many chosen runs stopped before the cap, and how many ended on a
    flat validation curve (best of the last quarter of checks within ``flat_tolerance`` of the best before)."""
    rows = []
    for model in chosen["model"].values:
        for order in chosen["order"].values:
            for n in chosen["n_train"].values:
                run = chosen.sel(model=model, order=order, n_train=n)
                if run["test_risk"].isnull().all():
                    continue
                stopped = flat = 0
                for seed in run["seed"].values:
                    one = run.sel(seed=seed)
                    curve = one["curve_val"].values
                    curve = curve[~np.isnan(curve)]
                    quarter = max(1, len(curve) // 4)
                    stopped += int(one["steps_run"] < one["step_cap"])
                    flat += int(len(curve) > quarter and curve[-quarter:].min() >= (1 - flat_tolerance) * curve[:-quarter].min())
                seeds = int(run["seed"].size)
                rows.append({
                    "model": str(model), "order": str(order), "n": int(n), "seeds": seeds, "stopped early": stopped, "flat at the end": flat,
                    "chosen step / cap": float((run["best_step"] / run["step_cap"]).median()), "lr": float(run["lr"].values.flat[0]),
                    "d_model": int(run["d_model"].values.flat[0]),
                })
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class Part:
    """One part of the verdict: its word from ``tokensel.core.verdicts`` and the sentence behind it."""

    name: str
    verdict: str
    text: str


def _fmt(c: Comparison, digits: int = 2) -> str:
    interval = "" if np.isnan(c.low) else f" [{c.low:.{digits}f}, {c.high:.{digits}f}]"
    return f"{c.value:.{digits}f}{interval}"


def verdict_parts(risk: xr.DataArray, experiment: RegressionExperiment) -> list[Part]:
    """(a) network vs oracle sieve, (b) SSM+FNN vs Transformer, (c) two vs one layer by order."""
    a = experiment.analysis
    sizes, n_max = list(experiment.fit_sizes), experiment.fit_sizes[-1]
    tol, boot = a.slope_tolerance, (a.n_boot, a.ci)
    predicted = predicted_exponent(experiment.task)
    m = lambda name, order: _seed_matrix(risk, name, order, sizes)  # noqa: E731
    sieve, ssm2, tf = m(SIEVE, "dynamic"), m(a.two_layer, "dynamic"), m(a.transformer, "dynamic")
    sieve_slope = _slope(np.log(np.asarray(sizes, dtype=float)), sieve)
    if abs(sieve_slope - predicted) > tol:
        text = f"the oracle sieve's slope {sieve_slope:.2f} misses the predicted {predicted:.2f} by more than {tol}: the data do not show the rate in this range, so no network slope is read"
        return [Part(p, verdicts.UNDECIDED, text) for p in ("a", "b", "c")]
    parts = []
    ratio = ratio_at_largest(ssm2, sieve, *boot)
    diff = slope_difference(sizes, ssm2, sieve, *boot)
    head = f"two-layer SSM+FNN risk is {_fmt(ratio, 1)}× the oracle sieve's at n = {n_max}; slope difference {_fmt(diff)}"
    if ratio.low > a.level_ratio:
        parts.append(Part("a", verdicts.UNDECIDED, f"{head}: more than {a.level_ratio:g}× above the oracle, the networks have not reached the estimation regime, so their slope is not the rate"))
    elif abs(diff.value) <= tol and diff.low <= tol:
        parts.append(Part("a", verdicts.REPRODUCED, f"{head}: the network decreases at the oracle's rate"))
    elif diff.low > tol:
        parts.append(Part("a", verdicts.NOT_REPRODUCED, f"{head}: the network decreases more slowly than the oracle"))
    else:
        parts.append(Part("a", verdicts.UNDECIDED, f"{head}: the interval is too wide to decide"))
    level = ratio_at_largest(ssm2, tf, *boot)
    diff = slope_difference(sizes, ssm2, tf, *boot)
    head = f"SSM+FNN / Transformer risk at n = {n_max}: {_fmt(level)}; slope difference {_fmt(diff)} over n = {sizes[0]}–{n_max}"
    if level.high <= a.gap_ratio and diff.high <= tol:
        parts.append(Part("b", verdicts.REPRODUCED, f"{head}: SSM+FNN is comparable to or better than the Transformer"))
    elif level.low > a.gap_ratio or diff.low > tol:
        parts.append(Part("b", verdicts.NOT_REPRODUCED, f"{head}: SSM+FNN is worse than the Transformer"))
    else:
        parts.append(Part("b", verdicts.UNDECIDED, f"{head}: the intervals straddle the margins"))
    gaps = {order: (ratio_at_largest(m(a.one_layer, order), m(a.two_layer, order), *boot) if m(a.one_layer, order) is not None and m(a.two_layer, order) is not None else None) for order in ("dynamic", "fixed")}
    dyn, fix = gaps["dynamic"], gaps["fixed"]
    if dyn is None or fix is None:
        return parts + [Part("c", verdicts.UNDECIDED, "one- and two-layer SSM+FNN did not both run on both orders")]
    head = f"one-layer / two-layer risk at n = {n_max}: {_fmt(dyn)} (dynamic order), {_fmt(fix)} (fixed order)"
    if dyn.low > a.gap_ratio and fix.high <= a.gap_ratio:
        parts.append(Part("c", verdicts.REPRODUCED, f"{head}: the second layer helps only when the tokens must be selected"))
    elif dyn.high <= a.gap_ratio:
        parts.append(Part("c", verdicts.NOT_REPRODUCED, f"{head}: one layer does as well as two even when the tokens must be selected"))
    else:
        parts.append(Part("c", verdicts.UNDECIDED, f"{head}: the intervals straddle the margin {a.gap_ratio:g}"))
    return parts


CLAIM_PARTS = ("a", "b")  # the paper's claims: the rate, and comparability with the Transformer
OUR_QUESTION = "c"  # one against two layers: ours, reported beside the verdict, never folded into it


def claim_verdict(parts: list[Part]) -> str:
    """The verdict on the paper's claims: parts (a) and (b) only."""
    return verdicts.combine([p.verdict for p in parts if p.name in CLAIM_PARTS])


def _headline_rows(slopes: pd.DataFrame, experiment: RegressionExperiment) -> dict[str, pd.Series]:
    a = experiment.analysis
    dynamic = slopes[slopes.order == "dynamic"].set_index("estimator")
    return {"oracle_sieve": dynamic.loc[SIEVE], "two_layer_ssm_fnn": dynamic.loc[a.two_layer],
            "one_layer_ssm_fnn": dynamic.loc[a.one_layer], "transformer": dynamic.loc[a.transformer]}


def pre_asymptotic(slopes: pd.DataFrame, experiment: RegressionExperiment) -> bool:
    """Whether the two-layer network's risk at the largest n is above ``level_ratio`` times the
    oracle sieve's: the networks have not reached the regime where a slope estimates the rate."""
    rows = _headline_rows(slopes, experiment)
    return rows["two_layer_ssm_fnn"].risk_at_largest_n > experiment.analysis.level_ratio * rows["oracle_sieve"].risk_at_largest_n


def claim(slopes: pd.DataFrame, parts: list[Part], experiment: RegressionExperiment) -> str:
    """The one-line claim of metrics.json, with the numbers behind it."""
    rows = _headline_rows(slopes, experiment)
    sieve, ssm2, tf = rows["oracle_sieve"], rows["two_layer_ssm_fnn"], rows["transformer"]
    by_name = {p.name: p.verdict for p in parts}
    regime = (f"; the networks are pre-asymptotic at n ≤ {experiment.fit_sizes[-1]} (risk > {experiment.analysis.level_ratio:g}× the oracle's), "
              f"so their slopes do not estimate the rate") if pre_asymptotic(slopes, experiment) else ""
    return (
        f"Predicted slope {predicted_exponent(experiment.task):.2f}; oracle sieve {sieve.slope:.2f}; "
        f"two-layer SSM+FNN {ssm2.slope:.2f} at {ssm2.risk_at_largest_n / sieve.risk_at_largest_n:.0f}× the oracle's risk, "
        f"Transformer {tf.slope:.2f} at {tf.risk_at_largest_n / sieve.risk_at_largest_n:.0f}× (n = {experiment.fit_sizes[0]}–{experiment.fit_sizes[-1]}, "
        f"{int(ssm2.seeds)} seeds){regime}. Rate: {by_name['a']}; comparable to the Transformer: {by_name['b']}. "
        f"Ours, beside the claim: a second layer helps only with selection: {by_name[OUR_QUESTION]}."
    )


def write_metrics(out_dir: str | Path, slopes: pd.DataFrame, parts: list[Part], experiment: RegressionExperiment) -> dict:
    """``metrics.json`` (verdict, claim, a few headline numbers) and ``details.json`` (every slope and part)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rows = _headline_rows(slopes, experiment)
    sieve_level = rows["oracle_sieve"].risk_at_largest_n
    by_name = {p.name: p.verdict for p in parts}
    metrics = {
        **verdicts.summary(claim_verdict(parts), claim(slopes, parts, experiment)),
        "two_vs_one_layer": by_name[OUR_QUESTION],
        "slope": {"predicted": round(predicted_exponent(experiment.task), 3), **{k: round(float(r.slope), 3) for k, r in rows.items()}},
        "risk_over_oracle_at_largest_n": {k: round(float(r.risk_at_largest_n / sieve_level), 2) for k, r in rows.items() if k != "oracle_sieve"},
    }
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2, ensure_ascii=False) + "\n")
    details = {"parts": [asdict(p) for p in parts], "slopes": slopes.round(4).to_dict(orient="records")}
    (out / "details.json").write_text(json.dumps(details, indent=2, ensure_ascii=False) + "\n")
    return metrics


def write_plot_csv(risk: xr.DataArray, labels: dict[str, str], path: str | Path) -> Path:
    """Seed-mean risk / Var F against n, one column per "<readable estimator> (<order> order)" (for ``dvc plots``)."""
    frame = risk.mean("seed").to_dataframe("risk").dropna().reset_index()
    frame["series"] = frame["estimator"].map(lambda e: labels.get(e, e)) + " (" + frame["order"] + " order)"
    wide = frame.pivot(index="n_train", columns="series", values="risk").reset_index()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wide.to_csv(path, index=False, float_format="%.6g")
    return path
