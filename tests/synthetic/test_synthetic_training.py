import math

import numpy as np
import pytest
import torch

from tokensel.core.errors import TrainingDiverged
from tokensel.nn.config import ModelConfig
from tokensel.synthetic.config import TrainConfig
from tokensel.synthetic.train import RunResult, best_run, run_plans, train_run
from tokensel.tasks.copy import CopyTask

TASK = CopyTask(size=3, vocab_size=4)
LR_KEY = "synthetic.train.lrs"
MODEL = ModelConfig.from_params({"mixer": "attention", "d_model": 16, "n_layers": 1, "fnn_width": 16, "n_heads": 2, "positional": "sinusoidal"}, "test")
TRAIN = TrainConfig(steps=60, batch_size=32, lrs=(3e-3,), eval_every=20, n_val=64, n_test=64, early_stop_acc=None)


def test_a_tiny_model_learns():
    result = train_run(MODEL, TASK, TRAIN, lr=3e-3, seed=0, lr_key=LR_KEY)
    assert result.train_loss[-1] < 0.8 * result.train_loss[0]
    assert result.val_acc[-1] > result.val_acc[0]
    assert 0 <= result.test_acc <= 1 and result.steps_run == 60 and result.cpu_seconds > 0


def test_same_seed_gives_the_same_numbers():
    torch.set_num_threads(1)
    a = train_run(MODEL, TASK, TRAIN, lr=3e-3, seed=4, lr_key=LR_KEY)
    b = train_run(MODEL, TASK, TRAIN, lr=3e-3, seed=4, lr_key=LR_KEY)
    np.testing.assert_array_equal(a.train_loss, b.train_loss)
    assert a.test_acc == b.test_acc


def test_steps_and_width_can_be_set_per_run():
    result = train_run(MODEL.replace(d_model=8, fnn_width=8), TASK, TRAIN, lr=3e-3, seed=0, lr_key=LR_KEY, steps=20)
    assert result.steps_run == 20 and result.eval_steps.tolist() == [20]
    assert result.n_params < train_run(MODEL, TASK, TRAIN, lr=3e-3, seed=0, lr_key=LR_KEY, steps=20).n_params


def test_early_stopping_leaves_nan_after_the_stop():
    easy = TrainConfig(**{**TRAIN.__dict__, "early_stop_acc": 0.01})
    result = train_run(MODEL, TASK, easy, lr=3e-3, seed=0, lr_key=LR_KEY)
    assert result.steps_run == 20
    assert not math.isnan(result.val_acc[0]) and np.isnan(result.val_acc[1:]).all()
    assert result.final_val_acc == result.val_acc[0]


def test_a_nan_loss_stops_with_a_clear_error(monkeypatch):
    from tokensel.synthetic import train

    monkeypatch.setattr(train, "answer_loss", lambda logits, labels: logits.sum() * float("nan"))
    with pytest.raises(TrainingDiverged, match=r"loss became nan at step 0 with lr=0.003.*Lower the learning rate \(synthetic.train.lrs\)"):
        train_run(MODEL, TASK, TRAIN, lr=3e-3, seed=0, lr_key=LR_KEY)


def test_a_diverged_run_names_the_key_its_learning_rate_came_from(monkeypatch):
    from tiny import TINY_SYNTHETIC

    from tokensel.synthetic import train
    from tokensel.synthetic.config import from_params
    from tokensel.synthetic.stage import model_plan

    experiment = from_params(TINY_SYNTHETIC)
    monkeypatch.setattr(train, "answer_loss", lambda logits, labels: logits.sum() * float("nan"))
    for task, key in (("recall", "synthetic.tasks.recall.lrs"), ("copy", "synthetic.train.lrs")):
        sweep = next(model_plan(experiment, task, "ssm2"))
        with pytest.raises(TrainingDiverged, match=rf"Lower the learning rate \({key}\)"):
            train_run(**sweep[0])


def fake_run(lr=1e-3, val=0.5, steps=100, loss=1.0, test=0.5) -> RunResult:
    return RunResult(lr, np.array([steps]), np.array([loss]), np.array([val]), val, steps, test, 0.0, 10, 0.1)


def test_best_run_uses_validation_then_speed_then_loss():
    assert best_run([fake_run(1e-3, val=0.6, test=1.0), fake_run(3e-3, val=0.7, test=0.0)]).lr == 3e-3  # never the test set
    assert best_run([fake_run(1e-3, val=0.99, steps=900), fake_run(1e-2, val=0.99, steps=300)]).lr == 1e-2
    assert best_run([fake_run(1e-3, val=0.25, loss=1.3), fake_run(3e-3, val=0.25, loss=1.1)]).lr == 3e-3


def two_step_plan(seed: int):
    """Runs one model, then a second one whose learning rate depends on the first result."""
    first = yield [dict(model_config=MODEL, task=TASK, train=TRAIN, lr=3e-3, seed=seed, lr_key=LR_KEY)]
    lr = 1e-2 if first[0].test_acc > 0.5 else 1e-3
    second = yield [dict(model_config=MODEL, task=TASK, train=TRAIN, lr=lr, seed=seed, lr_key=LR_KEY), dict(model_config=MODEL, task=TASK, train=TRAIN, lr=lr, seed=seed + 10, lr_key=LR_KEY)]
    return [first[0].test_acc, lr, *(r.test_acc for r in second)]


def test_plans_give_the_same_outcomes_in_a_pool_and_in_one_process():
    pooled = run_plans([two_step_plan(0), two_step_plan(1)], workers=2)
    serial = run_plans([two_step_plan(0), two_step_plan(1)], workers=1)
    assert pooled == serial and len(pooled) == 2 and len(pooled[0]) == 4


def asks_twice(label: str):
    """One run asked for twice under different names, in one batch and again later."""
    job = dict(model_config=MODEL, task=TASK, train=TRAIN, lr=3e-3, seed=0, lr_key=LR_KEY)
    both = yield [{**job, "label": f"{label}/grid"}, {**job, "label": f"{label}/width"}]
    again = yield [{**job, "label": f"{label}/again"}]
    return [r.test_acc for r in (*both, *again)]


def test_a_run_asked_for_under_two_names_is_trained_once_and_every_plan_finishes(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("TOKENSEL_STORE", str(tmp_path / "store"))
    outcomes = run_plans([asks_twice("a"), asks_twice("b")], workers=1)
    assert all(outcome is not None and len(set(outcome)) == 1 for outcome in outcomes) and outcomes[0] == outcomes[1]
    assert "1 runs trained" in capsys.readouterr().err
