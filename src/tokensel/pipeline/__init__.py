"""Running the experiments as one pipeline: the experiment registry, params validation, profiles,
the index page and stage timings. Nothing in an experiment package imports from here."""

from __future__ import annotations

import sys
from typing import Any, Callable, Mapping

from tokensel.core.errors import ConfigError


def command(action: Callable[[], str | int | None]) -> int:
    """Run a command-line action: print what it returns (a message), exit 0; on a ``ConfigError``
    print the error and exit 2, so every pipeline command fails the same way."""
    try:
        result = action()
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if isinstance(result, int):
        return result
    if result is not None:
        print(result)
    return 0


def lookup(params: Mapping[str, Any], dotted: str) -> Any:
    """The value at a dotted params key (``synthetic.grid.seeds``); None where any part is missing."""
    node: Any = params
    for part in dotted.split("."):
        node = node.get(part) if isinstance(node, Mapping) else None
    return node
