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
# # Genomic experiment: train and attribute every model on one dataset
#
# One cell of the genomic grid: on one DNA classification dataset, the baseline ladder, the
# known-answer motif model, and every model of `genomic.models` (two seeds, and two negative
# controls: a run on shuffled labels and the same network with random weights), each scored on the test split and explained base by base on the
# attributed test inputs and on copies of them with the motif moved. DVC runs this notebook once
# per dataset; in JupyterLab, change the parameters below and re-run.

# %% tags=["parameters"]
params_file = "params.yaml"
dataset = "motif_order"
out_path = "scratch/genomic/runs/debug.nc"

# %%
from tokensel.core import compute
from tokensel.core.paths import resolve
from tokensel.core.runs import save
from tokensel.genomic import config as genomic_config
from tokensel.genomic import stage

compute.configure(params_file)  # where runs execute, and the run store that skips finished ones
experiment = genomic_config.load(params_file)
ds = stage.run(experiment, dataset)
save(ds, resolve(out_path))

# %% [markdown]
# Test accuracy of every run, and of the baselines.

# %%
ds["test_acc"].squeeze("dataset", drop=True).to_dataframe().dropna().unstack("control")

# %%
ds["baseline_acc"].squeeze("dataset", drop=True).to_series()
