"""Run functions for the run-store and executor tests. Module level, so that worker processes
(a spawned pool, Ray workers, a second pipeline process) import them by name; each call appends a
line to ``log``, so a test counts how many times a run was really computed."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path


def _note(log: str, line: str) -> None:
    with open(log, "a") as file:
        file.write(line + "\n")


def square(x: float, log: str, seconds: float = 0.0) -> float:
    time.sleep(seconds)
    _note(log, f"{x} {os.getpid()}")
    return x * x


def dies_once(x: float, log: str, marker: str | None = None) -> float:
    """With a ``marker`` path, kills its own worker the first time it starts (the marker does not
    exist yet); the retried run then finishes. Without one, it is ``square``."""
    if marker and not Path(marker).exists():
        Path(marker).touch()
        os.kill(os.getpid(), signal.SIGKILL)
    return square(x, log)
