"""Always-valid monitoring (analysis.sequential): the gbstats fixtures, the false-positive rate under
daily peeking against naive fixed-horizon intervals, and the sequential SRM check."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from analysis import sequential as sq
from analysis.stats import Moments


def test_gbstats_relative_means_fixture_to_five_decimals():
    """growthbook packages/stats/tests/frequentist/test_tests.py, TestSequentialTTest: relative
    effect of SampleMeanStatistic(sum=1396.87, sum_squares=52377.9767, n=3000) against
    (2422.7, 134698.29, 3461) with N* = 1000."""
    a, b = Moments(3000, 1396.87, 52377.9767), Moments(3461, 2422.7, 134698.29)
    e = sq.effect(a, b, n_star=1000)
    assert round(e.lift, 5) == 0.50336
    assert (round(e.lift_cs_lower, 5), round(e.lift_cs_upper, 5)) == (-0.55844, 1.56516)
    assert round(e.lift_se, 5) == 0.33341


def test_gbstats_proportions_fixture_through_the_halfwidth():
    """ProportionStatistic(1396, 3000) against (2422, 3461), relative, N* = 5000: 0.50386, CI
    (0.40098, 0.60675). A proportion's variance is p(1 - p) (no n - 1), the rest is the same formula."""
    pa, pb, na, nb = 1396 / 3000, 2422 / 3461, 3000, 3461
    va, vb = pa * (1 - pa), pb * (1 - pb)
    lift = pb / pa - 1
    se = math.sqrt(vb / (nb * pa**2) + pb**2 * va / (na * pa**4))
    hw = sq.halfwidth(se, na + nb, 0.05, 5000)
    assert round(lift, 5) == 0.50386
    assert (round(lift - hw, 5), round(lift + hw, 5)) == (0.40098, 0.60675)


def test_always_valid_p_is_below_alpha_exactly_when_the_sequence_excludes_zero():
    for se, n in ((0.1, 500), (0.05, 4000), (0.02, 30000)):
        hw = sq.halfwidth(se, n)
        assert sq.always_valid_p(hw * 1.0001, se, n) < 0.05 < sq.always_valid_p(hw * 0.9999, se, n)


def test_aa_daily_peeking_keeps_the_always_valid_level_and_breaks_the_naive_one():
    """2,000 A/A experiments, 30 daily looks each (150 new members per arm a day, skewed counts):
    the share in which the interval excludes zero at some look. Always valid: at most 5% plus two
    Monte Carlo standard errors; naive daily 95% intervals (Welch): at least 20%. All looks at once:
    cumulative sums per arm, the sequence's half-width on arrays."""
    rng = np.random.default_rng(12)
    reps, looks, per_day = 2000, 30, 150
    y = rng.poisson(rng.gamma(0.5, 4.0, size=(reps, 2, looks * per_day))).astype(float)
    at = np.arange(1, looks + 1) * per_day - 1  # the last member of each look
    s1, s2 = np.cumsum(y, axis=2)[:, :, at], np.cumsum(y * y, axis=2)[:, :, at]
    m = at + 1.0
    mean, var = s1 / m, (s2 - s1 * s1 / m) / (m - 1)
    diff = mean[:, 1] - mean[:, 0]
    se = np.sqrt(var[:, 0] / m + var[:, 1] / m)
    hw = sq.halfwidth(se, 2 * m)
    cs_any = (np.abs(diff) > hw).any(axis=1)
    a, b = var[:, 0] / m, var[:, 1] / m
    dof = (a + b) ** 2 / (a * a / (m - 1) + b * b / (m - 1))
    naive_any = (2 * stats.t.sf(np.abs(diff) / se, dof) < 0.05).any(axis=1)
    # the array path is the scalar one
    e = sq.effect(Moments(m[0], s1[0, 0, 0], s2[0, 0, 0]), Moments(m[0], s1[0, 1, 0], s2[0, 1, 0]))
    assert e.cs_upper - e.effect == pytest.approx(hw[0, 0], rel=1e-12)
    mc_se = math.sqrt(0.05 * 0.95 / reps)
    assert cs_any.mean() <= 0.05 + 2 * mc_se
    assert naive_any.mean() >= 0.20


def test_cuped_sequence_is_narrower_and_centred_like_the_fixed_horizon_cuped():
    from analysis.stats import cuped

    rng = np.random.default_rng(3)
    x = rng.gamma(1.0, 3.0, size=(2, 4000))
    y = rng.poisson(0.8 * x + 1) + np.r_[0, 1][:, None] * rng.poisson(0.3, size=(2, 4000))
    a, b = Moments.of(y[0], x[0]), Moments.of(y[1], x[1])
    raw, adj = sq.effect(a, b), sq.effect(a, b, cuped=True)
    fixed = cuped(a, b)
    assert adj.effect == pytest.approx(fixed.effect, rel=1e-12) and adj.se == pytest.approx(
        fixed.se, rel=1e-12
    )
    assert adj.cs_upper - adj.cs_lower < raw.cs_upper - raw.cs_lower
    # the always-valid interval is wider than the fixed-horizon one at the same look
    assert adj.cs_upper - adj.cs_lower > fixed.ci_upper - fixed.ci_lower


def test_sequential_srm():
    """gbstats test_ssrm: [100, 900] against 50/50 gives p < 0.05; [500, 500] gives p > 0.05. Under the
    planned split, checking after every one of 30 daily batches flags at most 5% of experiments."""
    assert sq.srm_p_values([[100, 900]], [0.5, 0.5])[-1] < 0.05
    assert sq.srm_p_values([[500, 500]], [0.5, 0.5])[-1] > 0.05
    rng = np.random.default_rng(5)
    flagged = 0
    for _ in range(1000):
        daily = rng.multinomial(300, [0.5, 0.3, 0.2], size=30).cumsum(axis=0)
        p = sq.srm_p_values(daily, [5, 3, 2])
        assert np.all(np.diff(p) <= 0)  # a running minimum: once flagged, flagged
        flagged += p[-1] < 0.05
    assert flagged / 1000 <= 0.05
    # a real 52/48 imbalance in a 50/50 plan is caught as the counts grow
    grow = np.cumsum(rng.multinomial(2000, [0.52, 0.48], size=30), axis=0)
    assert sq.srm_p_values(grow, [1, 1])[-1] < 0.001
    assert stats.chisquare(grow[-1]).pvalue < 0.001
