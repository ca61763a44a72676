"""Resolve paths against the repository root, whether run by DVC (cwd = root) or JupyterLab (cwd = notebooks/).

The root is the nearest folder at or above the working directory that holds ``dvc.yaml``. DVC's
``DVC_ROOT`` variable is deliberately not used: in a queued experiment (``dvc queue start``) it
names the original project while the stage runs in a temporary copy, so outputs would land in the
wrong workspace.
"""

from __future__ import annotations

from pathlib import Path


def repo_root(start: Path | None = None) -> Path:
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / "dvc.yaml").is_file():
            return candidate
    return here


def resolve(path: str | Path) -> Path:
    """Absolute paths pass through; relative paths are taken from the repository root."""
    path = Path(path)
    return path if path.is_absolute() else repo_root() / path
