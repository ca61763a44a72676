"""Attributions and importance measures: fast paths against their oracles, known answers."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from tokensel.core.errors import ConfigError
from tokensel.genomic import importance_metrics as im
from tokensel.genomic.attribution import attribute, in_silico_mutagenesis, ism_reference, mutated_positions
from tokensel.genomic.data import motif_order_sample
from tokensel.genomic.models import MotifModel, StemClassifier
from tokensel.genomic.sequences import encode, fit_to_length
from tokensel.nn.config import ModelConfig

A, B = "ATGCAAAT", "TGCTGACTCA"
METHODS = ("grad_norm", "grad_x_input", "integrated_gradients", "ism")


@pytest.fixture(scope="module")
def order():
    return motif_order_sample(60, 48, A, B, gc=0.42, min_gap=4, seed=0)


@pytest.fixture(scope="module")
def known(order) -> MotifModel:
    return MotifModel((A, B), 48, positional=True).fit(order.sequences, order.labels, max_iter=500)


@pytest.mark.parametrize("mixer", [{"mixer": "ssm", "filter": "s4d"}, {"mixer": "attention", "positional": "learned", "n_heads": 2}])
def test_ism_equals_brute_force(mixer) -> None:
    torch.manual_seed(0)
    model = StemClassifier(ModelConfig.from_params({**mixer, "d_model": 8, "fnn_width": 8}, "m"), 2, 8, stem_width=3).eval()
    tokens = torch.randint(0, 4, (2, 8))
    tokens[1, 5] = 4  # an N is never mutated
    targets = torch.tensor([0, 1])
    fast = in_silico_mutagenesis(model, tokens, targets)
    assert torch.allclose(fast, ism_reference(model, tokens, targets), atol=1e-5)
    assert fast[1, 5] == 0 and (fast[0] > 0).all()


def test_ism_of_fewer_positions_is_the_full_ism_there_and_zero_elsewhere() -> None:
    torch.manual_seed(0)
    model = StemClassifier(ModelConfig.from_params({"mixer": "selective", "d_model": 8, "fnn_width": 8}, "m"), 2, 20, stem_width=3).eval()
    tokens, targets = torch.randint(0, 4, (2, 20)), torch.tensor([0, 1])
    mutated = mutated_positions(20, 4)
    assert mutated.tolist() == [0, 6, 12, 19] and mutated_positions(20, 50).tolist() == list(range(20))
    full, few = in_silico_mutagenesis(model, tokens, targets), in_silico_mutagenesis(model, tokens, targets, positions=4)
    assert torch.allclose(few[:, mutated], full[:, mutated], atol=1e-6) and (full[:, mutated] > 0).all()
    few[:, mutated] = 0
    assert (few == 0).all()


def test_ism_of_the_motif_model_is_exactly_on_the_motif(order, known) -> None:
    """The known answer: substituting a motif base destroys the match; nothing else matters
    unless a substitution happens to create a motif."""
    importance = attribute(known, order.sequences[:20], order.labels[:20], ("ism",), 2, 8)["ism"]
    assert (importance[order.mask[:20]] > 0).all()
    assert im.top_k_share(importance, order.mask[:20]) == pytest.approx(1.0)
    assert np.nanmean(im.ground_truth_auroc(importance, order.mask[:20])) > 0.99


def test_motif_model_reads_order(order, known) -> None:
    assert (known(torch.as_tensor(order.sequences)).argmax(1).numpy() == order.labels).mean() == 1.0


def test_every_method_finds_the_known_answer_and_zeroes_padding(known) -> None:
    tokens = np.stack([encode("CC" + A + "CCCC" + B + "C" * 24), fit_to_length(encode("C" * 20 + B + "CCCC" + A + "CC"), 48)])
    mask = np.zeros(tokens.shape, dtype=bool)
    mask[0, 2:10] = mask[0, 14:24] = mask[1, 20:30] = mask[1, 34:42] = True
    found = attribute(known, tokens, np.array([1, 0]), METHODS, 8, 2)
    for method, importance in found.items():
        assert importance.shape == tokens.shape and (importance[1, -4:] == 0).all(), method
        assert im.top_k_share(importance, mask) == pytest.approx([1.0, 1.0], abs=1e-6), method


def test_gradient_times_input_is_the_match_contribution(known) -> None:
    """For a product of one-hot entries, grad x input at each motif base is the product itself."""
    tokens = np.stack([encode("CC" + A + "CCCC" + B + "C" * 24)])
    found = attribute(known, tokens, np.array([1]), ("grad_x_input",), 2, 1)["grad_x_input"][0]
    weight = (known.linear.weight[1] - known.linear.weight.mean(0)).detach()  # centred logit of class 1
    expected_a = abs(float(weight[0]) * (1 - 2 / 48))  # the match of A starts at 2, position weight 1 - t/L
    assert found[2:10] == pytest.approx(np.full(8, expected_a), rel=1e-5)


def test_top_k_share_and_mass_fraction_on_hand_made_rows() -> None:
    mask = np.array([[0, 1, 1, 0, 0, 0]], dtype=bool)
    assert im.top_k_share(np.array([[0, 5, 5, 0, 0, 0.0]]), mask) == pytest.approx([1.0])
    assert im.top_k_share(np.array([[0, 5, 1, 4, 0, 0.0]]), mask) == pytest.approx([5 / 9])
    assert np.isnan(im.top_k_share(np.zeros((1, 6)), mask)[0])
    assert np.isnan(im.top_k_share(np.ones((1, 6)), np.zeros((1, 6), dtype=bool))[0])
    assert im.mass_fraction(np.ones((1, 10)), 0.5) == pytest.approx([0.5])
    assert im.mass_fraction(np.eye(10)[:1], 0.5) == pytest.approx([0.1])
    with pytest.raises(ConfigError, match="non-negative"):
        im.top_k_share(-np.ones((1, 6)), mask)


def test_jaccard_index_extremes() -> None:
    same = np.tile(np.arange(20.0), (5, 1))
    assert im.input_dependence_index(im.pairwise_jaccard(same, 3), 20, 3) == pytest.approx(0.0)
    disjoint = np.zeros((4, 20))
    for i in range(4):
        disjoint[i, 5 * i : 5 * i + 3] = 1
    assert im.pairwise_jaccard(disjoint, 3) == 0.0
    # Exact expectation against enumeration of every pair of 2-subsets of 6 positions.
    subsets = [set(c) for c in itertools.combinations(range(6), 2)]
    brute = np.mean([len(a & b) / len(a | b) for a in subsets for b in subsets])
    assert im.chance_jaccard(6, 2) == pytest.approx(brute)


def test_ground_truth_auroc() -> None:
    mask = np.array([[1, 1, 0, 0, 0]], dtype=bool)
    assert im.ground_truth_auroc(np.array([[5, 4, 1, 2, 3.0]]), mask) == pytest.approx([1.0])
    assert im.ground_truth_auroc(np.array([[1, 1, 1, 1, 1.0]]), mask) == pytest.approx([0.5])
    assert np.isnan(im.ground_truth_auroc(np.ones((1, 5)), np.zeros((1, 5), dtype=bool))[0])
