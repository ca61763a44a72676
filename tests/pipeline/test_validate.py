"""Bad input is stopped before anything trains, one line per problem, each naming its full key."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
import yaml

from tokensel.core.errors import ConfigError
from tokensel.pipeline import validate

ROOT = Path(__file__).resolve().parents[2]
DEFAULT = yaml.safe_load((ROOT / "profiles" / "default.yaml").read_text())

# Every genomic dataset lists each model's steps and learning rates.
GENOMIC_MODELS = tuple(DEFAULT["genomic"]["models"])
GENOMIC_RUNS = {"steps": dict.fromkeys(GENOMIC_MODELS, 2), "lrs": dict.fromkeys(GENOMIC_MODELS, [0.01])}


def with_value(dotted: str, value) -> dict:
    params = copy.deepcopy(DEFAULT)
    node = params
    *parents, last = dotted.split(".")
    for key in parents:
        node = node[key]
    node[last] = value
    return params


def problems(params: dict) -> list[str]:
    return validate.problems_of(params, "params.yaml")


@pytest.mark.parametrize(
    ("dotted", "value", "expected"),
    [
        ("synthetic.train.steps", "lots", r"'synthetic.train.steps' must be an integer, got 'lots' \(a string\)"),
        ("synthetic.train.steps", "6", r"'synthetic.train.steps' must be an integer, got '6' \(a string\); write it without quotes"),
        ("synthetic.train.steps", 6.5, r"'synthetic.train.steps' must be an integer, got 6.5"),
        ("synthetic.train.steps", True, r"'synthetic.train.steps' must be an integer, got True \(a boolean\)"),
        ("synthetic.train.lrs", ["0.003x"], r"'synthetic.train.lrs\[0\]' must be a number, got '0.003x'"),
        ("synthetic.train.lrs", ["1e-3"], r"'synthetic.train.lrs\[0\]' must be a number.*1.0e-3"),
        ("synthetic.train.early_stop_acc", 1.5, r"'synthetic.train.early_stop_acc' must be between"),
        ("synthetic.train.stpes", 3, r"Unknown key 'synthetic.train.stpes'. Did you mean 'steps'\?"),
        ("genomic.datasets.motif_order.length", -40, r"'genomic.datasets.motif_order.length' must be at least 1, got -40"),
        ("regression.task.seq_len", -10, r"'regression.task.seq_len' must be at least 1, got -10"),
        ("regression.task.window", 40, r"'regression.task.window' .*exceeds seq_len"),
        ("synthetic.models.ssm2_fnn1.mixer", "mamba", r"'synthetic.models.ssm2_fnn1.mixer' is 'mamba'; registered mixers: ssm, short_conv_ssm, attention"),
        ("synthetic.models.ssm2_fnn1.filter", "hyena", r"'synthetic.models.ssm2_fnn1.filter' is 'hyena'.*allowed values: fir, ssm, s4d"),
        ("synthetic.models.ssm2_fnn1.n_heads", 2, r"Unknown key 'synthetic.models.ssm2_fnn1.n_heads'"),
        ("synthetic.grid.models", ["ssm2_fnn2", "nope"], r"'synthetic.grid.models' names unknown model 'nope'"),
        ("synthetic.tasks.recall.size", 9, r"'synthetic.tasks.recall.vocab_size' \(8\) must be at least the number of key-value pairs \(9\)"),
        ("genomic.datasets.janggu.kind", "jangu", r"'genomic.datasets.janggu.kind' is 'jangu'; allowed kinds"),
        ("genomic.datasets.gb", {"kind": "genomic_benchmark", "name": "nope", "root": "/nonexistent", **GENOMIC_RUNS}, r"'genomic.datasets.gb': no Genomic Benchmarks folder '/nonexistent/nope/train'"),
        ("genomic.datasets.janggu.lrs", {"ssm": [0.01]}, r"'genomic.datasets.janggu.lrs' has no entry for model\(s\) transformer, gated_conv, ssd"),
        ("efficiency.seq_len", [8], r"Unknown key 'efficiency.seq_len'. Did you mean 'seq_lens'\?"),
        ("regresion", {}, r"Unknown key 'regresion'. Did you mean 'regression'\?"),
        ("synthetic.train.lrs", [float("inf")], r"'synthetic.train.lrs\[0\]' must be a finite number, got inf"),
        ("regression.train.lrs", [0.01, float("nan")], r"'regression.train.lrs\[1\]' must be a finite number, got nan"),
        ("genomic.models.transformer.n_heads", 3, r"'genomic.models.transformer.d_model' \(32\) must be divisible by the 3 heads"),
        ("genomic.datasets.janggu.length", 5000, r"'genomic.datasets.janggu.length' \(5000\) is longer than the janggu peaks \(200 bases\)"),
        ("synthetic.tasks.copy.values", [8, 100000], r"'synthetic.tasks.copy.values' has 100000, which makes sequences of \d+ tokens; at most 8192"),
        ("synthetic.size_needed.models", ["nosuch"], r"'synthetic.size_needed.models' names unknown model 'nosuch'"),
        ("genomic.datasets.mo;touch${IFS}x;#", {"kind": "motif_order", **GENOMIC_RUNS},
         r"'genomic.datasets' has the name 'mo;touch\$\{IFS\}x;#', which DVC would put into .* a command .*letters, digits"),
        ("compute.executor", "rey", r"'compute.executor' is 'rey' \(a string\) \(did you mean 'ray'\?\); allowed values: local, ray"),
        ("compute.address", "http://head", r"'compute.address' must be host:port of a Ray head node"),
        ("compute.gpus_per_run", 0.5, r"'compute.gpus_per_run' needs executor: ray"),
        ("compute.cpus_per_run", 0, r"'compute.cpus_per_run' must be greater than 0"),
        ("compute.stroe", ".runstore", r"Unknown key 'compute.stroe'. Did you mean 'store'\?"),
    ],
)
def test_each_bad_value_is_named_by_its_full_key(dotted, value, expected):
    found = problems(with_value(dotted, value))
    assert len(found) == 1, found
    assert re.search(expected, found[0]), found[0]


def test_several_problems_are_reported_together():
    params = with_value("synthetic.train.steps", "lots")
    params["regression"]["task"]["seq_len"] = -10
    params["synthetic"]["train"]["batch_size"] = 0
    found = problems(params)
    assert len(found) == 3 and all(line.startswith("'") for line in found)


def test_missing_janggu_is_found_before_training(monkeypatch):
    from tokensel.genomic import loading

    def missing():
        raise ConfigError("janggu is not installed ... Fix: pip install --no-deps janggu==0.10.2")

    monkeypatch.setattr(loading, "janggu_resources_dir", missing)
    found = problems(copy.deepcopy(DEFAULT))
    assert found == ["'genomic.datasets.janggu': janggu is not installed ... Fix: pip install --no-deps janggu==0.10.2"]


def test_cuda_without_a_gpu_is_found_before_training(monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    found = problems(with_value("efficiency.device", "cuda"))
    assert found == ["'efficiency.device' is 'cuda' but this machine has no CUDA device; use 'auto' (GPU when there is one) or 'cpu'."]


def test_a_missing_section_is_named():
    params = copy.deepcopy(DEFAULT)
    del params["genomic"]
    assert problems(params) == ["'genomic' is missing from params.yaml; copy it from profiles/default.yaml."]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "is empty"),
        ("synthetic: [1, 2\n", "is not valid YAML at line 2"),
        ("- a list\n", "must hold a mapping of sections"),
    ],
)
def test_unreadable_files_get_one_clear_line(tmp_path, capsys, text, expected):
    path = tmp_path / "params.yaml"
    path.write_text(text)
    assert validate.main([str(path)]) == 2
    err = capsys.readouterr().err
    assert expected in err and "Traceback" not in err


def test_the_committed_profiles_are_valid(tmp_path, capsys):
    assert validate.main([str(ROOT / "params.yaml"), str(tmp_path / "check.txt")]) == 0
    assert (tmp_path / "check.txt").read_text() == "valid\n"
    assert validate.main([str(ROOT / "nope.yaml")]) == 2
    assert "not found" in capsys.readouterr().err
