"""The Ray executor against a real local cluster, started the way a user would start one."""

from __future__ import annotations

import copy
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import xarray as xr
import yaml
from tiny import TINY_SYNTHETIC

from tokensel.core import compute
from tokensel.core.engine import parallel_map
from tokensel.synthetic import config as synthetic_config
from tokensel.synthetic import stage

ray = pytest.importorskip("ray")
TESTS = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory) -> str:
    """``ray start --head`` on loopback with 2 CPUs; its workers import tokensel and the test jobs."""
    port = free_port()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(TESTS), *sys.path]), RAY_USAGE_STATS_ENABLED="0")
    ray_cli = shutil.which("ray", path=str(Path(sys.executable).parent)) or "ray"
    temp = tmp_path_factory.mktemp("ray")
    subprocess.run([ray_cli, "start", "--head", "--node-ip-address", "127.0.0.1", "--port", str(port), "--num-cpus", "2",
                    "--include-dashboard=false", "--disable-usage-stats", f"--temp-dir={temp}"],
                   env=env, check=True, capture_output=True, timeout=180)
    yield f"127.0.0.1:{port}"
    ray.shutdown()
    subprocess.run([ray_cli, "stop", "--force"], env=env, capture_output=True, timeout=120)


@pytest.fixture
def use_ray(cluster, tmp_path, monkeypatch):
    def use(executor: str) -> None:
        params = tmp_path / f"{executor}.yaml"
        params.write_text(yaml.safe_dump({"compute": {"executor": executor, "address": cluster, "store": None}}))
        compute.configure(params)

    monkeypatch.setattr(compute, "_active", compute.active())  # restored after the test
    monkeypatch.setenv("TOKENSEL_WORKERS", "2")
    monkeypatch.delenv("TOKENSEL_STORE")
    return use


def test_a_tiny_grid_gives_the_same_results_on_ray_and_on_the_local_pool(use_ray):
    section = copy.deepcopy(TINY_SYNTHETIC)
    section["grid"]["tasks"], section["long_runs"] = ["copy"], {}
    experiment = synthetic_config.from_params(section)
    results = {}
    for executor in ("local", "ray"):
        use_ray(executor)
        ds = stage.run(experiment, "copy")
        results[executor] = ds.drop_vars([name for name in ds.data_vars if "cpu_seconds" in name])  # measured times
    xr.testing.assert_identical(results["local"], results["ray"])


def test_a_worker_killed_mid_run_loses_only_that_run_which_is_retried(use_ray, tmp_path):
    use_ray("ray")
    log = tmp_path / "log"
    jobs = [dict(x=float(x), log=str(log), marker=str(tmp_path / "died") if x == 2 else None) for x in range(5)]
    assert parallel_map(__import__("runjobs").dies_once, jobs) == [0.0, 1.0, 4.0, 9.0, 16.0]
    assert (tmp_path / "died").exists(), "the run never killed its worker"
    assert sorted(line.split()[0] for line in log.read_text().splitlines()) == ["0.0", "1.0", "2.0", "3.0", "4.0"]
