"""The page furniture every report shares: title, link to the index, results table, family colours."""

from __future__ import annotations

import nbformat
import pytest

from tokensel.core import verdicts
from tokensel.present import nbrun, style
from tokensel.present.results import NOT_PUBLIC, ClaimResult, ResultsSummary, render


def _notebook(path, heading="# Synthetic **tasks**: copying"):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(f"Intro\n\n{heading}\n\ntext"), nbformat.v4.new_code_cell("1")]
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", name="stderr", text="UserWarning: noise")]
    nbformat.write(nb, str(path))
    return path


def test_a_page_is_titled_by_its_heading_links_to_the_index_and_drops_stderr(tmp_path):
    page = nbrun.render_html(_notebook(tmp_path / "run.ipynb"), tmp_path / "index.html").read_text()
    assert "<title>Synthetic tasks: copying</title>" in page
    assert "<title>Notebook</title>" not in page
    body = page.split("<body", 1)[1]
    assert body.index(nbrun.INDEX_LINK) < body.index("Synthetic")
    assert "UserWarning" not in page and "<script" not in page


def test_a_page_says_its_profile_seeds_and_the_compute_of_its_stages(tmp_path):
    import json

    import yaml

    (tmp_path / "params.yaml").write_text(yaml.safe_dump({"profile": "extended", "synthetic": {"grid": {"seeds": [0, 1, 2]}}}))
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    for name, seconds in (("synthetic-train-copy", 120.0), ("synthetic-train-mqar", 60.0), ("regression-train-x", 999.0), ("synthetic-report", 30.0)):
        (notebooks / f"{name}.ipynb").write_text(json.dumps({"metadata": {"papermill": {"duration": seconds}}}))
    banner = nbrun.provenance_banner(tmp_path / "params.yaml", "synthetic", notebooks / "synthetic-report.ipynb")
    assert banner.startswith("Profile <strong>extended</strong> · 3 seeds · 3.0 minutes of training")
    assert "back-to-index\">" + banner in nbrun.decorate("<html><head></head><body><p>x</p></body></html>", banner)


def test_a_notebook_without_a_heading_is_refused(tmp_path):
    with pytest.raises(ValueError, match="heading"):
        nbrun.render_html(_notebook(tmp_path / "run.ipynb", heading="no heading"), tmp_path / "index.html")


def test_the_results_table_has_one_row_per_claim_with_its_badge():
    summary = ResultsSummary(
        rows=(ClaimResult("two layers copy", NOT_PUBLIC, "3/3 seeds solve k = 8", verdicts.REPRODUCED),
              ClaimResult("one layer fails", "Fig. C.1: fails", "0/3 seeds; median 0.41 [0.40, 0.43]", verdicts.UNDECIDED)),
        setup="copying, 3 seeds", easy="the Transformer", hard="long strings", compute="9 CPU-minutes",
    )
    html = render(summary).data
    assert html.count("<tr>") == 3 and verdicts.badge(verdicts.UNDECIDED) in html
    assert "what the paper reports" in html and "Compute." in html


@pytest.mark.parametrize("bad", [dict(verdict="Reproduced!"), dict(ours=" ")])
def test_a_results_row_refuses_an_unknown_verdict_or_an_empty_cell(bad):
    with pytest.raises(ValueError):
        ClaimResult(**{"claim": "c", "paper": NOT_PUBLIC, "ours": "0.9", "verdict": verdicts.REPRODUCED, **bad})


def test_one_colour_per_family_related_families_share_a_hue():
    assert style.family_colour("two-layer SSM+FNN") != style.family_colour("Transformer")
    assert style.family_colour("two-layer SSM+FNN") != style.family_colour("one-layer SSM+FNN")
    assert style.family_colour("two-layer selective SSM+FNN") != style.family_colour("two-layer SSM+FNN")
    assert style.palette(["oracle sieve"]) == style.palette(["oracle sieve"])
    assert len(set(style.palette(["two-layer SSM+FNN", "one-layer SSM+FNN", "SSM without FNN", "Transformer",
                                  "two-layer gated convolution+FNN", "selective SSM without FNN",
                                  "two-layer Mamba-2 (SSD)+FNN"]).values())) == 7


def test_tables_show_yes_no_thousands_separators_and_a_dash_for_missing():
    import numpy as np
    import pandas as pd

    from tokensel.present.tables import table

    frame = pd.DataFrame({"solved": [True, False], "parameters": [12345.0, 7.0], "accuracy": [0.98765, np.nan], "seeds": [3, 30000]})
    html = table(frame).data
    assert "yes" in html and "no" in html and "True" not in html
    assert "12,345" in html and ">7<" in html and "0.988" in html and "30,000" in html and "–" in html


def test_tables_can_show_significant_figures_with_thousands_separators():
    from tokensel.present.tables import significant

    assert [significant(v) for v in (2.2057, 0.0123456, 14374.2, 999.7)] == ["2.21", "0.0123", "14,400", "1,000"]


def test_tables_replace_params_keys_by_readable_names_in_headers_and_cells():
    import pandas as pd

    from tokensel.present.tables import table

    html = table(pd.DataFrame({"model": ["ssm2_fnn2"], "ssm1_fnn2": ["0/3"]}), names={"ssm2_fnn2": "two-layer SSM+FNN", "ssm1_fnn2": "one-layer SSM+FNN"}).data
    assert "ssm2_fnn2" not in html and "ssm1_fnn2" not in html and "two-layer SSM+FNN" in html and "one-layer SSM+FNN" in html
