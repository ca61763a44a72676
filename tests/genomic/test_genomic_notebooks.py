"""Both genomic notebooks end to end on the tiny profile: every dataset, the combine step, the report."""

from __future__ import annotations

import json

import pytest
import xarray as xr
import yaml
from tiny import TINY_GENOMIC

from tokensel.core import verdicts
from tokensel.core.runs import ENGINE, combine, save


@pytest.mark.slow
def test_train_and_report_notebooks(tmp_path, run_notebook) -> None:
    params = tmp_path / "params.yaml"
    params.write_text(yaml.safe_dump({"genomic": TINY_GENOMIC}))
    runs = tmp_path / "runs"
    for dataset in TINY_GENOMIC["datasets"]:
        run_notebook("genomic_train", {"params_file": str(params), "dataset": dataset, "out_path": str(runs / f"{dataset}.nc")})
    combined = combine(runs.glob("*.nc"))
    assert dict(combined.sizes)["dataset"] == 2 and list(combined["control"].values) == ["randomised", "shuffled", "trained"]
    # The motif-order run chose one of the ssm's two learning rates; both are recorded.
    sweep = combined["sweep_lr"].sel(dataset="motif_order", model="ssm").values
    assert sorted(sweep.tolist()) == [0.003, 0.01] and float(combined["lr"].sel(dataset="motif_order", model="ssm", seed=1, control="trained")) in sweep
    save(combined, tmp_path / "results.nc")

    out = tmp_path / "report"
    html = tmp_path / "index.html"
    run_notebook("genomic_report", {"params_file": str(params), "results_file": str(tmp_path / "results.nc"), "out_dir": str(out)}, html=html)
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["verdict"] in verdicts.VERDICTS and not metrics["claim"].lower().startswith(metrics["verdict"])
    assert set(metrics["cases"]) == {f"{d}/{m}" for d in TINY_GENOMIC["datasets"] for m in TINY_GENOMIC["models"]}
    assert (out / "details.json").is_file() and "accuracy" in (out / "accuracy.csv").read_text()
    figures = {p.name for p in (out / "figures").glob("*.png")}
    assert {"accuracy.png", "training_curves.png", "follow.png", "motif_auroc.png", "sparsity.png", "learning_rates.png", "tracks_janggu.png"} <= figures
    page = html.read_text()
    (tmp_path.parent / "genomic_tiny_page.html").write_text(page)
    assert "2-mer" in page and "shuffled labels" in page and "random weights" in page and "(sets the verdict)" in page
    assert "Oct4 motif (ATGCAAAT)" in page and "effect of the motif" in page
    assert int(xr.load_dataset(runs / "janggu.nc", engine=ENGINE)["n_attributed"].squeeze()) == 4
