"""Churn survival: published reference numbers, toy histories pinned day by day, and simulations."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis import cox, narrative
from analysis import survival as sv
from analysis.data import load
from analysis.survival import ChurnRules

from conftest import write_source

# --------------------------------------------------------------------------------------------------
# published reference values


@pytest.fixture(scope="module")
def rossi():
    from lifelines.datasets import load_rossi

    return load_rossi()


R_COEF = {
    "fin": -0.3794222,
    "age": -0.0574377,
    "race": 0.3138998,
    "wexp": -0.1497957,
    "mar": -0.4337039,
    "paro": -0.0848711,
    "prio": 0.0914971,
}
R_SE = {
    "fin": 0.19138,
    "age": 0.02200,
    "race": 0.30799,
    "wexp": 0.21222,
    "mar": 0.38187,
    "paro": 0.19576,
    "prio": 0.02865,
}


@pytest.mark.parametrize("compressed", [False, True])
def test_rossi_cox_matches_r(rossi, compressed):
    res = cox.fit_cox(
        rossi, categorical={}, numeric=list(R_COEF), duration="week", event="arrest", compressed=compressed
    )
    hr = res.hazard_ratios.set_index("covariate")
    for k, v in R_COEF.items():
        assert hr.loc[k, "coef"] == pytest.approx(v, abs=2e-6)
        assert hr.loc[k, "se"] == pytest.approx(R_SE[k], abs=1e-5)
    # likelihood-ratio test against the null model: 33.27 on 7 df (R)
    assert res.lr_statistic == pytest.approx(33.27, abs=0.01) and res.lr_df == 7
    assert res.members == 432 and res.events == 114


def test_rossi_compression_gives_identical_estimates(rossi):
    x = rossi.assign(
        age_band=pd.cut(rossi["age"], [0, 20, 25, 30, 100], labels=["<20", "20-25", "25-30", "30+"])
    )
    a, b = (
        cox.fit_cox(
            x,
            categorical={"age_band": "<20"},
            numeric=["fin", "prio"],
            duration="week",
            event="arrest",
            compressed=compressed,
        )
        for compressed in (False, True)
    )
    a = a.hazard_ratios
    assert b.rows < len(x) / 2
    # Efron's tie correction runs over the members a weighted row stands for: identical estimates
    np.testing.assert_allclose(a["coef"], b.hazard_ratios["coef"], rtol=0, atol=1e-12)
    np.testing.assert_allclose(a["se"], b.hazard_ratios["se"], rtol=0, atol=1e-12)


def test_rossi_logrank_by_race(rossi):
    overall, pairwise = sv.logrank(rossi, "race", duration="week", event="arrest")
    assert overall["chi2"] == pytest.approx(0.576101713683918, abs=1e-9)
    assert overall["p_value"] == pytest.approx(0.447844394252168, abs=1e-9)
    assert len(pairwise) == 1 and pairwise["p_holm"].iloc[0] == pytest.approx(overall["p_value"])


def test_waltons_rmst_matches_survrm2():
    from lifelines.datasets import load_waltons

    w = load_waltons()
    g = w[w["group"] == "miR-137"]
    r = sv.rmst(g["T"].to_numpy(), g["E"].to_numpy(), tau=10)
    assert r.rmst == pytest.approx(9.794, abs=5e-4) and r.se == pytest.approx(0.123, abs=5e-4)
    c = w[w["group"] == "control"]
    rc = sv.rmst(c["T"].to_numpy(), c["E"].to_numpy(), tau=10)
    assert rc.rmst == pytest.approx(9.9767, abs=5e-4) and rc.se == pytest.approx(0.0232, abs=5e-4)
    tab = sv.rmst_table(
        w.rename(columns={"T": "duration", "E": "event"}), "group", tau=10, reference="control"
    )
    assert tab.set_index("group").loc["miR-137", "p_value"] == pytest.approx(0.1453, abs=5e-4)


def test_rmst_without_censoring_is_the_mean_of_truncated_times():
    t = np.array([1, 2, 2, 5, 7, 9, 12.0])
    r = sv.rmst(t, np.ones_like(t, bool), tau=8)
    assert r.rmst == pytest.approx(np.minimum(t, 8).mean())
    # and its SE equals the plain standard error of min(T, tau) (times n-1 over n inside the root)
    m = np.minimum(t, 8)
    assert r.se == pytest.approx(np.sqrt(((m - m.mean()) ** 2).sum() / len(m) ** 2), rel=1e-9)


# --------------------------------------------------------------------------------------------------
# toy member histories, day by day


def _local(d: date, hour: int = 12) -> str:  # local (UTC+8) noon as UTC
    return f"{d}T{hour - 8:02d}:00:00Z"


@pytest.fixture
def toy(tmp_path):
    D = date
    members = {
        "A": D(2026, 1, 1),
        "B": D(2026, 1, 1),
        "C": D(2026, 1, 1),
        "D": D(2026, 3, 15),
        "E": D(2026, 3, 20),
        "F": D(2026, 4, 5),
        "G": D(2025, 12, 1),
        "H": D(2026, 1, 1),
        "I": D(2026, 1, 1),
        "J": D(2026, 1, 1),
    }
    days = {
        "A": [D(2026, 1, 1), D(2026, 1, 10)],
        "B": [D(2026, 1, 5), D(2026, 2, 20)],
        "C": [D(2026, 1, 1) + timedelta(days=20 * k) for k in range(6)],  # .. Apr 11
        "D": [D(2026, 3, 15)],
        "E": [D(2026, 3, 20), D(2026, 4, 5)],
        "F": [D(2026, 4, 5)],
        "G": [D(2026, 1, 3), D(2026, 1, 20)],
        "H": [D(2026, 1, 1), D(2026, 1, 30), D(2026, 3, 1)],
        "I": [D(2026, 1, 1), D(2026, 2, 1)],
        "J": [D(2026, 1, 1) + timedelta(days=10 * k) for k in range(9)] + [D(2026, 3, 31)],
    }
    m = pd.DataFrame({"member_id": list(members), "joined_at": [_local(d, 9) for d in members.values()]})
    e = pd.DataFrame(
        [(k, _local(d), "visit") for k, ds in days.items() for d in ds],
        columns=["member_id", "ts", "event_type"],
    )
    e.loc[len(e)] = ("C", _local(D(2026, 4, 30), 23), "visit")  # the last day of data is as_of + 1 (partial)
    return load(write_source(tmp_path, members=m, events=e))


AS_OF = date(2026, 4, 30)  # cutoff = Mar 31


def test_churn_and_censoring_rules_day_by_day(toy):
    c = sv.churn_table(toy, AS_OF).set_index("member_id")
    assert c.attrs["cutoff"] == "2026-03-31"
    assert c.attrs["joined_after_cutoff"] == 1 and "F" not in c.index  # joined Apr 5
    assert c.attrs["left_truncated"] == 1 and "G" not in c.index  # joined before the log: left out
    want = {  # member: (event, duration, came_back)
        "A": (True, 9, False),  # last active Jan 10, then silence
        "B": (True, 4, True),  # 45 quiet days after Jan 5, back on Feb 20
        "C": (False, 89, False),  # never 30 quiet days: censored at the cutoff (Jan 1 -> Mar 31)
        "D": (True, 0, False),  # only the join day, 46 quiet days before as_of
        "E": (False, 11, False),  # Apr 5 is followed by only 25 quiet days: censored at Mar 31
        "H": (True, 59, False),  # gaps of 28 and 29 days are not churn; Mar 1 then 60 quiet days
        "I": (True, 0, True),  # exactly 30 quiet days (Jan 2 .. Jan 31) is churn at Jan 1
        "J": (True, 89, False),  # churn on Mar 31 = the cutoff: visible, since Apr 1 .. Apr 30 are quiet
    }
    got = {k: (bool(r.event), int(r.duration), bool(r.came_back)) for k, r in c.iterrows()}
    assert got == want


def test_delayed_entry_for_members_before_the_log(toy):
    c = sv.churn_table(toy, AS_OF, ChurnRules(left_truncation="entry")).set_index("member_id")
    assert (
        c.loc["G", "entry"] == 31 and bool(c.loc["G", "event"]) and c.loc["G", "duration"] == 50
    )  # Dec 1 -> Jan 20
    assert (c.drop(index="G")["entry"] == 0).all()


def test_landmark_risk_set_and_clock(toy):
    c = sv.churn_table(toy, AS_OF)
    lm = sv.landmark_table(toy, c, AS_OF).set_index("member_id")
    assert sorted(lm.index) == ["C", "H", "J"]  # everyone else churned or was censored before day 14
    assert lm.loc["C", "t"] == 75 and lm.loc["H", "t"] == 45 and lm.loc["J", "t"] == 75
    assert lm.loc["C", "lm_active_days"] == 1 and lm.loc["J", "lm_active_days"] == 2  # Jan 1 and Jan 11
    assert lm.attrs["dropped_before_landmark"] == 5


def test_sensitivity_and_reactivation(toy):
    s = sv.sensitivity(toy, AS_OF, churn_days=(14, 30, 60)).set_index("churn_days")
    assert s.loc[30, "churned"] == 6 and s.loc[14, "churned"] >= s.loc[30, "churned"]
    r = sv.reactivation(sv.churn_table(toy, AS_OF)).iloc[0]
    assert (r["churned"], r["came_back"]) == (6, 2)


# --------------------------------------------------------------------------------------------------
# simulations


def _null_community(tmp_path, n=4000, days=240, seed=3):
    """Activity and departure independent of how much a member contributes (a null effect)."""
    rng = np.random.default_rng(seed)
    start = date(2026, 1, 1)
    join = rng.integers(0, 120, n)
    life = rng.geometric(1 / 70, n)  # days present
    q = rng.uniform(0, 0.6, n)  # contribution propensity, unrelated to life
    rows = []
    for i in range(n):
        for d in range(join[i], min(join[i] + life[i], days)):
            if d == join[i] or rng.random() < 0.6:
                kind = "post" if rng.random() < q[i] else "visit"
                rows.append((f"s{i}", _local(start + timedelta(days=int(d))), kind))
    m = pd.DataFrame(
        {
            "member_id": [f"s{i}" for i in range(n)],
            "joined_at": [_local(start + timedelta(days=int(j)), 9) for j in join],
        }
    )
    e = pd.DataFrame(rows, columns=["member_id", "ts", "event_type"])
    e.loc[len(e)] = ("s0", _local(start + timedelta(days=days)), "visit")
    return (
        load(write_source(tmp_path, fmt="parquet", members=m, events=e)),
        e,
        start + timedelta(days=days - 1),
    )


def test_landmark_covariate_avoids_immortal_time_bias(tmp_path):
    src, events, as_of = _null_community(tmp_path)
    churn = sv.churn_table(src, as_of)
    lm = sv.landmark_table(src, churn, as_of)
    lm["log_lm_contrib"] = np.log1p(lm["lm_contributions"])
    good = cox.fit_cox(lm, categorical={}, numeric=["log_lm_contrib"]).hazard_ratios.iloc[0]
    # the wrong way: lifetime contributions, clock from joining
    life = events[events["event_type"] == "post"].groupby("member_id").size()
    churn["log_life_contrib"] = np.log1p(churn["member_id"].map(life).fillna(0))
    bad = cox.fit_cox(
        churn, categorical={}, numeric=["log_life_contrib"], duration="duration"
    ).hazard_ratios.iloc[0]
    assert (
        bad["hazard_ratio"] < 0.7 and bad["p_value"] < 1e-6
    )  # a null effect shows up as strongly protective
    assert good["ci_lower"] < 1 < good["ci_upper"]  # the landmark covariate shows the null
    assert 0.85 < good["hazard_ratio"] < 1.15


def test_km_and_summary_on_toy_against_hand_computation(toy):
    c = sv.churn_table(toy, AS_OF)
    km = sv.kaplan_meier(c)
    s = km.set_index("timeline")
    # 8 members; events at t=0 (D, I), 4 (B), 9 (A): S(0) = 6/8, S(4) = 6/8 * 5/6, S(9) = that * 4/5
    assert s.loc[0, "survival"] == pytest.approx(6 / 8)
    assert s.loc[9, "survival"] == pytest.approx(6 / 8 * 5 / 6 * 4 / 5)
    assert s.loc[9, "at_risk"] == 5
    summ = sv.survival_summary(km, at=(30,)).iloc[0]
    assert summ["s30"] == pytest.approx(6 / 8 * 5 / 6 * 4 / 5)  # E censored at 11 does not change S


@pytest.fixture(scope="module")
def synth_20k(tmp_path_factory):
    from analysis.synth import SynthConfig, generate

    out = tmp_path_factory.mktemp("synth20k")
    truth = generate(SynthConfig(members=20_000, seed=7), out)
    return load(out), truth


def test_planted_channel_hazard_ratios_are_recovered(synth_20k):
    """The generator multiplies the daily departure hazard by channel; with the landmark tier to absorb
    engagement, the Cox hazard ratios of channel cover the planted values. Four ratios are checked at
    once, so each uses a Bonferroni-adjusted (98.75%) interval: with plain 95% intervals one of four
    misses by chance about one time in five (here social: estimate 1.42, 95% CI 1.30-1.55, truth 1.30)."""
    src, truth = synth_20k
    as_of = date.fromisoformat(truth["as_of"])
    lm = sv.landmark_table(src, sv.churn_table(src, as_of), as_of)
    res = cox.fit_cox(lm, categorical={"channel": "organic", "lm_tier": "lurker"}, ph_check=False)
    hr = res.hazard_ratios.set_index("covariate")
    planted = truth["survival"]["channel_hazard_ratio_vs_organic"]
    z = stats.norm.ppf(1 - 0.05 / 4 / 2)
    for ch in ("search", "social", "invite", "ads"):
        row = hr.loc[f"channel[{ch}]"]
        lo, hi = np.exp(row["coef"] - z * row["se"]), np.exp(row["coef"] + z * row["se"])
        assert lo <= planted[ch] <= hi, (ch, planted[ch], lo, hi)
        assert abs(np.log(row["hazard_ratio"] / planted[ch])) < 0.1  # and within 10% of it


def test_cox_report_outputs_on_synthetic_data(synth_20k):
    src, truth = synth_20k
    as_of = date.fromisoformat(truth["as_of"])
    churn = sv.churn_table(src, as_of)
    lm = sv.landmark_table(src, churn, as_of)
    km = sv.kaplan_meier(lm, group="lm_tier", duration="t")
    assert set(km["group"]) == {"all", "core", "active", "lurker", "dormant"}
    assert ((km["ci_lower"] <= km["survival"]) & (km["survival"] <= km["ci_upper"])).all()
    assert (km.groupby("group")["survival"].apply(lambda s: s.is_monotonic_decreasing)).all()
    summary = sv.survival_summary(km).set_index("group")
    assert summary.loc["core", "s90"] > summary.loc["lurker", "s90"]  # core members stay longer
    res = cox.fit_cox(lm, categorical={"channel": "organic", "lm_tier": "lurker"})
    assert set(res.ph_test["period"]) == {1, 2, 3}
    eff = cox.ph_effect_size(res.ph_test)
    assert set(eff["covariate"]) == set(res.hazard_ratios["covariate"])
    sweep = sv.sensitivity(src, as_of)
    assert list(sweep["churn_days"]) == [14, 30, 60, 90]
    assert sweep["churned"].is_monotonic_decreasing  # a longer threshold finds fewer churns
    text = " ".join(
        narrative.churn_findings(
            res, summary.reset_index(), churn, lm, {"lm_tier": "lurkers", "channel": "organic"}
        )
    )
    assert "core members are" in text and "less likely to churn" in text


@pytest.mark.parametrize("churn_days", [30, 7])
def test_churn_after_matches_the_rule_on_plain_rows(synth_small, churn_days):
    """churn_after (active days as 62-day bit masks, the rule applied in numpy) against the rule written
    as a loop over each member's active days (tests/reference/churn.py). Starts are every member's first
    active day in the log, so many follow-ups span several masks; members are passed shuffled."""
    from analysis.activity import churn_after, member_days
    from analysis.data import fetch

    from reference.churn import first_quiet_day

    folder, truth = synth_small
    src = load(folder)
    as_of = date.fromisoformat(truth["as_of"])
    md = member_days(src, as_of)
    first = fetch(md.group_by("member_id").aggregate(start_day=md.day.min()))
    starts = first.sample(frac=1, random_state=3).reset_index(drop=True)
    got = churn_after(src, starts, as_of, churn_days=churn_days)
    cutoff = as_of - timedelta(days=churn_days)
    kept = starts[pd.to_datetime(starts["start_day"]) <= pd.Timestamp(cutoff)]
    assert list(got["member_id"]) == list(kept["member_id"])
    assert got.attrs["started_after_cutoff"] == len(starts) - len(kept)
    spans = (pd.Timestamp(as_of) - pd.to_datetime(got["start_day"])).dt.days
    assert (spans > 2 * 62).any()
    ref = first_quiet_day(fetch(md.select("member_id", "day")), kept, as_of, churn_days)
    want_day = pd.to_datetime(ref.reindex(got["member_id"])).to_numpy()
    np.testing.assert_array_equal(
        got["churn_day"].to_numpy("datetime64[ns]"), want_day.astype("datetime64[ns]")
    )
    want_day = np.where(want_day <= np.datetime64(cutoff), want_day, np.datetime64("NaT"))
    want_event = ~np.isnat(want_day)
    np.testing.assert_array_equal(got["event"].to_numpy(), want_event)
    start = pd.to_datetime(got["start_day"]).to_numpy("datetime64[D]")
    end = np.where(want_event, want_day.astype("datetime64[D]"), np.datetime64(cutoff, "D"))
    np.testing.assert_array_equal(got["duration"].to_numpy(), (end - start).astype(int))
    assert 0.05 < got["event"].mean() < 0.95


def test_one_pass_churn_rule_matches_a_day_by_day_scan_for_every_threshold():
    """activity.first_quiet_starts (every churn threshold from one pass over the gaps between active
    days) against a literal scan of each member's days: 300 random histories of up to 200 days, the
    bit masks given in shuffled order, the join day forced active for some, thresholds 1/7/14/30."""
    from analysis.activity import MASK_DAYS, first_quiet_starts

    rng = np.random.default_rng(0)
    n = 300
    last = rng.integers(0, 200, n)
    active = [
        {int(x) for x in rng.choice(lo + 1, size=rng.integers(0, min(lo + 1, 25) + 1), replace=False)}
        for lo in last
    ]
    day0 = rng.random(n) < 0.5
    masks = {}
    for i, days in enumerate(active):
        for x in days:
            masks[i, x // MASK_DAYS] = masks.get((i, x // MASK_DAYS), 0) | (1 << (x % MASK_DAYS))
    keys = list(masks)
    order = rng.permutation(len(keys))
    row = np.array([keys[j][0] for j in order])
    chunk = np.array([keys[j][1] for j in order])
    bits = np.array([masks[keys[j]] for j in order], dtype=np.int64)
    thresholds = (1, 7, 14, 30)
    got = first_quiet_starts(row, chunk, bits, last, thresholds, day0)
    for d in thresholds:
        for i in range(n):
            days = active[i] | ({0} if day0[i] else set())
            quiet = [x for x in sorted(days) if x + d <= last[i] and not days & set(range(x + 1, x + d + 1))]
            k = quiet[0] if quiet else -1
            assert got[d][0][i] == k
            assert got[d][1][i] == (k >= 0 and max(days) > k)
            assert got[d][2][i] == (min(days) if days else -1)
