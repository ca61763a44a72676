"""``reports/scales.html``: every claim's verdict at every profile that has been reproduced, side by side.

A profile's pipeline lives in its own folder (``tokensel.pipeline.projects``): the default profile
at the root, any other in ``profiles/NAME/``. This page reads what each folder published (the
``metrics.json`` verdict and claim of every report, the stage wall times, the seeds in its params
file) and nothing else, so it never states a verdict that a page does not. It is written after every
``make reproduce`` (``python -m tokensel.pipeline.scales``) rather than by a DVC stage: a stage of one
profile that read another profile's pages would make ``dvc repro`` of the first rerun the second.

Where the verdicts of two profiles differ, the profile that spent more compute on the experiment
decides: the larger profiles run every point and seed of the default profile's grid and more, so
their verdict rests on strictly more evidence; the smaller one's is what its budget showed.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from tokensel.core import publish
from tokensel.core.params_file import read_params
from tokensel.core.verdicts import badge
from tokensel.pipeline import stage_times
from tokensel.pipeline.experiments import EXPERIMENTS
from tokensel.pipeline import lookup
from tokensel.pipeline.site import SEED_KEYS

PAGE = Path("reports/scales.html")


@dataclass(frozen=True)
class Published:
    """What one profile's folder published: its verdicts and the compute they took."""

    profile: str
    folder: Path  # relative to the repository root
    verdicts: dict[str, tuple[str, str]]  # experiment -> (verdict, claim)
    minutes: dict[str, float]  # experiment -> notebook-stage minutes
    seeds: dict[str, int]  # experiment -> number of seeds


def published(root: Path, folder: Path) -> Published | None:
    """The pages of the pipeline in ``root / folder``; None where it has published none."""
    reports = root / folder / "reports"
    if not (reports / "index.html").is_file():
        return None
    params = read_params(root / folder / "params.yaml")
    verdicts = {}
    for name in EXPERIMENTS:
        metrics = reports / name / "metrics.json"
        if metrics.is_file():
            data = json.loads(metrics.read_text())
            verdicts[name] = (str(data.get("verdict", "")), str(data.get("claim", "")))
    times_file = reports / "stage_times.csv"
    minutes = stage_times.experiment_minutes(pd.read_csv(times_file), EXPERIMENTS) if times_file.is_file() else {}
    seeds = {name: len(found) for name, key in SEED_KEYS if (found := lookup(params, key))}
    return Published(str(params.get("profile", folder.name)), folder, verdicts, minutes, seeds)


def every_profile(root: Path) -> list[Published]:
    """The default profile's pages first, then every profile folder's, by name."""
    folders = [Path("."), *sorted(p.parent.relative_to(root) for p in (root / "profiles").glob("*/dvc.yaml"))]
    return [found for folder in folders if (found := published(root, folder)) is not None]


def deciding(profiles: list[Published], name: str) -> Published | None:
    """The profile whose verdict on ``name`` decides: the one that spent the most compute on it."""
    ran = [p for p in profiles if name in p.verdicts]
    return max(ran, key=lambda p: p.minutes.get(name, 0.0)) if ran else None


def _cell(p: Published, name: str) -> str:
    if name not in p.verdicts:
        return "<td>not run</td>"
    verdict, claim = p.verdicts[name]
    link = (Path("..") / p.folder / "reports" / name / "index.html").as_posix()
    seeds = f", {p.seeds[name]} seeds" if name in p.seeds else ""
    return (f'<td>{badge(verdict)} <a href="{html.escape(link)}">page</a><br><small>{html.escape(claim)}</small>'
            f"<br><small>{p.minutes.get(name, float('nan')):.0f} notebook-minutes{seeds}</small></td>")


def _decision(profiles: list[Published], name: str) -> str:
    verdicts = {p.verdicts[name][0] for p in profiles if name in p.verdicts}
    if len(verdicts) <= 1:
        return "<td>the same at every scale</td>" if len(profiles) > 1 else "<td></td>"
    chosen = deciding(profiles, name)
    return (f"<td>differs: <strong>{html.escape(chosen.profile)}</strong> decides (the most compute, "
            f"{chosen.minutes.get(name, 0.0):.0f} notebook-minutes, on every point and seed of the smaller grid and more)</td>")


def render(profiles: list[Published]) -> str:
    heads = "".join(f"<th>{html.escape(p.profile)}</th>" for p in profiles)
    rows = "\n".join(f"<tr><td>{html.escape(title)}</td>{''.join(_cell(p, name) for p in profiles)}{_decision(profiles, name)}</tr>"
                     for name, title in EXPERIMENTS.items())
    return f"""<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Every claim at every published scale</title>
<style>body{{font-family:system-ui,sans-serif;max-width:80rem;margin:2rem auto;line-height:1.4;padding:0 1rem}}
td,th{{padding:0.3rem 0.6rem;text-align:left;vertical-align:top;border-bottom:1px solid #ddd}}</style>
</head>
<body>
<h1>Every claim at every published scale</h1>
<p>One column per profile whose pipeline has been reproduced and committed (the default profile at the
repository root, every other in <code>profiles/NAME/</code>); each cell is that profile's verdict, linked to its
page, with the notebook-stage minutes its experiment took on the machine that ran it. Where the verdicts
differ, the profile that spent the most compute on the experiment decides: the larger profiles include
every point and seed of the default grid, so their verdict rests on more evidence.</p>
<table>
<tr><th>experiment</th>{heads}<th>which scale decides</th></tr>
{rows}
</table>
</body>
</html>
"""


def main(argv: list[str] | None = None) -> int:
    root = Path(".")
    profiles = every_profile(root)
    publish.write_text(root / PAGE, render(profiles))
    print(f"wrote {PAGE} ({len(profiles)} profiles: {', '.join(p.profile for p in profiles)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
