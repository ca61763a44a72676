"""The constructions page's prose: every verdict word and number read from the results and claims.

The notebook only displays these; what the page says about the paper's statements follows the
claim rows of ``claims.claim_rows``, so a run whose results differ gets different words.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr

from tokensel.constructions.analysis import bridge_summary, controls, growth_table, one_layer_table, width_csv
from tokensel.constructions.claims import claim_rows, one_layer_over_two, width_growth, write_metrics
from tokensel.constructions.config import ConstructionsExperiment
from tokensel.core import verdicts
from tokensel.present.results import ClaimResult


def write_outputs(ds: xr.Dataset, experiment: ConstructionsExperiment, out_dir: Path) -> dict:
    """metrics.json and details.json (``claims.write_metrics``), the growth fits and the widths
    against L and |W| as CSV files; returns the metrics."""
    metrics = write_metrics(ds, experiment, out_dir)
    growth_table(ds, experiment.verdict.max_power).to_csv(out_dir / "growth.csv", index=False, float_format="%.4f")
    for axis in ("length", "vocabulary"):
        width_csv(ds, axis).to_csv(out_dir / f"width_vs_{axis}.csv", index=False)
    return metrics


def verdict_text(ds: xr.Dataset, experiment: ConstructionsExperiment, metrics: dict, profile: str) -> str:
    """The verdict, the precision limits of the built networks and the controls, with their numbers."""
    threshold = experiment.verdict.exact_accuracy
    c = controls(ds, threshold)
    return "\n".join([
        f"**{metrics['verdict'].capitalize()}** on the {profile} profile. {metrics['claim']}", "",
        f"Precision: every copy and recall network is exact in float32 and in float64 wherever the precision check lets it "
        f"run. With one digit per token (the fewest channels) float32 stays exact up to |W| = {exact_float32_vocab(ds, threshold)} in the "
        f"precision sweep and breaks beyond; more digits per token or float64 fix it. Recall needs at most "
        f"{float(ds['recall_bits'].max()):.0f} bits and selection at most {float(ds['sel_bits'].max()):.0f}, far inside float32.", "",
        f"Controls: the scoring sees failures where they must occur (float32 accuracy falls to {c.worst_known_failure:.3f} "
        f"where our formula says float32 lacks the bits; selection at margins below δ/4 is right {c.selection_below_quarter:.3f} "
        f"of the time), and answering with the commonest token of the context scores at most {c.best_shortcut:.3f}, so an "
        f"accuracy of 1.0 cannot come from a shortcut. 'Exact' means accuracy ≥ {threshold} on every scored answer; "
        f"'poly-logarithmic' means log cost is fitted better by log log x than by log x and grows at most like "
        f"x^{experiment.verdict.max_power} at the largest sizes (both thresholds are ours).",
    ])


def bounds_text(ds: xr.Dataset, experiment: ConstructionsExperiment) -> str:
    """The one-layer lower bound against our networks at the longest L, and how both widths grow."""
    last = one_layer_table(ds).iloc[-1]
    growths = growth_table(ds, experiment.verdict.max_power)
    one, two = (width_growth(growths, f"copy, {n}", "length")["power at the largest sizes"] for n in ("1 layer", "2 layers"))
    ratio, _ = one_layer_over_two(ds)
    second = ("at bounded precision the second layer buys no width in our constructions" if ratio <= 1.0 + 1e-9
              else f"the second layer saves a factor {ratio:.2f} in width")
    return (
        f"At L = {last['L']:.0f} one layer needs at least {last['lower bound, 1 layer, 1-bit channels']:.0f} one-bit channels "
        f"({last['lower bound, 1 layer, 32-bit channels']:.0f} of 32 bits) to copy; our one-layer network has "
        f"{last['construction, 1 layer']:.0f} and our two-layer one {last['construction, 2 layers']:.0f}. At the largest lengths "
        f"their widths grow like L^{one:.2f} and L^{two:.2f}: {second}, and the bound rules out a one-layer network whose "
        "width grows more slowly than linearly."
    )


def bridge_text(ds: xr.Dataset, threshold: float) -> str:
    return "\n".join(
        f"- {task}: from the exact construction, fine-tuning keeps accuracy {s['after_from_construction']:.3f} (worst seed); "
        f"every seed fine-tunes back to exact from noise up to σ = {s['largest_sigma_recovered']:g}; "
        f"the same architecture trained from scratch reaches {s['scratch']:.3f}."
        for task, s in bridge_summary(ds, threshold).items()
    )


def _paired(first: ClaimResult, second: ClaimResult) -> str:
    return verdicts.combine([first.verdict, second.verdict])


def differences_text(ds: xr.Dataset, experiment: ConstructionsExperiment, rows: dict[str, ClaimResult] | None = None) -> str:
    """Where our results stand against the paper's statements: the |W| half, the L half and one
    layer against two, each with the verdict of its claim rows and the fitted growth."""
    rows = rows or claim_rows(ds, experiment)
    in_vocab = _paired(rows["copy |W|"], rows["recall |W|"])
    in_length = _paired(rows["copy L"], rows["recall L"])
    growths = growth_table(ds, experiment.verdict.max_power)
    degree = {name: width_growth(growths, name, "vocabulary")["poly-log degree"] for name in ("copy, 2 layers", "recall")}
    power = {name: width_growth(growths, name, "length")["power at the largest sizes"] for name in ("copy, 2 layers", "recall")}
    ratio, L = one_layer_over_two(ds)
    return "\n".join([
        f"- **Poly-logarithmic in |W|: {in_vocab}** (copying {rows['copy |W|'].verdict}, recall {rows['recall |W|'].verdict}). "
        f"At fixed L our widths grow like (log |W|)^{degree['copy, 2 layers']:.1f} (copying, binary digits) and "
        f"(log |W|)^{degree['recall']:.1f} (recall), in float32; the embedding and readout tables have |W| rows in any model "
        "that names |W| tokens.",
        f"- **Poly-logarithmic in L: {in_length} at bounded precision** (copying {rows['copy L'].verdict}, recall "
        f"{rows['recall L'].verdict}). Our widths grow like L^{power['copy, 2 layers']:.2f} (two-layer copying) and "
        f"L^{power['recall']:.2f} (recall) at the largest lengths. The lower bounds above show that no network of this class "
        "can do better than linear for one-layer copying, or for recall with any number of layers, while its channels resolve "
        "a bounded number of bits; for copying with two or more FIR layers we have neither a poly-logarithmic construction nor "
        "a proof that none exists. A count poly-logarithmic in L needs numbers of about L·log₂|W| bits, which real-number "
        "constructions allow and float32/float64 do not; the paper's proofs, which we could not read, presumably count "
        "parameters in that model.",
        f"- **One layer against two:** at L = {L:,} our one-layer copy network is {ratio:.2f}× the two-layer one's width.",
    ])


def configuration_text(experiment: ConstructionsExperiment, metrics: dict) -> str:
    b = experiment.bridge
    return (
        f"dtypes {', '.join(experiment.dtypes)}; selection windows U = {list(experiment.selection.windows)}, key dimensions "
        f"d = {list(experiment.selection.key_dims)}, margin δ = {experiment.selection.margin}; copy (k, |W|) = "
        f"{', '.join(f'({k}, {v})' for _, k, v in experiment.copy.cells())}, digits {list(experiment.copy.digits)}, layers "
        f"{list(experiment.copy.layers)}; recall (k, |W|) = {', '.join(f'({k}, {v})' for _, k, v in experiment.recall.cells())}, "
        f"queries: {experiment.recall.n_queries}; bridge: copy k = {b.copy_size}, |W| = {b.copy_vocab}, "
        f"recall k = {b.recall_size}, |W| = {b.recall_vocab}, {b.steps} steps of AdamW (lr {b.lr}, weight decay {b.weight_decay}), "
        f"batch {b.batch_size}, seeds {list(b.seeds)}. Single-threaded CPU time of all parts: {metrics['cpu_seconds']:.0f} s."
    )


def exact_float32_vocab(ds: xr.Dataset, threshold: float) -> int:
    """The largest |W| of the precision sweep at which one-digit float32 copying stays exact (0: none)."""
    exact = (ds["prec_acc"].min("prec_size") >= threshold).values
    return int(2 ** ds["prec_log2_vocab"].values[exact].max()) if np.any(exact) else 0
