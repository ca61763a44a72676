import json
import os
import subprocess
import sys

import pytest
import yaml

from tokensel.pipeline import site, stage_times
from tokensel.core.errors import ConfigError


def write_notebook(folder, stem, start, seconds):
    end = start[:-5] + f"{int(start[-5:-3]) + seconds // 60:02d}:{seconds % 60:02d}"
    meta = {"papermill": {"start_time": f"2026-01-01T{start}+00:00", "end_time": f"2026-01-01T{end}+00:00", "duration": seconds}}
    (folder / f"{stem}.ipynb").write_text(json.dumps({"metadata": meta, "cells": []}))


@pytest.fixture
def notebooks(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "results" / "notebooks"
    folder.mkdir(parents=True)
    write_notebook(folder, "synthetic-train-copy-a", "10:00:00", 120)
    write_notebook(folder, "synthetic-train-copy-b", "10:02:10", 60)
    write_notebook(folder, "synthetic-report", "10:03:20", 20)
    write_notebook(folder, "efficiency", "10:04:00", 30)
    return folder


def test_times_are_read_grouped_and_spanned(notebooks):
    times = stage_times.read("results/notebooks", root=None)
    assert list(times["stage"]) == ["synthetic-train-copy-a", "synthetic-train-copy-b", "synthetic-report", "efficiency"]
    groups = stage_times.by_group(times).set_index("group")
    assert groups.loc["synthetic train", "stages"] == 2 and groups.loc["synthetic train", "seconds"] == 180
    assert stage_times.span_seconds(times) == pytest.approx(4 * 60 + 30)


def test_only_notebooks_of_the_current_pipeline_count(notebooks, tmp_path):
    subprocess.run([sys.executable, "-m", "dvc", "init", "--no-scm", "-q"], cwd=tmp_path, check=True, env=dict(os.environ, DVC_NO_ANALYTICS="1"))
    (tmp_path / "params.yaml").write_text(yaml.safe_dump({"copy": {"models": ["a"]}}))
    stages = {
        "train": {"matrix": {"model": "${copy.models}"}, "cmd": "run ${item.model}",
                  "outs": ["results/notebooks/synthetic-train-copy-${item.model}.ipynb", "x-${item.model}.nc"]},
        "efficiency": {"cmd": "bench", "outs": ["results/notebooks/efficiency.ipynb"]},
    }
    (tmp_path / "dvc.yaml").write_text(yaml.safe_dump({"stages": stages}))
    # synthetic-train-copy-b is left over from a grid that had model b; the report has no stage.
    times = stage_times.read("results/notebooks", root=tmp_path)
    assert set(times["stage"]) == {"synthetic-train-copy-a", "efficiency"}


def test_a_notebook_without_papermill_timing_is_named(notebooks):
    (notebooks / "stray.ipynb").write_text(json.dumps({"metadata": {}, "cells": []}))
    with pytest.raises(ConfigError, match="stray.ipynb.*tokensel.present.nbrun"):
        stage_times.read("results/notebooks", root=None)


def test_index_page_shows_the_stage_minutes(notebooks, tmp_path):
    reports = tmp_path / "reports"
    (reports / "synthetic").mkdir(parents=True)
    (reports / "synthetic" / "index.html").write_text("<html></html>")
    (reports / "synthetic" / "metrics.json").write_text(json.dumps({"verdict": "reproduced", "claim": "copy and recall at L=65"}))
    (reports / "synthetic" / "accuracy-copy.csv").write_text("x,acc\n")
    params = tmp_path / "params.yaml"
    params.write_text(yaml.safe_dump({"profile": "paper", "synthetic": {"grid": {"seeds": [0, 1, 2]}}, "regression": {"seeds": [0]}}))
    assert site.main([str(reports), "results/notebooks", str(params)]) == 0
    page = (reports / "index.html").read_text()
    assert "Profile <strong>paper</strong>" in page and "synthetic 3 seeds, regression 1 seed" in page
    assert '<a href="synthetic/accuracy-copy.csv">accuracy-copy.csv</a>' in page and '<a href="synthetic/metrics.json">' in page
    assert "Only within the seed spread" in page
    assert '<strong style="color:#2e7d32">reproduced</strong>: copy and recall at L=65' in page
    assert 'href="https://arxiv.org/abs/2405.19036"' in page
    assert "<td>synthetic train</td><td>2</td><td>3.0</td>" in page
    assert (reports / "stage_times.csv").read_text().count("\n") == 5
