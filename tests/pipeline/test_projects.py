"""Each profile reproduces in its own folder: results of different profiles never overwrite each other."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from tiny_repo import dvc
from tokensel.core.errors import ConfigError
from tokensel.pipeline import projects, scales
from tokensel.pipeline.experiments import EXPERIMENTS

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def repo(tmp_path) -> Path:
    for name in ("src", "notebooks"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__", "*.ipynb"))
    (tmp_path / "profiles").mkdir()
    for profile in (ROOT / "profiles").glob("*.yaml"):  # the profiles, not their pipeline folders
        shutil.copy(profile, tmp_path / "profiles" / profile.name)
    for name in ("dvc.yaml", "params.yaml", ".dvcignore"):
        shutil.copy(ROOT / name, tmp_path / name)
    return tmp_path


def test_a_profile_folder_has_the_root_stages_reading_the_shared_code(repo):
    message = projects.project("extended", repo)
    folder = repo / "profiles" / "extended"
    assert "profiles/extended/params.yaml is now profile 'extended'" in message
    root_stages = yaml.safe_load((repo / "dvc.yaml").read_text())["stages"]
    derived = yaml.safe_load((folder / "dvc.yaml").read_text())["stages"]
    assert list(derived) == list(root_stages)
    train = derived["synthetic_train"]
    assert "../../src/tokensel/synthetic/train.py" in train["deps"] and "../../notebooks/synthetic_train.py" in train["deps"]
    assert train["cmd"].startswith("python -m tokensel.present.nbrun ../../notebooks/synthetic_train.py results/notebooks/")
    assert train["outs"] == root_stages["synthetic_train"]["outs"], "outputs must stay inside the profile's folder"
    assert yaml.safe_load((folder / "params.yaml").read_text())["profile"] == "extended"


def test_every_root_input_is_shared_code_or_a_stage_output():
    """A derived pipeline looks for any other input in the profile's folder, where it does not exist."""
    assert projects.unshared_inputs(ROOT) == []


def test_the_unshared_input_check_finds_one(tmp_path):
    (tmp_path / "dvc.yaml").write_text(yaml.safe_dump({"stages": {"s": {"cmd": "x", "deps": ["data/table.csv", "src/a"], "outs": ["results/a"]}}}))
    assert projects.unshared_inputs(tmp_path) == ["s: data/table.csv"]


def test_the_committed_profile_folders_match_their_derivation():
    for pipeline in sorted((ROOT / "profiles").glob("*/dvc.yaml")):
        name = pipeline.parent.name
        assert pipeline.read_text() == projects.derived_dvc_yaml(ROOT, name), f"profiles/{name}/dvc.yaml: rerun make reproduce PROFILE={name}"


def test_a_profile_folder_keeps_edits_of_its_params(repo):
    projects.project("extended", repo)
    params = repo / "profiles" / "extended" / "params.yaml"
    params.write_text(params.read_text().replace("seeds:\n  - 0\n  - 1\n  - 2", "seeds:\n  - 0", 1))
    with pytest.raises(ConfigError, match="profiles/extended/params.yaml has edits"):
        projects.project("extended", repo)
    assert "saved as params.yaml.bak" in projects.project("extended", repo, force=True)
    assert (repo / "profiles" / "extended" / "params.yaml.bak").is_file()


def test_the_default_profile_is_the_root_and_names_are_checked(repo):
    assert projects.folder("default", repo) == repo
    assert projects.folder("extended", repo) == repo / "profiles" / "extended"
    with pytest.raises(ConfigError, match="not allowed"):
        projects.folder("../x", repo)


@pytest.mark.slow
def test_dvc_speaks_about_one_profile_given_its_pipeline_file(repo):
    """`dvc status dvc.yaml` is the default profile's; run in profiles/NAME/, the same target is that profile's."""
    import subprocess

    projects.project("extended", repo)
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    dvc(repo, "init", "-q")
    root = json.loads(dvc(repo, "status", "--json", "dvc.yaml").stdout)
    extended = json.loads(dvc(repo / "profiles" / "extended", "status", "--json", "dvc.yaml").stdout)
    assert set(root) == set(extended) and "synthetic_train@copy" in root, "one stage list per profile, not both"
    assert "../../src/tokensel" in json.dumps(extended["validate"]) and "../../src" not in json.dumps(root)


def _publish(folder: Path, profile: str, verdict: str, seconds: float) -> None:
    (folder / "reports").mkdir(parents=True, exist_ok=True)
    (folder / "reports" / "index.html").write_text("<html></html>")
    (folder / "params.yaml").write_text(yaml.safe_dump({"profile": profile, "synthetic": {"grid": {"seeds": [0, 1, 2]}}}))
    (folder / "reports" / "synthetic").mkdir(exist_ok=True)
    (folder / "reports" / "synthetic" / "metrics.json").write_text(json.dumps({"verdict": verdict, "claim": f"{profile} claim"}))
    (folder / "reports" / "stage_times.csv").write_text(f"stage,group,start,end,seconds\nsynthetic-train-copy,synthetic train,a,b,{seconds}\n")


def test_the_scales_page_puts_each_profile_side_by_side_and_names_the_deciding_one(tmp_path):
    (tmp_path / "profiles" / "extended").mkdir(parents=True)
    (tmp_path / "profiles" / "extended" / "dvc.yaml").write_text("stages: {}\n")
    _publish(tmp_path, "default", "partially reproduced", 600)
    _publish(tmp_path / "profiles" / "extended", "extended", "reproduced", 4800)
    found = scales.every_profile(tmp_path)
    assert [p.profile for p in found] == ["default", "extended"]
    assert scales.deciding(found, "synthetic").profile == "extended"
    page = scales.render(found)
    assert "extended</strong> decides" in page and "80 notebook-minutes, 3 seeds" in page
    assert 'href="../profiles/extended/reports/synthetic/index.html"' in page and 'href="../reports/synthetic/index.html"' in page
    assert page.count("not run") == len(EXPERIMENTS) * 2 - 2


def test_the_committed_scales_page_is_current():
    page = ROOT / scales.PAGE
    assert page.is_file(), "run python -m tokensel.pipeline.scales (make reproduce does)"
    assert page.read_text() == scales.render(scales.every_profile(ROOT)), "reports/scales.html is stale: python -m tokensel.pipeline.scales"
