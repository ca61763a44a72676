"""Benchmarks of the run engine on one synthetic stage (the issue's "Measured" section).

    python benchmarks/engine.py [--task copy] [--steps-scale 1.0] [--repeats 2] [--out results/benchmarks/engine]

* overhead: the stage on Ray (a local cluster of 2 CPUs, started once as a user would) against
  the local pool, in back-to-back pairs, no store: wall-time ratio per pair;
* incremental: with a store, the stage from scratch, then with one more seed: wall time and runs
  trained (aim: proportional to the new runs only);
* resume: the stage killed (SIGKILL) once about half its runs are stored, then rerun: runs trained
  by the rerun against runs the store lacked at the kill (aim: equal; nothing stored is redone).

Every stage runs in a fresh process, as under DVC. Writes ``engine.csv`` and ``engine.png`` to
``--out``. ``--steps-scale`` shortens every run for a quick look; timings depend on the machine's
load, so compare only pairs measured back to back.
"""

from __future__ import annotations

import argparse
import copy
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import yaml  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SUMMARY = re.compile(r"(\d+) runs trained, (\d+) reused from the run store")
STAGE = ("import sys; from tokensel.core import compute; from tokensel.synthetic import config, stage; "
         "params, task = sys.argv[1:]; compute.configure(params); stage.run(config.load(params), task)")


def stage_process(params: dict, task: str, work: Path, store: Path | None) -> subprocess.Popen:
    path = work / f"params-{time.monotonic_ns()}.yaml"
    path.write_text(yaml.safe_dump(params))
    env = dict(os.environ, TOKENSEL_STORE=str(store) if store else "", PYTHONPATH=str(ROOT / "src"))
    return subprocess.Popen([sys.executable, "-c", STAGE, str(path), task], env=env, cwd=ROOT, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def run_stage(params: dict, task: str, work: Path, store: Path | None = None) -> dict:
    started = time.perf_counter()
    process = stage_process(params, task, work, store)
    _, log = process.communicate()
    if process.returncode:
        raise RuntimeError(f"the stage failed:\n{log[-2000:]}")
    counts = [tuple(map(int, m)) for m in SUMMARY.findall(log)]
    return {"wall_s": time.perf_counter() - started, "trained": sum(c[0] for c in counts), "reused": sum(c[1] for c in counts)}


def stored_runs(store: Path) -> int:
    return len(list(store.glob("objects/*/*.pkl")))


def ray_cluster(work: Path) -> tuple[str, callable]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    ray_cli = str(Path(sys.executable).parent / "ray")
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"), RAY_USAGE_STATS_ENABLED="0")
    subprocess.run([ray_cli, "start", "--head", "--node-ip-address", "127.0.0.1", "--port", str(port), "--num-cpus", "2",
                    "--include-dashboard=false", "--disable-usage-stats", f"--temp-dir={work / 'ray'}"], env=env, check=True, capture_output=True)
    return f"127.0.0.1:{port}", lambda: subprocess.run([ray_cli, "stop", "--force"], env=env, capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", default="copy")
    parser.add_argument("--steps-scale", type=float, default=1.0)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--out", type=Path, default=ROOT / "results/benchmarks/engine")
    args = parser.parse_args()
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    synthetic = params["synthetic"]
    synthetic["grid"]["tasks"] = [args.task]
    for spec in (synthetic["train"], *synthetic["tasks"].values()):
        if "steps" in spec:
            spec["steps"] = max(int(spec["steps"] * args.steps_scale), 2)
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        address, stop = ray_cluster(work)
        try:
            for repeat in range(args.repeats):
                for executor in ("local", "ray"):
                    p = copy.deepcopy(params)
                    p["compute"] = {**p.get("compute", {}), "executor": executor, "address": address if executor == "ray" else None}
                    rows.append({"benchmark": "overhead", "case": executor, "repeat": repeat, **run_stage(p, args.task, work)})
        finally:
            stop()
        store = work / "store"
        rows.append({"benchmark": "incremental", "case": "from scratch", **run_stage(params, args.task, work, store)})
        more = copy.deepcopy(params)
        more["synthetic"]["grid"]["seeds"] = [*more["synthetic"]["grid"]["seeds"], max(more["synthetic"]["grid"]["seeds"]) + 1]
        rows.append({"benchmark": "incremental", "case": "one more seed", **run_stage(more, args.task, work, store)})
        total = rows[-2]["trained"]
        resumed = work / "resume"
        process = stage_process(params, args.task, work, resumed)
        while stored_runs(resumed) < total // 2 and process.poll() is None:
            time.sleep(0.2)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        time.sleep(1.0)
        missing = total - stored_runs(resumed)
        rerun = run_stage(params, args.task, work, resumed)
        rows.append({"benchmark": "resume", "case": f"rerun after kill ({missing} runs missing)", **rerun})
    table = pd.DataFrame(rows)
    args.out.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out / "engine.csv", index=False)
    figure, axes = plt.subplots(1, 2, figsize=(9, 3.2))
    overhead = table[table.benchmark == "overhead"].pivot(index="repeat", columns="case", values="wall_s")
    axes[0].bar([f"pair {int(i) + 1}" for i in overhead.index], overhead["ray"] / overhead["local"])
    axes[0].axhline(1.15, color="grey", linestyle="--", label="aim 1.15")
    axes[0].set(ylabel="wall ratio Ray / local", title="executor overhead")
    axes[0].legend()
    incremental = table[table.benchmark != "overhead"]
    axes[1].barh(incremental.case, incremental.trained)
    axes[1].set(xlabel="runs trained", title="store: incremental and resume")
    figure.tight_layout()
    figure.savefig(args.out / "engine.png", dpi=120)
    print(table.to_string(index=False))


if __name__ == "__main__":
    main()
