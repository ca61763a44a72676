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
# # Synthetic tasks: train one model on one task
#
# A model from `synthetic.models` in the params file, trained on input copying or associative
# recall at every size and seed of `synthetic.grid`, once per learning rate of the sweep
# (`synthetic.train.lrs`). DVC runs this notebook once per task and model; in JupyterLab, change
# the parameters below and re-run. Runs go to one worker process per CPU core.

# %% tags=["parameters"]
params_file = "params.yaml"
task = "copy"
model = "ssm2_fnn2"
out_path = "results/synthetic/runs/debug.nc"

# %%
from tokensel.core.paths import resolve
from tokensel.core.runs import save
from tokensel.synthetic import config as synthetic_config
from tokensel.synthetic import stage

experiment = synthetic_config.load(params_file)
ds = stage.run(experiment, task, model)
save(ds, resolve(out_path))

# %% [markdown]
# Per size, seed and learning rate: test accuracy on answer tokens, exact-match rate, the final
# validation accuracy (which selects the learning rate in the report), steps run before early
# stopping, and seconds of training.

# %%
ds[["final_val_acc", "test_acc", "test_exact", "steps_run", "seconds"]].squeeze(["task", "model"], drop=True).to_dataframe()
