"""Processes that end when the process that started them ends.

``die_with_parent()`` is called first thing in every child the pipeline starts (the notebook
runner, worker processes; the kernel already polls its parent): when ``dvc`` is killed, nothing it
started keeps training and writing outputs. On Linux the kernel delivers SIGTERM the moment the
parent exits (``prctl(PR_SET_PDEATHSIG)``); elsewhere a daemon thread polls the parent id.

``dvc`` starts each stage through a shell. ``bash -c`` replaces itself with the command, but
``dash`` (``/bin/sh`` on Debian, used when ``SHELL`` is unset) stays in between and outlives a
killed ``dvc``. So the runner also watches the shells above it: once one of them is re-parented,
the process that started the stage is gone.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys
import threading
import time
from pathlib import Path

_PR_SET_PDEATHSIG = 1
POLL_SECONDS = 0.5
SHELLS = frozenset({"sh", "dash", "bash", "zsh", "ksh", "mksh", "busybox"})


def _set_parent_death_signal(signum: int) -> bool:
    """Ask Linux to send ``signum`` when the parent exits; False where that is not available."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        return libc.prctl(_PR_SET_PDEATHSIG, signum, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _name_and_parent(pid: int) -> tuple[str, int] | None:
    """A live process's command name and parent id from ``/proc``; None where it is gone or unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The name sits in parentheses and may itself contain spaces or parentheses.
    name, rest = stat[stat.index("(") + 1 : stat.rindex(")")], stat[stat.rindex(")") + 2 :].split()
    state, parent = rest[0], int(rest[1])
    return None if state in ("Z", "X") else (name, parent)


def shells_above(pid: int) -> list[tuple[int, int]]:
    """``(shell, its parent)`` for each shell directly above ``pid``, nearest first."""
    chain = []
    found = _name_and_parent(pid)
    while found is not None:
        parent = found[1]
        above = _name_and_parent(parent)
        if above is None or above[0] not in SHELLS:
            break
        chain.append((parent, above[1]))
        found = above
    return chain


def _watch(parent: int, shells: list[tuple[int, int]], signum: int) -> None:
    def intact() -> bool:
        if os.getppid() != parent:
            return False
        return all((found := _name_and_parent(shell)) is not None and found[1] == shell_parent for shell, shell_parent in shells)

    while intact():
        time.sleep(POLL_SECONDS)
    os.kill(os.getpid(), signum)


def die_with_parent(signum: int = signal.SIGTERM) -> None:
    """Receive ``signum`` when the parent process exits (also if it already has), or the process above its shells."""
    parent = os.getppid()
    armed = _set_parent_death_signal(signum)
    shells = shells_above(os.getpid())
    if armed and os.getppid() != parent:
        # The parent died between reading its id and arming the signal: the kernel will not send it.
        os.kill(os.getpid(), signum)
    elif not armed or shells:
        threading.Thread(target=_watch, args=(parent, shells, signum), daemon=True, name="lifeline").start()
