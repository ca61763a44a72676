import numpy as np
import pytest
import torch

from tokensel.tasks import IGNORE, sample
from tokensel.tasks.copy import BLANK, PAD, SEP, CopyTask
from tokensel.tasks.recall import RecallTask


def copy_task(size=6, vocab=5):
    return CopyTask(size=size, vocab_size=vocab)


def recall_task(size=5, vocab=12, queries=1):
    return RecallTask(size=size, vocab_size=vocab, n_queries=queries)


def test_copy_format_and_answers():
    task = copy_task()
    batch = sample(task, 200, seed=3, split="train")
    assert batch.inputs.shape == (200, task.seq_len) == (200, 13)
    lengths = set()
    for inputs, labels in zip(batch.inputs.tolist(), batch.labels.tolist()):
        n = inputs.index(SEP)
        lengths.add(n)
        string = inputs[:n]
        assert 1 <= n <= task.size
        assert all(t >= 3 for t in string)
        assert inputs[n + 1 : 2 * n + 1] == [BLANK] * n
        assert all(t == PAD for t in inputs[2 * n + 1 :])
        assert labels[n + 1 : 2 * n + 1] == string  # the i-th blank must emit x_i
        assert all(label == IGNORE for label in labels[: n + 1] + labels[2 * n + 1 :])
    assert len(lengths) > 3, "string lengths (and so the copy lag) must vary with the input"


def test_recall_format_and_answers():
    task = recall_task(queries=3)
    batch = sample(task, 200, seed=1, split="train")
    assert batch.inputs.shape == (200, 2 * 5 + 3)
    for inputs, labels in zip(batch.inputs.tolist(), batch.labels.tolist()):
        keys, values = inputs[0:10:2], inputs[1:10:2]
        assert len(set(keys)) == 5 and all(1 <= k <= 12 for k in keys)
        assert all(13 <= v <= 24 for v in values)
        pairs = dict(zip(keys, values))
        queries = inputs[10:]
        assert len(set(queries)) == 3 and all(q in pairs for q in queries)
        assert labels[10:] == [pairs[q] for q in queries]
        assert all(label == IGNORE for label in labels[:10])


def test_recall_all_queries_is_mqar():
    task = recall_task(size=4, vocab=8, queries="all")
    assert task.seq_len == 12
    batch = sample(task, 50, seed=0, split="test")
    assert (batch.labels[:, 8:] != IGNORE).all()
    assert sorted(batch.inputs[0, 8:].tolist()) == sorted(batch.inputs[0, 0:8:2].tolist())


@pytest.mark.parametrize("task", [copy_task(size=8, vocab=16), recall_task()])
def test_generators_are_deterministic_and_splits_differ(task):
    a = sample(task, 64, seed=7, split="train", step=2)
    b = sample(task, 64, seed=7, split="train", step=2)
    assert torch.equal(a.inputs, b.inputs) and torch.equal(a.labels, b.labels)
    assert not torch.equal(a.inputs, sample(task, 64, seed=8, split="train", step=2).inputs)
    assert not torch.equal(a.inputs, sample(task, 64, seed=7, split="train", step=3).inputs)

    def rare_examples(split):
        # Short copy strings coincide by chance (16 strings of length 1); count only long ones.
        rows = sample(task, 512, seed=7, split=split).inputs
        long_enough = (rows == SEP).float().argmax(1) >= 5 if task.name == "copy" else torch.ones(len(rows), dtype=bool)
        return {tuple(r) for r in rows[long_enough].tolist()}

    train, val, test = rare_examples("train"), rare_examples("val"), rare_examples("test")
    assert len(test) > 100
    assert not (train & test) and not (val & test) and not (train & val)


@pytest.mark.parametrize("task", [copy_task(), recall_task()])
def test_token_ids_fit_the_vocabulary(task):
    batch = sample(task, 128, seed=0, split="val")
    assert int(batch.inputs.max()) < task.n_tokens
    answers = batch.labels[batch.labels != IGNORE]
    assert int(answers.min()) >= 0 and int(answers.max()) < task.n_tokens


def test_unknown_split_is_rejected():
    with pytest.raises(ValueError, match="split must be one of"):
        sample(copy_task(), 2, seed=0, split="training")


def test_answers_are_not_positionally_fixed():
    """The copy source lag differs across examples, so no fixed shift solves the task."""
    batch = sample(copy_task(size=8), 500, seed=0, split="train")
    sep_positions = (batch.inputs == SEP).float().argmax(1).numpy()
    assert np.unique(sep_positions).size >= 6
