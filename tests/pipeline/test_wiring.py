"""dvc.yaml against the experiment registry: the committed pipelines agree, and drift is named."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from tokensel.pipeline import validate
from tokensel.pipeline.experiments import EXPERIMENTS, load
from tokensel.pipeline.wiring import wiring_problems

ROOT = Path(__file__).resolve().parents[2]
PIPELINES = [Path("."), *sorted(p.parent.relative_to(ROOT) for p in (ROOT / "profiles").glob("*/dvc.yaml"))]
STAGES = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]


def configs(params: dict) -> dict:
    return {name: load(name, params[name]) for name in EXPERIMENTS}


@pytest.mark.parametrize("folder", PIPELINES, ids=str)
def test_every_committed_pipeline_runs_exactly_the_cells_its_params_ask_for(folder: Path) -> None:
    params = yaml.safe_load((ROOT / folder / "params.yaml").read_text())
    assert wiring_problems(params, configs(params), ROOT / folder / "dvc.yaml") == []


def check(stages: dict, tmp_path: Path) -> list[str]:
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    path = tmp_path / "dvc.yaml"
    path.write_text(yaml.safe_dump({"stages": stages}))
    return wiring_problems(params, configs(params), path)


def test_a_missing_stage_a_hand_written_matrix_and_an_unregistered_experiment_are_named(tmp_path: Path) -> None:
    stages = copy.deepcopy(STAGES)
    del stages["regression_references"]
    stages["synthetic_train"]["matrix"]["task"] = ["copy", "recall", "selective_copy"]
    stages["speech_train"] = {"cmd": "python -m tokensel.present.nbrun notebooks/speech_train.py out.ipynb"}
    found = check(stages, tmp_path)
    assert any(line.startswith("'regression':") and "model references, which the params ask for" in line for line in found), found
    assert any(line.startswith("'synthetic':") and "task selective_copy, which the params do not ask for" in line for line in found), found
    assert any("mqar, which the params ask for" in line for line in found), found
    assert any("'speech_...' belong to no registered experiment" in line for line in found), found


def test_an_experiment_without_a_page_is_named(tmp_path: Path) -> None:
    stages = copy.deepcopy(STAGES)
    del stages["efficiency"]
    found = check(stages, tmp_path)
    assert any(line.startswith("'efficiency':") and "its one cell" in line for line in found), found
    assert any(line.startswith("'efficiency':") and "writes reports/efficiency/index.html" in line for line in found), found


def test_the_validate_stage_checks_the_dvc_yaml_beside_the_params_file(tmp_path: Path) -> None:
    (tmp_path / "params.yaml").write_text((ROOT / "params.yaml").read_text())
    assert validate.validate(tmp_path / "params.yaml") == []  # no dvc.yaml beside it: nothing to compare
    stages = copy.deepcopy(STAGES)
    stages["genomic_train"]["matrix"]["dataset"] = ["motif_order"]
    (tmp_path / "dvc.yaml").write_text(yaml.safe_dump({"stages": stages}))
    found = validate.validate(tmp_path / "params.yaml")
    assert len(found) == 1 and found[0].startswith("'genomic':") and "dataset janggu" in found[0], found
