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
# # Constructions: build and score one part
#
# One part of the constructions experiment (`constructions:` in the params file): the networks
# whose weights are set by formula are built for every cell of the part and scored against the
# exact targets (`selection`, `copy`, `recall`, `precision`), the closed-form costs are tabulated
# on a wide grid (`costs`), or the constructions are perturbed and fine-tuned (`bridge`, the only
# part that trains). DVC runs this notebook once per part; cells go to one worker per CPU core.

# %% tags=["parameters"]
params_file = "params.yaml"
part = "copy"
out_path = "scratch/constructions/runs/debug.nc"

# %%
from tokensel.constructions import config as constructions_config
from tokensel.constructions import stage
from tokensel.core import compute
from tokensel.core.paths import resolve
from tokensel.core.runs import save

compute.configure(params_file)  # where runs execute, and the run store that skips finished ones
experiment = constructions_config.load(params_file)
ds = stage.run(experiment, part)
save(ds, resolve(out_path))

# %% [markdown]
# The variables of this part and their sizes, and the single-threaded CPU seconds it took.

# %%
{name: dict(ds[name].sizes) for name in ds.data_vars}

# %%
round(float(sum(ds[v].sum() for v in ds.data_vars if v.endswith("cpu_seconds"))), 1)
