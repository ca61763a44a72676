import shutil
from pathlib import Path

import pytest
import yaml

from tokensel import profile
from tokensel.config import ModelConfig, TaskConfig, TrainConfig, load_params
from tokensel.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]


def write_params(tmp_path, mutate):
    raw = yaml.safe_load((ROOT / "params.yaml").read_text())
    mutate(raw)
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def test_committed_profiles_are_valid_and_params_is_the_default():
    for name in profile.available(ROOT):
        assert profile.check(ROOT / "profiles" / f"{name}.yaml") == list(profile.SECTIONS)
    assert {"default", "paper"} <= set(profile.available(ROOT))
    assert (ROOT / "params.yaml").read_bytes() == (ROOT / "profiles" / "default.yaml").read_bytes()


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda p: p["synthetic"]["train"].update(stpes=10), r"Unknown key 'synthetic.train.stpes'.*Did you mean 'steps'"),
        (lambda p: p["synthetic"]["grid"]["models"].append("mamba"), r"unknown model 'mamba'.*ssm1_fnn2"),
        (lambda p: p["synthetic"]["grid"]["tasks"].append("sorting"), r"'sorting'"),
        (lambda p: p["synthetic"]["tasks"].update(sorting={}), r"allowed values: copy, recall"),
        (lambda p: p["synthetic"]["tasks"]["copy"].update(sizes=[0, 8]), r"synthetic.tasks.copy.sizes.*positive integers"),
        (lambda p: p["synthetic"]["tasks"]["recall"].update(sizes=[2, 64]), r"vocab_size.*must be at least 'size'"),
        (lambda p: p["synthetic"]["tasks"]["copy"].update(size=[8]), r"Unknown key 'synthetic.tasks.copy.size'.*Did you mean 'sizes'"),
        (lambda p: p["synthetic"]["models"]["ssm2_fnn2"].update(mixer="mamba"), r"'mixer' is 'mamba'; allowed values: ssm, attention"),
        (lambda p: p["synthetic"]["models"]["ssm2_fnn2"].update(filter="hyena"), r"allowed values: fir, ssm, s4d"),
        (lambda p: p["synthetic"]["train"].update(lrs=[]), r"at least one learning rate"),
        (lambda p: p["synthetic"].update(extra=1), r"Unknown key 'synthetic.extra'"),
        (lambda p: p.update(regresion={}), r"Unknown top-level key 'regresion'"),
        (lambda p: p["regression"]["train"].update(step=5), r"regression.train.step"),
        (lambda p: p["genomic"]["train"].update(stpes=5), r"Did you mean 'steps'"),
        (lambda p: p["efficiency"].update(seq_len=[8]), r"Did you mean 'seq_lens'"),
        (lambda p: p.pop("genomic"), r"has no 'genomic' section"),
    ],
)
def test_bad_params_fail_with_a_message_naming_the_key(tmp_path, mutate, expected):
    path = write_params(tmp_path, mutate)
    with pytest.raises(ConfigError, match=expected):
        profile.check(path)
    assert profile.main(["check", str(path)]) == 2


def test_check_cli_accepts_the_default_profile(capsys):
    assert profile.main(["check", str(ROOT / "profiles" / "default.yaml")]) == 0
    assert "is valid (synthetic, regression, genomic, efficiency)" in capsys.readouterr().out


def test_missing_params_file_names_the_path(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_params(tmp_path / "nope.yaml")


def test_task_and_model_validation():
    with pytest.raises(ConfigError, match="'size' must be positive"):
        TaskConfig(name="copy", size=-1)
    with pytest.raises(ConfigError, match="n_queries"):
        TaskConfig(name="recall", size=4, vocab_size=8, n_queries=5)
    with pytest.raises(ConfigError, match="fnn_depth"):
        ModelConfig(fnn_depth=-1)
    with pytest.raises(ConfigError, match="early_stop_acc"):
        TrainConfig(early_stop_acc=1.5)
    assert TaskConfig(name="recall", size=4, vocab_size=8, n_queries="all").seq_len == 12
    assert TaskConfig(name="copy", size=4).seq_len == 9


def test_profile_switch_validates_and_copies(tmp_path):
    shutil.copytree(ROOT / "profiles", tmp_path / "profiles")
    target = profile.use("paper", tmp_path)
    assert target.read_bytes() == (tmp_path / "profiles" / "paper.yaml").read_bytes()
    with pytest.raises(ConfigError, match="Unknown profile 'papr'; available profiles: default, paper"):
        profile.use("papr", tmp_path)
