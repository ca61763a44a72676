"""The closed forms equal the built networks' counts; the counting helpers equal brute force; the
growth classification and the lower bounds behave as derived."""

import itertools
import math

import numpy as np
import pytest

from tokensel.constructions.analysis import growth
from tokensel.constructions.copying import build_copy
from tokensel.constructions.costs import (
    copy_costs, copy_one_layer_min_width, count_below_with_popcount, nonzero_digits, recall_costs, recall_min_width,
    selection_costs,
)
from tokensel.constructions.encoding import digit_base, digits
from tokensel.constructions.network import count_nonzero, count_parameters
from tokensel.constructions.recall import build_recall
from tokensel.constructions.selection import SelectionShape, build_selection


@pytest.mark.parametrize("size, vocab, n_digits, layers", list(itertools.product((1, 3, 8), (2, 5, 100), (1, 2, 4), (1, 2))))
def test_copy_counts_match_the_closed_forms(size, vocab, n_digits, layers):
    model, costs = build_copy(size, vocab, n_digits, layers), copy_costs(size, vocab, n_digits, layers)
    assert (count_parameters(model), count_nonzero(model)) == (costs["params"], costs["nonzero"])
    assert model.embedding.embedding_dim == costs["d_model"]


@pytest.mark.parametrize("size, vocab, queries", [(1, 5, 1), (2, 8, 2), (5, 16, 1), (5, 37, 5), (3, 64, 3)])
def test_recall_counts_match_the_closed_forms(size, vocab, queries):
    model, costs = build_recall(size, vocab, queries), recall_costs(size, vocab, queries)
    assert (count_parameters(model), count_nonzero(model)) == (costs["params"], costs["nonzero"])


@pytest.mark.parametrize("window, key_dim, value_dim, margin", list(itertools.product((1, 2, 5), (1, 3), (1, 2), (0.05, 2.0, 10.0))))
def test_selection_counts_match_the_closed_forms(window, key_dim, value_dim, margin):
    shape = SelectionShape(window, key_dim, value_dim, margin)
    model, costs = build_selection(shape, 8), selection_costs(shape)
    assert (count_parameters(model), count_nonzero(model)) == (costs["params"], costs["nonzero"])


@pytest.mark.parametrize("count, base, n_digits", [(1, 2, 3), (37, 2, 6), (100, 10, 2), (65536, 256, 2), (1000, 7, 4)])
def test_nonzero_digit_count_equals_brute_force(count, base, n_digits):
    assert nonzero_digits(count, base, n_digits) == int((digits(np.arange(count), base, n_digits) != 0).sum())


@pytest.mark.parametrize("limit, ones", [(1, 0), (37, 3), (64, 3), (100, 4), (4096, 6), (5000, 0)])
def test_popcount_count_equals_brute_force(limit, ones):
    assert count_below_with_popcount(limit, ones) == sum(bin(i).count("1") == ones for i in range(limit))


@pytest.mark.parametrize("vocab, n_digits", [(2, 1), (16, 1), (17, 2), (65536, 2), (65537, 2), (1000, 3)])
def test_digit_base_is_the_smallest_that_fits(vocab, n_digits):
    base = digit_base(vocab, n_digits)
    assert base**n_digits >= vocab and (base == 2 or (base - 1) ** n_digits < vocab)


def test_growth_tells_poly_log_from_polynomial():
    x = 2.0 ** np.arange(2, 33)
    assert growth(x, 3 + np.log2(x) ** 2, max_power=0.25).kind == "poly-log"
    assert growth(x, 5 * np.log2(x) + 40, max_power=0.25).kind == "poly-log"
    assert growth(x, 7 * x, max_power=0.25).kind == "polynomial"
    assert growth(x, x**0.3, max_power=0.25).kind == "polynomial"
    assert growth(x, 7 * x, max_power=0.25).power == pytest.approx(1.0)


def test_lower_bounds():
    # one layer, copy: floor((k+1)/2) tokens of log2|W| bits through D channels of b bits
    assert copy_one_layer_min_width(2048, 65536, 32) == math.ceil(1024 * 16 / 32)
    assert copy_one_layer_min_width(2048, 65536, 1) == 1024 * 16
    # M layers, recall: k values of log2|W| bits through M D channels of b bits
    assert recall_min_width(256, 65536, 32, 2) == 64
    # our constructions sit above the bounds
    for k in (4, 64, 1024):
        assert copy_costs(k, 16, 4, 1)["d_model"] >= copy_one_layer_min_width(k, 16, 1)
        assert recall_costs(k, 4096, k)["d_model"] >= recall_min_width(k, 4096, 1, 2)
