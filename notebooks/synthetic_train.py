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
# # Synthetic tasks: train every model on one task
#
# Every model of `synthetic.grid` on one task of `synthetic.tasks`: first its learning-rate sweep
# (the task's `lrs`, default `synthetic.train.lrs`) at the task's `lr_sweep_at` point, then, at the rate chosen on
# validation, every point of the task's axis and every seed, and the width search of
# `synthetic.size_needed`. DVC runs this notebook once per task; in JupyterLab, change the
# parameters below and re-run. Runs go to the executor of `compute` (by default one worker
# process per CPU core); runs already in the run store are reused, not trained again.

# %% tags=["parameters"]
params_file = "params.yaml"
task = "recall"
out_path = "scratch/synthetic/runs/debug.nc"

# %%
from tokensel.core import compute
from tokensel.core.paths import resolve
from tokensel.core.runs import save
from tokensel.synthetic import config as synthetic_config
from tokensel.synthetic import stage

compute.configure(params_file)  # where runs execute, and the run store that skips finished ones
experiment = synthetic_config.load(params_file)
ds = stage.run(experiment, task)
save(ds, resolve(out_path))

# %% [markdown]
# Per model, point and seed: test accuracy on answer tokens, steps run before early stopping and
# CPU seconds; then the learning rate chosen per model.

# %%
ds[["test_acc", "steps_run", "cpu_seconds"]].squeeze("task", drop=True).reset_coords(drop=True).to_dataframe().dropna().round(3)

# %%
ds["chosen_lr"].squeeze("task", drop=True).reset_coords(drop=True).to_dataframe()
