"""Writers that replace a published file or folder only once its new version is complete.

A stage that fails or is interrupted halfway leaves the last good version in place: files are
written to a ``.partial`` sibling and renamed, and a report folder is built in a ``.partial``
sibling folder and swapped in whole. ``*.partial`` is ignored by git and DVC.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

SUFFIX = ".partial"


def partial_path(path: str | Path) -> Path:
    path = Path(path)
    return path.with_name(path.name + SUFFIX)


def write_text(path: str | Path, text: str) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = partial_path(path)
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)
    return path


def fresh_staging_dir(target: str | Path) -> Path:
    """An empty ``TARGET.partial`` folder beside ``target`` to build its next version in."""
    staging = partial_path(target)
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    return staging


def swap_in(staging: str | Path, target: str | Path) -> Path:
    """Replace the folder ``target`` with ``staging`` (two renames; the old folder is then removed)."""
    staging, target = Path(staging), Path(target)
    retired = target.with_name(target.name + ".old" + SUFFIX)
    shutil.rmtree(retired, ignore_errors=True)
    if target.exists():
        os.replace(target, retired)
    os.replace(staging, target)
    shutil.rmtree(retired, ignore_errors=True)
    return target
