"""KPIs: golden hand-computed fixtures, an independent pandas cross-check, and lifecycle properties."""

from __future__ import annotations

import tempfile
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis import kpi
from analysis.data import load

from conftest import write_source
from reference import pandas_kpi as ref


def _src(tmp_path, members, events):
    m = pd.DataFrame(members, columns=["member_id", "joined_at"])
    e = pd.DataFrame(events, columns=["member_id", "ts", "event_type"])
    return load(write_source(tmp_path, members=m, events=e))


@pytest.fixture
def boundary(tmp_path):
    """Local days in UTC+8; comments give the local time."""
    members = [
        ("u1", "2026-02-28T17:00:00Z"),  # Mar 1 01:00
        ("u2", "2026-03-01T02:00:00Z"),  # Mar 1 10:00
        ("u3", "2026-03-02T02:00:00Z"),  # Mar 2
        ("u4", "2026-03-04T01:00:00Z"),  # Mar 4
        ("u5", "2026-03-04T01:00:00Z"),
        ("u6", "2026-03-04T01:00:00Z"),
        ("u7", "2026-03-05T01:00:00Z"),  # Mar 5 (= as_of)
    ]
    events = [
        ("u1", "2026-02-28T17:30:00Z", "visit"),  # Mar 1 01:30
        ("u1", "2026-03-01T15:59:00Z", "visit"),  # Mar 1 23:59
        ("u1", "2026-03-01T16:01:00Z", "visit"),  # Mar 2 00:01 -> retained at day 1
        ("u2", "2026-03-01T02:00:00Z", "visit"),  # Mar 1 10:00
        ("u2", "2026-03-01T12:00:00Z", "post"),  # Mar 1 20:00: same-day return, not day 1
        ("u3", "2026-03-02T02:00:00Z", "like"),  # Mar 2, never again: a 0% cohort
        ("u4", "2026-03-04T02:00:00Z", "visit"),
        ("u5", "2026-03-04T02:00:00Z", "visit"),
        ("u6", "2026-03-04T02:00:00Z", "visit"),
        ("u4", "2026-03-05T02:00:00Z", "comment"),
        ("u5", "2026-03-05T02:00:00Z", "visit"),
        ("u6", "2026-03-05T02:00:00Z", "share"),
        ("u7", "2026-03-05T02:00:00Z", "visit"),
        ("u7", "2026-03-06T02:00:00Z", "visit"),  # after as_of: never read
    ]
    return _src(tmp_path, members, events)


AS_OF = date(2026, 3, 5)


def test_retention_days_and_brackets_are_parameters(synth_small):
    """Researchers choose the retention days and brackets: D2/D5/D21 equal the pandas reference given
    those days, and a 2..4 bracket equals a direct count of cohort members active on any of those days
    after joining. Nonsense days are refused."""
    folder, truth = synth_small
    src = load(folder)
    as_of = date.fromisoformat(truth["as_of"])
    events = pd.read_parquet(folder / "events.parquet")
    members = pd.read_parquet(folder / "members.parquet")
    got = kpi.new_member_retention(src, as_of, days=(2, 5, 21))
    want = ref.new_member_retention(members, events, truth["tz"], as_of, days=(2, 5, 21))
    key, cols = ["cohort_date", "day"], ["cohort_size", "retained", "rate", "is_complete"]
    pd.testing.assert_frame_equal(
        got.sort_values(key)[key + cols].reset_index(drop=True),
        want.sort_values(key)[key + cols].reset_index(drop=True),
        check_dtype=False,
    )
    got = kpi.new_member_bracket_retention(src, as_of, windows={"2-4": (2, 4)}).set_index("cohort_date")
    e = events.assign(day=ref.local_days(events["ts"], truth["tz"]))
    m = members.assign(join_day=ref.local_days(members["joined_at"], truth["tz"]))
    m = m[(m["join_day"] >= e["day"].min()) & (m["join_day"] <= as_of)]
    active = set(zip(e["member_id"], e["day"], strict=True))
    for cohort in sorted(m["join_day"].unique())[:: max(1, m["join_day"].nunique() // 10)]:
        ids = m.loc[m["join_day"] == cohort, "member_id"]
        kept = sum(any((i, cohort + timedelta(days=k)) in active for k in (2, 3, 4)) for i in ids)
        row = got.loc[cohort]
        assert row["window"] == "2-4" and row["cohort_size"] == len(ids)
        if cohort + timedelta(days=4) <= as_of:
            assert row["retained"] == kept
        else:
            assert np.isnan(row["retained"])
    with pytest.raises(ValueError, match="at least 1"):
        kpi.new_member_retention(src, as_of, days=(0, 7))
    with pytest.raises(ValueError, match="first <= last"):
        kpi.new_member_bracket_retention(src, as_of, windows={"x": (9, 3)})


def test_local_day_boundary_and_uv(boundary):
    d = kpi.daily_kpis(boundary, AS_OF).set_index("date")
    assert d.loc[date(2026, 3, 1), "dau"] == 2  # u1 at 01:30 and 23:59, u2
    assert d.loc[date(2026, 3, 2), "dau"] == 2  # u1 at 00:01 local, u3
    assert d.loc[date(2026, 3, 2), "uv"] == 1  # u3 only liked
    assert d.loc[date(2026, 3, 5), "dau"] == 4
    assert list(d.index) == [date(2026, 3, d) for d in range(1, 6)]  # nothing after as_of
    assert d.loc[date(2026, 3, 5), "wau"] == 7  # everyone was active in Mar 1..5
    # UV over a range is not the sum of daily UVs
    s = kpi.period_summary(boundary, kpi.Period(date(2026, 3, 1), date(2026, 3, 2)), AS_OF)
    assert s["uv"] == 2 and d.loc[date(2026, 3, 1) : date(2026, 3, 2), "uv"].sum() == 3
    assert d.loc[date(2026, 3, 5), "contributions"] == 2 and d.loc[date(2026, 3, 5), "contributors"] == 2


def test_new_member_retention_golden(boundary):
    r = kpi.new_member_retention(boundary, AS_OF)
    d1 = r[r["day"] == 1].set_index("cohort_date")
    assert d1.loc[date(2026, 3, 1), ["cohort_size", "retained"]].tolist() == [2, 1]  # u2's same-day return
    assert d1.loc[date(2026, 3, 2), "retained"] == 0 and d1.loc[date(2026, 3, 2), "is_complete"]
    assert date(2026, 3, 3) not in d1.index  # nobody joined: no cohort
    assert d1.loc[date(2026, 3, 4), "rate"] == 1.0
    assert np.isnan(d1.loc[date(2026, 3, 5), "retained"]) and not d1.loc[date(2026, 3, 5), "is_complete"]
    later = r[r["day"] > 1]
    assert later["retained"].isna().all() and not later["is_complete"].any()  # never 0
    pooled = kpi.pooled_retention(r).set_index("day")
    # (1 + 0 + 3) / (2 + 1 + 3), not the mean of cohort rates (0.5 + 0 + 1) / 3
    assert pooled.loc[1, "rate"] == pytest.approx(4 / 6)
    assert pooled.loc[1, "cohorts"] == 3


@pytest.fixture
def recurring(tmp_path):
    members = [("a", "2026-01-01T00:00:00Z"), ("b", "2026-01-01T00:00:00Z"), ("c", "2026-01-01T00:00:00Z")]
    events = [
        ("a", "2026-01-05T02:00:00Z", "visit"),
        ("b", "2026-01-20T02:00:00Z", "visit"),
        ("a", "2026-02-10T02:00:00Z", "visit"),
        ("a", "2026-02-20T02:00:00Z", "visit"),
        ("c", "2026-02-28T15:59:00Z", "visit"),  # Feb 28 23:59 local
        ("c", "2026-02-28T16:01:00Z", "visit"),  # Mar 1 00:01 local
        ("a", "2026-03-15T02:00:00Z", "visit"),
    ]
    return _src(tmp_path, members, events)


def test_monthly_retention_golden(recurring):
    r = kpi.monthly_retention(recurring, date(2026, 3, 31)).set_index("month")
    assert r.loc["2026-01", ["active", "retained", "rate"]].tolist() == [2, 1, 0.5]
    assert r.loc["2026-02", ["active", "retained", "rate"]].tolist() == [2, 2, 1.0]  # c came back at 00:01
    assert (
        r.loc["2026-03", "active"] == 2
        and np.isnan(r.loc["2026-03", "rate"])
        and not r.loc["2026-03", "is_complete"]
    )
    r30 = kpi.monthly_retention(recurring, date(2026, 3, 30)).set_index("month")
    assert not r30.loc["2026-02", "is_complete"]  # March has not ended by Mar 30


def test_two_week_retention_golden(recurring):
    r = kpi.two_week_retention(recurring, date(2026, 3, 31))
    got = {(str(x.block_start), str(x.block_end)): (x.active, x.retained) for x in r.itertuples()}
    assert got == {
        ("2026-01-07", "2026-01-20"): (1, 0),  # b
        ("2026-01-21", "2026-02-03"): (0, 0),
        ("2026-02-04", "2026-02-17"): (1, 1),  # a, back on Feb 20
        ("2026-02-18", "2026-03-03"): (2, 1),  # a and c; a again on Mar 15
        ("2026-03-04", "2026-03-17"): (1, 0),  # a
    }  # the block Dec 24 .. Jan 6 starts before the first day of data (Jan 5) and is left out


def test_lifecycle_golden(recurring):
    lc = kpi.weekly_lifecycle(recurring, date(2026, 3, 31))
    kpi.check_lifecycle(lc)
    wk = lc.set_index("week_start")
    assert wk.loc[date(2026, 2, 18), ["new", "returning", "resurrecting", "dormant"]].tolist() == [
        0,
        0,
        1,
        0,
    ]  # a
    assert wk.loc[date(2026, 2, 25), ["new", "returning", "resurrecting", "dormant"]].tolist() == [
        0,
        0,
        1,
        1,
    ]  # c in, a out


def test_contribution_concentration(boundary):
    c = kpi.contribution_concentration(boundary, kpi.Period(date(2026, 3, 1), date(2026, 3, 5)), AS_OF)
    # contributors: u2 1, u3 1, u4 1, u6 1 -> top 1% = 1 member = 1/4 of 4 contributions
    assert (
        c["contributors"] == 4
        and c["top1_share"] == pytest.approx(0.25)
        and c["top10_share"] == pytest.approx(0.25)
    )


def test_compare_periods_previous_and_missing_year(boundary):
    cmp = kpi.compare_periods(boundary, kpi.Period(date(2026, 3, 4), date(2026, 3, 5)), AS_OF).set_index(
        "metric"
    )
    assert cmp.loc["uv", "current"] == 4 and cmp.loc["uv", "previous"] == 1  # Mar 2..3: u1 visited on Mar 2
    assert cmp.loc["uv", "change_vs_previous"] == pytest.approx(3.0)
    assert np.isnan(cmp.loc["uv", "year_earlier"])  # no data a year earlier


def test_breakdown_by_community_sums_to_total(synth_small):
    folder, truth = synth_small
    src = load(folder)
    as_of = date.fromisoformat(truth["as_of"])
    total = kpi.daily_kpis(src, as_of).set_index("date")
    by = kpi.daily_kpis(src, as_of, by="community").groupby("date")[["dau", "contributions", "mau"]].sum()
    assert (by["dau"] == total["dau"]).all() and (by["contributions"] == total["contributions"]).all()
    assert (by["mau"] == total["mau"]).all()  # each member has one home community


def test_week_and_month_cohorts_are_sums_of_day_cohorts(synth_small):
    """Week and month retention cells come from the day cells (counted once); they equal the cells
    counted on the backend by week and month directly, with and without a breakdown."""
    folder, truth = synth_small
    src = load(folder)
    as_of = date.fromisoformat(truth["as_of"])
    windows = {"1": (1, 1), "7": (7, 7), "8-14": (8, 14)}
    for grain in ("week", "month"):
        for by in (None, "channel"):
            got = kpi._new_member_cells(src, as_of, grain, by, windows)
            want = kpi._query_cells(src, as_of, grain, by, windows)
            key = ["cohort_date", *(["group"] if by else []), "window"]
            cols = [*key, "cohort_size", "retained", "rate", "is_complete"]
            pd.testing.assert_frame_equal(
                got[cols].sort_values(key).reset_index(drop=True),
                want[cols].sort_values(key).reset_index(drop=True),
                check_dtype=False,
            )
            assert got["is_complete"].any() and not got["is_complete"].all()


def test_trailing_windows_are_parameters(synth_small):
    """``windows={"l3": 3, "l14": 14}``: each column is the number of distinct members active in the
    n local days ending at the row's date (both ends inclusive), counted directly on the raw events;
    ``dau_mau`` exists only with a ``mau`` window; bad windows are refused."""
    folder, truth = synth_small
    src = load(folder)
    as_of = date.fromisoformat(truth["as_of"])
    events = pd.read_parquet(folder / "events.parquet")
    got = kpi.daily_kpis(src, as_of, windows={"l3": 3, "l14": 14}).set_index("date")
    assert "dau_mau" not in got and {"l3_is_complete", "l14_is_complete"} <= set(got.columns)
    e = events.assign(day=ref.local_days(events["ts"], truth["tz"]))
    e = e[e["day"] <= as_of]
    first = e["day"].min()
    for d in list(got.index[:3]) + list(got.index[:: max(1, len(got) // 12)]):
        for name, n in (("l3", 3), ("l14", 14)):
            inside = e[(e["day"] > d - timedelta(days=n)) & (e["day"] <= d)]
            assert got.loc[d, name] == inside["member_id"].nunique(), (d, name)
            assert got.loc[d, f"{name}_is_complete"] == (d >= first + timedelta(days=n - 1))
    with pytest.raises(ValueError, match="whole number of days >= 1"):
        kpi.daily_kpis(src, as_of, windows={"wau": 0})
    with pytest.raises(ValueError, match="already a column"):
        kpi.daily_kpis(src, as_of, windows={"dau": 7})


def test_matches_independent_pandas_implementation(synth_small):
    folder, truth = synth_small
    src = load(folder)
    as_of = date.fromisoformat(truth["as_of"])
    events = pd.read_parquet(folder / "events.parquet")
    members = pd.read_parquet(folder / "members.parquet")
    tz = truth["tz"]

    got = kpi.daily_kpis(src, as_of)
    want = ref.daily(events, tz, as_of)
    cols = [
        "uv",
        "dau",
        "wau",
        "mau",
        "posts",
        "comments",
        "shares",
        "likes",
        "contributions",
        "contributors",
    ]
    pd.testing.assert_frame_equal(got[["date", *cols]], want[["date", *cols]], check_dtype=False)

    got = kpi.new_member_retention(src, as_of)
    want = ref.new_member_retention(members, events, tz, as_of)
    key = ["cohort_date", "day"]
    cols = ["cohort_size", "retained", "rate", "is_complete"]
    pd.testing.assert_frame_equal(
        got.sort_values(key)[key + cols].reset_index(drop=True),
        want.sort_values(key)[key + cols].reset_index(drop=True),
        check_dtype=False,
    )

    got = kpi.two_week_retention(src, as_of)
    want = ref.two_week_retention(events, tz, as_of)
    pd.testing.assert_frame_equal(got, want[got.columns], check_dtype=False)

    got = kpi.monthly_retention(src, as_of)
    want = ref.monthly_retention(events, tz, as_of)
    pd.testing.assert_frame_equal(got, want[got.columns], check_dtype=False)

    lc = kpi.weekly_lifecycle(src, as_of)
    kpi.check_lifecycle(lc)
    e = events.assign(day=ref.local_days(events["ts"], tz))
    for row in lc.sample(5, random_state=0).itertuples():
        in_week = e[(e["day"] >= row.week_start) & (e["day"] <= row.week_end)]
        assert in_week["member_id"].nunique() == row.active


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(st.integers(0, 7), st.integers(0, 48)), min_size=1, max_size=60),
    st.lists(st.integers(-5, 48), min_size=8, max_size=8),
)
def test_lifecycle_invariants_on_random_activity(activity, join_days):
    base = pd.Timestamp("2026-01-01 04:00:00")  # 12:00 local
    members = [
        (f"m{i}", str(base + pd.Timedelta(days=min(j, min([d for k, d in activity if k == i], default=j)))))
        for i, j in enumerate(join_days)
    ]
    events = [(f"m{k}", str(base + pd.Timedelta(days=d, hours=1)), "visit") for k, d in activity]
    with tempfile.TemporaryDirectory() as tmp:
        src = _src(Path(tmp), members, events)
        _, last = src.day_range()
        lc = kpi.weekly_lifecycle(src, last)
        kpi.check_lifecycle(lc)
        e = pd.DataFrame(events, columns=["member_id", "ts", "event_type"])
        e["day"] = ref.local_days(e["ts"], "Asia/Shanghai")
        for row in lc.itertuples():
            active = e[(e["day"] >= row.week_start) & (e["day"] <= row.week_end)]["member_id"].nunique()
            assert active == row.active


def test_breakdown_by_tier_table(synth_small):
    from analysis import segments

    folder, truth = synth_small
    src = load(folder)
    as_of = date.fromisoformat(truth["as_of"])
    tiers = segments.assign_tiers(src, as_of)[["member_id", "tier"]]
    by = kpi.daily_kpis(src, as_of, by=tiers)
    assert set(by["group"]) <= set(segments.TIERS)
    total = kpi.daily_kpis(src, as_of).set_index("date")
    summed = by.groupby("date")["dau"].sum()
    assert (summed == total["dau"]).all()  # every active member joined by as_of has a tier
    lc = kpi.weekly_lifecycle(src, as_of, by=tiers)
    kpi.check_lifecycle(lc)
    assert set(lc["group"]) <= set(segments.TIERS)
