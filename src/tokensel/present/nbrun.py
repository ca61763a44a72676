"""Execute a jupytext notebook with papermill and render it to an HTML page of results only.

``python -m tokensel.present.nbrun NOTEBOOK.py EXECUTED.ipynb [--out-dir DIR] [--html PAGE.html] [-p NAME VALUE ...]``

Values are parsed as YAML, so ``-p seed 3`` is an int, ``-p flag false`` a bool and
``-p lrs "[1e-3, 3e-3]"`` a list (papermill's own ``-p`` would pass "false" as a string).

* Kernels talk to papermill over IPC sockets in a fresh private folder, not TCP ports: two
  notebooks started at the same moment (``dvc queue start -j N``, parallel tests) cannot pick the
  same port, and no unencrypted TCP channel is opened.
* A failure or an interrupt never replaces a good output with a half-written one: the executed
  notebook is written to ``EXECUTED.partial`` and renamed when the notebook succeeds, and with
  ``--out-dir DIR`` the notebook's ``out_dir`` parameter (and a ``--html`` page inside DIR) point
  to a fresh ``DIR.partial`` folder that replaces DIR only then. Ctrl-C prints one line.
* The runner ends when its parent (``dvc``) ends, and its kernel ends with it (the kernel polls
  its parent), so a killed pipeline leaves nothing running that could still write outputs.
* The page shows results only: no code, no stderr (warnings, progress bars), no scripts loaded
  from the network (the pages carry no LaTeX, so MathJax is not needed), and cell ids numbered in
  order, so an identical rerun writes identical bytes.
* Every page is titled by its notebook's first heading, links back to the report index one folder
  up, and lets wide tables scroll rather than clip.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import warnings
from html import escape as html_escape
from pathlib import Path
from typing import Any

import yaml

from tokensel.core import publish
from tokensel.core.lifeline import die_with_parent


def _ipc_kernel_manager():
    from jupyter_client.manager import AsyncKernelManager

    class IPCKernelManager(AsyncKernelManager):
        """A kernel manager whose sockets are files in a private temporary folder."""

        def __init__(self, **kwargs: Any):
            super().__init__(**kwargs)
            self.transport = "ipc"
            self.socket_dir = tempfile.mkdtemp(prefix="tokensel-kernel-")
            self.ip = str(Path(self.socket_dir) / "kernel")

        async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: Any) -> None:
            # Cell output reaches the notebook over the sockets; the kernel process's own log
            # (e.g. errors while it is shut down by Ctrl-C, its workers' warnings) would only
            # clutter the stage's output. Worker errors still reach the notebook as exceptions.
            kw.setdefault("stdout", subprocess.DEVNULL)
            kw.setdefault("stderr", subprocess.DEVNULL)
            await super()._async_launch_kernel(kernel_cmd, **kw)

        async def _async_cleanup_resources(self, restart: bool = False) -> None:
            await super()._async_cleanup_resources(restart=restart)
            if not restart:
                shutil.rmtree(self.socket_dir, ignore_errors=True)

    return IPCKernelManager


def execute(notebook: str | Path, executed: str | Path, parameters: dict[str, Any], html: str | Path | None = None,
            log_output: bool = True, out_dir: str | Path | None = None) -> Path:
    """Run ``notebook`` with ``parameters`` into ``executed`` (and its page into ``html``).

    With ``out_dir``, the notebook gets a fresh staging folder as its ``out_dir`` parameter, and
    the folder replaces ``out_dir`` only when the notebook (and the page) succeeded.
    """
    import jupytext
    import papermill

    notebook, executed = Path(notebook), Path(executed)
    if not notebook.is_file():
        raise FileNotFoundError(f"notebook '{notebook}' not found")
    executed.parent.mkdir(parents=True, exist_ok=True)
    staging = None
    if out_dir is not None:
        staging = publish.fresh_staging_dir(out_dir)
        parameters = {**parameters, "out_dir": str(staging)}
        if html is not None and Path(html).resolve().is_relative_to(Path(out_dir).resolve()):
            html = staging / Path(html).resolve().relative_to(Path(out_dir).resolve())
    partial = publish.partial_path(executed)
    try:
        with warnings.catch_warnings():
            # The partial file's name does not end in .ipynb on purpose: nothing picks it up as a notebook.
            warnings.filterwarnings("ignore", message="The specified file .* does not end in one of")
            papermill.execute_notebook(
                jupytext.read(notebook),
                str(partial),
                parameters=parameters,
                kernel_name="python3",
                language="python",
                log_output=log_output,
                progress_bar=False,
                kernel_manager_class=_ipc_kernel_manager(),
            )
        if html is not None:
            banner = provenance_banner(parameters["params_file"], Path(out_dir).name, executed) if "params_file" in parameters and out_dir else ""
            render_html(partial, html, banner)
    except BaseException:
        # A half-built folder must not linger where the index looks for pages; the partial
        # notebook stays for inspection (git and DVC ignore it).
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
        raise
    if staging is not None:
        publish.swap_in(staging, out_dir)
    os.replace(partial, executed)
    return executed


def results_only(notebook) -> None:
    """Drop stderr output and number cell ids in order (in place)."""
    for i, cell in enumerate(notebook.cells):
        cell["id"] = f"cell-{i}"
        if "outputs" in cell:
            cell["outputs"] = [o for o in cell["outputs"] if not (o.get("output_type") == "stream" and o.get("name") == "stderr")]


_SCRIPT = re.compile(r"<script\b[^>]*>.*?</script>\s*", re.S)
_HEADING = re.compile(r"^#\s+(.+)$", re.M)
INDEX_LINK = '<p class="back-to-index"><a href="../index.html">← all reproduction reports</a></p>'
_PAGE_STYLE = (
    "<style>.jp-OutputArea-output{overflow-x:auto} .jp-RenderedHTMLCommon table{table-layout:auto;max-width:none}"
    " .jp-RenderedHTMLCommon td,.jp-RenderedHTMLCommon th{white-space:normal;text-align:left;vertical-align:top}"
    " .back-to-index{max-width:1200px;margin:1rem auto 0;padding:0 1rem;font-family:system-ui,sans-serif}</style>"
)


def page_title(notebook) -> str:
    """The first markdown heading of the notebook, without its markup."""
    for cell in notebook.cells:
        if cell.get("cell_type") == "markdown":
            found = _HEADING.search(cell.get("source", ""))
            if found:
                return re.sub(r"[*_`]", "", found.group(1)).strip()
    raise ValueError("the notebook has no '# heading' in a markdown cell to title its page")


def decorate(body: str, banner: str = "") -> str:
    """No scripts, the page style, and the link back to the index (and the banner) at the top of the body."""
    body = _SCRIPT.sub("", body)
    body = body.replace("</head>", f"{_PAGE_STYLE}\n</head>", 1)
    top = INDEX_LINK + (f'\n<p class="back-to-index">{banner}</p>' if banner else "")
    return re.sub(r"(<body\b[^>]*>)", lambda m: f"{m.group(1)}\n{top}", body, count=1)


def stage_minutes(notebooks: Path, experiment: str, exclude: Path) -> float:
    """Minutes of the executed notebooks of ``experiment``'s other stages (its training), from
    papermill's timings."""
    seconds = 0.0
    for path in notebooks.glob(f"{experiment}-*.ipynb"):
        if path.resolve() != exclude.resolve():
            seconds += float(json.loads(path.read_text())["metadata"].get("papermill", {}).get("duration") or 0.0)
    return seconds / 60


def provenance_banner(params_file: str | Path, experiment: str, executed: Path) -> str:
    """Profile, seeds and compute of the run that made a page: what a reader needs to weigh it."""
    params = yaml.safe_load(Path(params_file).read_text()) or {}
    section = params.get(experiment) or {}
    seeds = section.get("seeds") or (section.get("grid") or {}).get("seeds")
    parts = [f"Profile <strong>{html_escape(str(params.get('profile', 'default')))}</strong>"]
    if seeds:
        parts.append(f"{len(seeds)} seed{'s' if len(seeds) != 1 else ''}")
    minutes = stage_minutes(executed.parent, experiment, executed)
    if minutes > 0:
        parts.append(f"{minutes:.1f} minutes of training and scoring stages on {os.cpu_count()} CPU cores")
    return " · ".join(parts)


def render_html(executed: str | Path, html: str | Path, banner: str = "") -> Path:
    import nbformat
    from nbconvert import HTMLExporter

    notebook = nbformat.read(str(executed), as_version=4)
    results_only(notebook)
    exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(notebook, resources={"metadata": {"name": page_title(notebook)}})
    return publish.write_text(html, decorate(body, banner))


def main(argv: list[str] | None = None) -> int:
    from papermill.exceptions import PapermillExecutionError

    die_with_parent()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebook")
    parser.add_argument("executed")
    parser.add_argument("--html")
    parser.add_argument("--out-dir", help="the notebook's out_dir parameter; replaced only when the notebook succeeds")
    parser.add_argument("-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"))
    args = parser.parse_args(argv)
    parameters = {name: yaml.safe_load(value) for name, value in args.parameter}
    try:
        execute(args.notebook, args.executed, parameters, html=args.html, out_dir=args.out_dir)
    except KeyboardInterrupt:
        publish.partial_path(args.executed).unlink(missing_ok=True)
        print(f"Interrupted: {args.notebook} stopped; its previous outputs are kept. Resume with: dvc repro", file=sys.stderr)
        return 130
    except PapermillExecutionError as error:
        # The traceback is in the partial notebook; the log gets what failed and what to do.
        print(f"{args.notebook} failed in cell {error.exec_count}: {error.ename}: {error.evalue}", file=sys.stderr)
        print(f"Its previous outputs are kept; the traceback is in {publish.partial_path(args.executed)}. "
              "Fix the cause, then resume with: dvc repro", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
