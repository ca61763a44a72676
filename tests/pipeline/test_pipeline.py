"""The notebooks and the DVC pipeline, run for real with tiny parameters."""

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import jupytext
import numpy as np
import papermill
import pytest
import xarray as xr
import yaml

from tokensel.present.nbrun import execute
from tokensel.pipeline.experiments import EXPERIMENTS
from tiny_repo import dvc, env_with_package, tiny_params, tiny_repository

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.py"))


def test_dvc_yaml_parses_and_names_only_existing_notebook_parameters():
    result = subprocess.run([sys.executable, "-m", "dvc", "stage", "list"], cwd=ROOT, capture_output=True, text=True, env=env_with_package())
    assert result.returncode == 0, result.stderr
    assert "synthetic_train@copy" in result.stdout and "synthetic_train@mqar" in result.stdout and "synthetic_report" in result.stdout
    stages = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
    checked = 0
    for stage in stages.values():
        cmd = stage.get("cmd", "")
        match = re.search(r"tokensel\.present\.nbrun (\S+\.py)", cmd)
        if not match:
            continue
        declared = papermill.inspect_notebook(jupytext.read(ROOT / match.group(1)))
        passed = set(re.findall(r"-p (\w+) ", cmd))
        assert passed <= set(declared), f"{match.group(1)} lacks parameters {passed - set(declared)}"
        checked += 1
    notebook_stages = {name for name, stage in stages.items() if "tokensel.present.nbrun" in stage.get("cmd", "")}
    assert checked == len(notebook_stages) and {f"{name}_report" for name in EXPERIMENTS if name != "efficiency"} <= notebook_stages


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_every_notebook_has_a_parameters_cell(notebook):
    cells = jupytext.read(notebook).cells
    assert any("parameters" in c.metadata.get("tags", []) for c in cells), f"{notebook.name} has no parameters cell"


@pytest.mark.slow
def test_synthetic_notebooks_run_with_tiny_parameters(tmp_path, monkeypatch):
    monkeypatch.setenv("TOKENSEL_WORKERS", "1")
    params = tiny_params(tmp_path / "params.yaml")
    runs = tmp_path / "runs"
    for task in ("copy", "recall", "mqar"):
        execute(
            ROOT / "notebooks" / "synthetic_train.py", tmp_path / f"train-{task}.ipynb",
            {"params_file": str(params), "task": task, "out_path": str(runs / f"{task}.nc")},
            log_output=False,
        )
    ds = xr.load_dataset(runs / "copy.nc", engine="h5netcdf")
    assert set(ds.dims) >= {"task", "model", "x", "seed", "lr", "eval_step", "width"}
    finished = ds["test_acc"].values[~np.isnan(ds["test_acc"].values)]
    assert finished.size and ((finished >= 0) & (finished <= 1)).all()
    assert ds["size_test_acc"].notnull().any()

    from tokensel.core.runs import combine, expected_run_files, save

    runs_of_grid = expected_run_files(runs, params, ["synthetic.grid.tasks"])
    results = save(combine(runs_of_grid), tmp_path / "results.nc")
    out = tmp_path / "report"
    execute(
        ROOT / "notebooks" / "synthetic_report.py", tmp_path / "report.ipynb",
        {"params_file": str(params), "results_file": str(results), "out_dir": str(out)},
        html=out / "index.html", log_output=False,
    )
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["claim"] and set(metrics["median_accuracy"]) == {"copy", "recall", "mqar"}
    assert {p.name for p in (out / "figures").glob("*.png")} == {
        "accuracy.png", "input_dependent.png", "learning_rates.png", "training_curves.png", "late_gains.png", "long_runs.png", "size_needed.png",
        "trained_vs_constructed.png"}
    assert {p.name for p in out.glob("accuracy-*.csv")} == {"accuracy-copy.csv", "accuracy-recall.csv", "accuracy-mqar.csv"}
    html = (out / "index.html").read_text()
    assert "Verdict" in html and "what the paper reports" in html and "tokensel" not in html.split("<body", 1)[1].split("Configuration", 1)[0], "code leaked into the report"


@pytest.fixture(scope="module")
def reproduced_repo(tmp_path_factory) -> Path:
    """A copy of the repository (tiny parameters) after one full `dvc repro`, committed to git."""
    work = tiny_repository(tmp_path_factory.mktemp("pipeline") / "repo")
    return work


@pytest.mark.slow
def test_dvc_repro_end_to_end_on_a_copy_of_the_repository(reproduced_repo):
    work = reproduced_repo
    for path in ("reports/index.html", "reports/synthetic/index.html", "reports/synthetic/metrics.json",
                 "reports/synthetic/accuracy-copy.csv", "reports/synthetic/figures/accuracy.png", "results/synthetic/results.nc",
                 "reports/regression/index.html", "reports/regression/metrics.json", "reports/genomic/index.html",
                 "reports/genomic/metrics.json", "reports/efficiency/index.html", "reports/efficiency/metrics.json",
                 "reports/stage_times.csv"):
        assert (work / path).is_file(), f"dvc repro did not produce {path}"
    index = (work / "reports/index.html").read_text()
    assert all(f"{name}/index.html" in index for name in ("synthetic", "regression", "genomic", "efficiency"))
    assert "<td>synthetic train</td><td>3</td>" in index  # one row per stage group, from the executed notebooks
    assert "median_accuracy" in dvc(work, "metrics", "show", "--json").stdout
    plots = dvc(work, "plots", "show", "--json")
    assert "could not find provided field" not in plots.stdout + plots.stderr, "a declared plot names a column no stage writes"
    assert "up to date" in dvc(work, "status", "dvc.yaml").stdout


@pytest.mark.slow
def test_dvc_queue_runs_parameter_sets_side_by_side(reproduced_repo):
    """The README's recipe for a bigger machine: queue parameter sets, run them with -j 2."""
    work = reproduced_repo
    for steps in (4, 5):
        dvc(work, "exp", "run", "--queue", "--name", f"steps-{steps}", "-S", f"synthetic.train.steps={steps}")
    dvc(work, "queue", "start", "-j", "2")
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        status = dvc(work, "queue", "status").stdout
        if not re.search(r"\b(Queued|Running)\b", status):
            break
        time.sleep(5)
    assert status.count("Success") == 2, status + dvc(work, "queue", "logs", "steps-4", check=False).stdout[-3000:]
    shown = json.loads(dvc(work, "exp", "show", "--json").stdout)
    experiments = {e["name"]: e for revision in shown for e in revision.get("experiments") or []}
    assert {"steps-4", "steps-5"} <= set(experiments)
    for name, steps in (("steps-4", 4), ("steps-5", 5)):
        run = experiments[name]["revs"][0]["data"]
        assert run["params"]["params.yaml"]["data"]["synthetic"]["train"]["steps"] == steps
        assert "reports/synthetic/metrics.json" in run["metrics"]


@pytest.mark.slow
def test_bad_params_stop_dvc_repro_before_training_and_delete_nothing(reproduced_repo, tmp_path):
    work = reproduced_repo
    params = work / "params.yaml"
    good = params.read_text()
    before = {p: p.read_bytes() for p in (work / "results").rglob("*.nc")} | {p: p.read_bytes() for p in (work / "reports").rglob("*.html")}
    raw = yaml.safe_load(good)
    raw["synthetic"]["train"]["steps"] = "lots"
    raw["regression"]["task"]["seq_len"] = -10
    params.write_text(yaml.safe_dump(raw, sort_keys=False))
    try:
        started = time.monotonic()
        result = dvc(work, "repro", check=False)
        assert result.returncode != 0
        output = result.stdout + result.stderr
        assert "'synthetic.train.steps' must be an integer, got 'lots'" in output
        assert "'regression.task.seq_len' must be at least 1, got -10" in output
        assert "synthetic_train" not in output.split("validate", 1)[0], "a stage ran before the validation"
        assert time.monotonic() - started < 120
        after = {p: p.read_bytes() for p in before if p.exists()}
        assert after == before, "a result was deleted or changed by a failed validation"
    finally:
        params.write_text(good)
    assert "up to date" in dvc(work, "status", "dvc.yaml").stdout, "the failed validation left stages to rerun (an output was deleted)"
