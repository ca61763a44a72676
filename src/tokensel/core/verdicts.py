"""One vocabulary for verdicts, the same on every report page and on the index.

Each experiment's ``metrics.json`` carries ``verdict`` (one of ``VERDICTS``) and ``claim`` (one
sentence with the numbers behind it). ``undecided`` means the experiment ran but could not decide
the claim: its controls did not separate, no model learned the task, or an interval straddles the
margin. It is not a polite "not reproduced".
"""

from __future__ import annotations

import html

from tokensel.core.errors import ConfigError

REPRODUCED = "reproduced"
PARTIALLY_REPRODUCED = "partially reproduced"
NOT_REPRODUCED = "not reproduced"
UNDECIDED = "undecided"
VERDICTS = (REPRODUCED, PARTIALLY_REPRODUCED, NOT_REPRODUCED, UNDECIDED)


def combine(parts: list[str]) -> str:
    """The verdict on a claim made of several parts (tasks, datasets, targets): reproduced only if
    every part is, not reproduced only if every decided part is not, undecided if no part is decided."""
    for part in parts:
        if part not in VERDICTS:
            raise ConfigError(f"'{part}' is not a verdict; use one of: {', '.join(VERDICTS)}.")
    decided = [p for p in parts if p != UNDECIDED]
    if not decided:
        return UNDECIDED
    if all(p == REPRODUCED for p in parts):
        return REPRODUCED
    if all(p == NOT_REPRODUCED for p in decided):
        return NOT_REPRODUCED
    return PARTIALLY_REPRODUCED


def summary(verdict: str, claim: str) -> dict[str, str]:
    """The two fields every ``metrics.json`` starts with. The index prints "<verdict>: <claim>", so
    a claim that opens with its verdict would say it twice."""
    if verdict not in VERDICTS:
        raise ConfigError(f"'{verdict}' is not a verdict; use one of: {', '.join(VERDICTS)}.")
    if claim.lower().startswith(verdict):
        raise ValueError(f"The claim repeats its verdict '{verdict}'; give only the numbers behind it: {claim!r}")
    return {"verdict": verdict, "claim": claim}


COLOURS = {REPRODUCED: "#2e7d32", PARTIALLY_REPRODUCED: "#ef6c00", NOT_REPRODUCED: "#c62828", UNDECIDED: "#616161"}


def badge(verdict: str) -> str:
    """The verdict in its colour, as HTML: the same badge on the pages and on the index."""
    return f'<strong style="color:{COLOURS.get(verdict, COLOURS[UNDECIDED])}">{html.escape(verdict)}</strong>'
