"""The published pages show results only, and come from one run of the committed pipeline."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tokensel.core.verdicts import VERDICTS
from tokensel.pipeline import scales
from tokensel.pipeline.experiments import EXPERIMENTS

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted((ROOT / "reports").glob("**/*.html"))

# What must never reach a page: stderr, progress bars, machine paths, scripts, raw reprs.
LEAKS = {
    "traceback": re.compile(r"Traceback \(most recent call last\)"),
    "warning": re.compile(r"\w+Warning\b|warnings\.warn"),
    "progress bar": re.compile(r"\d+it/s\]|it/s\]|\|\s*\d+/\d+ \["),
    "machine path": re.compile(r"site-packages|/tmp/|/root/|/home/\w+|\.venv/"),
    "script": re.compile(r"<script\b"),
    "missing alt text": re.compile(r"No description has been provided"),
    "dataclass repr": re.compile(r"\b\w+(Config|Options|Experiment|Settings)\("),
    "NaN cell": re.compile(r">\s*NaN\s*<|\bnan\b"),
}


def leaks(page: str) -> list[str]:
    body = page.split("<body", 1)[-1]
    body = re.sub(r'src="data:image/png;base64,[^"]*"', "", body)
    return [name for name, pattern in LEAKS.items() if pattern.search(body)]


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(ROOT / "reports")) for p in PAGES])
def test_committed_pages_show_results_only(page):
    assert leaks(page.read_text()) == []


def test_the_leak_scan_covers_the_index_and_every_experiment_page():
    scanned = {str(page.relative_to(ROOT / "reports")) for page in PAGES}
    assert {"index.html", *(f"{name}/index.html" for name in EXPERIMENTS)} <= scanned


def test_the_leak_scan_finds_leaks():
    assert leaks("<body><pre>100%|####| 10/10 [00:01<00:00, 9.1it/s]</pre></body>") == ["progress bar"]
    assert leaks("<body>TqdmWarning: .../site-packages/tqdm/auto.py</body>") == ["warning", "machine path"]
    assert leaks("<body><p>ok</p></body>") == []


def test_every_experiment_has_a_page_with_a_verdict_from_the_vocabulary():
    for name in EXPERIMENTS:
        metrics = json.loads((ROOT / "reports" / name / "metrics.json").read_text())
        assert metrics["verdict"] in VERDICTS and metrics["claim"], name
        assert (ROOT / "reports" / name / "index.html").is_file()


def test_the_index_states_each_verdict_as_its_page_does():
    index = (ROOT / "reports" / "index.html").read_text()
    for name in EXPERIMENTS:
        metrics = json.loads((ROOT / "reports" / name / "metrics.json").read_text())
        assert f">{metrics['verdict']}</strong>" in index, name


def test_committed_pages_come_from_the_committed_pipeline():
    """dvc.lock records every stage of the committed dvc.yaml with the committed params."""
    import yaml

    lock = yaml.safe_load((ROOT / "dvc.lock").read_text())["stages"]
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    for name, stage in lock.items():
        for section, values in stage.get("params", {}).get("params.yaml", {}).items():
            node = params
            for part in section.split("."):
                node = node[part]
            assert node == values, f"dvc.lock stage {name} ran with other params than params.yaml ({section})"


def declared_outputs(dvc_yaml: dict) -> set[str]:
    """Every path a stage of ``dvc_yaml`` writes (outs, metrics, plots), as written there."""
    paths = set()
    for stage in dvc_yaml["stages"].values():
        for kind in ("outs", "metrics", "plots"):
            for entry in stage.get(kind, []):
                paths.add(next(iter(entry)) if isinstance(entry, dict) else entry)
    return paths


def undeclared(files: list[str], declared: set[str]) -> list[str]:
    """The files that are neither a declared output nor inside a declared folder."""
    return [f for f in files if not any(f == d or f.startswith(d.rstrip("/") + "/") for d in declared)]


def test_every_file_under_reports_is_written_by_a_declared_stage():
    import yaml

    declared = declared_outputs(yaml.safe_load((ROOT / "dvc.yaml").read_text())) | {str(scales.PAGE)}
    files = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "reports").rglob("*") if p.is_file())
    assert undeclared(files, declared) == [], "left over from an old run: git rm it, or declare the stage that writes it"


def test_the_undeclared_file_check_finds_a_leftover():
    declared = declared_outputs({"stages": {"s": {"outs": [{"reports/x/figures": {"cache": False}}], "metrics": ["reports/x/metrics.json"]}}})
    files = ["reports/x/figures/a.png", "reports/x/metrics.json", "reports/x/slopes.csv", "reports/x/figures-old.png"]
    assert undeclared(files, declared) == ["reports/x/slopes.csv", "reports/x/figures-old.png"]
