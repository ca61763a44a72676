import math

import numpy as np
import pytest
import torch

from tokensel.core.errors import TrainingDiverged
from tokensel.core.runs import combine, save
from tokensel.nn.config import ModelConfig
from tokensel.synthetic.analysis import best_over_lr
from tokensel.synthetic.config import TrainConfig
from tokensel.synthetic.stage import run_dataset
from tokensel.synthetic.train import run_all, train_run
from tokensel.tasks.copy import CopyTask
from tokensel.tasks.recall import RecallTask

TASK = CopyTask(size=3, vocab_size=4)
MODEL = ModelConfig.from_params({"mixer": "attention", "n_layers": 1, "fnn_width": 16, "n_heads": 2, "positional": "sinusoidal"}, "test")
TRAIN = TrainConfig(steps=60, batch_size=32, lrs=(3e-3,), eval_every=20, n_val=64, n_test=64, d_model=16, early_stop_acc=None)


def test_a_tiny_model_learns():
    result = train_run(MODEL, TASK, TRAIN, lr=3e-3, seed=0, progress_bar=False)
    assert result.train_loss[-1] < 0.8 * result.train_loss[0]
    assert result.val_acc[-1] > result.val_acc[0]
    assert 0 <= result.test_acc <= 1 and result.steps_run == 60


def test_same_seed_gives_the_same_numbers():
    torch.set_num_threads(1)
    a = train_run(MODEL, TASK, TRAIN, lr=3e-3, seed=4, progress_bar=False)
    b = train_run(MODEL, TASK, TRAIN, lr=3e-3, seed=4, progress_bar=False)
    np.testing.assert_array_equal(a.train_loss, b.train_loss)
    assert a.test_acc == b.test_acc


def test_early_stopping_leaves_nan_after_the_stop():
    easy = TrainConfig(**{**TRAIN.__dict__, "early_stop_acc": 0.01})
    result = train_run(MODEL, TASK, easy, lr=3e-3, seed=0, progress_bar=False)
    assert result.steps_run == 20
    assert not math.isnan(result.val_acc[0]) and np.isnan(result.val_acc[1:]).all()
    assert result.final_val_acc == result.val_acc[0]


def test_a_nan_loss_stops_with_a_clear_error(monkeypatch):
    from tokensel.synthetic import train

    monkeypatch.setattr(train, "masked_loss", lambda logits, labels: logits.sum() * float("nan"))
    with pytest.raises(TrainingDiverged, match=r"loss became nan at step 0 with lr=0.003.*Lower the learning rate"):
        train_run(MODEL, TASK, TRAIN, lr=3e-3, seed=0, progress_bar=False)


def test_worker_pool_gives_the_same_numbers_as_one_process():
    jobs = [dict(model_config=MODEL, task=TASK, train=TRAIN, lr=lr, seed=1) for lr in (1e-3, 3e-3)]
    pooled = run_all(jobs, workers=2)
    serial = run_all(jobs, workers=1)
    for p, s in zip(pooled, serial):
        np.testing.assert_array_equal(p.train_loss, s.train_loss)


def test_results_round_trip_and_best_lr_uses_validation(tmp_path):
    runs = [train_run(MODEL, TASK, TRAIN, lr=lr, seed=0, progress_bar=False) for lr in (1e-4, 3e-3)]
    ds = run_dataset(TASK, "tf", MODEL, 0, runs)
    other = run_dataset(CopyTask(size=4, vocab_size=4), "tf", MODEL, 0, runs)
    recall = run_dataset(RecallTask(size=3, vocab_size=4), "tf", MODEL, 0, runs)
    paths = [save(ds, tmp_path / "a.nc"), save(other, tmp_path / "b.nc"), save(recall, tmp_path / "c.nc")]
    combined = combine(paths)
    assert combined["size"].sel(seq_len=[7, 9]).values.tolist() == [3, 4]
    reloaded = combine([save(combined, tmp_path / "all.nc")])
    assert reloaded["task"].values.tolist() == ["copy", "recall"]  # no truncation to the first file's width
    longer_recall = run_dataset(RecallTask(size=4, vocab_size=4, n_queries="all"), "tf", MODEL, 0, runs)
    interleaved = combine(paths + [save(longer_recall, tmp_path / "d.nc")])  # copy 7, 9; recall 7, 12
    assert interleaved["seq_len"].values.tolist() == [7, 9, 12]
    assert np.isnan(interleaved["test_acc"].sel(task="copy", seq_len=12)).all()
    best = best_over_lr(combined)
    chosen = best["best_lr"].sel(task="copy", model="tf", seed=0, seq_len=TASK.seq_len).item()
    assert chosen == max(runs, key=lambda r: r.final_val_acc).lr
    assert not list(tmp_path.glob("*.partial"))


def test_combine_asks_for_exactly_the_runs_of_the_matrix(tmp_path):
    from tokensel.core.errors import ConfigError
    from tokensel.core.runs import expected_run_files, matrix_keys

    params = {"exp": {"models": {"ssm": {}, "tf": {}}, "seeds": [0, 1]}}
    assert matrix_keys(params, ["exp.models", "exp.seeds"]) == ["ssm-0", "ssm-1", "tf-0", "tf-1"]
    with pytest.raises(ConfigError, match="'exp.sizes' is not in the params file"):
        matrix_keys(params, ["exp.sizes"])
    (tmp_path / "params.yaml").write_text("exp:\n  models: {ssm: {}, tf: {}}\n  seeds: [0, 1]\n")
    for key in ("ssm-0", "ssm-1", "tf-0", "stale-from-another-profile"):
        (tmp_path / f"{key}.nc").write_bytes(b"")
    with pytest.raises(ConfigError, match=r"1 of 4 run files are missing .*tf-1.nc"):
        expected_run_files(tmp_path, tmp_path / "params.yaml", ["exp.models", "exp.seeds"])
    (tmp_path / "tf-1.nc").write_bytes(b"")
    found = expected_run_files(tmp_path, tmp_path / "params.yaml", ["exp.models", "exp.seeds"])
    assert [p.name for p in found] == ["ssm-0.nc", "ssm-1.nc", "tf-0.nc", "tf-1.nc"]


def test_claim_is_judged_at_the_longest_length():
    from tokensel.synthetic.analysis import TaskVerdict, at_longest, overall

    def verdict(task, seq_len, ok):
        return TaskVerdict(task, seq_len, 1.0, "m", 0.5 if ok else 1.0, 1.0, True, ok)

    cells = [verdict("copy", 9, False), verdict("copy", 33, True), verdict("recall", 6, False), verdict("recall", 12, False)]
    assert [(v.task, v.seq_len) for v in at_longest(cells)] == [("copy", 33), ("recall", 12)]
    assert overall(cells) == "partially reproduced (1 of 2 tasks: copy)"
    assert overall([verdict("copy", 33, True)]) == "reproduced" and overall([]).startswith("not assessed")
