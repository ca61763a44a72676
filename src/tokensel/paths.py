"""Resolve paths against the repository root, whether run by DVC (cwd = root) or JupyterLab (cwd = notebooks/)."""

from __future__ import annotations

import os
from pathlib import Path


def repo_root(start: Path | None = None) -> Path:
    if "DVC_ROOT" in os.environ:
        return Path(os.environ["DVC_ROOT"])
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / "dvc.yaml").is_file():
            return candidate
    return here


def resolve(path: str | Path) -> Path:
    """Absolute paths pass through; relative paths are taken from the repository root."""
    path = Path(path)
    return path if path.is_absolute() else repo_root() / path
