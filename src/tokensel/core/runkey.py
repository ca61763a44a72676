"""A run's key: sha256 of the function it calls, its resolved arguments and the code they run.

Two calls get the same key exactly when they compute the same numbers: the function's qualified
name, a canonical encoding of its keyword arguments (dataclasses field by field, arrays by dtype,
shape and bytes, floats exactly by their hex form, mappings in key order), the fingerprint of
the tokensel source the function's module imports, and what else changes floating-point results
(the torch version and the device kind). A value the encoding does not know raises ``TypeError``
instead of falling back to ``repr``, which could embed a memory address and never match again.
Arguments that only name a run in progress bars and error messages (``NAMING_ARGUMENTS``) are left
out, so one run asked for under two names (a grid cell and the same cell of a width grid) is
trained once.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import inspect
from pathlib import Path, PurePath
from typing import Any, Callable

import numpy as np
import torch

from tokensel.core.imports import SRC, code_fingerprint, file_fingerprint


def _encode(value: Any, out: list[bytes]) -> None:
    if value is None or isinstance(value, (bool, int, str)):
        out.append(f"{type(value).__name__}:{value!r};".encode())
    elif isinstance(value, float):
        out.append(f"float:{value.hex()};".encode())
    elif isinstance(value, np.generic):
        _encode(np.asarray(value), out)
    elif isinstance(value, (np.ndarray, torch.Tensor)):
        array = value.detach().cpu().numpy() if isinstance(value, torch.Tensor) else value
        if array.dtype == object:
            out.append(f"objects{array.shape}[".encode())
            for item in array.ravel():
                _encode(item, out)
            out.append(b"]")
        else:
            data = hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()
            out.append(f"{type(value).__name__}:{array.dtype.str}{array.shape}:{data};".encode())
    elif isinstance(value, enum.Enum):
        out.append(f"enum:{type(value).__qualname__}.{value.name};".encode())
    elif isinstance(value, PurePath):
        out.append(f"path:{value};".encode())
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        out.append(f"{type(value).__module__}.{type(value).__qualname__}(".encode())
        for field in dataclasses.fields(value):
            out.append(f"{field.name}=".encode())
            _encode(getattr(value, field.name), out)
        out.append(b")")
    elif isinstance(value, dict):
        out.append(b"{")
        for name in sorted(value, key=repr):
            _encode(name, out)
            _encode(value[name], out)
        out.append(b"}")
    elif isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value, key=repr) if isinstance(value, (set, frozenset)) else value
        out.append(f"{type(value).__name__}[".encode())
        for item in items:
            _encode(item, out)
        out.append(b"]")
    elif inspect.isfunction(value) or inspect.isclass(value):
        out.append(f"ref:{value.__module__}.{value.__qualname__};".encode())
    else:
        raise TypeError(f"a run's arguments hold a {type(value).__module__}.{type(value).__qualname__}, which the run store "
                        "cannot key; pass a dataclass, array or plain value instead (tokensel.core.runkey)")


NAMING_ARGUMENTS = frozenset({"label", "lr_key"})


def canonical(value: Any) -> bytes:
    """The bytes two equal argument sets share and two different ones never do."""
    out: list[bytes] = []
    _encode(value, out)
    return b"".join(out)


def function_name(function: Callable) -> str:
    return f"{function.__module__}.{function.__qualname__}"


def function_code(function: Callable) -> str:
    """Fingerprint of the source the function runs (its module's tokensel import closure)."""
    module = function.__module__
    if module.startswith("tokensel"):
        return code_fingerprint(module)
    return file_fingerprint(Path(inspect.getsourcefile(function) or ""), SRC)


def environment() -> str:
    return f"torch={torch.__version__};device={'cuda' if torch.cuda.is_available() else 'cpu'}"


def run_key(function: Callable, job: dict, code: str | None = None) -> str:
    digest = hashlib.sha256()
    numbers = {name: value for name, value in job.items() if name not in NAMING_ARGUMENTS}
    for part in (function_name(function).encode(), canonical(numbers), (code or function_code(function)).encode(), environment().encode()):
        digest.update(part + b"\0")
    return digest.hexdigest()
