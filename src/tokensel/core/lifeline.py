"""Processes that end when the process that started them ends.

``die_with_parent()`` is called first thing in every child the pipeline starts (the notebook
runner, worker processes; the kernel already polls its parent): when ``dvc`` is killed, nothing it
started keeps training and writing outputs. On Linux the kernel delivers SIGTERM the moment the
parent exits (``prctl(PR_SET_PDEATHSIG)``); elsewhere a daemon thread polls the parent id.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys
import threading
import time

_PR_SET_PDEATHSIG = 1
POLL_SECONDS = 0.5


def _set_parent_death_signal(signum: int) -> bool:
    """Ask Linux to send ``signum`` when the parent exits; False where that is not available."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        return libc.prctl(_PR_SET_PDEATHSIG, signum, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _watch_parent(parent: int, signum: int) -> None:
    while os.getppid() == parent:
        time.sleep(POLL_SECONDS)
    os.kill(os.getpid(), signum)


def die_with_parent(signum: int = signal.SIGTERM) -> None:
    """Receive ``signum`` when the parent process exits (also if it already has)."""
    parent = os.getppid()
    if not _set_parent_death_signal(signum):
        threading.Thread(target=_watch_parent, args=(parent, signum), daemon=True, name="lifeline").start()
    elif os.getppid() != parent:
        # The parent died between reading its id and arming the signal: the kernel will not send it.
        os.kill(os.getpid(), signum)
