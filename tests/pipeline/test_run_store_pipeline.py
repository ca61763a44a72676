"""`dvc repro` after a finished stage's outputs were deleted rebuilds them from the run store, even
when DVC's own cache cannot restore them."""

from __future__ import annotations

import pytest
import xarray as xr
from tiny_repo import dvc, tiny_repository


@pytest.mark.slow
def test_deleted_outputs_are_rebuilt_from_the_store_without_training(tmp_path, monkeypatch):
    monkeypatch.setenv("TOKENSEL_STORE", str(tmp_path / "store"))
    work = tiny_repository(tmp_path / "repo", "synthetic_train@copy")  # trains every run into the empty store
    assert any((tmp_path / "store").rglob("*")), "the first reproduction stored no run"
    output = work / "results/synthetic/runs/copy.nc"
    trained = xr.load_dataset(output)
    output.unlink()
    # Forced, as when DVC's own cache lacks the outputs too (a fresh clone, `dvc gc`): the stage's
    # command really runs again, and asks the store.
    again = dvc(work, "repro", "--force", "--single-item", "synthetic_train@copy")
    log = again.stdout + again.stderr
    assert "copy: 0 runs trained" in log, log[-3000:]
    xr.testing.assert_identical(xr.load_dataset(output), trained)
