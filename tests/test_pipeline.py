"""The notebooks and the DVC pipeline, run for real with tiny parameters."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jupytext
import papermill
import pytest
import xarray as xr
import yaml

from tokensel.nbrun import execute
from tiny import TINY_EFFICIENCY, TINY_GENOMIC, TINY_REGRESSION, TINY_SYNTHETIC

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.py"))



def tiny_params(path: Path) -> Path:
    raw = yaml.safe_load((ROOT / "params.yaml").read_text())
    raw["profile"] = "tiny"
    raw["synthetic"] = TINY_SYNTHETIC
    raw["regression"] = {**TINY_REGRESSION, "seeds": [0]}
    raw["genomic"] = TINY_GENOMIC
    raw["efficiency"] = TINY_EFFICIENCY
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


def env_with_package() -> dict:
    env = dict(os.environ, TOKENSEL_WORKERS="1", DVC_NO_ANALYTICS="1")
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    env["PYTHONPATH"] = f"{ROOT / 'src'}{os.pathsep}{env.get('PYTHONPATH', '')}"
    return env


def test_dvc_yaml_parses_and_names_only_existing_notebook_parameters():
    result = subprocess.run([sys.executable, "-m", "dvc", "stage", "list"], cwd=ROOT, capture_output=True, text=True, env=env_with_package())
    assert result.returncode == 0, result.stderr
    assert "synthetic_train@copy-ssm2_fnn1" in result.stdout and "synthetic_report" in result.stdout
    stages = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
    checked = 0
    for stage in stages.values():
        cmd = stage.get("cmd", "")
        match = re.search(r"tokensel\.nbrun (\S+\.py)", cmd)
        if not match:
            continue
        declared = papermill.inspect_notebook(jupytext.read(ROOT / match.group(1)))
        passed = set(re.findall(r"-p (\w+) ", cmd))
        assert passed <= set(declared), f"{match.group(1)} lacks parameters {passed - set(declared)}"
        checked += 1
    assert checked >= 2


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_every_notebook_has_a_parameters_cell(notebook):
    cells = jupytext.read(notebook).cells
    assert any("parameters" in c.metadata.get("tags", []) for c in cells), f"{notebook.name} has no parameters cell"


@pytest.mark.slow
def test_synthetic_notebooks_run_with_tiny_parameters(tmp_path, monkeypatch):
    monkeypatch.setenv("TOKENSEL_WORKERS", "1")
    params = tiny_params(tmp_path / "params.yaml")
    runs = tmp_path / "runs"
    for task in ("copy", "recall"):
        for model in ("ssm1", "ssm2", "tf"):
            execute(
                ROOT / "notebooks" / "synthetic_train.py", tmp_path / f"train-{task}-{model}.ipynb",
                {"params_file": str(params), "task": task, "model": model, "out_path": str(runs / f"{task}-{model}.nc")},
                log_output=False,
            )
    ds = xr.load_dataset(runs / "copy-tf.nc", engine="h5netcdf")
    assert set(ds.dims) >= {"task", "model", "seq_len", "seed", "lr", "eval_step"}
    assert float(ds["test_acc"].min()) >= 0

    from tokensel.results import combine, expected_run_files, save

    runs_of_grid = expected_run_files(runs, params, ["synthetic.grid.tasks", "synthetic.grid.models"])
    results = save(combine(runs_of_grid), tmp_path / "results.nc")
    out = tmp_path / "report"
    execute(
        ROOT / "notebooks" / "synthetic_report.py", tmp_path / "report.ipynb",
        {"params_file": str(params), "results_file": str(results), "out_dir": str(out)},
        html=out / "index.html", log_output=False,
    )
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["claim"] and set(metrics["test_acc_at_longest"]) == {"copy", "recall"}
    assert {p.name for p in (out / "figures").glob("*.png")} == {"accuracy_vs_length.png", "training_curves.png", "lr_sensitivity.png"}
    html = (out / "index.html").read_text()
    assert "Verdict" in html and "tokensel" not in html.split("<body", 1)[1].split("Configuration", 1)[0], "code leaked into the report"


@pytest.mark.slow
def test_dvc_repro_end_to_end_on_a_copy_of_the_repository(tmp_path):
    work = tmp_path / "repo"
    ignore = shutil.ignore_patterns(".git", ".venv", "results", "reports", "cache", "tmp", "__pycache__", "*.egg-info", ".pytest_cache", "*.ipynb")
    shutil.copytree(ROOT, work, ignore=ignore)
    tiny_params(work / "params.yaml")
    env = env_with_package()
    subprocess.run(["git", "init", "-q"], cwd=work, check=True)
    result = subprocess.run([sys.executable, "-m", "dvc", "repro"], cwd=work, capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    for path in ("reports/index.html", "reports/synthetic/index.html", "reports/synthetic/metrics.json",
                 "reports/synthetic/accuracy.csv", "reports/synthetic/figures/accuracy_vs_length.png", "results/synthetic/results.nc",
                 "reports/regression/index.html", "reports/regression/metrics.json", "reports/genomic/index.html",
                 "reports/genomic/metrics.json", "reports/efficiency/index.html", "reports/efficiency/metrics.json"):
        assert (work / path).is_file(), f"dvc repro did not produce {path}"
    index = (work / "reports/index.html").read_text()
    assert all(f"{name}/index.html" in index for name in ("synthetic", "regression", "genomic", "efficiency"))
    shown = subprocess.run([sys.executable, "-m", "dvc", "metrics", "show", "--json"], cwd=work, capture_output=True, text=True, env=env)
    assert shown.returncode == 0 and "test_acc_at_longest" in shown.stdout
    again = subprocess.run([sys.executable, "-m", "dvc", "status"], cwd=work, capture_output=True, text=True, env=env)
    assert "up to date" in again.stdout, again.stdout
