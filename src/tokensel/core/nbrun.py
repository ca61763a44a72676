"""Execute a jupytext notebook with papermill and render it to an HTML page of results only.

``python -m tokensel.core.nbrun NOTEBOOK.py EXECUTED.ipynb [--html PAGE.html] [-p NAME VALUE ...]``

Values are parsed as YAML, so ``-p seed 3`` is an int, ``-p flag false`` a bool and
``-p lrs "[1e-3, 3e-3]"`` a list (papermill's own ``-p`` would pass "false" as a string).

* Kernels talk to papermill over IPC sockets in a fresh private folder, not TCP ports: two
  notebooks started at the same moment (``dvc queue start -j N``, parallel tests) cannot pick the
  same port, and no unencrypted TCP channel is opened.
* The page shows results only: no code, no stderr (warnings, progress bars), no scripts loaded
  from the network (the pages carry no LaTeX, so MathJax is not needed), and cell ids numbered in
  order, so an identical rerun writes identical bytes.
* Every page is titled by its notebook's first heading, links back to the report index one folder
  up, and lets wide tables scroll rather than clip.
"""

from __future__ import annotations

import argparse
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

import yaml


def _ipc_kernel_manager():
    from jupyter_client.manager import AsyncKernelManager

    class IPCKernelManager(AsyncKernelManager):
        """A kernel manager whose sockets are files in a private temporary folder."""

        def __init__(self, **kwargs: Any):
            super().__init__(**kwargs)
            self.transport = "ipc"
            self.socket_dir = tempfile.mkdtemp(prefix="tokensel-kernel-")
            self.ip = str(Path(self.socket_dir) / "kernel")

        async def _async_cleanup_resources(self, restart: bool = False) -> None:
            await super()._async_cleanup_resources(restart=restart)
            if not restart:
                shutil.rmtree(self.socket_dir, ignore_errors=True)

    return IPCKernelManager


def execute(notebook: str | Path, executed: str | Path, parameters: dict[str, Any], html: str | Path | None = None, log_output: bool = True) -> Path:
    import jupytext
    import papermill

    notebook, executed = Path(notebook), Path(executed)
    if not notebook.is_file():
        raise FileNotFoundError(f"notebook '{notebook}' not found")
    executed.parent.mkdir(parents=True, exist_ok=True)
    papermill.execute_notebook(
        jupytext.read(notebook),
        str(executed),
        parameters=parameters,
        kernel_name="python3",
        language="python",
        log_output=log_output,
        progress_bar=False,
        kernel_manager_class=_ipc_kernel_manager(),
    )
    if html is not None:
        render_html(executed, html)
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


def decorate(body: str) -> str:
    """No scripts, the page style, and the link back to the index at the top of the body."""
    body = _SCRIPT.sub("", body)
    body = body.replace("</head>", f"{_PAGE_STYLE}\n</head>", 1)
    return re.sub(r"(<body\b[^>]*>)", lambda m: f"{m.group(1)}\n{INDEX_LINK}", body, count=1)


def render_html(executed: str | Path, html: str | Path) -> Path:
    import nbformat
    from nbconvert import HTMLExporter

    notebook = nbformat.read(str(executed), as_version=4)
    results_only(notebook)
    exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(notebook, resources={"metadata": {"name": page_title(notebook)}})
    html = Path(html)
    html.parent.mkdir(parents=True, exist_ok=True)
    html.write_text(decorate(body), encoding="utf-8")
    return html


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebook")
    parser.add_argument("executed")
    parser.add_argument("--html")
    parser.add_argument("-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"))
    args = parser.parse_args(argv)
    parameters = {name: yaml.safe_load(value) for name, value in args.parameter}
    execute(args.notebook, args.executed, parameters, html=args.html)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
