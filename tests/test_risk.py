"""Who is about to leave (analysis.risk): features and outcomes against raw rows, the scores against
scipy and statsmodels, and the backtest on simulated communities."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from analysis import risk
from analysis.data import load
from analysis.synth import SynthConfig, generate

DEMO = Path(__file__).resolve().parents[1] / "data" / "demo"


def _active_days(folder: Path, tz: str) -> pd.DataFrame:
    """Every (member, local day) with an event, straight from the raw Parquet rows."""
    ev = pd.read_parquet(folder / "events.parquet", columns=["member_id", "ts"])
    ev["day"] = pd.to_datetime(ev["ts"], utc=True).dt.tz_convert(tz).dt.tz_localize(None).dt.normalize()
    return ev[["member_id", "day"]].drop_duplicates()


def test_features_and_outcomes_match_raw_rows(synth_small):
    folder, _ = synth_small
    src = load(folder)
    rules = risk.RiskRules()
    d = src.default_as_of() - timedelta(days=rules.lag + 7)
    feats = risk.features(src, d, src.default_as_of(), rules)
    y = risk.outcomes(src, feats, d, rules)
    days = _active_days(folder, src.tz)
    day = pd.Timestamp(d)
    hist = days[(days["day"] <= day) & (days["day"] > day - pd.Timedelta(days=56))]
    last = hist.groupby("member_id")["day"].max()
    active = last[last > day - pd.Timedelta(days=rules.churn_days)]
    assert set(feats["member_id"]) == set(active.index)
    f = feats.set_index("member_id")
    assert (f["recency"] == (day - active).dt.days.reindex(f.index)).all()
    for n in (7, 28, 56):
        ref = hist[hist["day"] > day - pd.Timedelta(days=n)].groupby("member_id").size()
        assert (f[f"active_{n}"] == ref.reindex(f.index).fillna(0)).all(), n
    # churned: some active day from the last one on or before d up to d + horizon is followed by
    # churn_days quiet days
    horizon_end = day + pd.Timedelta(days=rules.horizon_days)
    later = days[days["member_id"].isin(active.index)].sort_values(["member_id", "day"])
    later = later[later["day"] >= later["member_id"].map(active)]
    nxt = later.groupby("member_id")["day"].shift(-1)
    quiet = (nxt - later["day"]).dt.days.fillna(10**6) > rules.churn_days
    ref_y = (quiet & (later["day"] <= horizon_end)).groupby(later["member_id"]).any()
    assert (y.to_numpy() == ref_y.reindex(feats["member_id"]).to_numpy()).all()
    assert 0.05 < y.mean() < 0.95


def test_features_use_no_data_after_the_landmark(synth_small):
    src = load(synth_small[0])
    d = src.default_as_of() - timedelta(days=40)
    a = risk.features(src, d, d).drop(columns=["landmark"])
    b = risk.features(src, d, src.default_as_of()).drop(columns=["landmark"])
    pd.testing.assert_frame_equal(a, b)


def test_scores_against_independent_computations():
    rng = np.random.default_rng(5)
    p = rng.uniform(0.02, 0.98, 40_000)
    y = rng.uniform(size=p.size) < p
    u = stats.mannwhitneyu(p[y], p[~y]).statistic
    assert risk.auc(y, p) == pytest.approx(u / (y.sum() * (~y).sum()), rel=1e-12)
    slope, intercept = risk.calibration(y, p)
    assert slope == pytest.approx(1, abs=0.05) and intercept == pytest.approx(0, abs=0.05)
    lp = np.log(p / (1 - p))
    fit = sm.Logit(y.astype(float), sm.add_constant(lp)).fit(disp=0)
    assert slope == pytest.approx(fit.params[1], rel=1e-6)
    over = 1 / (1 + np.exp(-2 * lp))  # too extreme: the slope says so
    assert risk.calibration(y, over)[0] == pytest.approx(0.5, abs=0.03)
    assert risk.ici(y, p) < 0.01 and risk.ici(y, np.clip(p + 0.1, 0, 1)) > 0.08
    assert risk.top_capture(
        np.array([1, 0, 1, 0, 0, 0, 0, 0, 0, 1], bool), np.arange(10) / 10
    ) == pytest.approx(1 / 3)


@pytest.fixture(scope="module")
def communities(tmp_path_factory):
    """The demo community and two more simulated ones (20,000 members each)."""
    out = [DEMO]
    for seed in (3, 11):
        folder = tmp_path_factory.mktemp(f"risk{seed}")
        generate(SynthConfig(members=20_000, seed=seed), folder)
        out.append(folder)
    return out


def test_backtest_is_calibrated_and_beats_recency(communities):
    """Fit at as_of - horizon - churn_days with data up to then; scored on what happened by as_of. The
    calibration slope is within 0.9-1.1 everywhere. The ICI is below 0.02 on the demo and seed 11 and
    0.024 on seed 3, where the churn rate drifted between the training landmark and the fit date (its
    calibration intercept is -0.14); the bound here is 0.03 for all three. The top-10% capture cannot
    tell the models apart: with 40% churning, the riskiest 10% can hold at most 10/40 of the churners
    and both models reach within 1.5 points of that ceiling; the AUC is where the model earns its
    features."""
    for folder in communities:
        src = load(folder)
        b = risk.backtest(src, src.default_as_of()).table.set_index("model")
        m, r = b.loc["risk model"], b.loc["recency"]
        assert 0.9 <= m["calibration_slope"] <= 1.1, (folder, m)
        assert m["ici"] < (0.02 if folder == DEMO else 0.03), (folder, m)
        assert m["auc"] > r["auc"] + 0.02, (folder, m, r)
        ceiling = 0.1 * m["members"] / m["churned"]
        assert m["top10_capture"] > ceiling - 0.015 and m["top10_capture"] >= r["top10_capture"] - 0.002


def test_risk_now_lists_members_with_reasons_and_expected_leavers(communities):
    src = load(communities[0])
    now = risk.risk_now(src, src.default_as_of())
    members = now.member_list()
    assert members["risk"].between(0, 1).all() and members["risk"].is_monotonic_decreasing
    assert members["reasons"].str.len().gt(0).mean() > 0.9
    leavers = risk.expected_leavers(now.members)
    assert leavers["tier"].iloc[0] == "core"
    assert leavers["expected"].sum() == pytest.approx(now.members["risk"].sum())
    assert (leavers["lower"] <= leavers["expected"]).all() and (leavers["expected"] <= leavers["upper"]).all()
    drivers = risk.drivers(now.model, now.train).set_index(["feature", "level"])
    assert drivers.loc[("recency", "p10 → p90"), "odds_ratio"] > 1  # longer away, likelier to leave


@pytest.mark.parametrize(("days", "has_now"), [(150, True), (100, False)])
def test_a_short_log_says_how_long_it_must_be_instead_of_failing(tmp_path, days, has_now):
    """150 days: enough for the risk now (it needs horizon + churn_days + 56 days) but not its backtest
    (twice the lag); 100 days: neither. The tables keep the output contract's columns, empty."""
    from analysis import i18n, narrative

    generate(SynthConfig(members=500, seed=11, days=days), tmp_path)
    src = load(tmp_path)
    part = risk.section(src, src.default_as_of())
    assert part.backtest is None and (part.now is not None) == has_now
    assert part.log_start > part.backtest_needs
    assert list(part.backtest_table.columns) == risk.BACKTEST_COLUMNS and part.backtest_table.empty
    assert list(part.reliability.columns) == risk.RELIABILITY_COLUMNS and part.reliability.empty
    assert (not part.leavers.empty) == has_now and (not part.member_list().empty) == has_now
    for lang in ("en", "zh"):
        t = i18n.translator(lang)
        text = " ".join(narrative.risk_findings(part, 30, 30, t))
        needed = part.backtest_needs if has_now else part.now_needs
        assert t.day(needed) in text and t.day(part.log_start) in text


def test_the_logistic_fit_equals_statsmodels_glm():
    """risk.logistic (Newton on the normal equations) against statsmodels' GLM Binomial on the same
    design: coefficients to 1e-8, covariance to 1e-8 of its largest entry."""
    src = load(DEMO)
    train, y = risk.training_set(
        src, src.default_as_of() - timedelta(days=60), src.default_as_of(), risk.RiskRules()
    )
    model = risk.fit(train, y)
    x = model.design(train)
    ref = sm.GLM(y.astype(float).to_numpy(), x, family=sm.families.Binomial()).fit()
    np.testing.assert_allclose(model.params.to_numpy(), ref.params.to_numpy(), atol=1e-8)
    cov = ref.cov_params().to_numpy()
    np.testing.assert_allclose(model.cov.to_numpy(), cov, atol=1e-8 * np.abs(cov).max())
