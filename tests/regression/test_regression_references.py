"""The known-rate references: the oracle sieve recovers a known function and matches its slow oracle;
the k-NN baseline matches scikit-learn; ignoring Gamma costs."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from tokensel.regression.config import ReferencesConfig, TaskConfig
from tokensel.regression.data import make_splits
from tokensel.regression.references import knn_no_gamma, knn_reference, oracle_sieve, sieve_fit_reference

TASK = TaskConfig(d=2, seq_len=8, window=4, top_j=2, max_basis=64, sigma=0.5, delta=0.05)
REFS = ReferencesConfig(sieve_max_basis=64, ridges=(1e-3, 1e-1, 10.0), knn_ks=(1, 4, 16))


def test_sieve_recovers_a_known_function_without_noise():
    task = dataclasses.replace(TASK, sigma=0.0, max_basis=16)
    splits = make_splits(task, "dynamic", 64, 32, 64, seed=0)
    fits = oracle_sieve(splits, (16, 64), REFS)
    assert fits[-1].size == splits.g.basis.n_basis  # the whole series is affordable at n = 64
    assert fits[-1].risk < 1e-4  # excess risk relative to Var F = 1


def test_sieve_equals_its_slow_oracle_at_the_chosen_truncation():
    splits = make_splits(TASK, "dynamic", 128, 64, 64, seed=1)
    sizes = (32, 128)
    for n, fit in zip(sizes, oracle_sieve(splits, sizes, REFS)):
        assert fit.risk == pytest.approx(sieve_fit_reference(splits, n, fit.size, fit.ridge), rel=1e-6)


def test_sieve_risk_falls_with_n_and_beats_knn_without_gamma():
    splits = make_splits(TASK, "dynamic", 256, 128, 128, seed=2)
    sizes = (16, 64, 256)
    sieve = [f.risk for f in oracle_sieve(splits, sizes, REFS)]
    knn = [f.risk for f in knn_no_gamma(TASK, splits, sizes, REFS)]
    assert sieve[0] > sieve[1] > sieve[2]
    assert all(k > 5 * s for k, s in zip(knn, sieve))


def test_knn_equals_scikit_learn_at_the_chosen_k():
    splits = make_splits(TASK, "fixed", 64, 32, 32, seed=3)
    sizes = (8, 64)
    for n, fit in zip(sizes, knn_no_gamma(TASK, splits, sizes, REFS)):
        assert fit.size in REFS.knn_ks
        assert fit.risk == pytest.approx(knn_reference(TASK, splits, n, fit.size), rel=1e-9)


def test_truncation_is_limited_by_the_data():
    splits = make_splits(TASK, "dynamic", 4, 32, 32, seed=4)
    fit = oracle_sieve(splits, (4,), REFS)[0]
    rows = 4 * TASK.n_outputs
    assert 2 * fit.size <= rows and np.isfinite(fit.risk)
