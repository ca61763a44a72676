"""The regression generator: smoothness and the predicted exponent, the basis and g, Gamma, the margin, samples."""

from __future__ import annotations

import copy
import itertools

import numpy as np
import pytest

from tokensel.core.errors import ConfigError
from tokensel.regression.config import TaskConfig, from_params
from tokensel.regression.data import (
    draw_tokens,
    g_inputs,
    gamma_map,
    gamma_map_reference,
    make_splits,
    sample,
    selected_tokens,
    window_margin,
    windows,
)
from tokensel.regression.smooth import (
    a_dagger,
    design_matrix,
    design_matrix_reference,
    draw_smooth_function,
    predicted_exponent,
    random_coefficients,
    smoothness_vector,
    trig_basis,
)
from tiny import TINY_REGRESSION

TASK = TaskConfig(d=2, seq_len=8, window=4, top_j=2, max_basis=128, sigma=0.5, delta=0.05)


@pytest.mark.parametrize(
    "kwargs, a, exponent",
    [
        ({}, 1.0, -2 / 3),  # mixed: a† = min_j a0 j^alpha = a0
        ({"a0": 0.5}, 0.5, -0.5),
        ({"smoothness": "anisotropic"}, 2 / 3, -4 / 7),  # a† = (1/1 + 1/2)^(-1)
        ({"smoothness": "anisotropic", "alpha": 0.0}, 0.5, -0.5),  # two equal directions: a/2
        ({"d": 3, "kappa": 1.0}, 1.0, -2 / 3),  # more value coordinates, smoother: min unchanged
        ({"d": 3, "kappa": 1.0, "smoothness": "anisotropic"}, 1 / (1 + 1 / 2 + 1 / 2 + 1 / 4), None),
    ],
)
def test_a_dagger_and_predicted_exponent(kwargs, a, exponent):
    task = TaskConfig(**kwargs)
    assert a_dagger(task) == pytest.approx(a)
    assert predicted_exponent(task) == pytest.approx(exponent if exponent is not None else -2 * a / (2 * a + 1))


def test_smoothness_is_rank_major_and_grows_with_rank_and_coordinate():
    task = TaskConfig(d=3, top_j=2, a0=1.0, alpha=1.0, kappa=0.5)
    # (rank 1: coords 1, 2), (rank 2: coords 1, 2)
    np.testing.assert_allclose(smoothness_vector(task), [1.0, 1.5, 2.0, 3.0])


def test_basis_is_a_gamma_level_set_within_max_basis_and_orthonormal():
    basis = trig_basis(TASK)
    assert basis.n_basis <= TASK.max_basis
    assert np.all(np.diff(basis.gamma) >= 0)  # ordered by γ, so level sets are prefixes
    assert basis.level_sizes()[-1] == basis.n_basis
    a = smoothness_vector(TASK)
    blocks = np.floor(np.log2(np.maximum(np.abs(basis.freqs), 0.5))) + 1  # block index: 0 for l = 0
    np.testing.assert_allclose(basis.gamma, (blocks * a).sum(axis=1))
    # On a grid finer than twice the largest frequency the discrete inner products are exact.
    m = 2 * int(np.abs(basis.freqs).max()) + 2
    grid = (np.arange(m) + 0.5) / m
    points = np.array(list(itertools.product(grid, repeat=TASK.input_dim)))
    P = design_matrix(basis.freqs, points)
    np.testing.assert_allclose(P.T @ P / len(points), np.eye(basis.n_basis), atol=1e-9)


def test_design_matrix_equals_its_reference():
    basis = trig_basis(TaskConfig(d=3, top_j=2, max_basis=64))
    z = np.random.default_rng(0).random((50, basis.freqs.shape[1]))
    np.testing.assert_allclose(design_matrix(basis.freqs, z), design_matrix_reference(basis.freqs, z), atol=1e-12)


def test_g_has_mean_zero_unit_variance_and_blocks_decaying_like_two_to_minus_gamma():
    g = draw_smooth_function(TASK, 3)
    assert g.variance == pytest.approx(1.0)
    assert g.coef[np.all(g.basis.freqs == 0, axis=1)] == pytest.approx(0.0)
    values = g(np.random.default_rng(1).random((20000, TASK.input_dim)))
    assert abs(values.mean()) < 0.03 and values.var() == pytest.approx(1.0, abs=0.05)
    # Before normalisation every block has norm 2^(-γ(s)) exactly: a level's squared norm is
    # its number of blocks times 2^(-2γ); only the signs differ between seeds.
    basis = g.basis
    raw = random_coefficients(basis, 5)
    for level in np.unique(basis.gamma):
        at = basis.gamma == level
        assert np.sum(raw[at] ** 2) == pytest.approx(np.sum(1.0 / basis.block_size[at]) * 2.0 ** (-2 * level))
    assert not np.array_equal(np.sign(raw), np.sign(random_coefficients(basis, 6)))


def test_gamma_sorts_by_the_last_coordinate_hand_example():
    window = np.array([[0.1, 0.3], [0.2, 0.9], [0.3, 0.1], [0.4, 0.5]])
    np.testing.assert_array_equal(gamma_map(window, 2), [[0.2, 0.9], [0.4, 0.5]])


def test_gamma_equals_its_reference_and_ignores_positions():
    rng = np.random.default_rng(0)
    w = rng.random((30, 5, 3))
    np.testing.assert_array_equal(gamma_map(w, 3), gamma_map_reference(w, 3))
    shuffled = w[:, rng.permutation(5)]
    np.testing.assert_array_equal(gamma_map(shuffled, 3), gamma_map(w, 3))


def test_g_reads_the_value_coordinates_of_the_selected_tokens_only():
    X = np.random.default_rng(0).random((4, TASK.seq_len, TASK.d))
    Z = g_inputs(TASK, X, "dynamic")
    chosen = selected_tokens(TASK, X, "dynamic")
    np.testing.assert_array_equal(Z, chosen[..., 0])  # d = 2: one value coordinate per rank
    fixed = g_inputs(TASK, X, "fixed")
    t = TASK.window - 1  # first output position: x_t, then x_(t-1)
    np.testing.assert_array_equal(fixed[:, 0], X[:, [t, t - 1], 0])


def test_window_margin_hand_example():
    task = TaskConfig(d=2, seq_len=4, window=4, top_j=2, beta=1.0)
    X = np.zeros((1, 4, 2))
    X[0, :, 1] = [0.9, 0.5, 0.45, 0.0]  # sorted gaps 0.4, 0.05 (rank 2 weighted by 2^beta)
    assert window_margin(task, X)[0] == pytest.approx(0.1)


def test_every_sampled_window_respects_the_margin_and_g_input_stays_uniform():
    X = draw_tokens(TASK, 2000, np.random.default_rng(0))
    assert window_margin(TASK, X.astype(np.float64)).min() >= TASK.delta
    loose = draw_tokens(TaskConfig(**{**TASK.__dict__, "delta": 0.0}), 2000, np.random.default_rng(0))
    assert window_margin(TASK, loose.astype(np.float64)).min() < TASK.delta
    Z = g_inputs(TASK, X.astype(np.float64), "dynamic").reshape(-1, TASK.input_dim)
    np.testing.assert_allclose(Z.mean(axis=0), 0.5, atol=0.01)
    np.testing.assert_allclose(Z.var(axis=0), 1 / 12, atol=0.005)


def test_a_margin_too_strict_names_its_key():
    with pytest.raises(ConfigError, match="'regression.task.delta'"):
        draw_tokens(TaskConfig(seq_len=40, window=8, top_j=4, delta=0.3), 10, np.random.default_rng(0))


def test_samples_are_deterministic_nested_and_shared_between_orders():
    g = draw_smooth_function(TASK, 0)
    big, small = sample(TASK, g, "dynamic", 300, 7), sample(TASK, g, "dynamic", 100, 7)
    np.testing.assert_array_equal(big.X[:100], small.X)
    np.testing.assert_array_equal(big.y[:100], small.y)
    again = sample(TASK, g, "dynamic", 300, 7)
    np.testing.assert_array_equal(again.y, big.y)
    np.testing.assert_allclose(big.f, g(big.Z))
    assert big.y.shape == (300, TASK.seq_len - TASK.window + 1)
    dyn, fix = make_splits(TASK, "dynamic", 50, 20, 20, 1), make_splits(TASK, "fixed", 50, 20, 20, 1)
    np.testing.assert_array_equal(dyn.g.coef, fix.g.coef)
    np.testing.assert_array_equal(dyn.train.X, fix.train.X)
    assert not np.array_equal(dyn.train.f, fix.train.f)
    assert not np.array_equal(dyn.train.X[:20], dyn.val.X)


def test_windows_end_at_every_position_with_a_full_window():
    X = np.arange(2 * 6 * 1, dtype=float).reshape(2, 6, 1)
    w = windows(X, 3)
    assert w.shape == (2, 4, 3, 1)
    np.testing.assert_array_equal(w[0, 0, :, 0], [0, 1, 2])


@pytest.mark.parametrize(
    "path, value, message",
    [
        (("task", "d"), 1, "'regression.task.d' must be at least 2"),
        (("task", "window"), 40, "'regression.task.window' .*exceeds seq_len"),
        (("task", "top_j"), 5, "'regression.task.top_j' .*exceeds window"),
        (("task", "smoothness"), "mixd", "'regression.task.smoothness'.*did you mean 'mixed'"),
        (("fixed_order",), ["ssm3"], "'regression.fixed_order' names 'ssm3'"),
        (("analysis", "transformer"), "tf2", "'regression.analysis.transformer' names 'tf2'"),
        (("train", "lrs"), [], "'regression.train.lrs' must list at least one value"),
        (("n_train",), [32, 16], "'regression.n_train' must be at least two increasing sizes"),
        (("train", "d_models"), [5], r"'regression.train.d_models' \(5\) must be divisible by the 2 heads of 'tf'"),
    ],
)
def test_bad_params_name_their_full_key(path, value, message):
    section = copy.deepcopy(TINY_REGRESSION)
    node = section
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    with pytest.raises(ConfigError, match=message):
        from_params(section)


def test_a_model_may_not_take_the_references_name():
    section = copy.deepcopy(TINY_REGRESSION)
    section["models"]["references"] = section["models"]["ssm1"]
    with pytest.raises(ConfigError, match="'regression.models' 'references' names the reference run file"):
        from_params(section)
