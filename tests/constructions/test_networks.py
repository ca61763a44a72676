"""Each construction equals its exact target on random inputs, runs through the same forward code as
a trained model, and refuses what its formulas cannot deliver with an error naming the limit."""

import numpy as np
import pytest
import torch

from tokensel.constructions.copying import build_copy
from tokensel.constructions.data import reference_selection, selection_batch
from tokensel.constructions.network import write_delay_line
from tokensel.constructions.recall import build_recall
from tokensel.constructions.selection import SelectionShape, build_selection
from tokensel.core.errors import ConfigError
from tokensel.nn.mixers.long_conv import LongConvMixer, LongConvOptions
from tokensel.nn.models import SequenceModel
from tokensel.tasks import answer_accuracy, sample
from tokensel.tasks.copy import CopyTask
from tokensel.tasks.recall import RecallTask

CPU = torch.device("cpu")


@pytest.mark.parametrize("size, vocab, digits", [(1, 2, 1), (3, 5, 1), (6, 37, 2), (9, 100, 3), (20, 16, 4), (33, 1000, 2)])
@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_copy_network_answers_every_blank(size, vocab, digits, layers, dtype):
    batch = sample(CopyTask(size, vocab), 64, seed=size + vocab, split="test")
    assert answer_accuracy(build_copy(size, vocab, digits, layers, dtype), batch, CPU) == (1.0, 1.0)


@pytest.mark.parametrize("size, vocab, queries", [(1, 1, 1), (2, 3, "all"), (5, 5, 2), (8, 64, "all"), (13, 1000, 3)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_recall_network_answers_every_query(size, vocab, queries, dtype):
    task = RecallTask(size, vocab, queries)
    batch = sample(task, 64, seed=size, split="test")
    assert answer_accuracy(build_recall(size, vocab, task.queries, dtype), batch, CPU) == (1.0, 1.0)


def test_the_targets_are_the_exact_argmax():
    shape = SelectionShape(window=4, key_dim=3, value_dim=2, margin=0.1)
    inputs, targets, margins = selection_batch(shape, 3, 11, seed=5)
    np.testing.assert_array_equal(targets, reference_selection(inputs, shape))
    assert np.isinf(margins[:, 0]).all() and (margins[:, 1:] >= 0).all()


@pytest.mark.parametrize("window, key_dim, value_dim, margin", [(1, 1, 1, 0.5), (2, 3, 1, 0.2), (5, 2, 2, 0.1), (7, 4, 3, 0.3)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_selection_network_is_exact_wherever_the_margin_is_met(window, key_dim, value_dim, margin, dtype):
    shape = SelectionShape(window, key_dim, value_dim, margin)
    inputs, targets, margins = selection_batch(shape, 6, 20, seed=window)
    with torch.no_grad():
        output = build_selection(shape, 20, dtype)(torch.as_tensor(inputs, dtype=getattr(torch, dtype))).double().numpy()
    met = margins >= margin
    assert met.any()
    np.testing.assert_allclose(output[met], targets[met], atol=1e-5 if dtype == "float32" else 1e-12)


def test_selection_far_below_its_margin_is_not_exact():
    shape = SelectionShape(window=6, key_dim=2, value_dim=1, margin=0.4)
    inputs, targets, margins = selection_batch(shape, 16, 24, seed=0)
    with torch.no_grad():
        output = build_selection(shape, 24)(torch.as_tensor(inputs)).numpy()
    close_calls = margins < shape.margin / 4
    assert close_calls.sum() > 20
    assert (np.abs(output - targets).max(-1)[close_calls] > 1e-3).mean() > 0.9


@pytest.mark.parametrize("build", [
    lambda: build_copy(4, 7, 2, 2), lambda: build_copy(4, 7, 1, 1), lambda: build_recall(3, 5, 3),
])
def test_a_construction_is_only_weights_for_the_class_trained_models_use(build):
    construction = build()
    fresh = SequenceModel(construction.config, construction.embedding.num_embeddings, construction.max_len).double()
    assert construction.config.d_model == construction.embedding.embedding_dim
    fresh.load_state_dict(construction.state_dict())
    tokens = torch.randint(0, construction.embedding.num_embeddings, (3, construction.max_len))
    torch.testing.assert_close(fresh(tokens), construction(tokens), rtol=0, atol=0)
    assert construction.config.norm == "none" and construction.config.activation == "relu"


def test_a_delay_line_shifts_each_channel_group_by_its_lag():
    mixer = LongConvMixer(4, LongConvOptions(filter="fir", window=30), max_len=30).double()
    with torch.no_grad():
        for p in mixer.parameters():
            p.zero_()
        write_delay_line(mixer, torch.arange(4).reshape(2, 2), torch.tensor([0, 20]))  # 20 taps: the FFT path
    x = torch.randn(2, 30, 4, dtype=torch.float64)
    y = x + mixer(x)
    torch.testing.assert_close(y[..., :2], x[..., :2])
    torch.testing.assert_close(y[:, 20:, 2:], x[:, :10, 2:])
    assert y[:, :20, 2:].abs().max() < 1e-12


def test_bad_inputs_are_refused_with_the_limit_named():
    with pytest.raises(ConfigError, match=r"'constructions.copy.window' = 8 is shorter than .* L = 2k\+1 = 9"):
        build_copy(4, 5, 1, window=8)
    with pytest.raises(ConfigError, match=r"'constructions.recall.window' = 5 .* at least 6"):
        build_recall(2, 4, 2, window=5)
    with pytest.raises(ConfigError, match=r"margin delta must be > 0"):
        build_selection(SelectionShape(2, 2, 1, 0.0), 4)
    with pytest.raises(ConfigError, match=r"needs about 34.0 significand bits, but float32 has 24.*float64"):
        build_copy(32, 65536, 1, dtype="float32")
    build_copy(32, 65536, 1, dtype="float64")  # the same vocabulary fits float64
    with pytest.raises(ConfigError, match="5 keys cannot make 6 distinct pairs"):
        build_recall(6, 5, 1)
