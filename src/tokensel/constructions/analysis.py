"""Tables, growth fits and controls of the constructions experiment (the verdict: ``claims``).

The claim (Lemma 3.3, Theorems 3.1 and 3.2): SSM layers with FNNs before/after them select tokens
by a key-query inner product, and two such layers solve input copying and associative recall with
parameters growing poly-logarithmically in the sequence length L and the vocabulary size |W|.

Per construction we ask three things of the stored results: is it exact (every scored answer
right wherever the precision check let it run), does its cost grow poly-logarithmically in |W|,
and in L (closed-form costs on a wide grid, ``growth``). The controls: the scoring detects failure
(the float32 precision sweep and the selection below its margin must fail where predicted) and the
no-selection shortcut is far from exact.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

from tokensel.core.stats import growth_fit

GROWTH_MEASURES = ("d_model", "fnn_width", "params_blocks", "nonzero_blocks")


@dataclass(frozen=True)
class Growth:
    power: float  # slope of log cost on log x over the grid
    top_power: float  # the same between the two largest x: the local growth at the largest sizes
    polylog_degree: float  # slope of log cost on log log x
    kind: str  # "poly-log" or "polynomial"


def growth(x: np.ndarray, y: np.ndarray, max_power: float) -> Growth:
    """Poly-log when log y is fitted better by log log x than by log x (smaller residual) and the
    local power at the largest sizes is at most ``max_power``; polynomial otherwise."""
    fit = growth_fit(x, y)
    keep = np.isfinite(x) & np.isfinite(y) & (y > 0) & (x > 1)
    lx, ly = np.log(x[keep]), np.log(y[keep])
    top = float((ly[-1] - ly[-2]) / (lx[-1] - lx[-2]))
    polylog = fit.polylog_rss <= fit.power_rss and top <= max_power
    return Growth(fit.power, top, fit.polylog, "poly-log" if polylog else "polynomial")


def growth_table(ds: xr.Dataset, max_power: float) -> pd.DataFrame:
    """Fitted growth of each cost of each construction along L and along |W| (closed forms)."""
    rows = []
    for curve in ds["cost_curve"].values:
        one = ds.sel(cost_curve=curve)
        for measure in GROWTH_MEASURES:
            g = growth(one["cost_x"].values, one[f"cost_{measure}"].values, max_power)
            rows.append({"construction": str(one["cost_construction"].values), "axis": str(one["cost_axis"].values),
                         "measure": measure, "power": g.power, "power at the largest sizes": g.top_power,
                         "poly-log degree": g.polylog_degree, "growth": g.kind})
    return pd.DataFrame(rows)


def is_polylog(growths: pd.DataFrame, construction: str, axis: str) -> bool:
    rows = growths[(growths["construction"] == construction) & (growths["axis"] == axis)]
    return bool((rows["growth"] == "poly-log").all())


def exact(values: np.ndarray, threshold: float) -> bool:
    """Every scored value at least ``threshold`` (NaN: refused, not scored)."""
    scored = values[np.isfinite(values)]
    return bool(scored.size) and bool((scored >= threshold).all())


@dataclass(frozen=True)
class Controls:
    detects_failure: bool  # known-to-fail settings do fail
    worst_known_failure: float  # lowest float32 accuracy where the precision check predicts failure
    selection_below_quarter: float  # selection accuracy at margins below delta / 4
    best_shortcut: float  # the best no-selection shortcut accuracy over copy and recall cells


def controls(ds: xr.Dataset, threshold: float) -> Controls:
    predicted = ds["prec_bits"].values > 24
    failure = float(np.nanmin(ds["prec_acc"].values[predicted])) if predicted.any() else np.nan
    below = float(np.nanmean(ds["sel_correct"].sel(margin_bin=0.0).values))
    shortcut = float(max(np.nanmax(ds["copy_shortcut"].values), np.nanmax(ds["recall_shortcut"].values)))
    return Controls(bool(failure < threshold and below < threshold), failure, below, shortcut)


def largest_exact(ds: xr.Dataset, prefix: str, axis: str, dtype: str, threshold: float) -> float:
    """The largest sequence length (axis "seq_len") or vocabulary ("vocab") with every answer right in ``dtype``."""
    acc = ds[f"{prefix}_acc"].sel(dtype=dtype)
    acc = acc.max([d for d in acc.dims if d != f"{prefix}_cell"])  # the best network of a cell
    good = acc.values >= threshold
    values = ds[f"{prefix}_{axis}"].values[good]
    return float(values.max()) if values.size else np.nan


def bridge_summary(ds: xr.Dataset, threshold: float) -> dict[str, dict[str, float]]:
    """Per task: accuracy after fine-tuning from the exact construction (worst seed), the largest noise
    from which every seed fine-tunes back to exact, and the accuracy of training from scratch."""
    out = {}
    for task in ds["bridge_task"].values:
        after = ds["bridge_acc_after"].sel(bridge_task=task)
        noisy = after.sel(bridge_start="all").min("bridge_seed")
        recovered = noisy["bridge_sigma"].values[noisy.values >= threshold]
        out[str(task)] = {"after_from_construction": float(noisy.sel(bridge_sigma=0.0)),
                          "largest_sigma_recovered": float(recovered.max()) if recovered.size else np.nan,
                          "scratch": float(after.sel(bridge_start="scratch", bridge_sigma=0.0).mean())}
    return out


BIN_LABELS = {0.0: "< δ/4", 0.25: "δ/4 – δ/2", 0.5: "δ/2 – δ", 1.0: "δ – 2δ", 2.0: "≥ 2δ"}


def selection_table(ds: xr.Dataset) -> pd.DataFrame:
    """Per selection network: its shape and cost, exactness at margins >= delta, and accuracy per margin bin."""
    rows = []
    for i in range(ds.sizes["sel_cell"]):
        one = ds.isel(sel_cell=i)
        row = {"U": int(one["sel_window"]), "d": int(one["sel_key_dim"]), "δ": float(one["sel_margin"]),
               "d_model": one["sel_d_model"].item(), "FNN width": one["sel_fnn_width"].item(),
               "parameters": one["sel_params"].item(), "non-zero": one["sel_nonzero"].item()}
        row |= {f"right, margin ≥ δ ({d})": one["sel_acc_above"].sel(dtype=d).item() for d in ds["dtype"].values}
        row |= {f"right, {label}": one["sel_correct"].sel(margin_bin=edge).isel(dtype=0).item() for edge, label in BIN_LABELS.items()}
        rows.append(row)
    return pd.DataFrame(rows)


def copy_table(ds: xr.Dataset) -> pd.DataFrame:
    """Per copy network: L, |W|, layers, digits, cost, bits needed, accuracy per dtype (– = refused)."""
    rows = []
    for i in range(ds.sizes["copy_cell"]):
        one = ds.isel(copy_cell=i)
        for layers in ds["layers"].values:
            for digits in ds["digits"].values:
                net = one.sel(layers=layers, digits=digits)
                row = {"L": int(one["copy_seq_len"]), "|W|": int(one["copy_vocab"]), "layers": int(layers), "digits": int(digits),
                       "d_model": net["copy_d_model"].item(), "FNN width": net["copy_fnn_width"].item(),
                       "non-zero (blocks)": net["copy_nonzero_blocks"].item(), "bits needed": net["copy_bits"].item()}
                row |= {f"accuracy {d}": net["copy_acc"].sel(dtype=d).item() for d in ds["dtype"].values}
                row |= {"shortcut": one["copy_shortcut"].item(), "answers": one["copy_n_answers"].item()}
                rows.append(row)
    return pd.DataFrame(rows)


def recall_table(ds: xr.Dataset) -> pd.DataFrame:
    rows = []
    for i in range(ds.sizes["recall_cell"]):
        one = ds.isel(recall_cell=i)
        row = {"pairs k": int(one["recall_size"]), "L": int(one["recall_seq_len"]), "|W|": int(one["recall_vocab"]),
               "d_model": one["recall_d_model"].item(), "FNN width": one["recall_fnn_width"].item(),
               "non-zero (blocks)": one["recall_nonzero_blocks"].item(), "bits needed": one["recall_bits"].item()}
        row |= {f"accuracy {d}": one["recall_acc"].sel(dtype=d).item() for d in ds["dtype"].values}
        row |= {"shortcut": one["recall_shortcut"].item(), "answers": one["recall_n_answers"].item()}
        rows.append(row)
    return pd.DataFrame(rows)


def precision_table(ds: xr.Dataset) -> pd.DataFrame:
    frame = ds[["prec_acc", "prec_bits"]].to_dataframe().reset_index()
    frame["|W|"] = 2 ** frame["prec_log2_vocab"]
    return frame.rename(columns={"prec_size": "k", "prec_acc": "float32 accuracy", "prec_bits": "bits needed"})[
        ["k", "|W|", "bits needed", "float32 accuracy"]]


def bridge_table(ds: xr.Dataset) -> pd.DataFrame:
    """Mean and range over seeds of the accuracy before and after fine-tuning, per start and noise."""
    frame = ds[["bridge_acc_before", "bridge_acc_after"]].to_dataframe().dropna().reset_index()
    grouped = frame.groupby(["bridge_task", "bridge_start", "bridge_sigma"])
    out = grouped.agg(before=("bridge_acc_before", "mean"), after=("bridge_acc_after", "mean"),
                      after_min=("bridge_acc_after", "min"), after_max=("bridge_acc_after", "max"),
                      seeds=("bridge_seed", "count")).reset_index()
    return out.rename(columns={"bridge_task": "task", "bridge_start": "start (noise on)", "bridge_sigma": "σ",
                               "before": "accuracy before", "after": "accuracy after", "after_min": "after, worst seed",
                               "after_max": "after, best seed"})


def one_layer_table(ds: xr.Dataset) -> pd.DataFrame:
    """At each length of the cost grid: the one-layer lower bound on d_model and the constructions' d_model."""
    length = lambda name: ds.sel(cost_curve=f"{name} | length")  # noqa: E731
    one, two = length("copy, 1 layer"), length("copy, 2 layers")
    frame = pd.DataFrame({"L": one["cost_x"].values,
                          "lower bound, 1 layer, 1-bit channels": one["cost_bound_1bit"].values,
                          "lower bound, 1 layer, 32-bit channels": one["cost_bound_float32"].values,
                          "lower bound, 1 layer, 64-bit channels": one["cost_bound_float64"].values,
                          "construction, 1 layer": one["cost_d_model"].values,
                          "construction, 2 layers": two["cost_d_model"].values})
    return frame.dropna()


def width_csv(ds: xr.Dataset, axis: str) -> pd.DataFrame:
    """d_model of each construction against L or |W|, one column per construction (``dvc plots``)."""
    columns = {}
    for curve in ds["cost_curve"].values:
        one = ds.sel(cost_curve=curve)
        if str(one["cost_axis"].values) == axis:
            name = str(one["cost_construction"].values).replace(", ", "_").replace(" ", "_")
            x = one["cost_x"].values
            columns[name] = pd.Series(one["cost_d_model"].values[np.isfinite(x)], index=x[np.isfinite(x)])
    frame = pd.DataFrame(columns).dropna(how="all")
    frame.index.name = "L" if axis == "length" else "vocab_size"
    return frame.reset_index()
