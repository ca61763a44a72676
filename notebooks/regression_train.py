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
# # Nonparametric regression: train one model for one seed
#
# One cell of the regression grid (`regression:` in the params file): the model is trained on the
# piecewise gamma-smooth task at every training-set size n, at every learning rate of the sweep;
# if it is a fixed-order control model it is also trained on the fixed-order task, and if it is in
# the width sweep it is retrained at the largest n with every width. The seed fixes the target g,
# the data, the initialisation and the batch order. DVC runs this notebook once per (model, seed).

# %% tags=["parameters"]
params_file = "params.yaml"
model = "ssm2_fnn"
seed = 0
out_path = "results/regression/runs/debug.nc"

# %%
from tokensel.core.paths import resolve
from tokensel.core.runs import save
from tokensel.regression import config as regression_config
from tokensel.regression import stage

experiment = regression_config.load(params_file)
ds = stage.run(experiment, model, int(seed))
save(ds, resolve(out_path))

# %% [markdown]
# Test excess risk at the last checkpoint, per order, n and learning rate (the report instead
# picks the learning rate and stopping step on the validation split).

# %%
ds["test_risk"].isel(eval_step=-1, model=0, seed=0).to_series().dropna().unstack("lr")
