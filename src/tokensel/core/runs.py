"""Run files: one netCDF file (an xarray Dataset) per pipeline stage, combined for the reports.

Files are written to a temporary name and renamed, so a crash never leaves a half-written result
in place of a good one. The combine step (``python -m tokensel.core.runs RUNS_DIR OUT --params
params.yaml --axes KEY ...``) takes exactly the run files that the params matrix defines, so runs
left over from another profile are never mixed in; it imports no torch.
"""

from __future__ import annotations

import itertools
import os
import sys
from pathlib import Path
from typing import Any, Iterable, Mapping

import pandas as pd
import xarray as xr

from tokensel.core.errors import ConfigError
from tokensel.core.params_file import lookup, read_params

ENGINE = "h5netcdf"


def save(ds: xr.Dataset, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    ds = ds.copy()
    for variable in ds.variables.values():
        # Encodings inherited from loaded files (e.g. a fixed string width of 4 from 'copy')
        # would truncate values that were combined in later ('recall' -> 'reca').
        variable.encoding = {}
    ds.to_netcdf(partial, engine=ENGINE)
    os.replace(partial, path)
    return path


def combine(paths: Iterable[str | Path]) -> xr.Dataset:
    paths = sorted(Path(p) for p in paths)
    if not paths:
        raise ConfigError("No run files to combine. Run the training stages first (dvc repro).")
    return merge_runs([load_run(p) for p in paths])


def load_run(path: Path) -> xr.Dataset:
    """One run file; a truncated or corrupted file is a one-line error naming it and its training stage."""
    try:
        return xr.load_dataset(path, engine=ENGINE)
    except (OSError, ValueError, KeyError, RuntimeError) as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        stage = f"{path.parent.parent.name}_train@{path.stem}"
        raise ConfigError(f"{path} is not a readable run file (truncated or corrupted: {reason}). "
                          f"Retrain it: dvc repro --force {stage}") from None


def merge_runs(datasets: list[xr.Dataset]) -> xr.Dataset:
    """Union of run Datasets covering disjoint cells; coordinates are joined, absent cells are NaN.

    ``xr.combine_by_coords`` would need the runs to tile a hypercube with monotonic coordinates,
    which runs of tasks with interleaved sequence lengths (copy 9, 33; recall 6, 12) do not.
    """
    return xr.merge(datasets, compat="no_conflicts", join="outer", combine_attrs="drop_conflicts")


def tidy(ds: xr.Dataset, variables: list[str]) -> pd.DataFrame:
    """Long-form frame for seaborn, dropping cells that were not run."""
    frame = ds[variables].to_dataframe().reset_index()
    return frame.dropna(subset=variables)


def matrix_keys(params: Mapping[str, Any], axes: list[str]) -> list[str]:
    """DVC's ``${key}`` for every stage of a ``matrix`` whose axes are these dotted params keys.

    A list axis contributes its items, a mapping axis its keys (as DVC's matrix does), so the
    combine step asks for exactly the runs the current params define and never picks up a stale
    file left by another profile.
    """
    values = [list(lookup(params, dotted)) for dotted in axes]
    return ["-".join(str(v) for v in combo) for combo in itertools.product(*values)]


def expected_run_files(runs_dir: str | Path, params_file: str | Path, axes: list[str]) -> list[Path]:
    params = read_params(params_file)
    paths = [Path(runs_dir) / f"{key}.nc" for key in matrix_keys(params, axes)]
    missing = [p.name for p in paths if not p.is_file()]
    if missing:
        raise ConfigError(
            f"{len(missing)} of {len(paths)} run files are missing in {runs_dir} (e.g. {missing[0]}). "
            "Run the training stages first: dvc repro."
        )
    return paths


def combine_cli(description: str, combiner, argv: list[str] | None = None) -> int:
    """Shared command line of the combine steps: RUNS_DIR OUT --params FILE --axes KEY [KEY ...]."""
    import argparse

    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("runs_dir")
    parser.add_argument("out")
    parser.add_argument("--params", default="params.yaml")
    parser.add_argument("--axes", nargs="+", required=True, help="dotted params keys of the training matrix")
    args = parser.parse_args(argv)
    try:
        paths = expected_run_files(args.runs_dir, args.params, args.axes)
        combined = combiner(paths)
    except ConfigError as error:
        print("\n".join(error.problems), file=sys.stderr)
        return 2
    save(combined, args.out)
    print(f"combined {len(paths)} runs -> {args.out}: {dict(combined.sizes)}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """``python -m tokensel.core.runs RUNS_DIR OUT --params params.yaml --axes a.b c.d``: combine a grid's runs."""
    return combine_cli(main.__doc__, combine, argv)


if __name__ == "__main__":
    raise SystemExit(main())
