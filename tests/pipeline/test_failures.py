"""A failed, interrupted or killed stage never destroys published results (tiny pipeline, for real)."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
import yaml

from tiny_repo import committed_outputs, dvc, env_with_package, git, tiny_repository

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def synthetic_repo(tmp_path_factory) -> Path:
    """A tiny copy of the repository with the synthetic experiment reproduced and committed."""
    return tiny_repository(tmp_path_factory.mktemp("failures") / "repo", "synthetic_report")


def truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


@pytest.mark.slow
def test_a_failed_stage_keeps_every_committed_output(synthetic_repo):
    work = synthetic_repo
    published = committed_outputs(work)
    assert "results/synthetic/results.nc" in published and "reports/synthetic/index.html" in published

    # A report stage that fails (its input is unreadable) leaves the published report folder as it was.
    truncate(work / "results/synthetic/results.nc")
    dvc(work, "commit", "--force", "synthetic_combine")
    failed = dvc(work, "repro", check=False)
    assert failed.returncode != 0 and "synthetic_report" in failed.stderr
    unchanged = {p: b for p, b in published.items() if p != "results/synthetic/results.nc"}
    assert {p: (work / p).read_bytes() for p in unchanged if (work / p).is_file()} == unchanged, "a failed report deleted or changed a committed output"
    assert not list((work / "reports").glob("*.partial")), "a half-built report folder was left behind"
    git(work, "checkout", "--", "results/synthetic/results.nc")
    dvc(work, "commit", "--force", "synthetic_combine")

    # A combine stage that meets a corrupted run file: one line naming the file and the command that rebuilds it.
    truncate(work / "results/synthetic/runs/copy.nc")
    dvc(work, "commit", "--force", "synthetic_train@copy")
    failed = dvc(work, "repro", check=False)
    assert failed.returncode != 0
    lines = [line for line in failed.stderr.splitlines() if "copy.nc" in line and "ERROR" not in line]
    assert lines == ["results/synthetic/runs/copy.nc is not a readable run file (truncated or corrupted: "
                     + lines[0].split("corrupted: ", 1)[1]], failed.stderr
    assert lines[0].endswith("Retrain it: dvc repro --force synthetic_train@copy") and "Traceback" not in failed.stderr
    assert {p: (work / p).read_bytes() for p in published if (work / p).is_file()} == published, "a failed combine deleted or changed a committed output"

    dvc(work, "repro", "--force", "synthetic_train@copy")
    dvc(work, "repro", "synthetic_report")
    assert committed_outputs(work).keys() == published.keys()


def descendants(process: psutil.Process) -> list[psutil.Process]:
    try:
        return process.children(recursive=True)
    except psutil.NoSuchProcess:
        return []


@pytest.mark.slow
def test_killing_dvc_leaves_no_runner_kernel_or_worker_running(synthetic_repo):
    """SIGKILL of `dvc repro` mid-training: every process it started ends within seconds, none writes."""
    work = synthetic_repo
    params = work / "params.yaml"
    good = params.read_text()
    raw = yaml.safe_load(good)
    raw["synthetic"]["train"]["steps"] = 100_000
    params.write_text(yaml.safe_dump(raw, sort_keys=False))
    run_file = work / "results/synthetic/runs/copy.nc"
    try:
        repro = subprocess.Popen([sys.executable, "-m", "dvc", "repro", "synthetic_train@copy"], cwd=work, env=env_with_package(TOKENSEL_WORKERS="2"),
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline, started = time.monotonic() + 180, []
        while time.monotonic() < deadline:
            started = descendants(psutil.Process(repro.pid))
            commands = [" ".join(p.cmdline()) for p in started if p.is_running()]
            if any("ipykernel" in c for c in commands) and sum("multiprocessing" in c for c in commands) >= 2:
                break
            time.sleep(0.5)
        time.sleep(2)
        started = descendants(psutil.Process(repro.pid))
        commands = [" ".join(p.cmdline()) for p in started]
        assert sum("ipykernel" in c for c in commands) == 1 and sum("multiprocessing" in c for c in commands) >= 2, commands
        repro.send_signal(signal.SIGKILL)
        repro.wait()
        _, alive = psutil.wait_procs(started, timeout=15)
        alive = [p for p in alive if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
        assert not alive, f"still running after dvc was killed: {[p.cmdline() for p in alive]}"
        assert not run_file.exists(), "a run file appeared after dvc was killed"
    finally:
        params.write_text(good)
        dvc(work, "checkout", "--force", "synthetic_train@copy", check=False)


def test_every_committed_output_is_persistent_and_every_report_folder_is_swapped_in():
    """DVC deletes a stage's outputs before running it unless they are persistent."""
    stages = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
    for name, stage in stages.items():
        for out in stage.get("outs", []) + stage.get("metrics", []) + stage.get("plots", []):
            if isinstance(out, dict):
                (path, options), = out.items()
                if options.get("cache") is False:
                    assert options.get("persist") is True, f"{name}: {path} is committed but not persistent"
        if "--html reports/" in stage.get("cmd", ""):
            assert re.search(r"--out-dir (reports/\w+) --html \1/index\.html", stage["cmd"]), f"{name} writes its page folder in place"
