"""The run store: every finished training run, kept by its key (``tokensel.core.runkey``).

A git-ignored and DVC-ignored folder (default ``.runstore/`` at the repository root; params
``compute.store`` or the ``TOKENSEL_STORE`` variable move it). DVC deletes a stage's outputs
before it reruns the stage; this folder is not an output, so runs survive any rerun, a deleted
output, a profile switch or a ``dvc exp`` run, and a stage trains only the runs it lacks.

One run = ``objects/<2 hex>/<key>.pkl`` (the result) and ``<key>.json`` (experiment, function,
label, created, code fingerprint: what ``list``, ``verify`` and ``prune`` read). Results are
Python objects (``RunResult`` dataclasses, dicts of arrays), so they are pickled: it round-trips
them exactly, and the store is a local cache written only by this code, never shared input. Each
file is written to a temporary name and renamed into place (``os.replace`` is atomic), so a run
killed mid-write leaves no file under its key and is trained again.

``python -m tokensel.core.store list|verify|prune [--store DIR]``: size and runs per experiment;
unreadable results; stale runs (whose code fingerprint is no longer the current one), which
``prune`` deletes (``prune --all`` empties the store).
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import socket
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from tokensel.core.imports import code_fingerprint
from tokensel.core.paths import resolve

STORE_VARIABLE = "TOKENSEL_STORE"


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


class RunStore:
    def __init__(self, root: str | Path):
        self.root = Path(root)

    def _result(self, key: str) -> Path:
        return self.root / "objects" / key[:2] / f"{key}.pkl"

    def _sidecar(self, key: str) -> Path:
        return self._result(key).with_suffix(".json")

    def get(self, key: str) -> tuple[bool, Any]:
        """(True, result) when the run is stored and readable, else (False, None)."""
        try:
            return True, pickle.loads(self._result(key).read_bytes())
        except (FileNotFoundError, pickle.UnpicklingError, EOFError):
            return False, None

    def put(self, key: str, result: Any, about: dict[str, str]) -> None:
        # Sidecar first: a result is never without its description, a stray sidecar is harmless.
        _write_atomically(self._sidecar(key), json.dumps({**about, "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}).encode())
        _write_atomically(self._result(key), pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))

    def claim(self, key: str, block: bool) -> Path | None:
        """Mark the run as being trained by this process (the claim file, to release), or None when
        another live process on this host has claimed it (with ``block``: wait until it has not).

        A claim names its process, so one left by a killed stage is taken over, never waited on.
        A file rather than a held lock: a stage may have thousands of runs in flight.
        """
        path = self.root / "claims" / f"{key}.claim"
        path.parent.mkdir(parents=True, exist_ok=True)
        while True:
            try:
                descriptor = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                if not _claimed_by_live_process(path):
                    path.unlink(missing_ok=True)
                    continue
                if not block:
                    return None
                time.sleep(0.5)
                continue
            with os.fdopen(descriptor, "w") as file:
                file.write(f"{socket.gethostname()} {os.getpid()}")
            return path

    @staticmethod
    def release(claim: Path) -> None:
        claim.unlink(missing_ok=True)

    def runs(self) -> dict[str, dict]:
        """Every stored run's sidecar (with its result's size in bytes), by key."""
        found = {}
        for sidecar in sorted(self.root.glob("objects/*/*.json")):
            result = sidecar.with_suffix(".pkl")
            if result.is_file():
                found[sidecar.stem] = {**json.loads(sidecar.read_text()), "bytes": result.stat().st_size}
        return found

    def unreadable(self) -> list[str]:
        return [key for key in self.runs() if not self.get(key)[0]]

    def stale(self) -> list[str]:
        """Runs whose code fingerprint is no longer that of their module's current source."""
        current: dict[str, str | None] = {}
        stale = []
        for key, about in self.runs().items():
            module = about.get("module", "")
            if module not in current:
                current[module] = code_fingerprint(module) if module.startswith("tokensel") else None
            if current[module] is not None and about.get("code") != current[module]:
                stale.append(key)
        return stale

    def delete(self, keys: list[str]) -> None:
        for key in keys:
            self._result(key).unlink(missing_ok=True)
            self._sidecar(key).unlink(missing_ok=True)


def _claimed_by_live_process(path: Path) -> bool:
    try:
        host, pid = path.read_text().split()
    except FileNotFoundError:
        return True  # just released: look again
    except ValueError:  # being written this instant, or its writer died before writing
        return time.time() - path.stat().st_mtime < 10
    if host != socket.gethostname():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def default_store(configured: str | None = ".runstore") -> RunStore | None:
    """The store at ``TOKENSEL_STORE`` if set (empty: none), else at ``configured`` (None: none).

    A relative location is taken from the project DVC runs (``DVC_ROOT``), not from the working
    copy: a queued ``dvc exp`` runs in a temporary copy, and its runs belong in the shared store.
    """
    location = os.environ.get(STORE_VARIABLE, configured)
    if not location:
        return None
    project = os.environ.get("DVC_ROOT")
    return RunStore(Path(project) / location if project and not Path(location).is_absolute() else resolve(location))


def _summary(store: RunStore) -> list[str]:
    runs = store.runs()
    size = sum(about["bytes"] for about in runs.values())
    lines = [f"{store.root}: {len(runs)} runs, {size / 1e6:.1f} MB"]
    for experiment, count in sorted(Counter(about.get("experiment", "?") for about in runs.values()).items()):
        lines.append(f"  {experiment}: {count} runs")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tokensel.core.store", description="List, verify or prune the run store.")
    parser.add_argument("verb", choices=["list", "verify", "prune"])
    parser.add_argument("--store", help=f"store folder (default: ${STORE_VARIABLE}, else .runstore)")
    parser.add_argument("--all", action="store_true", help="prune: delete every run, not only stale ones")
    args = parser.parse_args(argv)
    store = RunStore(resolve(args.store)) if args.store else default_store()
    if store is None:
        print(f"no run store: {STORE_VARIABLE} is empty", file=sys.stderr)
        return 2
    print("\n".join(_summary(store)))
    stale = store.stale()
    if args.verb == "verify":
        unreadable = store.unreadable()
        print(f"{len(stale)} stale runs (their code changed since); {len(unreadable)} unreadable results")
        return 1 if unreadable else 0
    if args.verb == "prune":
        doomed = list(store.runs()) if args.all else stale
        store.delete(doomed)
        print(f"deleted {len(doomed)} {'runs' if args.all else 'stale runs'}")
    else:
        print(f"{len(stale)} stale runs (python -m tokensel.core.store prune deletes them)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
