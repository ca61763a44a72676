"""The experiment around the constructions: params checks, the stage's parts, the bridge, the
verdict logic on constructed results (every outcome) and one end-to-end notebook run."""

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
import torch
import xarray as xr
import yaml

from tiny import TINY_CONSTRUCTIONS
from tokensel.constructions import claims, report
from tokensel.constructions.config import dry_run, from_params, load
from tokensel.constructions.copying import build_copy
from tokensel.constructions.evaluate import every_length_batch
from tokensel.constructions.stage import cells, run
from tokensel.constructions.train import perturbed
from tokensel.core import verdicts
from tokensel.core.errors import ConfigError
from tokensel.present.nbrun import execute
from tokensel.core.runs import combine, save
from tokensel.tasks.copy import CopyTask

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("section, key", [
    ({"copy": {"sizes": [0]}}, "'constructions.copy.sizes[0]' must be at least 1"),
    ({"copy": {"joint": [[4]]}}, "'constructions.copy.joint' must list [size, vocab_size] pairs"),
    ({"recall": {"vocab_sizes": [2], "vocab_sweep_size": 4}}, "'constructions.recall.vocab_sizes' has 2 keys for 4 pairs"),
    ({"recall": {"joint": [[9, 4]]}}, "'constructions.recall.joint' has 4 keys for 9 pairs"),
    ({"selection": {"margin": 0}}, "'constructions.selection.margin' must be greater than 0"),
    ({"parts": ["copy", "train"]}, "'constructions.parts[1]'"),
    ({"dtypes": ["float16"]}, "'constructions.dtypes[0]'"),
    ({"bridge": {"copy_digits": 5, "copy_vocab": 16}}, "'constructions.bridge.copy_digits' (5) exceeds the 4 bits"),
    ({"bridge": {"recall_size": 5, "recall_vocab": 4}}, "'constructions.bridge.recall_vocab' (4) must be at least recall_size"),
    ({"verdict": {"max_powr": 0.2}}, "Did you mean 'max_power'?"),
])
def test_bad_params_are_named_by_their_key(section, key):
    with pytest.raises(ConfigError) as error:
        from_params(section)
    assert key in str(error.value)


def test_the_default_and_tiny_sections_load_and_the_dry_run_caps_sizes(tmp_path):
    params = tmp_path / "params.yaml"
    params.write_text(yaml.safe_dump({"constructions": TINY_CONSTRUCTIONS}))
    assert load(params).copy.cells()[-1] == ("vocabulary", 3, 4096)
    shrunk = from_params(dry_run({"copy": {"sizes": [2048], "joint": [[2048, 65536]]}, "recall": {}}))
    assert shrunk.copy.sizes == (64,) and shrunk.copy.joint == ((64, 4096),) and shrunk.copy.n_answers == 1
    assert [c["part"] for c in cells(from_params({}))] == ["selection", "copy", "recall", "precision", "costs", "bridge"]


def test_noise_of_size_zero_changes_nothing_and_support_noise_keeps_the_zeros():
    model = build_copy(3, 5, 1, 2, "float32")
    same = perturbed(model, 0.0, seed=1)
    support = perturbed(model, 0.1, seed=1, support_only=True)
    for a, b, c in zip(model.parameters(), same.parameters(), support.parameters()):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
        assert bool(((a == 0) == (c == 0)).all())


@pytest.fixture(scope="module")
def tiny_results(tmp_path_factory) -> xr.Dataset:
    experiment = from_params(TINY_CONSTRUCTIONS)
    folder = tmp_path_factory.mktemp("runs")
    for cell in cells(experiment):
        save(run(experiment, **cell, workers=1), folder / f"{cell['part']}.nc")
    return combine(sorted(folder.glob("*.nc")))


def test_the_tiny_parts_are_exact_and_float32_fails_only_where_predicted(tiny_results):
    ds = tiny_results
    assert np.nanmin(ds["copy_acc"].values) == 1.0 and np.nanmin(ds["recall_acc"].values) == 1.0
    assert (ds["sel_acc_above"].values == 1.0).all()
    refused = ds["copy_refused"].sel(dtype="float32", digits=1).values.max(axis=-1) == 1
    assert refused.tolist() == (ds["copy_bits"].sel(digits=1).values > 24).tolist()
    assert ds["copy_refused"].sel(dtype="float64").sum() == 0
    predicted = ds["prec_bits"].values > 24
    assert (ds["prec_acc"].values[~predicted] == 1).all() and (ds["prec_acc"].values[predicted] < 1).all()
    assert ds["bridge_acc_before"].sel(bridge_start="all", bridge_sigma=0.0).min() == 1.0


def verdict_of(ds: xr.Dataset) -> dict[str, str]:
    return {name: row.verdict for name, row in claims.claim_rows(ds, from_params(TINY_CONSTRUCTIONS)).items()}


def test_the_verdict_follows_the_evidence_and_keeps_proved_apart_from_not_found(tiny_results):
    found = verdict_of(tiny_results)
    assert found.pop("copy |W|") in (verdicts.REPRODUCED, verdicts.NOT_REPRODUCED)  # the tiny |W| grid is too short to call
    assert found == {
        "selection": verdicts.REPRODUCED, "recall |W|": verdicts.REPRODUCED,
        "copy L": verdicts.UNDECIDED,  # two FIR layers: neither a poly-log construction nor a proof
        "recall L": verdicts.NOT_REPRODUCED,  # proved impossible at bounded precision
    }
    rows = claims.claim_rows(tiny_results, from_params(TINY_CONSTRUCTIONS))
    assert "not found" in rows["copy L"].ours and "proved impossible" in rows["recall L"].ours
    assert all("bounded precision" in rows[name].claim for name in ("copy |W|", "copy L", "recall |W|", "recall L"))
    broken = tiny_results.copy(deep=True)
    broken["copy_acc"][0, 0, 0, 1] = 0.5
    assert verdict_of(broken)["copy |W|"] == verdict_of(broken)["copy L"] == verdicts.NOT_REPRODUCED
    blind = tiny_results.copy(deep=True)
    blind["prec_acc"][:] = 1.0  # the scoring never sees a failure: no verdict
    assert set(verdict_of(blind).values()) == {verdicts.UNDECIDED}


def test_the_claim_line_names_the_precision_model_and_the_width_of_one_layer(tiny_results):
    rows = claims.claim_rows(tiny_results, from_params(TINY_CONSTRUCTIONS))
    sentence = claims.claim_sentence(tiny_results, rows)
    ratio, _ = claims.one_layer_over_two(tiny_results)
    assert sentence.startswith("At bounded precision") and "fixed while L grows" in sentence
    assert f"{ratio:.2f}× the two-layer one's width" in sentence and ratio <= 1.0


def test_the_page_words_on_the_papers_statements_follow_the_claim_rows(tiny_results):
    experiment = from_params(TINY_CONSTRUCTIONS)
    rows = claims.claim_rows(tiny_results, experiment)
    text = report.differences_text(tiny_results, experiment, rows)
    in_length = verdicts.combine([rows["copy L"].verdict, rows["recall L"].verdict])
    assert f"Poly-logarithmic in L: {in_length} at bounded precision" in text
    flipped = {**rows, **{name: dataclasses.replace(rows[name], verdict=verdicts.REPRODUCED) for name in ("copy L", "recall L")}}
    assert "Poly-logarithmic in L: reproduced at bounded precision" in report.differences_text(tiny_results, experiment, flipped)
    ratio, L = claims.one_layer_over_two(tiny_results)
    assert f"at L = {L:,} our one-layer copy network is {ratio:.2f}×" in text


def test_the_bounds_sentence_reads_its_numbers_from_the_cost_table(tiny_results):
    experiment = from_params(TINY_CONSTRUCTIONS)
    last = report.one_layer_table(tiny_results).iloc[-1]
    text = report.bounds_text(tiny_results, experiment)
    assert f"At L = {last['L']:.0f} one layer needs at least {last['lower bound, 1 layer, 1-bit channels']:.0f}" in text
    assert f"our one-layer network has {last['construction, 1 layer']:.0f}" in text
    metrics = {"verdict": "partially reproduced", "claim": "the claim.", "cpu_seconds": 1.0}
    assert report.verdict_text(tiny_results, experiment, metrics, "tiny").startswith("**Partially reproduced** on the tiny profile.")


def test_copy_scoring_covers_every_string_length_including_the_longest():
    task = CopyTask(size=9, vocab_size=4)
    batch = every_length_batch(task, n_answers=100, seed=0)
    lengths = (batch.labels >= 0).sum(1).numpy()
    assert sorted(set(lengths.tolist())) == list(range(1, 10)) and (batch.labels >= 0).sum() >= 100
    assert torch.equal(every_length_batch(task, 100, 0).inputs, batch.inputs)


@pytest.mark.slow
def test_notebooks_build_and_report(tmp_path, tiny_results):
    params = tmp_path / "params.yaml"
    params.write_text(yaml.safe_dump({"constructions": TINY_CONSTRUCTIONS}))
    # One part through the notebook (a kernel start costs seconds); the others come from the fixture.
    execute(ROOT / "notebooks" / "constructions_train.py", tmp_path / "train-copy.ipynb",
            {"params_file": str(params), "part": "copy", "out_path": str(tmp_path / "copy.nc")}, log_output=False)
    assert xr.load_dataset(tmp_path / "copy.nc", engine="h5netcdf")["copy_acc"].notnull().any()
    results = save(tiny_results, tmp_path / "results.nc")
    out = tmp_path / "report"
    execute(ROOT / "notebooks" / "constructions_report.py", tmp_path / "report.ipynb",
            {"params_file": str(params), "results_file": str(results), "out_dir": str(out)},
            html=out / "index.html", log_output=False)
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["verdict"] == verdicts.PARTIALLY_REPRODUCED and metrics["claim"]
    for name in ("selection_margin", "accuracy", "costs_vs_length", "costs_vs_vocabulary", "precision", "bounds", "bridge"):
        assert (out / "figures" / f"{name}.png").stat().st_size > 0
    assert (out / "width_vs_length.csv").read_text().startswith("L,copy_2_layers,copy_1_layer,recall")
    page = (out / "index.html").read_text()
    assert "Verdict" in page and "what the paper reports" in page and "bounded precision" in page
