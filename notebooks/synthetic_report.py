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
# # Synthetic tasks: input copying, associative recall and MQAR (paper Figure C.1)
#
# **Claim (Nishikawa & Suzuki, ICLR 2025, Appendix C):** two-layer SSMs (SSM + FNN + SSM + FNN)
# with sufficiently expressive FNN layers perform comparably to Transformers on input copying and
# associative recall, and outperform single-layer SSMs (SSM + FNN). Theorems 3.1 and 3.2 add that
# the two-layer network needs only poly-logarithmically many parameters in the sequence length
# (copying) and in the vocabulary size |W| (recall).
#
# **Set-up (ours; the paper's hyperparameters are not public).** Copying is swept along the string
# length, recall and multi-query associative recall (MQAR, as defined by Zoology: keys and values
# from disjoint halves of the vocabulary, distinct values, power-law query gaps, noise tokens)
# along |W|: from vocabularies whose whole key-value table fits in the model's width to ones where
# it does not. Every model is trained from scratch on fresh batches. Its learning rate is chosen
# on validation at one point per task (one seed), then used for every point and seed. A seed
# *solves* a point at the test accuracy below; the verdict rests on how many seeds solve, never
# on a mean over seeds that split into solved and stuck. Each figure draws the *shortcut*: the
# accuracy of guessing the most frequent candidate token without copying or recalling, so a
# plateau there is recognisable as the shortcut.

# %% tags=["parameters"]
params_file = "params.yaml"
results_file = "results/synthetic/results.nc"
constructions_file = "results/constructions/results.nc"
out_dir = "scratch/reports/synthetic"

# %% [markdown]
# ## Results

# %%
import xarray as xr
from IPython.display import Markdown, display

from tokensel.core.params_file import profile_name
from tokensel.core.paths import resolve
from tokensel.present.results import render
from tokensel.present.tables import table
from tokensel.nn import families
from tokensel.synthetic import diagnostics, gaps, outputs, plots, report, sizes
from tokensel.synthetic import config as synthetic_config

experiment = synthetic_config.load(params_file)
cfg = experiment.verdict
out = resolve(out_dir)
ds = xr.load_dataset(resolve(results_file), engine="h5netcdf")
metrics = outputs.write_metrics(ds, cfg, out)
_ = outputs.write_plot_csvs(ds, cfg, out)
names = families.readable_names(ds["model"].values, ds["model_spec"].values)
render(outputs.results_summary(ds, cfg, metrics))

# %% [markdown]
# ## Verdict

# %%
display(Markdown(report.verdict_text(ds, experiment, metrics, profile_name(params_file))))

# %% [markdown]
# ## Accuracy against length and vocabulary
# Every seed is a point, lines join the seed medians; dashed: the shortcut, dotted: the solved
# threshold.

# %%
plots.accuracy_vs_axis(ds, cfg, out / "figures" / "accuracy.png", models=report.grid_models(experiment))

# %%
display(Markdown("Seeds solved per model and point, with the shortcut's accuracy:"))
table(report.seeds_solved_table(ds, experiment), names=names)

# %%
display(Markdown("Test accuracy of every seed:"))
table(report.per_seed_table(ds, experiment), names=names)

# %% [markdown]
# ## Does input dependence close the gap? (beyond the paper)
# The paper's SSMs are time-invariant: one convolution filter for every input. Three input-dependent
# mixers, a gated long convolution (H3/Hyena-style gates around the same filter), a selective SSM
# (Mamba-style input-dependent step size, B and C) and Mamba-2's SSD (the selective SSM with one
# decay per head, computed as chunked masked linear attention), run as two-layer models with and
# without FNN, beside two-layer SSM+FNN and the Transformer, at the points where they ran. How many seeds,
# tasks and learning rates they get on this profile is listed under *What this profile leaves out*.

# %%
dependent = gaps.input_dependent_models(ds)
if dependent:
    display(plots.accuracy_vs_axis(
        ds, cfg, out / "figures" / "input_dependent.png", models=[*report.reference_models(ds, experiment), *dependent],
        tasks=report.tasks_running(experiment, dependent),
        alt="Test accuracy of the input-dependent models (gated convolution, selective SSM, Mamba-2 (SSD); two layers with and without FNN) "
        "beside two-layer SSM+FNN and the Transformer, per seed (points) and median (lines), with the shortcut dashed.",
    ))
    display(Markdown(gaps.input_dependence(ds, cfg)))
    display(table(gaps.input_dependence_table(ds, cfg), names=names))
else:
    display(Markdown("No input-dependent mixer (gated convolution, selective SSM, Mamba-2 (SSD)) is in this grid."))

# %% [markdown]
# ## Other two-layer variants: FNN depth, no FNN, filters

# %%
ablations = report.ablation_models(experiment, dependent)
if ablations:
    display(plots.accuracy_vs_axis(ds, cfg, out / "figures" / "variants.png", models=[*experiment.grid.models, *ablations]))
else:
    display(Markdown("This profile runs no FNN or filter ablation (see *What this profile leaves out* below)."))

# %% [markdown]
# ## Learning rates
# Final validation accuracy at every rate of the sweep, at each task's sweep point and on seed
# `train.lr_seed`; the circled rate is used for every other point and seed of that model. Tasks
# that run one rate on this profile have no panel.

# %%
if diagnostics.swept_tasks(ds):
    display(plots.learning_rates(ds, out / "figures" / "learning_rates.png"))

# %%
display(Markdown("Learning rate chosen per model and task:"))
table(report.chosen_lr_table(ds), digits=4, names=names)

# %% [markdown]
# ## Training curves and whether they have flattened
# Validation accuracy during training at each task's largest point. A run still gaining
# accuracy in its last quarter was stopped by the step budget, not by what the model can learn.

# %%
plots.training_curves(ds, out / "figures" / "training_curves.png")

# %%
plots.late_gains(ds, out / "figures" / "late_gains.png")

# %%
gains = diagnostics.late_gain(ds)
display(Markdown(diagnostics.describe_late_gains(gains)))

# %% [markdown]
# ## A plateau or a limit?
# A run that sits at the shortcut until its steps run out may be on a plateau it would leave with
# more steps. `synthetic.long_runs` trains one seed much longer at one point, at the same learning
# rate and with the cosine schedule stretched over the longer run.

# %%
long_table = diagnostics.long_run_table(ds)
if long_table.empty:
    display(Markdown("This profile runs no long run (`synthetic.long_runs` is empty)."))
else:
    display(plots.long_runs(ds, out / "figures" / "long_runs.png"))
    display(table(long_table, names=names))

# %% [markdown]
# ## The size each model needs (Theorems 3.1 and 3.2)
# The smallest width (d_model, FNN width proportional) at which a model solves a point on at
# least `size_needed.required` of `size_needed.seeds`, and its parameter count, on log axes. Each
# model trains at its chosen learning rate for the task's steps; so "needed" means needed within
# this training budget.

# %%
if ds["size_test_acc"].notnull().any():
    display(plots.size_needed(ds, out / "figures" / "size_needed.png"))
    display(table(diagnostics.size_table(ds).rename(columns={"x": "point"}), names=names))
    display(Markdown(diagnostics.describe_growth(diagnostics.growth(ds))))
else:
    display(Markdown("This profile runs no width search (`synthetic.size_needed.tasks` is empty)."))

# %% [markdown]
# ## Accuracy against width
# As in Zoology's MQAR figure: test accuracy at every width, one panel per point of each task's
# axis; dots are seeds, lines their medians. Only points where every width ran on every seed
# (`synthetic.size_needed.search: full`) are drawn.

# %%
if sizes.full_width_points(ds):
    display(plots.accuracy_vs_width(ds, cfg, out / "figures" / "accuracy_vs_width.png"))
else:
    display(Markdown("Nothing to draw: no point of this profile's width search ran every width on every seed; "
                     "`synthetic.size_needed.search: full` runs them all, bisection only a few."))

# %% [markdown]
# ## Trained sizes against the constructions
# Parameters at the smallest solving width against each task's growth variable (L where the axis
# changes the length, else |W|), beside the constructions experiment's hand-built networks at the
# same task settings (copying and recall only). The table fits log p = a + b log v (power) and
# log p = a + b log log v (poly-log); the smaller residual sum of squares (rss) fits better.

# %%
if ds["size_test_acc"].notnull().any():
    constructions = xr.load_dataset(resolve(constructions_file), engine="h5netcdf")
    display(plots.trained_vs_constructed(sizes.smallest_solving(ds), sizes.constructed_sizes(constructions, ds, experiment),
                                         out / "figures" / "trained_vs_constructed.png"))
    display(table(sizes.size_fits(ds), names=names))
else:
    display(Markdown("This profile runs no width search (`synthetic.size_needed.tasks` is empty)."))

# %% [markdown]
# ## What this profile leaves out
# The default profile fits a CPU budget of about ten minutes on two cores. Each item below runs on
# the paper profile (`profiles/paper.yaml`, one GPU: five seeds, 20000 steps, the full learning-rate
# sweep, longer copies, larger vocabularies, MQAR along pairs and length, the width search, FNN
# depth and filter ablations, and both input-dependent mixers on every task and seed).

# %%
display(Markdown("\n".join(f"- {line}" for line in diagnostics.profile_scope(experiment))))

# %% [markdown]
# ## Configuration of this run

# %%
table(diagnostics.model_table(experiment))

# %%
display(Markdown(report.configuration_text(ds, experiment)))
