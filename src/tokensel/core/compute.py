"""Where runs execute and where finished runs are kept: the ``compute:`` section of params.yaml.

None of these settings changes a run's numbers, so no training stage declares them in dvc.yaml:
switching from the local pool to Ray, or moving the store, reruns nothing. The section is
optional (missing = the defaults below); the ``validate`` stage checks it like any other.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from tokensel.core.params import NonNegativeFloat, NonNegativeInt, PositiveFloat, build, check
from tokensel.core.params_file import read_params
from tokensel.core.paths import resolve

KEY = "compute"
_ADDRESS = re.compile(r"^(auto|(ray://)?[A-Za-z0-9_.\-]+:\d{1,5})$")


@dataclass(frozen=True)
class ComputeConfig:
    """``executor``: ``local`` (a pool of worker processes on this machine, one per CPU core, or
    one process on a GPU) or ``ray`` (tasks on a Ray cluster at ``address``: ``host:port`` of a
    running head node, ``auto`` for the one on this machine, null to start a private one).
    ``cpus_per_run`` and ``gpus_per_run`` are each Ray task's resources; a fraction of a GPU lets
    several small runs share one. ``max_retries``: how often Ray reruns a run whose worker died.
    ``store``: the run-store folder (null: keep nothing, train every run)."""

    executor: Literal["local", "ray"] = "local"
    address: str | None = None
    cpus_per_run: PositiveFloat = 1.0
    gpus_per_run: NonNegativeFloat = 0.0
    max_retries: NonNegativeInt = 3
    store: str | None = ".runstore"

    def __post_init__(self) -> None:
        check(self.address is None or bool(_ADDRESS.match(self.address)), "address",
              f"must be host:port of a Ray head node (e.g. 127.0.0.1:6379), 'auto' or null, got {self.address!r}")
        check(self.executor == "ray" or self.gpus_per_run == 0, "gpus_per_run",
              "needs executor: ray (the local pool runs every run of a GPU in one process); set it to 0")
        check(self.gpus_per_run <= 1 or self.gpus_per_run == int(self.gpus_per_run), "gpus_per_run",
              f"must be a fraction of one GPU or a whole number of GPUs, got {self.gpus_per_run:g}")


def from_params(section: Any, key: str = KEY) -> ComputeConfig:
    return build(ComputeConfig, {} if section is None else section, key)


def environment_problems(config: ComputeConfig) -> list[str]:
    if config.executor != "ray":
        return []
    try:
        import ray  # noqa: F401  (only whether it is installed)
    except ImportError:
        return [f"'{KEY}.executor' is 'ray' but ray is not installed; pip install -e '.[dev]' (or set it to local)."]
    return []


_active = ComputeConfig()


def configure(params_file: str | Path = "params.yaml") -> ComputeConfig:
    """Use the ``compute:`` section of a params file for every later ``parallel_map`` in this process."""
    global _active
    _active = from_params(read_params(resolve(params_file)).get(KEY), KEY)
    return _active


def active() -> ComputeConfig:
    return _active
