"""Reading the combined results of the genomic experiment: one dataset's slice, the model families,
and the names datasets, methods and runs have in tables and figures."""

from __future__ import annotations

import xarray as xr

from tokensel.genomic.stage import RANDOMISED, SHUFFLED, TRAINED
from tokensel.nn.families import mixer_family, model_families

PAPER_FAMILIES = ("SSM", "Transformer")
DATASET_TITLES = {"motif_order": "motif order (planted)", "janggu": "janggu Oct4 vs MafK"}
METHOD_TITLES = {
    "grad_norm": "gradient norm", "grad_x_input": "gradient × input",
    "integrated_gradients": "integrated gradients", "ism": "in-silico mutagenesis",
}
CONTROL_TITLES = {SHUFFLED: "shuffled labels", RANDOMISED: "random weights"}
def run_name(model: str, control: str) -> str:
    """A run's name in tables and figures: the model, and the control if it is one."""
    return model if control == TRAINED else f"{model}, {CONTROL_TITLES[control]}"


def dataset_title(name: str) -> str:
    return DATASET_TITLES.get(name, name)


def families(results: xr.Dataset) -> dict[str, str]:
    """Model name -> mixer family ("SSM", "Transformer", "gated convolution", "selective SSM")."""
    return model_families(results["model"].values, results["model_spec"].values, mixer_family)


def one_dataset(results: xr.Dataset, dataset: str) -> xr.Dataset:
    """The results of one dataset, trimmed to its own test size (others may be longer)."""
    ds = results.sel(dataset=dataset)
    return ds.isel(test_example=slice(0, int(ds["n_test"])))
