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
# # Nonparametric regression: train one model, or fit the references
#
# One cell of the regression experiment (`regression:` in the params file). For a model of
# `regression.models`: every seed, every training-set size n and, for the models listed in
# `regression.fixed_order`, both token orders; the first seed is trained with every learning rate
# and width of the grid and picks the pair per n on its validation split, the other seeds reuse
# that pair. For `references`: the oracle-Γ sieve and the k-NN baseline on the same splits. DVC
# runs this notebook once per model and once for the references; runs go to one worker process
# per CPU core.

# %% tags=["parameters"]
params_file = "params.yaml"
model = "ssm2_fnn"
out_path = "scratch/regression/runs/debug.nc"

# %%
from tokensel.core import compute
from tokensel.core.paths import resolve
from tokensel.core.runs import save
from tokensel.regression import config as regression_config
from tokensel.regression import stage

compute.configure(params_file)  # where runs execute, and the run store that skips finished ones
experiment = regression_config.load(params_file)
ds = stage.run(experiment, model)
save(ds, resolve(out_path))

# %% [markdown]
# Test excess risk per order, n and seed (for a model: at the learning rate and width of each run).

# %%
risk = ds["sieve_risk"] if model == regression_config.REFERENCES else ds["test_risk"].min(["lr", "d_model"]).squeeze("model", drop=True)
risk.to_series().dropna().unstack("n_train")
