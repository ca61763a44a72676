import math

import numpy as np
import pytest

from tokensel.core.stats import paired_ratio


def test_paired_ratio_cancels_what_slows_both_members_of_a_pair():
    load = np.array([1.0, 3.0, 0.5, 7.0, 2.0])  # drifting machine load, common to both members
    estimate = paired_ratio(2.0 * load, load)
    assert estimate.ratio == pytest.approx(2.0)
    assert estimate.ci_low == pytest.approx(2.0) and estimate.ci_high == pytest.approx(2.0) and estimate.n == 5


def test_paired_ratio_interval_is_a_t_interval_on_the_log_ratios():
    logs = np.array([0.0, 0.1, -0.1])
    estimate = paired_ratio(np.exp(logs), np.ones(3))
    half = 4.302653 * 0.1 / math.sqrt(3)  # t_{0.975, 2} * sd / sqrt(n)
    assert estimate.ratio == pytest.approx(1.0)
    assert estimate.ci_low == pytest.approx(math.exp(-half), rel=1e-6)
    assert estimate.ci_high == pytest.approx(math.exp(half), rel=1e-6)


def test_paired_ratio_drops_unmeasured_pairs_and_has_no_interval_from_one_pair():
    estimate = paired_ratio([4.0, np.nan, 3.0], [2.0, 1.0, 0.0])
    assert estimate.ratio == pytest.approx(2.0) and estimate.n == 1
    assert math.isnan(estimate.ci_low) and math.isnan(estimate.ci_high)
    assert math.isnan(paired_ratio([np.nan], [1.0]).ratio)


def test_blocked_pairs_rest_the_interval_on_the_block_medians():
    # Two blocks whose ratios differ (drift between them): within-block agreement must not narrow it.
    a = np.array([2.0, 2.0, 2.0, 3.0, 3.0, 3.0])
    b = np.ones(6)
    unblocked = paired_ratio(a, b)
    blocked = paired_ratio(a, b, blocks=[0, 0, 0, 1, 1, 1])
    assert blocked.n == 2 and unblocked.n == 6
    assert blocked.ratio == pytest.approx(unblocked.ratio) == pytest.approx(math.sqrt(6.0))
    assert blocked.ci_high / blocked.ci_low > unblocked.ci_high / unblocked.ci_low


def test_a_disturbed_pair_does_not_move_its_block():
    a = np.array([2.0, 2.0, 9.0, 2.0, 2.0, 2.0])  # one pair slowed by a burst of load
    blocked = paired_ratio(a, np.ones(6), blocks=[0, 0, 0, 1, 1, 1])
    assert blocked.ratio == pytest.approx(2.0) and blocked.ci_low == pytest.approx(2.0)


def test_growth_fit_tells_a_power_from_a_power_of_the_logarithm():
    from tokensel.core.stats import growth_fit

    x = 2.0 ** np.arange(2, 16)
    power, polylog = growth_fit(x, 3 * x**0.5), growth_fit(x, 3 * np.log(x) ** 2)
    assert power.power == pytest.approx(0.5) and power.power_rss < power.polylog_rss
    assert polylog.polylog == pytest.approx(2.0) and polylog.polylog_rss < polylog.power_rss
    short = growth_fit(np.array([1.0, 4.0, np.nan]), np.array([2.0, 3.0, 4.0]))  # x = 1 and NaN are not usable
    assert short.points == 1 and np.isnan(short.power)
