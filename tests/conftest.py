"""Shared test helpers: pytest puts this folder on sys.path, so every test can ``import tiny``."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True, scope="session")
def no_run_store():
    """Every test trains what it runs: a run reused from an earlier test would prove nothing.
    Session-wide, so module fixtures that train (set up before any function fixture) write no
    run into the repository's store either. Tests of the store point ``TOKENSEL_STORE`` at a
    folder of their own with ``monkeypatch``, which restores the empty value after them."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TOKENSEL_STORE", "")
        yield


@pytest.fixture
def trained_jobs(tmp_path, monkeypatch) -> list[dict]:
    """With a fresh run store: the arguments of every run really trained (not reused), in order."""
    from tokensel.core.engine import Engine

    monkeypatch.setenv("TOKENSEL_STORE", str(tmp_path / "store"))
    monkeypatch.setenv("TOKENSEL_WORKERS", "1")
    jobs: list[dict] = []
    train = Engine._train

    def spy(self, function, job, *args):
        jobs.append(job)
        return train(self, function, job, *args)

    monkeypatch.setattr(Engine, "_train", spy)
    return jobs


@pytest.fixture
def run_notebook(tmp_path, monkeypatch):
    """Execute ``notebooks/<name>.py`` with ``parameters`` in one worker, without logging its output."""
    from tokensel.present.nbrun import execute

    monkeypatch.setenv("TOKENSEL_WORKERS", "1")

    def run(name: str, parameters: dict, html: Path | None = None) -> Path:
        return execute(ROOT / "notebooks" / f"{name}.py", tmp_path / f"{name}-{len(list(tmp_path.glob('*.ipynb')))}.ipynb", parameters, html=html, log_output=False)

    return run


@pytest.fixture
def one_thread():
    """Tiny problems gain nothing from a second thread, which only contends on a busy machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
