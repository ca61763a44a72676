"""Which files key the stored runs: the list follows the functions the experiments hand to the engine."""

from __future__ import annotations

from pathlib import Path

from tokensel.constructions import evaluate
from tokensel.constructions.train import bridge_run
from tokensel.genomic import stage as genomic_stage
from tokensel.pipeline import training_code
from tokensel.pipeline.experiments import EXPERIMENTS
from tokensel.regression import stage as regression_stage
from tokensel.synthetic.train import train_run


def test_every_function_handed_to_the_engine_lives_in_a_listed_module():
    handed = {"synthetic": [train_run], "regression": [regression_stage._train_job], "genomic": [genomic_stage._job],
              "constructions": [evaluate.copy_cell, evaluate.recall_cell, evaluate.selection_cell, evaluate.precision_cell, bridge_run]}
    assert set(training_code.RUN_MODULES) == set(EXPERIMENTS) - {"efficiency"}  # efficiency times, it stores no runs
    for experiment, functions in handed.items():
        assert {f.__module__ for f in functions} <= set(training_code.RUN_MODULES[experiment]), experiment


def test_an_edit_to_training_code_is_told_apart_from_one_to_a_page():
    found = training_code.retrained_by([Path("src/tokensel/core/__init__.py"), Path("src/tokensel/genomic/attribution.py"),
                                        Path("src/tokensel/present/figures.py"), Path("src/tokensel/synthetic/plots.py"), Path("README.md")])
    assert found == {Path("src/tokensel/core/__init__.py"): ["synthetic", "regression", "genomic", "constructions"],
                     Path("src/tokensel/genomic/attribution.py"): ["genomic"]}


def test_only_a_change_of_code_counts_not_of_comments_or_docstrings(monkeypatch):
    path = Path("src/tokensel/core/paths.py")
    now = (training_code.REPOSITORY / path).read_text()

    def revision_holding(text):
        monkeypatch.setattr(training_code, "_git", lambda *args, check=True: type("Done", (), {"returncode": 0, "stdout": text})())

    revision_holding('"""Another docstring."""\n' + now.split('"""', 2)[2] + "\n# a comment\n")
    assert not training_code.code_changed(path, "REV")
    revision_holding(now + "\nEXTRA = 1\n")
    assert training_code.code_changed(path, "REV")
