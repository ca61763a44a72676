# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     notebook_metadata_filter: -jupytext.text_representation
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Genomic experiment: are important tokens sparse and input-dependent? (paper §7)
#
# **Claim (Nishikawa & Suzuki, ICLR 2025, §7 as far as it could be reconstructed):** on genomic
# sequence classification, the tokens that matter for a trained model's decision are *few*
# (sparse importance) and *where* they are depends on the input (dynamic token selection), for
# SSMs as for Transformers.
#
# **Set-up (ours; the paper's data, model and importance measure are not public).** Two DNA
# classification tasks that can be had offline: janggu's human ChIP-seq peaks, Oct4 vs MafK
# (200 bp, real), and a motif-planting task whose important bases are known exactly. Two
# classifiers are trained from scratch per task and seed: a two-layer SSM+FNN and a two-layer
# Transformer, single-nucleotide tokens, class logits mean-pooled over positions. Importance is
# attributed to each token of a fixed set of test inputs with three gradient methods (Captum)
# and by in-silico mutagenesis (ISM: the logit change when a base is substituted); k-mer
# logistic regression, a GC-content threshold and the majority class are the baselines. The verdict reads one method
# (`genomic.verdict.method`); the table of motif AUROCs below shows how far each method finds the
# bases that are known to matter.

# %% tags=["parameters"]
params_file = "params.yaml"
results_file = "results/genomic/results.nc"
out_dir = "reports/genomic"

# %%
import dataclasses

import pandas as pd
import xarray as xr
from IPython.display import Markdown, display

from tokensel.core.paths import resolve
from tokensel.genomic import analysis, plots
from tokensel.genomic import config as genomic_config

experiment = genomic_config.load(params_file)
out = resolve(out_dir)
results = xr.load_dataset(resolve(results_file), engine="h5netcdf")
datasets = [str(d) for d in results["dataset"].values]
baselines = analysis.baseline_scores(experiment, datasets)
accuracy = analysis.accuracy_table(results, baselines)
importance = analysis.importance_table(results)
verdict_list = analysis.verdicts(importance, accuracy, experiment)
metrics = analysis.write_metrics(accuracy, importance, verdict_list, out / "metrics.json")
out.mkdir(parents=True, exist_ok=True)
accuracy.to_csv(out / "accuracy.csv", index=False, float_format="%.4f")
method = experiment.verdict.method

# %% [markdown]
# ## Verdict

# %%
def _family_line(name: str, calls: dict[str, bool | None]) -> str:
    if calls["sparse"] is None:
        return f"- **{name}**: undetermined -- no model of this family beat the GC-content and majority-class baselines."
    sparse = "sparse" if calls["sparse"] else "**not** sparse on every dataset"
    dependent = "input-dependent" if calls["input_dependent"] else "**not** input-dependent on every dataset"
    return f"- **{name}**: importance is {sparse} and {dependent} (models that learned the task)."


chosen = importance[importance["method"] == method]
lines = [
    f"**Verdict: {metrics['verdict']}** on this profile: the claim needs importance "
    f"to be sparse and input-dependent for both families (read from `{method}` attributions):"
]
lines += [_family_line(name, calls) for name, calls in metrics["families"].items()]
lines += ["", "Per dataset and model:"] + [f"- {analysis.describe(v, experiment)}" for v in verdict_list]
gt = chosen.dropna(subset=["motif_auroc"])
if len(gt):
    lines.append(
        "\nAgreement with the known motifs (AUROC of the importance of each base against the motif mask, "
        "0.5 = chance): " + "; ".join(f"{r.dataset}/{r.model} {r.motif_auroc:.2f}" for r in gt.itertuples()) + "."
    )
best = accuracy.loc[accuracy.groupby("dataset")["acc_mean"].idxmax()]
lines.append(
    "\nBest test accuracy per dataset: " + "; ".join(f"{r.dataset}: {r.model} {r.acc_mean:.3f}" for r in best.itertuples()) + "."
)
lines.append(
    f"\nThresholds (ours, not the paper's): sparse if on average at most {experiment.verdict.max_mass_fraction_50:.0%} "
    f"of the tokens carry half the importance (uniform: 50%); input-dependent if the input-dependence index "
    f"(1 - J) / (1 - J_chance) of top-{experiment.attribution.top_k} position sets is at least "
    f"{experiment.verdict.min_input_dependence:.2f} (0: the same positions for every input; 1: chance overlap)."
)
display(Markdown("\n".join(lines)))

# %% [markdown]
# ## Do the attributions find the known motifs?
# Mean AUROC of each base's importance against the motif mask (1: every motif base outranks
# every other base; 0.5: chance), per dataset, model and method. On the planted task the motif
# bases are exactly the ones that decide the label; on janggu they are motif matches found by
# scanning, a weaker truth (a peak need not be explained by its consensus motif).

# %%
display(importance.pivot_table(index=["dataset", "model"], columns="method", values="motif_auroc").round(3))

# %% [markdown]
# ## Test accuracy and AUROC
# Mean and standard deviation over seeds; the baselines are deterministic. A model that does not
# beat the GC-content threshold has learnt little beyond base composition, one that does not beat
# the majority class has learnt nothing, and the attributions of either say little about
# important tokens.

# %%
display(accuracy.round(3))

# %% [markdown]
# ## Sparsity: sorted-importance curves
# Share of each input's importance carried by its most important token, second most, and so
# on (mean over inputs; bands: sd over seeds). The dashed line is uniform importance.

# %%
plots.sorted_importance_curves(results, out / "figures" / "sorted_importance.png")

# %% [markdown]
# ## Sparsity against input dependence
# One point per dataset, model and attribution method; the dashed lines are the verdict thresholds.

# %%
plots.sparsity_vs_input_dependence(importance, experiment.verdict, out / "figures" / "sparsity_vs_input_dependence.png")

# %% [markdown]
# All importance measures (mean over inputs, then over seeds). `jaccard_pairs`: mean top-k
# overlap between pairs of inputs; `jaccard_position_only`: overlap of each input's top-k with
# the single best fixed set of positions; `jaccard_chance`: overlap of random position sets;
# `top1_entropy` (bits) against its maximum `top1_entropy_max`.

# %%
display(importance.round(3))

# %% [markdown]
# ## Example inputs
# Attributions of a few test inputs (first seed), one row per model; cyan boxes mark the motif
# bases (planted motifs, or the octamer and MARE half-site found by scanning the janggu peaks).

# %%
for name in datasets:
    display(plots.attribution_examples(results, name, out / "figures" / f"examples_{name}.png", method))

# %% [markdown]
# ## Where the most important token sits
# A position-only importance would put every input's top token in the same place; a spread
# histogram means the models pick different positions for different inputs.

# %%
plots.top1_histograms(results, out / "figures" / "top1_positions.png", method)

# %% [markdown]
# ## Configuration of this run

# %%
display(pd.DataFrame({name: cfg.to_params() for name, cfg in experiment.models.items()}).T)
display(pd.DataFrame({name: dataclasses.asdict(spec) for name, spec in experiment.datasets.items()}).T.astype(str))
seconds = float(results["seconds"].sum())
display(Markdown(
    f"Training: {experiment.train}; attribution: {experiment.attribution}; baselines: {experiment.baselines}. "
    f"Seeds {list(experiment.seeds)}. Total training time {seconds / 60:.1f} minutes."
))
