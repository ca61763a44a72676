"""Combine genomic run files: ``python -m tokensel.genomic.combine RUNS_DIR OUT.nc``.

``tokensel.results.combine`` (``xr.combine_by_coords``) alone is wrong here: datasets of
different sequence lengths have different ``position``/``rank`` coordinates, and
``combine_by_coords`` then treats those as dimensions to concatenate along, broadcasting every
scalar over them. So runs are combined per dataset (equal lengths), and the per-dataset results
are concatenated along ``dataset`` with an outer join on positions (NaN past a shorter length).
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Iterable

import xarray as xr

from tokensel.core.errors import ConfigError
from tokensel.core.runs import ENGINE, combine, combine_cli


def combine_runs(paths: Iterable[str | Path]) -> xr.Dataset:
    """One Dataset with dimensions (dataset, model, seed, ...) from run files of ``tokensel.genomic.stage.run``."""
    by_dataset: dict[str, list[Path]] = defaultdict(list)
    for path in sorted(Path(p) for p in paths):
        with xr.open_dataset(path, engine=ENGINE) as ds:
            by_dataset[str(ds["dataset"].values[0])].append(path)
    if not by_dataset:
        raise ConfigError("No genomic run files to combine. Run the genomic_train stages first (dvc repro).")
    parts = [combine(files) for _, files in sorted(by_dataset.items())]
    return xr.concat(parts, dim="dataset", join="outer", data_vars="all", coords="different", compat="equals")


def main(argv: list[str] | None = None) -> int:
    """``python -m tokensel.genomic.combine RUNS_DIR OUT --params params.yaml --axes ...``."""
    return combine_cli(__doc__, combine_runs, argv)


if __name__ == "__main__":
    raise SystemExit(main())
