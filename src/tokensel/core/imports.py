"""The tokensel source a module runs: its import closure and a fingerprint of that source.

Two users: the dvc.yaml deps test (every file a stage imports must lie under one of its deps) and
the run store (a run's key includes the fingerprint of the code it imports, so changing that code
retrains exactly the runs that import it). Imports are read from the source with ``ast``, not by
importing, so the closure of a stage is known before anything runs.

The fingerprint is of the code, not of its text: each file is parsed, its docstrings dropped and
the rest written back by ``ast.unparse``, so editing a comment, a docstring or the layout of a
line retrains nothing. (A Python upgrade that writes some construct back differently retrains
once.)
"""

from __future__ import annotations

import ast
import hashlib
from functools import lru_cache
from pathlib import Path

import tokensel

SRC = Path(tokensel.__file__).resolve().parents[1]


def module_file(module: str, src: Path = SRC) -> Path | None:
    base = src / Path(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def imported_modules(source: str, src: Path = SRC) -> set[str]:
    """Absolute tokensel modules imported by ``source`` (``from pkg import mod`` counts mod)."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("tokensel")}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("tokensel"):
            found.add(node.module)
            found |= {f"{node.module}.{a.name}" for a in node.names if module_file(f"{node.module}.{a.name}", src)}
    return found


def closure(modules: set[str], src: Path = SRC) -> set[Path]:
    """Files of ``modules``, of the packages above them, and of everything they import."""
    files: set[Path] = set()
    pending = list(modules)
    while pending:
        module = pending.pop()
        parts = module.split(".")
        for i in range(1, len(parts) + 1):  # importing a.b.c runs a/__init__ and a/b/__init__ too
            path = module_file(".".join(parts[:i]), src)
            if path is not None and path not in files:
                files.add(path)
                pending.extend(imported_modules(path.read_text(), src))
    return files


def code_only(source: str) -> str:
    """``source`` without comments, docstrings or layout: what running it depends on."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and body:
            first = body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
                node.body = body[1:] or [ast.Pass()]
    return ast.unparse(tree)


def source_fingerprint(files: set[Path], src: Path = SRC) -> str:
    """sha256 over the relative path and code (``code_only``) of each file, in path order."""
    digest = hashlib.sha256()
    for path in sorted(files):
        name = str(path.relative_to(src)) if path.is_relative_to(src) else path.name
        digest.update(name.encode() + b"\0" + code_only(path.read_text()).encode() + b"\0")
    return digest.hexdigest()


def file_fingerprint(path: Path, src: Path = SRC) -> str:
    """Fingerprint of ``path`` and of the tokensel modules it imports (for code outside tokensel)."""
    return source_fingerprint({path} | closure(imported_modules(path.read_text(), src), src), src)


@lru_cache(maxsize=None)
def code_fingerprint(module: str) -> str:
    """Fingerprint of a tokensel module's import closure, computed once per process."""
    return source_fingerprint(closure({module}))
