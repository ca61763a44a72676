"""The run store: a run is trained once, kept atomically, and trained again when its code changes."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import runjobs

from tokensel.core import store as store_module
from tokensel.core.engine import parallel_map
from tokensel.core.imports import closure, source_fingerprint
from tokensel.core.runkey import canonical, run_key
from tokensel.core.store import RunStore

TESTS = Path(__file__).resolve().parents[1]


@pytest.fixture
def store(tmp_path, monkeypatch) -> RunStore:
    monkeypatch.setenv("TOKENSEL_STORE", str(tmp_path / "store"))
    monkeypatch.setenv("TOKENSEL_WORKERS", "1")
    return RunStore(tmp_path / "store")


def computed(log: Path) -> list[str]:
    return [line.split()[0] for line in log.read_text().splitlines()] if log.exists() else []


@dataclass(frozen=True)
class Setting:
    width: int
    lr: float


def test_keys_follow_values_not_identity():
    base = {"setting": Setting(8, 0.003), "data": np.arange(6, dtype=np.float32).reshape(2, 3), "name": "a"}
    assert canonical(base) == canonical({**base, "data": base["data"].copy(), "setting": Setting(8, 0.003)})
    for changed in ({"setting": Setting(8, 0.0030000001)}, {"data": base["data"].astype(np.float64)},
                    {"data": base["data"].reshape(3, 2)}, {"name": "b"}, {"extra": None}):
        assert canonical(base) != canonical({**base, **changed}), changed
    assert run_key(runjobs.square, {"x": 1.0, "log": "l"}) != run_key(runjobs.dies_once, {"x": 1.0, "log": "l"})
    with pytest.raises(TypeError, match="cannot key"):
        canonical({"opaque": object()})


def test_a_run_named_twice_has_one_key():
    """A label or the params key named in error messages changes no number, so it changes no key."""
    job = {"x": 1.0, "log": "l"}
    assert run_key(runjobs.square, {**job, "label": "grid/seed=0"}) == run_key(runjobs.square, {**job, "label": "width=64/seed=0", "lr_key": "k"})
    assert run_key(runjobs.square, {**job, "label": "a"}) != run_key(runjobs.square, {**job, "x": 2.0, "label": "a"})


def test_a_run_needed_twice_is_trained_once_and_later_calls_reuse_it(store, tmp_path):
    log = tmp_path / "log"
    jobs = [dict(x=float(x), log=str(log)) for x in (1, 2, 1, 3, 2)]
    assert parallel_map(runjobs.square, jobs) == [1.0, 4.0, 1.0, 9.0, 4.0]
    assert sorted(computed(log)) == ["1.0", "2.0", "3.0"]
    more = jobs + [dict(x=4.0, log=str(log))]  # one new run, like one more seed
    assert parallel_map(runjobs.square, more) == [1.0, 4.0, 1.0, 9.0, 4.0, 16.0]
    assert sorted(computed(log)) == ["1.0", "2.0", "3.0", "4.0"]
    assert {about["label"] for about in store.runs().values()} == {""} and len(store.runs()) == 4


def test_without_a_store_every_call_trains(monkeypatch, tmp_path):
    monkeypatch.setenv("TOKENSEL_WORKERS", "1")
    log = tmp_path / "log"
    parallel_map(runjobs.square, [dict(x=1.0, log=str(log))])
    parallel_map(runjobs.square, [dict(x=1.0, log=str(log))])
    assert computed(log) == ["1.0", "1.0"]


def test_changing_the_code_a_run_imports_retrains_it(store, tmp_path, monkeypatch):
    module = tmp_path / "edited_job.py"
    module.write_text("def cube(x, log):\n    open(log, 'a').write(f'{x}\\n')\n    return x ** 3\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    log = tmp_path / "log"
    job = [dict(x=2.0, log=str(log))]
    parallel_map(importlib.import_module("edited_job").cube, job)
    parallel_map(importlib.import_module("edited_job").cube, job)
    assert computed(log) == ["2.0"]
    module.write_text('"""Cubes."""\n' + module.read_text() + "# a comment changes no number\n")
    parallel_map(importlib.reload(importlib.import_module("edited_job")).cube, job)
    assert computed(log) == ["2.0"]
    module.write_text(module.read_text() + "UNUSED = 1\n")
    parallel_map(importlib.reload(importlib.import_module("edited_job")).cube, job)
    assert computed(log) == ["2.0", "2.0"]


def test_the_code_fingerprint_covers_exactly_the_import_closure(tmp_path):
    import shutil

    from tokensel.core.imports import SRC

    copy = tmp_path / "src"
    shutil.copytree(SRC / "tokensel", copy / "tokensel", ignore=shutil.ignore_patterns("__pycache__"))
    fingerprint = lambda: source_fingerprint(closure({"tokensel.synthetic.train"}, copy), copy)  # noqa: E731
    before = fingerprint()
    (copy / "tokensel/genomic/plots.py").write_text("NOT_IMPORTED_BY_SYNTHETIC_RUNS = 1\n")
    assert fingerprint() == before
    models = copy / "tokensel/nn/models.py"
    models.write_text(models.read_text().replace('"""', '"""Edited: ', 1) + "\n# a comment\n")
    assert fingerprint() == before  # docstrings and comments are not code
    models.write_text(models.read_text() + "IMPORTED_BY_EVERY_SYNTHETIC_RUN = 1\n")
    assert fingerprint() != before


def test_a_half_written_run_is_never_read(store, monkeypatch):
    store.put("ab" * 32, {"finished": True}, {"experiment": "test"})
    assert store.get("ab" * 32) == (True, {"finished": True})

    def killed(source, target):
        raise KeyboardInterrupt  # the stage is interrupted between writing and renaming

    monkeypatch.setattr(store_module.os, "replace", killed)
    with pytest.raises(KeyboardInterrupt):
        store.put("cd" * 32, {"finished": True}, {"experiment": "test"})
    monkeypatch.undo()
    assert store.get("cd" * 32) == (False, None) and not list(store.root.rglob("*.partial"))
    leftover = store.root / "objects" / "ab" / f".{'ab' * 31}ef.pkl.x.partial"  # what a SIGKILLed writer leaves
    leftover.write_bytes(b"\x80\x05trunc")
    assert store.get("ab" * 31 + "ef") == (False, None) and list(store.runs()) == ["ab" * 32]


def test_two_processes_sharing_the_store_train_a_run_once(store, tmp_path):
    log = tmp_path / "log"
    script = ("import runjobs; from tokensel.core.engine import parallel_map; "
              f"print(parallel_map(runjobs.square, [dict(x=float(x), log={str(log)!r}, seconds=0.5) for x in range(4)]))")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(TESTS), *sys.path]))
    processes = [subprocess.Popen([sys.executable, "-c", script], env=env, stdout=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [p.communicate(timeout=120)[0] for p in processes]
    assert all(p.returncode == 0 for p in processes)
    assert outputs[0] == outputs[1] == "[0.0, 1.0, 4.0, 9.0]\n"
    assert sorted(computed(log)) == ["0.0", "1.0", "2.0", "3.0"]


def test_the_store_command_lists_verifies_and_prunes(store, capsys):
    from tokensel.core.imports import code_fingerprint

    current = code_fingerprint("tokensel.synthetic.train")
    store.put("01" * 32, 1, {"experiment": "synthetic", "module": "tokensel.synthetic.train", "code": current})
    store.put("02" * 32, 2, {"experiment": "synthetic", "module": "tokensel.synthetic.train", "code": "older code"})
    store.put("03" * 32, 3, {"experiment": "regression", "module": "tokensel.regression.stage", "code": "older code"})
    assert store_module.main(["list"]) == 0
    out = capsys.readouterr().out
    assert "3 runs" in out and "synthetic: 2 runs" in out and "regression: 1 runs" in out and "2 stale runs" in out
    (store.root / "objects" / "01" / f"{'01' * 32}.pkl").write_bytes(b"not a pickle")
    assert store_module.main(["verify"]) == 1
    assert "1 unreadable" in capsys.readouterr().out
    assert store_module.main(["prune"]) == 0
    assert sorted(store.runs()) == ["01" * 32]
