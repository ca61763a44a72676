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
# # Genomic experiment: train one classifier and attribute its decisions
#
# One cell of the genomic grid (paper §7): a model from `genomic.models` trained on one DNA
# classification dataset with one seed, scored on the held-out test split, then explained
# token by token (gradient norm, gradient x input, integrated gradients) on a fixed subset of
# test inputs. DVC runs this notebook once per (dataset, model, seed); in JupyterLab, change
# the parameters below and re-run.

# %% tags=["parameters"]
params_file = "params.yaml"
dataset = "janggu"
model = "ssm"
seed = 0
out_path = "results/genomic/runs/debug.nc"

# %%
from tokensel.core.paths import resolve
from tokensel.core.runs import save
from tokensel.genomic import config as genomic_config
from tokensel.genomic import stage

experiment = genomic_config.load(params_file)
ds = stage.run(experiment, dataset, model, int(seed))
save(ds, resolve(out_path))

# %% [markdown]
# Test scores, and the size and training time of the model.

# %%
ds[["test_acc", "test_auroc", "n_params", "seconds"]].squeeze(drop=True).to_pandas()

# %% [markdown]
# Importance per attribution method, averaged over the attributed test inputs:
# `mass_fraction_50`/`_90` is the fraction of tokens carrying 50%/90% of the attribution mass
# (uniform importance: 0.5/0.9), `motif_auroc` the agreement with the motif bases (0.5 = chance),
# `input_dependence` 0 when every input has the same top positions and 1 at chance overlap.

# %%
measures = ["mass_fraction_50", "mass_fraction_90", "gini", "motif_auroc", "jaccard_pairs", "input_dependence", "top1_entropy"]
ds[measures].mean("example").squeeze(drop=True).to_dataframe()[measures]
