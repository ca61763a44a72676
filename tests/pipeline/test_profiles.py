"""Profiles: a documented base and override files; params.yaml is never overwritten with edits in it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from tokensel.core.errors import ConfigError
from tokensel.pipeline import profiles
from tokensel.pipeline.validate import problems_of

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def repo(tmp_path) -> Path:
    shutil.copytree(ROOT / "profiles", tmp_path / "profiles")
    shutil.copy(ROOT / "params.yaml", tmp_path / "params.yaml")
    return tmp_path


def test_params_is_the_default_profile_and_every_profile_is_valid():
    assert (ROOT / "params.yaml").read_bytes() == (ROOT / "profiles" / "default.yaml").read_bytes()
    assert {"default", "extended", "paper", "gpu"} <= set(profiles.available(ROOT))
    for name in profiles.available(ROOT):
        assert problems_of(profiles.render(name, ROOT), name, environment=False) == [], name


def test_override_profiles_list_only_what_they_change():
    paper = yaml.safe_load((ROOT / "profiles" / "paper.yaml").read_text().replace("!replace", ""))
    assert paper["extends"] == "default"
    rendered = profiles.render("paper", ROOT)
    assert rendered["profile"] == "paper" and set(rendered) == set(profiles.render("default", ROOT))


def test_merge_rules():
    base = {"a": {"x": 1, "y": [1, 2]}, "b": {"keep": 1, "drop": 2}, "c": 3}
    override = {"a": {"y": [3]}, "b": profiles.Replace({"keep": 5}), "d": 4}
    assert profiles.merge(base, override) == {"a": {"x": 1, "y": [3]}, "b": {"keep": 5}, "c": 3, "d": 4}


def test_switching_profiles_back_and_forth(repo):
    assert "now profile 'paper'" in profiles.use("paper", repo)
    assert yaml.safe_load((repo / "params.yaml").read_text())["profile"] == "paper"
    assert profiles.edits(repo) == ("paper", [])
    profiles.use("default", repo)
    assert (repo / "params.yaml").read_bytes() == (repo / "profiles" / "default.yaml").read_bytes()
    assert "already" in profiles.use("default", repo)
    with pytest.raises(ConfigError, match="Unknown profile 'papr'; available profiles: default, extended, gpu, paper"):
        profiles.use("papr", repo)


def test_edits_are_never_overwritten_silently(repo):
    edited = (repo / "params.yaml").read_text().replace("steps: 3000", "steps: 500", 1)
    assert edited != (repo / "params.yaml").read_text()
    (repo / "params.yaml").write_text(edited)
    with pytest.raises(ConfigError, match=r"synthetic.train.steps: 500 \(profile has 3000\)[\s\S]*save NAME[\s\S]*FORCE=1"):
        profiles.use("paper", repo)
    assert (repo / "params.yaml").read_text() == edited
    assert "params.yaml.bak" in profiles.use("paper", repo, force=True)
    assert (repo / "params.yaml.bak").read_text() == edited


def test_edits_can_be_kept_as_a_profile(repo):
    params = yaml.safe_load((repo / "params.yaml").read_text())
    params["synthetic"]["train"]["steps"] = 500
    del params["genomic"]["datasets"]["motif_order"]
    (repo / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    assert "saved 2 changed keys" in profiles.save("short", repo)
    rendered = profiles.render("short", repo)
    assert rendered["synthetic"]["train"]["steps"] == 500 and "motif_order" not in rendered["genomic"]["datasets"]
    assert profiles.edits(repo) == ("short", [])


def test_make_reproduce_refuses_edits_with_a_clear_message(repo, capsys):
    (repo / "params.yaml").write_text((repo / "params.yaml").read_text().replace("steps: 3000", "steps: 7", 1))
    import os

    cwd = os.getcwd()
    try:
        os.chdir(repo)
        assert profiles.main(["use", "default"]) == 2
    finally:
        os.chdir(cwd)
    assert "nothing was overwritten" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["../escaped", "a/b", "/tmp/abs", "x;rm", ""])
def test_save_refuses_names_that_are_not_plain_file_names(repo, capsys, monkeypatch, name):
    params = yaml.safe_load((repo / "params.yaml").read_text())
    params["synthetic"]["train"]["steps"] = 500
    (repo / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    monkeypatch.chdir(repo)
    before = sorted(p.relative_to(repo.parent) for p in repo.parent.rglob("*"))
    assert profiles.main(["save", name]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("error: ") and "Traceback" not in error and len(error.splitlines()) == 1, error
    assert sorted(p.relative_to(repo.parent) for p in repo.parent.rglob("*")) == before, "save wrote a file"


def test_save_refuses_invalid_params(repo):
    params = yaml.safe_load((repo / "params.yaml").read_text())
    params["synthetic"]["train"]["steps"] = "lots"
    (repo / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    with pytest.raises(ConfigError, match=r"not saved[\s\S]*'synthetic.train.steps' must be an integer"):
        profiles.save("broken", repo)
    assert not (repo / "profiles" / "broken.yaml").exists()
