"""Write ``reports/index.html``: one entry per experiment report, with its verdict line, and the
wall time of the run that produced them.

``python -m tokensel.pipeline.site reports results/notebooks [params.yaml]`` finds every
``reports/<experiment>/index.html`` and reads the ``claim`` from its ``metrics.json``, so the index
never states a result the report does not. It links every page, metrics file and CSV it finds, says
which profile and how many seeds produced them (from the params file), and what reproduces exactly.
The stage timings come from the executed notebooks (``tokensel.stage_times``) and are also written
to ``reports/stage_times.csv``.
"""

from __future__ import annotations

import html
import json
import os
import sys
from pathlib import Path

import pandas as pd

from tokensel.core import publish
from tokensel.core.params_file import read_params
from tokensel.core.verdicts import VERDICTS, badge
from tokensel.pipeline import lookup, stage_times
from tokensel.pipeline.experiments import EXPERIMENTS as TITLES


def entries(reports: Path) -> list[tuple[str, str, str, str]]:
    """(name, title, verdict, claim) of every report with a page, in registry order."""
    found = []
    for page in sorted(reports.glob("*/index.html")):
        name = page.parent.name
        if name.endswith(publish.SUFFIX):  # a report being built (or left by a killed run)
            continue
        metrics_file = page.parent / "metrics.json"
        metrics = json.loads(metrics_file.read_text()) if metrics_file.is_file() else {}
        found.append((name, TITLES.get(name, name), metrics.get("verdict", ""), metrics.get("claim", "")))
    order = list(TITLES)
    return sorted(found, key=lambda e: order.index(e[0]) if e[0] in order else len(order))


PUBLISHED = ("*.json", "*.csv")  # beside each page: its metrics, details and plot data


def published_files(reports: Path, name: str) -> list[str]:
    """The data files beside an experiment's page, relative to ``reports``."""
    folder = reports / name
    return sorted(str(p.relative_to(reports)) for pattern in PUBLISHED for p in folder.glob(pattern))


def entry_item(reports: Path, name: str, title: str, verdict: str, claim: str) -> str:
    line = f'  <li><a href="{html.escape(name)}/index.html">{html.escape(title)}</a>'
    if verdict:
        line += f"<br>{badge(verdict)}: {html.escape(claim)}"
    files = published_files(reports, name)
    if files:
        line += "<br><small>data: " + ", ".join(f'<a href="{html.escape(f)}">{html.escape(f.split("/", 1)[1])}</a>' for f in files) + "</small>"
    return line + "</li>"


# The seeds of each experiment that trains models: (experiment, dotted params key).
SEED_KEYS = (("synthetic", "synthetic.grid.seeds"), ("regression", "regression.seeds"), ("genomic", "genomic.seeds"))


def provenance_section(params: dict) -> str:
    """Which profile and scale made the pages, and what a rerun reproduces exactly."""
    seeds = [f"{name} {len(found)} seed{'' if len(found) == 1 else 's'}" for name, key in SEED_KEYS if (found := lookup(params, key))]
    return f"""<h2>What produced these pages, and what reproduces</h2>
<p>Profile <strong>{html.escape(str(params.get("profile", "default")))}</strong> (<code>params.yaml</code>; every key is
documented in <code>profiles/</code>); {html.escape(", ".join(seeds) or "no seeds listed")}. The efficiency page names
the machine its timings come from.</p>
<ul>
  <li><strong>Exactly</strong> (same machine, same seed, same torch build): every trained model and every number computed
  from it (synthetic, regression, genomic), and every construction, which is set by formula. A seed fixes data and
  initialisation, and the tests check that one seed gives the same numbers twice.</li>
  <li><strong>Only within the seed spread</strong> on another machine, even of the same kind: trained-model numbers move,
  because other CPU kernels sum in another order and training amplifies the difference. The verdicts are drawn from
  intervals over seeds, so they should hold where single numbers do not.</li>
  <li><strong>Never exactly</strong>: the efficiency timings, which depend on the machine and its load; the verdict rests
  on paired ratios with intervals and a known-answer control.</li>
</ul>
<p>Stage wall times: <a href="stage_times.csv">stage_times.csv</a>.</p>"""


def timing_section(times: pd.DataFrame) -> str:
    """An HTML table of minutes per stage group, with a bar for each (a picture, no plot library)."""
    if times.empty:
        return "<p>No executed notebooks found: stage timings are unavailable.</p>"
    groups = stage_times.by_group(times)
    longest = groups["seconds"].max()
    rows = "\n".join(
        f"  <tr><td>{html.escape(str(g.group))}</td><td>{g.stages}</td><td>{g.seconds / 60:.1f}</td>"
        f'<td><div style="background:#4c72b0;height:0.8em;width:{100 * g.seconds / longest:.0f}%"></div></td></tr>'
        for g in groups.itertuples()
    )
    total, span = times["seconds"].sum(), stage_times.span_seconds(times)
    return f"""<h2>Wall time of the run that made these pages</h2>
<p>Notebook stages, from papermill's timings in the executed notebooks: {total / 60:.1f} min in
{len(times)} stages; {span / 60:.1f} min from the first stage's start to the last one's end (this
includes DVC's overhead and the combine steps, and any pause if stages ran in separate
<code>dvc repro</code> calls). Per stage: <code>reports/stage_times.csv</code>. A run found in the
run store (the same arguments and the same training code) is read, not trained, so a stage whose
runs were all stored takes seconds here; the compute line at the top of each page counts the CPU
time of every run it shows, wherever it was trained.</p>
<table>
  <tr><th>stages</th><th>count</th><th>minutes</th><th style="width:40%"></th></tr>
{rows}
</table>"""


def scales_link(reports: Path) -> str:
    """The relative link from ``reports`` to the page of every profile's verdicts (``reports/scales.html``
    of the repository: the folder above ``reports`` that holds ``profiles/default.yaml``)."""
    here = reports.resolve()
    top = next((folder for folder in here.parents if (folder / "profiles" / "default.yaml").is_file()), here.parent)
    return Path(os.path.relpath(top / "reports" / "scales.html", here)).as_posix()


def render(reports: Path, times: pd.DataFrame, params: dict) -> str:
    items = "\n".join(entry_item(reports, *entry) for entry in entries(reports))
    return f"""<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>SSMs vs Transformers in dynamic token selection: reproduction reports</title>
<style>body{{font-family:system-ui,sans-serif;max-width:52rem;margin:2rem auto;line-height:1.5;padding:0 1rem}}
td,th{{padding:0.1rem 0.6rem;text-align:left}} li{{margin-bottom:0.6rem}}</style>
</head>
<body>
<h1>Reproduction reports</h1>
<p>Nishikawa &amp; Suzuki, <em>State Space Models are Provably Comparable to Transformers in Dynamic
Token Selection</em>, ICLR 2025 (<a href="https://arxiv.org/abs/2405.19036">arXiv 2405.19036</a>). Every page
below is generated by <code>dvc repro</code> from the code and parameters in this repository; every number on it
is computed, none typed by hand. Verdicts use one vocabulary: {", ".join(badge(v) for v in VERDICTS)};
<em>undecided</em> means the experiment could not decide the claim (its controls did not separate, or no
model learned the task).</p>
<ul>
{items}
</ul>
<p>Each claim's verdict at every profile that has been reproduced, side by side, with the compute each took:
<a href="{html.escape(scales_link(reports))}">every published scale</a>.</p>
{provenance_section(params)}
{timing_section(times)}
</body>
</html>
"""


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    reports = Path(argv[0] if argv else "reports")
    times = stage_times.read(argv[1] if len(argv) > 1 else "results/notebooks")
    params = read_params(argv[2] if len(argv) > 2 else "params.yaml")
    publish.write_text(reports / "stage_times.csv", times.to_csv(index=False))
    publish.write_text(reports / "index.html", render(reports, times, params))
    print(f"wrote {reports / 'index.html'} ({len(entries(reports))} experiments)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
