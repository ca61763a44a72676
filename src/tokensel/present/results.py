"""The results table at the top of every report page, in the form of the ML Reproducibility
Challenge: each claim of the paper, what the paper reports for it, what we measured (with seeds and
an interval), and the verdict; then the setup, what was easy and what was hard, and the compute.

Each experiment's analysis fills a ``ResultsSummary`` from its numbers; ``render`` is the only
place that turns one into HTML, so every page shows it the same way.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from IPython.display import HTML

from tokensel.core import verdicts

NOT_PUBLIC = "not public"


@dataclass(frozen=True)
class ClaimResult:
    """One row: ``paper`` is what the paper reports for the claim, or ``NOT_PUBLIC``; ``ours`` the
    measured numbers with their seeds and interval."""

    claim: str
    paper: str
    ours: str
    verdict: str

    def __post_init__(self) -> None:
        if self.verdict not in verdicts.VERDICTS:
            raise ValueError(f"'{self.verdict}' is not a verdict; use one of: {', '.join(verdicts.VERDICTS)}")
        for name in ("claim", "paper", "ours"):
            if not getattr(self, name).strip():
                raise ValueError(f"a results row needs a non-empty '{name}'")


@dataclass(frozen=True)
class ResultsSummary:
    rows: tuple[ClaimResult, ...]
    setup: str
    easy: str
    hard: str
    compute: str
    beside: tuple[str, ...] = ()  # our own questions and targets, reported beside the claims, never in their verdicts

    def __post_init__(self) -> None:
        if not self.rows:
            raise ValueError("a results summary needs at least one claim")


def _cell(text: str) -> str:
    return html.escape(text)


def render(summary: ResultsSummary) -> HTML:
    """The table and the four short paragraphs under it, as one HTML block."""
    rows = "\n".join(
        f"<tr><td>{_cell(r.claim)}</td><td>{_cell(r.paper)}</td><td>{_cell(r.ours)}</td><td>{verdicts.badge(r.verdict)}</td></tr>"
        for r in summary.rows
    )
    paragraphs = "\n".join(
        f"<p><strong>{title}</strong> {_cell(text)}</p>"
        for title, text in (("Setup.", summary.setup), ("What was easy.", summary.easy), ("What was hard.", summary.hard), ("Compute.", summary.compute))
    )
    beside = "".join(f"<li>{_cell(line)}</li>" for line in summary.beside)
    beside = f"<p><strong>Beside the claims (ours, not the paper's):</strong></p><ul>{beside}</ul>\n" if beside else ""
    return HTML(
        '<div class="results-summary"><table class="result">\n'
        "<tr><th>claim</th><th>what the paper reports</th><th>ours</th><th>verdict</th></tr>\n"
        f"{rows}\n</table>\n{beside}{paragraphs}</div>"
    )
