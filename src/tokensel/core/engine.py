"""Every training run of every experiment goes through here: look it up in the run store, train
it on an executor if it is missing, store it. One code path from a laptop to a cluster.

Executors (``compute.executor``): ``local`` runs in this process (one worker, or a GPU) or in a
pool of single-threaded worker processes; ``ray`` sends each run as a Ray task to a cluster, with
``compute.cpus_per_run`` / ``gpus_per_run`` resources and ``max_retries`` retries of a run whose
worker died. Every executor returns ``concurrent.futures.Future`` objects, so the callers (a plain
map, or the adaptive plans of the synthetic experiment) wait on them the same way.

A run needed twice (in one stage, or by two processes sharing the store) is trained once: within
a process the second request gets the first one's future; across processes a claim file per key
makes the later process wait for the earlier one's result instead of training it again.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from multiprocessing import get_context
from typing import Any, Callable

import torch
from tqdm import tqdm

from tokensel.core.compute import ComputeConfig, active
from tokensel.core.lifeline import die_with_parent
from tokensel.core.runkey import function_code, function_name, run_key
from tokensel.core.store import default_store


def default_workers() -> int:
    """Parallel CPU runs: ``TOKENSEL_WORKERS`` if set, else one per core; one process on a GPU."""
    if "TOKENSEL_WORKERS" in os.environ:
        return max(int(os.environ["TOKENSEL_WORKERS"]), 1)
    return 1 if torch.cuda.is_available() else max(os.cpu_count() or 1, 1)


def pool_size(workers: int | None, n_jobs: int) -> int:
    """How many worker processes the local executor starts (1 = runs in this process)."""
    if torch.cuda.is_available():
        return 1
    return max(min(workers or default_workers(), n_jobs), 1)


def call_with_threads(threads: int, function: Callable, kwargs: dict) -> Any:
    # Tiny models use cores better side by side than through intra-op threads, and a run's numbers
    # then do not depend on how many runs share the machine.
    torch.set_num_threads(threads)
    return function(**kwargs)


class InlineExecutor:
    """Runs each call at once in this process (one worker, or every run of a GPU in turn)."""

    def submit(self, function: Callable, job: dict) -> Future:
        future: Future = Future()
        try:
            future.set_result(function(**job) if torch.cuda.is_available() else call_with_threads(1, function, job))
        except Exception as error:  # noqa: BLE001  (the caller sees it from future.result())
            future.set_exception(error)
        return future

    def shutdown(self) -> None:
        pass


class PoolExecutor:
    def __init__(self, workers: int, initializer: Callable[[], None] | None = die_with_parent):
        self.pool = ProcessPoolExecutor(workers, mp_context=get_context("spawn"), initializer=initializer)

    def submit(self, function: Callable, job: dict) -> Future:
        return self.pool.submit(call_with_threads, 1, function, job)

    def shutdown(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


class RayExecutor:
    def __init__(self, compute: ComputeConfig):
        import ray

        if not ray.is_initialized():
            ray.init(address=compute.address, log_to_driver=False, logging_level="ERROR", configure_logging=False)
        self.threads = max(int(compute.cpus_per_run), 1)
        self.remote = ray.remote(num_cpus=compute.cpus_per_run, num_gpus=compute.gpus_per_run,
                                 max_retries=compute.max_retries)(call_with_threads)

    def submit(self, function: Callable, job: dict) -> Future:
        return self.remote.remote(self.threads, function, job).future()

    def shutdown(self) -> None:
        pass  # the cluster outlives the stage; an owner's unfinished tasks end with it


def make_executor(compute: ComputeConfig, workers: int | None, n_jobs: int):
    if compute.executor == "ray":
        return RayExecutor(compute)
    size = pool_size(workers, n_jobs)
    return InlineExecutor() if size == 1 else PoolExecutor(size)


def _experiment_of(module: str) -> str:
    """``tokensel.synthetic.train`` -> ``synthetic`` (what ``make store`` counts runs by)."""
    parts = module.split(".")
    return parts[1] if parts[0] == "tokensel" and len(parts) > 1 else module


class Engine:
    """``submit(function, job)`` -> a future of ``function(**job)``, through the store.

    ``function`` must be a module-level function (the workers import it by name).
    """

    def __init__(self, compute: ComputeConfig | None = None, workers: int | None = None, n_jobs: int = 1 << 30, desc: str = "runs"):
        compute = compute or active()
        self.store = default_store(compute.store)
        self.executor = make_executor(compute, workers, n_jobs)
        self.futures: dict[str, Future] = {}
        self.waiters = ThreadPoolExecutor(4)
        self.reused = self.trained = 0
        self.progress = tqdm(desc=desc, total=0, unit="run", mininterval=5.0)

    def submit(self, function: Callable, job: dict) -> Future:
        code = function_code(function)
        key = run_key(function, job, code)
        if key not in self.futures:
            self.futures[key] = self._lookup_or_train(function, job, key, code)
        return self.futures[key]

    def _lookup_or_train(self, function: Callable, job: dict, key: str, code: str) -> Future:
        if self.store is None:
            self._count_to_train()
            return self._train(function, job, key, code, None)
        claim = self.store.claim(key, block=False)
        if claim is None:  # another process is training this run: wait for it, off this thread
            self._count_to_train()
            return self.waiters.submit(self._after_other, function, job, key, code)
        found, value = self.store.get(key)
        if found:
            self.store.release(claim)
            self.reused += 1
            self.progress.set_postfix(reused=self.reused, refresh=False)
            done: Future = Future()
            done.set_result(value)
            return done
        self._count_to_train()
        return self._train(function, job, key, code, claim)

    def _count_to_train(self) -> None:
        self.progress.total += 1

    def _after_other(self, function: Callable, job: dict, key: str, code: str) -> Any:
        claim = self.store.claim(key, block=True)
        found, value = self.store.get(key)
        if found:
            self.store.release(claim)
            self.reused += 1
            self.progress.update(1)
            return value
        return self._train(function, job, key, code, claim).result()  # the other process died first

    def _train(self, function: Callable, job: dict, key: str, code: str, claim: Path | None) -> Future:
        outer: Future = Future()

        def finish(inner: Future) -> None:
            try:
                result = inner.result()
                if self.store is not None:
                    about = {"experiment": _experiment_of(function.__module__), "function": function_name(function),
                             "module": function.__module__, "label": str(job.get("label", "")), "code": code}
                    self.store.put(key, result, about)
                self.trained += 1
                self.progress.update(1)
                outer.set_result(result)
            except BaseException as error:  # noqa: BLE001  (handed to whoever waits on the run)
                outer.set_exception(error)
            finally:
                if claim is not None:
                    self.store.release(claim)

        self.executor.submit(function, job).add_done_callback(finish)
        return outer

    def __enter__(self) -> "Engine":
        return self

    def __exit__(self, *exc: object) -> None:
        self.executor.shutdown()
        self.waiters.shutdown(wait=exc[0] is None, cancel_futures=True)
        self.progress.close()
        if exc[0] is None:
            print(f"{self.progress.desc}: {self.trained} runs trained, {self.reused} reused from the run store", file=sys.stderr)


def parallel_map(function: Callable, jobs: list[dict], workers: int | None = None, desc: str = "runs") -> list:
    """``function(**job)`` for every job, results in job order; runs found in the store are reused."""
    with Engine(workers=workers, n_jobs=len(jobs), desc=desc) as engine:
        futures = [engine.submit(function, job) for job in jobs]
        return [future.result() for future in futures]
