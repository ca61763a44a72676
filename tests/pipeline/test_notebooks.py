"""Notebooks as JupyterLab and the pipeline see them: saved unchanged, started side by side, rendered
to pages of results only, byte for byte the same on a rerun."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest

from tokensel.present.nbrun import execute, render_html, results_only

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.py"))

PROBE = '''# %% [markdown]
# # Probe

# %% tags=["parameters"]
x = 1

# %%
import sys
import warnings

warnings.warn("a warning for the log only")
print("progress 10/10 it/s]", file=sys.stderr)
x * 2
'''


def test_opening_and_saving_every_notebook_in_jupyterlab_leaves_it_unchanged(tmp_path):
    """JupyterLab's jupytext contents manager reads each .py and saves it back: same bytes."""
    from jupyter_server.services.contents.largefilemanager import AsyncLargeFileManager
    from jupytext.async_contentsmanager import build_async_jupytext_contents_manager_class

    shutil.copytree(ROOT / "notebooks", tmp_path / "notebooks", ignore=shutil.ignore_patterns("*.ipynb"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)  # where the jupytext settings live
    manager = build_async_jupytext_contents_manager_class(AsyncLargeFileManager)(root_dir=str(tmp_path))

    async def round_trip(name: str) -> bytes:
        model = await manager.get(f"notebooks/{name}", content=True, type="notebook")
        await manager.save(model, f"notebooks/{name}")
        return (tmp_path / "notebooks" / name).read_bytes()

    for notebook in NOTEBOOKS:
        assert asyncio.run(round_trip(notebook.name)) == notebook.read_bytes(), f"saving {notebook.name} in JupyterLab changes it"


def _run_probe(folder: Path, i: int) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "tokensel.present.nbrun", str(folder / "probe.py"), str(folder / f"run{i}.ipynb"),
         "--html", str(folder / f"run{i}.html"), "-p", "x", str(i)],
        capture_output=True, text=True, timeout=300,
    )


@pytest.mark.slow
def test_many_notebooks_started_at_once_all_succeed_without_tcp(tmp_path):
    """Kernels started at the same moment cannot collide: they talk over private IPC sockets."""
    (tmp_path / "probe.py").write_text(PROBE)
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda i: _run_probe(tmp_path, i), range(8)))
    for i, result in enumerate(results):
        assert result.returncode == 0, result.stderr[-2000:]
        assert "TCP" not in result.stderr
        assert f"<pre>{2 * i}</pre>" in (tmp_path / f"run{i}.html").read_text()


def test_pages_show_results_only_and_are_stable(tmp_path):
    (tmp_path / "probe.py").write_text(PROBE)
    execute(tmp_path / "probe.py", tmp_path / "a.ipynb", {"x": 3}, html=tmp_path / "a.html", log_output=False)
    executed = nbformat.read(str(tmp_path / "a.ipynb"), as_version=4)
    assert any(o.get("name") == "stderr" for c in executed.cells for o in c.get("outputs", [])), "the probe writes to stderr"
    page = (tmp_path / "a.html").read_text()
    for leak in ("a warning for the log only", "it/s]", "Traceback", "<script", "cdnjs"):
        assert leak not in page
    assert "<pre>6</pre>" in page
    render_html(tmp_path / "a.ipynb", tmp_path / "again.html")
    execute(tmp_path / "probe.py", tmp_path / "b.ipynb", {"x": 3}, html=tmp_path / "b.html", log_output=False)
    assert (tmp_path / "b.html").read_bytes() == (tmp_path / "a.html").read_bytes() == (tmp_path / "again.html").read_bytes()


def test_results_only_numbers_cells_and_drops_stderr():
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("1", outputs=[nbformat.v4.new_output("stream", name="stderr", text="warn"),
                                                nbformat.v4.new_output("stream", name="stdout", text="ok")]),
        nbformat.v4.new_markdown_cell("text"),
    ])
    results_only(notebook)
    assert [c["id"] for c in notebook.cells] == ["cell-0", "cell-1"]
    assert [o["name"] for o in notebook.cells[0]["outputs"]] == ["stdout"]
