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
from tokensel.core.results import render
from tokensel.core.tables import table
from tokensel.nn import families
from tokensel.synthetic import analysis, diagnostics, gaps, outputs, plots, sizes
from tokensel.synthetic import config as synthetic_config

experiment = synthetic_config.load(params_file)
cfg = experiment.verdict
out = resolve(out_dir)
ds = xr.load_dataset(resolve(results_file), engine="h5netcdf")
metrics = outputs.write_metrics(ds, cfg, out)
_ = outputs.write_plot_csvs(ds, cfg, out)
points = analysis.point_verdicts(ds, cfg)
names = families.readable_names(ds["model"].values, ds["model_spec"].values)
render(outputs.results_summary(ds, cfg, metrics))

# %% [markdown]
# ## Verdict

# %%
lines = [f"**{metrics['verdict'].capitalize()}** on the {profile_name(params_file)} profile."]
for task in dict.fromkeys(p.task for p in points):
    lines.append(f"- {analysis.describe_task(task, diagnostics.axis_name(ds, task), [p for p in points if p.task == task])}")
lines.append(
    f"\nA seed solves a point at test accuracy ≥ {cfg.solved_acc:g}; a model solves it when more than "
    f"{cfg.solved_fraction:.0%} of its seeds do. A point counts only where the Transformer solves it and the shortcut "
    f"does not (the controls). There, two-layer SSM+FNN is *comparable* when it solves the point too, or when every one of its "
    f"seeds is within {cfg.comparable_margin:g} of every Transformer seed; it *outperforms one layer* when it solves the point "
    f"and one-layer SSM+FNN does not, or when every two-layer seed is ≥ {cfg.separation_margin:g} above every one-layer seed. "
    "Where seeds fall on both sides of a margin the point is undecided: no verdict rests on one run near a margin. "
    "These margins are ours, fixed before the runs."
)
display(Markdown("\n".join(lines)))

# %% [markdown]
# ## Accuracy against length and vocabulary
# Every seed is a point, lines join the seed medians; dashed: the shortcut, dotted: the solved
# threshold.

# %%
plots.accuracy_vs_axis(ds, cfg, out / "figures" / "accuracy.png", models=[m for m in experiment.all_models if any(m in experiment.models_of(t) for t in experiment.grid.tasks)])

# %%
summary = analysis.model_summary(ds, cfg)
summary["seeds solved"] = summary["solved"].astype(int).astype(str) + "/" + summary["seeds"].astype(int).astype(str)
shortcuts = analysis.shortcut_table(ds)
wide = summary.pivot_table(index=["task", "x"], columns="model", values="seeds solved", aggfunc="first").reset_index()
wide = wide.merge(shortcuts, on=["task", "x"], how="left").rename(columns={"x": "point", "shortcut_acc": "shortcut"})
display(Markdown("Seeds solved per model and point, with the shortcut's accuracy:"))
table(wide[["task", "point", *[m for m in experiment.all_models if m in wide.columns], "shortcut"]], names=names)

# %%
seeds = analysis.per_seed(ds, cfg)
per_seed = seeds.pivot_table(index=["task", "model", "x"], columns="seed", values="test_acc").reset_index()
per_seed.columns = [f"seed {c}" if isinstance(c, (int, float)) else c for c in per_seed.columns]
display(Markdown("Test accuracy of every seed:"))
table(per_seed.rename(columns={"x": "point"}), names=names)

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
    references = [m for m in experiment.grid.models if diagnostics.model_families(ds).get(m) in (families.SSM2_FNN, families.TRANSFORMER)]
    dependent_tasks = [t for t in experiment.grid.tasks if any(m in experiment.all_models_of(t) for m in dependent)]
    display(plots.accuracy_vs_axis(
        ds, cfg, out / "figures" / "input_dependent.png", models=[*references, *dependent], tasks=dependent_tasks,
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
ablations = [m for m in experiment.all_models if m not in experiment.grid.models and m not in dependent]
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
lrs = diagnostics.lr_table(ds)
chosen = lrs[lrs["chosen"]].pivot_table(index="model", columns="task", values="lr").reset_index()
display(Markdown("Learning rate chosen per model and task:"))
table(chosen, digits=4, names=names)

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
train_cfg = experiment.train
task_lines = [
    f"- {name}: {diagnostics.axis_name(ds, name)} ∈ {list(spec.values)}, learning rates {list(experiment.lrs_of(name))} "
    f"(chosen at {spec.lr_sweep_at}), {experiment.steps_of(name)} steps; "
    + ", ".join(f"{key} {value}" for key, value in spec.settings.items())
    for name, spec in experiment.tasks.items() if name in experiment.grid.tasks
]
display(Markdown("\n".join([
    f"Training: batch {train_cfg.batch_size}, AdamW (weight decay {train_cfg.weight_decay}), cosine schedule with "
    f"{train_cfg.warmup_fraction:.0%} warm-up, gradient clip {train_cfg.grad_clip}, learning rates chosen on seed "
    f"{train_cfg.lr_seed}, d_model {train_cfg.d_model}, early stop at validation accuracy "
    f"{train_cfg.early_stop_acc}; seeds {list(experiment.grid.seeds)}; {train_cfg.n_val} validation and "
    f"{train_cfg.n_test} test examples per run.",
    *task_lines,
    f"\nTraining took {diagnostics.total_cpu_seconds(ds) / 60:.1f} CPU-minutes (single-threaded runs).",
])))
