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
# # Genomic sequences: are the important tokens few, and do they depend on the input?
#
# **Claim (Nishikawa & Suzuki, ICLR 2025, Section 7).** On genomic sequence classification, the
# tokens that decide a trained model's output are few (sparse importance) and where they sit
# depends on the input (dynamic token selection), for SSMs as for Transformers.
#
# **Set-up (ours; the paper's data, models and importance measure are not public).**
# *Motif order* is a planted task that needs selection: every sequence holds the Oct4 octamer and
# the MafK T-MARE once each, at random places and strands, and the label says which comes first;
# both classes have the same motifs and the same k-mer statistics, so only the motifs' positions
# decide. *janggu* is real: human ChIP-seq peaks bound by Oct4 or MafK (the central bases of each
# peak, GC-matched between the classes), with the known motifs (the octamer, the MARE half-site and
# the T-MARE core) scanned on both strands as ground truth. Every family is the same network except
# its mixer: a k-mer stem (a causal convolution over a few bases), two blocks of mixer + FNN, class
# logits averaged over positions. The SSM and the
# Transformer are the paper's families; the input-dependent mixers the profile runs (the gated
# long convolution of H3/Hyena and Mamba-2's SSD; the extended and paper profiles add Mamba's
# selective SSM) are added beside them. Each base's importance is measured by
# in-silico mutagenesis (the output change when it is substituted) and three gradient methods.
#
# **How it is decided.** A family's attributions count only where it has learned beyond k-mer
# composition: it beats the best baseline (majority class, GC content, and logistic regression on
# k-mer counts pooled over both strands, k up to 6, regularisation and the best baseline both
# chosen on the validation split) by a paired bootstrap over test sequences. They count only for a
# method that passes two controls that can fail: it separates a known-answer model that looks at
# the motif bases and nothing else from the same family trained on shuffled labels, and it finds
# the motif in the trained family more than in the same network with random weights (the
# parameter-randomisation test of Adebayo et al., 2018). Then: *sparse* (half the importance on a few bases),
# *input-dependent* (move the motif within the same sequence, and the importance leaves its old
# bases), *follows the motif* (and lands on its new ones).

# %% tags=["parameters"]
params_file = "params.yaml"
results_file = "results/genomic/results.nc"
out_dir = "scratch/reports/genomic"

# %% [markdown]
# ## Results

# %%
import xarray as xr
from IPython.display import Markdown, display

from tokensel.core.paths import resolve
from tokensel.present.results import render
from tokensel.present.tables import table
from tokensel.genomic import analysis, controls, per_class, plots, summary, tables
from tokensel.genomic import config as genomic_config

experiment = genomic_config.load(params_file)
settings = experiment.verdict
out = resolve(out_dir)
figures = out / "figures"
results = xr.load_dataset(resolve(results_file), engine="h5netcdf")
accuracy = analysis.accuracy_table(results)
found = analysis.all_verdicts(results, settings)
metrics = analysis.write_metrics(found, accuracy, settings, out)
tables.accuracy_points(results).to_csv(out / "accuracy.csv", index=False, float_format="%.4f")
render(summary.results_summary(metrics, results, len(experiment.seeds)))

# %%
display(Markdown("**Set-up of this profile.** " + tables.profile_summary(results, experiment)))

# %% [markdown]
# ## Verdict

# %%
one_sided = per_class.one_sided(results, settings)
display(Markdown(f"**{metrics['verdict'].capitalize()}.** {metrics['claim']}" + "".join(f"\n\n**Per class.** {s}" for s in one_sided)))
table(analysis.verdict_table(found))

# %% [markdown]
# *learned beyond k-mer composition*: the seed-mean accuracy beats the baseline with the best
# validation accuracy (paired bootstrap over test sequences, lower 95 % bound above zero); where it
# does not, the family has not shown that it learned more than k-mer counts do. *controls separate*: for the motif
# AUROC, the share of importance on a moved motif and the mass fraction, the known-answer model is
# further from the shuffled-label model than the margin. *unlike random weights*: on the motif
# AUROC and the share on a moved motif, the trained family is further from the same network with
# random weights than the margin. The last three columns are read from the verdict method and are
# left open where one of the first three fails.
#
# **When the verdict method was fixed.** In-silico mutagenesis became the method that sets the
# verdict on 23 November 2026, in the commit that added it (56e2a2c); until then the verdict was
# read from the gradient norm, and gradient-norm results of an earlier version of this experiment
# had been seen. The choice was therefore not made blind, so here is the verdict under every method:

# %%
table(analysis.verdicts_by_method(results, settings))

# %% [markdown]
# ## Accuracy against the baseline ladder
#
# How much of each task is base composition: the k-mer ladder shows what counting words of length
# k (pooled over both strands, regularisation chosen on validation) achieves without knowing where
# they are. On motif order every rung stays at chance, by construction; on janggu most of the
# signal is k-mer composition, and a model has learned something beyond it only where it beats
# the baseline chosen on validation.

# %%
display(Markdown(tables.shortcut_summary(results, settings.ci)))
table(accuracy)

# %%
plots.accuracy_ladder(results, figures / "accuracy.png")

# %% [markdown]
# ## Training
#
# Each model's learning rate is the one with the lowest final validation loss of its first seed
# among the rates tried (a profile that lists one rate per model fixed it on validation beforehand;
# the paper profile tries three). Its other seeds and its shuffled-label control train at that rate.
# The table gives the end of training, averaged over seeds; the curves show every run (seeds as
# separate lines, shuffled-label runs dashed): a loss still falling at the last step would mean
# the model is undertrained.

# %%
table(tables.training_table(results))

# %%
plots.training_curves(results, figures / "training_curves.png")

# %%
if results["sweep_lr"].notnull().sum("candidate").max() > 1:
    display(plots.learning_rate_sweep(results, figures / "learning_rates.png"))

# %% [markdown]
# ## Controls
#
# For each method and measure: the known-answer motif model (its output depends on the motif bases
# only) and each family's shuffled-label run. A family's verdict uses the verdict method only where
# all three measures separate for it (bootstrap lower bound of the difference above the margin).

# %%
table(controls.controls_table(results, settings))

# %% [markdown]
# The parameter-randomisation test: the same network with its random initial weights, never
# trained, attributed on the same inputs as the shuffled-label runs. Where a method finds the motif
# as well in the untrained network as in the trained one, its map shows the architecture (the k-mer
# stem alone can make motif bases stand out), not what the model learned, and decides nothing.

# %%
table(controls.randomisation_table(results, settings))

# %% [markdown]
# ## Per class: does each class's own motif carry the importance?
#
# On janggu the two classes have different motifs, so the pooled measures could hide a model that
# finds one motif and calls every input without it the other class. Here each class is measured
# on its own inputs, with its own motif as ground truth (the Oct4 octamer in Oct4 peaks, the MARE
# and T-MARE in MafK peaks; on motif order both classes hold both motifs). The attributed inputs
# are balanced between the classes; *attributed* and *moved* count each class's inputs per run.

# %%
table(per_class.per_class_table(results, settings.method))

# %%
display(Markdown(" ".join(one_sided) if one_sided else (
    "No family's importance finds one class's motif while missing the other's: where the top-k share on the motif "
    "is decided, it is decided the same way in every class (verdict method, bootstrap interval against the follow threshold)."
)))

# %% [markdown]
# ## Motif insertion: does writing a class's motif in raise that class's logit?
#
# A test that attribution cannot fake: motif-free test peaks of the other class receive one
# instance of a class's motif, or the same bases shuffled at the same place, and the change of
# that class's centred logit is compared (paired per input; seed means for the models). A model
# that detects the motif raises the class with the motif more than with its shuffled bases; one
# that reads only the other class's motif shows no effect.

# %%
table(per_class.insertion_table(results, settings))

# %% [markdown]
# ## Does the importance follow the motif?
#
# Share of the top-k importance (k = the number of motif bases) on the motif, on the motif after it
# was moved to new positions in the same sequence, and on the bases it left. Importance unrelated to
# the motif puts about k/L on it (the chance share under *Set-up of this profile*).

# %%
plots.follow_fractions(results, figures / "follow.png")

# %%
table(tables.follow_table(results))

# %% [markdown]
# The share on the moved motif per run and method, above, against the chance share. The known-answer
# model is multilinear in the one-hot bases, so every gradient method is exact on it, and the
# gradient methods separate the controls on the motif AUROC and the moved-motif share (not always on
# the mass fraction: *Controls* above). What tells the methods apart is how much of a trained
# model's decision they find on the motif, which on the motif-order task must be all of it (its
# background carries no label information):

# %%
display(Markdown(tables.method_comparison(results, settings.method)))

# %% [markdown]
# Every measure of the verdict method:

# %%
table(tables.measures_table(results, settings.method))

# %% [markdown]
# The table reads the verdict method. *retention*: importance on the vacated bases after the move over the same before it (near 1 if
# importance were tied to positions). The Jaccard index compares the top-10 positions of different
# inputs (0: always the same positions, 1: chance overlap); shuffled-label models score as high as
# trained ones, so it cannot tell learned input dependence from noise and decides nothing here.

# %% [markdown]
# ## Motif AUROC and sparsity

# %%
plots.motif_auroc(results, figures / "motif_auroc.png")

# %%
plots.sparsity(results, settings.max_mass_fraction_50, figures / "sparsity.png")

# %% [markdown]
# ## One input, before and after its motif moves

# %%
for dataset in results["dataset"].values:
    display(plots.importance_tracks(results, str(dataset), settings.method, figures / f"tracks_{dataset}.png"))
