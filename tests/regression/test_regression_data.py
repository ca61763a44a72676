"""Tests of the piecewise gamma-smooth regression generator and the log-log rate fit."""

from __future__ import annotations

import numpy as np
import pytest

from tokensel.core.errors import ConfigError
from tokensel.core.params import build
from tokensel.core.stats import fit_loglog_slope
from tokensel.regression.config import RegressionTaskConfig
from tokensel.regression.data import gamma_map, importance, make_splits, sample_regression, window_margin
from tokensel.regression.smooth import (
    a_dagger,
    design_matrix,
    draw_smooth_function,
    predicted_exponent,
    resolved_t_max,
    smoothness_matrix,
    trig_basis,
)


def from_params(values: dict) -> RegressionTaskConfig:
    return build(RegressionTaskConfig, values, "regression.task")

# Few Monte-Carlo points make draws cheap where the sup rescaling is not under test.
FAST = {"n_sup_points": 256}


@pytest.fixture(scope="module")
def cfg() -> RegressionTaskConfig:
    return RegressionTaskConfig()


@pytest.fixture(scope="module")
def g(cfg: RegressionTaskConfig):
    return draw_smooth_function(cfg, 0)


# ----------------------------------------------------------------------------- Gamma


def test_gamma_sorts_hand_example() -> None:
    window = np.array([[0.1, 0.0], [0.9, 1.0], [0.5, 2.0], [0.7, 3.0]])
    scores = window[:, 0]
    out = gamma_map(window, scores, 3)
    np.testing.assert_array_equal(out, [[0.9, 1.0], [0.7, 3.0], [0.5, 2.0]])
    # Scores other than the first coordinate: the order follows the scores, not the tokens.
    out = gamma_map(window, np.array([4.0, 1.0, 3.0, 2.0]), 2)
    np.testing.assert_array_equal(out, [[0.1, 0.0], [0.5, 2.0]])


def test_gamma_is_permutation_invariant_within_windows() -> None:
    rng = np.random.default_rng(0)
    windows = rng.random((50, 8, 3))
    scores = rng.random((50, 8))
    base = gamma_map(windows, scores, 3)
    for _ in range(5):
        perm = np.argsort(rng.random((50, 8)), axis=1)  # a different permutation per window
        permuted = gamma_map(
            np.take_along_axis(windows, perm[..., None], axis=1),
            np.take_along_axis(scores, perm, axis=1),
            3,
        )
        np.testing.assert_array_equal(permuted, base)
    # ... while permuting tokens without their scores does change it.
    assert not np.array_equal(gamma_map(windows[:, ::-1], scores, 3), base)


def test_target_equals_g_of_sorted_window(cfg: RegressionTaskConfig, g) -> None:
    s = sample_regression(cfg, g, 4, seed=3)
    X = s.X.astype(np.float64)
    for b, t in [(0, cfg.window - 1), (1, 20), (3, cfg.seq_len - 1)]:
        win = X[b, t - cfg.window + 1 : t + 1]
        ranked = sorted(win, key=lambda x: -x[0])[: cfg.top_j]  # mu(x) = x_1
        expected = g(np.concatenate(ranked))
        assert s.y_clean[b, t] == pytest.approx(expected, abs=1e-6)


def test_fixed_order_ignores_importance(g) -> None:
    base = dict(fixed_order=True, **FAST)
    lin = sample_regression(RegressionTaskConfig(importance="linear", **base), g, 8, seed=1)
    sine = sample_regression(RegressionTaskConfig(importance="sine", **base), g, 8, seed=1)
    ctx = sample_regression(
        RegressionTaskConfig(importance="sine", context_dependent=True, **base), g, 8, seed=1
    )
    np.testing.assert_array_equal(lin.X, sine.X)
    np.testing.assert_array_equal(lin.y_clean, sine.y_clean)
    np.testing.assert_array_equal(lin.y_clean, ctx.y_clean)
    # Newest token first: F_fix(X)_t = g(x_t, x_{t-1}, x_{t-2}).
    X = lin.X.astype(np.float64)
    t = 15
    assert lin.y_clean[2, t] == pytest.approx(g(X[2, [t, t - 1, t - 2]].reshape(-1)), abs=1e-6)
    # The sorted task does depend on the importance, so the comparison above can fail.
    srt_lin = sample_regression(RegressionTaskConfig(importance="linear", **FAST), g, 8, seed=1)
    srt_sine = sample_regression(RegressionTaskConfig(importance="sine", **FAST), g, 8, seed=1)
    assert not np.allclose(srt_lin.y_clean, srt_sine.y_clean)


def test_importance_kinds_and_context() -> None:
    tokens = np.array([[0.2, 0.25], [0.6, 0.0], [0.4, 0.75]])
    lin = importance(tokens, RegressionTaskConfig(**FAST))
    np.testing.assert_allclose(lin, [0.2, 0.6, 0.4])
    sine = importance(tokens, RegressionTaskConfig(importance="sine", **FAST))
    np.testing.assert_allclose(sine, [0.1 + 0.25, 0.3, 0.2 - 0.25], atol=1e-12)
    ctx = importance(tokens, RegressionTaskConfig(context_dependent=True, **FAST))
    np.testing.assert_allclose(ctx, [0.2, 0.6 + 0.5 * 0.2, 0.4 + 0.5 * 0.6])


# ----------------------------------------------------------------------------- smoothness


def test_smoothness_matrix_and_a_dagger_defaults(cfg: RegressionTaskConfig) -> None:
    np.testing.assert_allclose(smoothness_matrix(cfg), [[1.0, 2.0, 3.0], [1.5, 3.0, 4.5]])
    assert a_dagger(cfg) == pytest.approx(1.0)
    assert predicted_exponent(cfg) == pytest.approx(-2.0 / 3.0)
    aniso = RegressionTaskConfig(smoothness="anisotropic", **FAST)
    # 1/a summed: 1 + 1/2 + 1/3 + 2/3 + 1/3 + 2/9 = 55/18.
    assert a_dagger(aniso) == pytest.approx(18.0 / 55.0)
    a = 18.0 / 55.0
    assert predicted_exponent(aniso) == pytest.approx(-2 * a / (2 * a + 1))


def test_smoothness_matrix_other_case() -> None:
    cfg = RegressionTaskConfig(d=3, top_j=2, window=4, a0=2.0, alpha=0.5, kappa=1.0, **FAST)
    expected = 2.0 * np.array([[1, 2**0.5], [2, 2 * 2**0.5], [3, 3 * 2**0.5]])
    np.testing.assert_allclose(smoothness_matrix(cfg), expected)
    assert a_dagger(cfg) == pytest.approx(2.0)
    flat = RegressionTaskConfig(
        d=1, top_j=2, window=2, a0=2.0, alpha=0.0, kappa=0.0, smoothness="anisotropic", **FAST
    )
    assert a_dagger(flat) == pytest.approx(1.0)


def test_basis_blocks_respect_t_max_and_block_sizes(cfg: RegressionTaskConfig) -> None:
    for kind in ("mixed", "anisotropic"):
        c = RegressionTaskConfig(smoothness=kind, **FAST)
        basis = trig_basis(c)
        assert 1 < basis.n_basis <= c.max_basis
        assert np.all(basis.gamma < basis.t_max)
        counts = np.bincount(basis.block_index)
        np.testing.assert_array_equal(counts, 2 ** basis.blocks.sum(axis=1))
        # Every frequency lies in its block: floor(2^{s-1}) <= |l| < 2^s per coordinate.
        s = basis.blocks[basis.block_index]
        lo = np.where(s == 0, 0, 2 ** np.maximum(s - 1, 0))
        assert np.all((np.abs(basis.freqs) >= lo) & (np.abs(basis.freqs) < 2**s))
        assert len({tuple(f) for f in basis.freqs}) == basis.n_basis
    explicit = RegressionTaskConfig(t_max=3.0, **FAST)
    assert resolved_t_max(explicit) == 3.0
    assert np.all(trig_basis(explicit).gamma < 3.0)
    with pytest.raises(ConfigError, match="t_max"):
        trig_basis(RegressionTaskConfig(t_max=50.0, **FAST))


def test_basis_is_orthonormal() -> None:
    cfg = RegressionTaskConfig(d=1, top_j=2, window=2, t_max=4.0, **FAST)
    basis = trig_basis(cfg)
    # A grid finer than twice the largest frequency integrates trigonometric products exactly.
    m = 4 * int(np.abs(basis.freqs).max()) + 4
    grid = (np.arange(m) + 0.5) / m
    z = np.stack(np.meshgrid(grid, grid, indexing="ij"), -1).reshape(-1, 2)
    psi = design_matrix(basis.freqs, z)
    np.testing.assert_allclose(psi.T @ psi / z.shape[0], np.eye(basis.n_basis), atol=1e-10)


def test_coefficients_decay_like_two_to_minus_gamma(cfg: RegressionTaskConfig) -> None:
    c = RegressionTaskConfig(n_sup_points=64)
    draws = [draw_smooth_function(c, seed) for seed in range(25)]
    basis = draws[0].basis
    raw = np.stack([d.coef / d.scale for d in draws])  # undo the common sup rescaling
    sizes = 2.0 ** basis.blocks.sum(axis=1)
    rms = np.sqrt(
        np.array([np.mean(raw[:, basis.block_index == b] ** 2) for b in range(len(sizes))])
    )
    # ||delta_s(g)||_2 = rms * sqrt(|block|) should be 2^{-gamma(s)}: slope -1 in log2.
    log_norm = np.log2(rms * np.sqrt(sizes))
    slope, intercept = np.polyfit(basis.gamma, log_norm, 1)
    assert slope == pytest.approx(-1.0, abs=0.1)
    assert abs(intercept) < 0.3
    assert np.max(np.abs(log_norm + basis.gamma)) < 0.6


def test_sup_norm_bounded_on_fresh_points(cfg: RegressionTaskConfig, g) -> None:
    z = np.random.default_rng(12345).random((50_000, cfg.input_dim))
    values = np.abs(g(z))
    assert values.max() <= 1.05 * cfg.b_f
    assert values.max() >= 0.7 * cfg.b_f  # the rescaling is not vacuously conservative
    g2 = draw_smooth_function(RegressionTaskConfig(b_f=2.5), 7)
    assert np.abs(g2(z[:20_000])).max() <= 1.05 * 2.5


# ----------------------------------------------------------------------------- sampling


def test_sample_shapes_mask_and_noise(cfg: RegressionTaskConfig, g) -> None:
    s = sample_regression(cfg, g, 64, seed=0)
    assert s.X.shape == (64, cfg.seq_len, cfg.d) and s.X.dtype == np.float32
    assert s.y.shape == s.y_clean.shape == s.valid.shape == s.margin.shape == (64, cfg.seq_len)
    assert 0.0 <= s.X.min() and s.X.max() <= 1.0
    assert not s.valid[:, : cfg.window - 1].any() and s.valid[:, cfg.window - 1 :].all()
    assert np.all(s.y[~s.valid] == 0) and np.all(np.isnan(s.margin[~s.valid]))
    assert np.all(np.isfinite(s.y)) and np.all(np.isfinite(s.margin[s.valid]))
    resid = (s.y - s.y_clean)[s.valid]
    assert resid.std() == pytest.approx(cfg.sigma, rel=0.1)


def test_determinism_and_prefix(cfg: RegressionTaskConfig) -> None:
    g1, g2, g3 = (draw_smooth_function(RegressionTaskConfig(**FAST), s) for s in (5, 5, 6))
    np.testing.assert_array_equal(g1.coef, g2.coef)
    assert not np.allclose(g1.coef, g3.coef)
    a = sample_regression(cfg, g1, 16, seed=9)
    b = sample_regression(cfg, g1, 16, seed=9)
    other = sample_regression(cfg, g1, 16, seed=10)
    for field in ("X", "y", "y_clean", "margin"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
    assert not np.array_equal(a.X, other.X) and not np.array_equal(a.y, other.y)
    small = sample_regression(cfg, g1, 5, seed=9)
    np.testing.assert_array_equal(small.X, a.X[:5])
    np.testing.assert_array_equal(small.y, a.y[:5])
    seq = np.random.SeedSequence(4)
    np.testing.assert_array_equal(
        sample_regression(cfg, g1, 3, seq).X, sample_regression(cfg, g1, 3, seq).X
    )


def test_splits_are_disjoint_and_share_g() -> None:
    c = RegressionTaskConfig(**FAST)
    splits = make_splits(c, 300, 100, 200, seed=0)
    rows = {
        name: {x.tobytes() for x in getattr(splits, name).X} for name in ("train", "val", "test")
    }
    assert len(rows["train"]) == 300 and len(rows["val"]) == 100 and len(rows["test"]) == 200
    assert not rows["train"] & rows["val"]
    assert not rows["train"] & rows["test"]
    assert not rows["val"] & rows["test"]
    again = make_splits(c, 300, 100, 200, seed=0)
    np.testing.assert_array_equal(again.test.y, splits.test.y)
    np.testing.assert_array_equal(again.g.coef, splits.g.coef)


def test_margin_rejection_raises_minimum_margin(g) -> None:
    plain = sample_regression(RegressionTaskConfig(**FAST), g, 200, seed=2)
    strict = sample_regression(RegressionTaskConfig(delta=0.01, **FAST), g, 200, seed=2)
    assert np.nanmin(plain.margin) < 0.01
    assert np.nanmin(strict.margin) >= 0.01
    assert np.nanmedian(strict.margin) > np.nanmedian(plain.margin)
    with pytest.raises(ConfigError, match="delta"):
        sample_regression(RegressionTaskConfig(delta=0.5, **FAST), g, 10, seed=2)


def test_window_margin_hand_example() -> None:
    scores = np.array([0.9, 0.1, 0.5, 0.7, 0.0])
    # Sorted 0.9, 0.7, 0.5, 0.1: gaps 0.2, 0.2, 0.4 weighted by j^beta = 1, 2, 3 -> min 0.2.
    assert window_margin(scores, 3, 1.0) == pytest.approx(0.2)
    assert window_margin(scores, 3, 0.0) == pytest.approx(0.2)
    assert window_margin(scores, 1, 1.0) == pytest.approx(0.2)
    assert window_margin(scores[:1], 1, 1.0) == np.inf


# ----------------------------------------------------------------------------- rate fit


def test_fit_loglog_slope_recovers_known_slope() -> None:
    rng = np.random.default_rng(0)
    n = 2.0 ** np.arange(8, 15)
    risk = 3.0 * n[:, None] ** -0.67 * np.exp(0.1 * rng.standard_normal((n.size, 5)))
    fit = fit_loglog_slope(n, risk)
    assert fit.slope == pytest.approx(-0.67, abs=0.05)
    assert fit.ci_low <= -0.67 <= fit.ci_high
    assert fit.ci_low < fit.slope < fit.ci_high
    assert np.exp(fit.intercept) == pytest.approx(3.0, rel=0.3)
    # Seeds on axis 0 give the same answer; the interval is reproducible.
    assert fit_loglog_slope(n, risk.T, seed_axis=0) == fit
    single = fit_loglog_slope(n, risk[:, 0])
    assert np.isnan(single.ci_low) and single.slope == pytest.approx(-0.67, abs=0.05)


def test_fit_loglog_slope_rejects_bad_input() -> None:
    n = np.array([10.0, 100.0])
    with pytest.raises(ConfigError):
        fit_loglog_slope(n, np.array([[1.0, 1.0], [0.0, 1.0]]))
    with pytest.raises(ConfigError):
        fit_loglog_slope(np.array([10.0, 10.0]), np.ones((2, 3)))
    with pytest.raises(ConfigError):
        fit_loglog_slope(np.array([10.0, 100.0, 1000.0]), np.ones((2, 3)))


# ----------------------------------------------------------------------------- config errors


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"a0": 0.0}, "a0"),
        ({"a0": -1.0}, "a0"),
        ({"alpha": -0.1}, "alpha"),
        ({"kappa": -0.5}, "kappa"),
        ({"top_j": 0}, "top_j"),
        ({"top_j": 9, "window": 8}, "top_j"),
        ({"window": 40, "seq_len": 32}, "window"),
        ({"d": 0}, "d"),
        ({"sigma": -0.1}, "sigma"),
        ({"smoothness": "isotropic"}, "smoothness"),
        ({"importance": "cubic"}, "importance"),
        ({"importance": "sine", "d": 1}, "importance"),
        ({"delta": -1.0}, "delta"),
        ({"b_f": 0.0}, "b_f"),
        ({"t_max": 0.0}, "t_max"),
    ],
)
def test_config_errors_name_the_field(kwargs: dict, field: str) -> None:
    with pytest.raises(ConfigError, match=rf"regression\.task\.{field}\b"):
        from_params(kwargs)


def test_unknown_kind_lists_allowed_values() -> None:
    with pytest.raises(ConfigError, match="mixed, anisotropic"):
        from_params({"smoothness": "isotropic"})
    with pytest.raises(ConfigError, match="linear, sine"):
        from_params({"importance": "cubic"})


def test_from_mapping_round_trip_and_typo() -> None:
    cfg = from_params({"d": 4, "top_j": 2, "smoothness": "anisotropic"})
    assert (cfg.d, cfg.top_j, cfg.smoothness) == (4, 2, "anisotropic")
    with pytest.raises(ConfigError, match="Did you mean 'top_j'") as err:
        from_params({"top_k": 3})
    assert "top_k" in str(err.value) and "seq_len" in str(err.value)
    with pytest.raises(ConfigError, match="Did you mean 'sigma'"):
        from_params({"sigmaa": 0.1})
