import numpy as np
import pytest
import torch

from tokensel.core.errors import ConfigError
from tokensel.core.params import build
from tokensel.tasks import IGNORE, TASKS, sample, shortcut_accuracy, shortcut_score
from tokensel.tasks.copy import BLANK, PAD, SEP, CopyTask
from tokensel.tasks.mqar import MQARTask, slot_probabilities, weighted_draws, weighted_draws_reference
from tokensel.tasks.recall import RecallTask


def copy_task(size=6, vocab=5):
    return CopyTask(size=size, vocab_size=vocab)


def recall_task(size=5, vocab=12, queries=1):
    return RecallTask(size=size, vocab_size=vocab, n_queries=queries)


def mqar_task(size=4, vocab=32, length=40, power_a=0.01, noise=True):
    return MQARTask(size=size, vocab_size=vocab, seq_len=length, power_a=power_a, noise=noise)


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
        assert len(set(values)) == 5 and all(13 <= v <= 24 for v in values), "values are distinct, after the keys"
        pairs = dict(zip(keys, values))
        queries = inputs[10:]
        assert len(set(queries)) == 3 and all(q in pairs for q in queries)
        assert labels[10:] == [pairs[q] for q in queries]
        assert all(label == IGNORE for label in labels[:10])


def test_recall_all_queries_asks_every_pair_once():
    task = recall_task(size=4, vocab=4, queries="all")
    assert task.seq_len == 12
    batch = sample(task, 50, seed=0, split="test")
    assert (batch.labels[:, 8:] != IGNORE).all()
    assert sorted(batch.inputs[0, 8:].tolist()) == sorted(batch.inputs[0, 0:8:2].tolist())


@pytest.mark.parametrize("task", [copy_task(size=8, vocab=16), recall_task(), mqar_task()], ids=["copy", "recall", "mqar"])
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


@pytest.mark.parametrize("task", [copy_task(), recall_task(), mqar_task(), mqar_task(noise=False)], ids=["copy", "recall", "mqar", "mqar-pad"])
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


def test_mqar_format_and_answers():
    task = mqar_task(size=4, vocab=32, length=40)
    batch = sample(task, 300, seed=2, split="train")
    assert batch.inputs.shape == (300, 40)
    gaps = []
    for inputs, labels in zip(batch.inputs.tolist(), batch.labels.tolist()):
        keys, values = inputs[0:8:2], inputs[1:8:2]
        assert len(set(keys)) == 4 and all(0 <= k < 16 for k in keys), "distinct keys from the lower half"
        assert len(set(values)) == 4 and all(16 <= v < 32 for v in values), "distinct values from the upper half"
        asked = [t for t in range(40) if labels[t] != IGNORE]
        assert len(asked) == 4 and all(t >= 8 and (t - 8) % 2 == 0 for t in asked), "queries start the two-token slots"
        assert sorted(inputs[t] for t in asked) == sorted(keys), "every key is queried exactly once"
        pairs = dict(zip(keys, values))
        assert all(labels[t] == pairs[inputs[t]] for t in asked)
        gaps += [(t - 8) // 2 for t in asked]
    assert np.bincount(gaps, minlength=16)[0] > np.bincount(gaps, minlength=16)[15] * 3, "power law: early slots are more likely"


def test_mqar_noise_fills_the_rest_and_padding_replaces_it():
    noisy = sample(mqar_task(vocab=16, length=64), 200, seed=0, split="val")
    filler = noisy.inputs[:, 8:][noisy.labels[:, 8:] == IGNORE]
    assert set(torch.unique(filler).tolist()) == set(range(16)), "noise tokens are drawn from the whole vocabulary"
    quiet = sample(mqar_task(vocab=16, length=64, noise=False), 200, seed=0, split="val")
    assert (quiet.inputs[:, 8:][quiet.labels[:, 8:] == IGNORE] == 16).all()


def test_weighted_draws_match_one_draw_at_a_time():
    p = slot_probabilities(6, 0.3)
    fast = weighted_draws(np.random.default_rng(0), 40000, p, 3)
    slow = weighted_draws_reference(np.random.default_rng(1), 40000, p, 3)
    assert all(len(set(row)) == 3 for row in fast[:200].tolist())
    for column in range(3):  # the distribution of the first, second and third draw
        np.testing.assert_allclose(np.bincount(fast[:, column], minlength=6) / 40000, np.bincount(slow[:, column], minlength=6) / 40000, atol=0.012)
    np.testing.assert_allclose(np.bincount(fast[:, 0], minlength=6) / 40000, p, atol=0.012)


def test_slot_probabilities_follow_the_power_law():
    p = slot_probabilities(4, 0.5)
    np.testing.assert_allclose(p / p[0], [1, 2 ** -0.5, 3 ** -0.5, 0.5])
    np.testing.assert_allclose(slot_probabilities(5, 1.0), np.full(5, 0.2))


def brute_force_shortcut(inputs, labels, candidates):
    """At every answer: 1 / (number of most frequent candidate tokens) if the answer is one of them."""
    hits = []
    for x, y, c in zip(inputs.tolist(), labels.tolist(), candidates.tolist()):
        seen = [t for t, keep in zip(x, c) if keep]
        counts = {t: seen.count(t) for t in set(seen)}
        top = [t for t, n in counts.items() if n == max(counts.values())] if counts else []
        hits += [(1.0 / len(top) if target in top else 0.0) for target in y if target != IGNORE]
    return float(np.mean(hits))


@pytest.mark.parametrize("task", [copy_task(size=6, vocab=3), recall_task(size=3, vocab=5, queries="all"), mqar_task(size=3, vocab=8, length=20)],
                         ids=["copy", "recall", "mqar"])
def test_shortcut_equals_its_brute_force_definition(task):
    batch = sample(task, 300, seed=5, split="test")
    inputs, labels = batch.inputs.numpy(), batch.labels.numpy()
    candidates = task.shortcut_candidates(inputs)
    assert shortcut_accuracy(inputs, labels, candidates, task.n_tokens) == pytest.approx(brute_force_shortcut(inputs, labels, candidates))


def test_shortcut_on_a_hand_made_copy_example():
    # string a a b: the most frequent token is a, right at 2 of the 3 blanks
    inputs = np.array([[5, 5, 6, SEP, BLANK, BLANK, BLANK]])
    labels = np.array([[IGNORE] * 4 + [5, 5, 6]])
    assert shortcut_accuracy(inputs, labels, copy_task(size=3).shortcut_candidates(inputs), 19) == pytest.approx(2 / 3)


def test_shortcut_of_recall_tasks_is_one_over_the_pairs():
    assert shortcut_score(recall_task(size=4, vocab=8, queries="all"), 500, seed=0) == pytest.approx(1 / 4)
    assert shortcut_score(mqar_task(size=5, vocab=64, length=32), 500, seed=0) == pytest.approx(1 / 5)
    assert 1 / 16 < shortcut_score(copy_task(size=32, vocab=16), 500, seed=0) < 0.3


@pytest.mark.parametrize(
    ("name", "spec", "message"),
    [
        ("mqar", {"size": 4, "vocab_size": 32, "seq_len": 12}, r"'t.seq_len' \(12\) leaves 2 query slots .* at least 16"),
        ("mqar", {"size": 4, "vocab_size": 33}, r"'t.vocab_size' \(33\) must be even"),
        ("mqar", {"size": 9, "vocab_size": 16}, r"'t.vocab_size' \(16\) must be at least twice the number of pairs"),
        ("recall", {"size": 5, "vocab_size": 4}, r"'t.vocab_size' \(4\) must be at least the number of key-value pairs \(5\)"),
        ("mqar", {"size": 2, "power_a": 0}, r"'t.power_a' must be between"),
    ],
)
def test_bad_task_settings_are_named(name, spec, message):
    with pytest.raises(ConfigError, match=message):
        build(TASKS[name], spec, "t")
