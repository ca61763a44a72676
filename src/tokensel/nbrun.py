"""Execute a jupytext notebook with papermill and render it to HTML without code cells.

``python -m tokensel.nbrun NOTEBOOK.py EXECUTED.ipynb [--html PAGE.html] [-p NAME VALUE ...]``

Values are parsed as YAML, so ``-p seed 3`` is an int, ``-p flag false`` a bool and
``-p lrs "[1e-3, 3e-3]"`` a list (papermill's own ``-p`` would pass "false" as a string).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import yaml


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
    )
    if html is not None:
        render_html(executed, html)
    return executed


def render_html(executed: str | Path, html: str | Path) -> Path:
    import nbformat
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(nbformat.read(str(executed), as_version=4))
    html = Path(html)
    html.parent.mkdir(parents=True, exist_ok=True)
    html.write_text(body, encoding="utf-8")
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
