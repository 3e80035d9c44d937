"""Core members: every tier rule on a hand-built fixture, the tie rule, migration, concentration."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from analysis import activity
from analysis import segments as seg
from analysis import stats as st
from analysis.data import load
from analysis.definitions import TIERS, TierRules

from conftest import write_source

REF = date(2026, 3, 31)  # window Mar 2 .. Mar 31


def _ts(d: date, hour: int = 12) -> str:
    return f"{d - timedelta(days=1) if hour < 8 else d}T{(hour - 8) % 24:02d}:00:00Z"


@pytest.fixture
def tier_source(tmp_path):
    joined = {
        "e1": date(2026, 1, 5),
        "e2": date(2026, 1, 5),
        "e3": date(2026, 1, 5),
        "e4": date(2026, 1, 5),
        "e5": date(2026, 1, 5),
        "x1": date(2026, 1, 5),
        "a1": date(2026, 1, 5),
        "a2": date(2026, 1, 5),
        "n1": date(2026, 3, 20),
        "n2": date(2026, 3, 25),
        "n3": date(2026, 3, 20),
        "d1": date(2026, 1, 5),
        "w1": date(2026, 1, 5),
        "w2": date(2026, 1, 5),
        "f1": date(2026, 4, 2),
    }
    ev = []

    def on(member, days, kind="visit", per_day=1):
        for d in days:
            ev.extend((member, _ts(date(2026, 3, d)), kind) for _ in range(per_day))

    on("e1", [3, 4, 5, 6], "post", per_day=2)  # 8 posts -> 40, plus one comment -> 43
    on("e1", [6], "comment")
    on("e2", [10, 11, 12, 13], "comment", per_day=2)  # 8 comments -> 24, plus 3 shares -> 30
    on("e2", [13], "share", per_day=3)
    on("e3", [10, 11], "post", per_day=3)  # 6 posts -> 30, 4 active days
    on("e3", [12, 13], "visit")
    on("e4", [10, 11, 12, 13], "like", per_day=2)  # 8
    on("e5", [20, 21, 22, 23], "like")  # 4
    on("x1", [3, 4, 5], "post", per_day=10)  # 150 but only 3 active days -> not eligible -> active
    on("a1", range(10, 18))  # 8 active days, no contribution -> active
    on("a2", range(10, 17))  # 7 active days -> lurker
    on("n1", [20])  # joined in the window, only a visit -> novice
    on("n3", [21], "like")  # joined in the window but contributed -> active
    ev.append(("d1", _ts(date(2026, 2, 10)), "visit"))  # before the window -> dormant
    ev.append(("w1", _ts(date(2026, 3, 1), hour=23), "visit"))  # Mar 1 23:00 local: just outside
    ev.append(("w2", _ts(date(2026, 3, 2), hour=0), "visit"))  # Mar 2 00:00 local: inside -> lurker
    ev.append(("f1", _ts(date(2026, 4, 2)), "visit"))  # after the reference date
    members = pd.DataFrame({"member_id": list(joined), "joined_at": [_ts(d, 9) for d in joined.values()]})
    events = pd.DataFrame(ev, columns=["member_id", "ts", "event_type"])
    return load(write_source(tmp_path, members=members, events=events))


def test_every_tier_rule(tier_source):
    t = seg.assign_tiers(tier_source, REF, TierRules(core_share=0.3), as_of=date(2026, 4, 1)).set_index(
        "member_id"
    )
    assert t.loc["e1", "score"] == 43 and t.loc["e2", "score"] == 30 and t.loc["e3", "score"] == 30
    # 5 eligible (e1..e5): the cut is the score at rank ceil(0.3 * 5) = 2, i.e. 30; e2 and e3 tie at it
    want = {
        "e1": "core",
        "e2": "core",
        "e3": "core",
        "e4": "active",
        "e5": "active",
        "x1": "active",
        "a1": "active",
        "a2": "lurker",
        "n1": "novice",
        "n2": "novice",
        "n3": "active",
        "d1": "dormant",
        "w1": "dormant",
        "w2": "lurker",
    }
    assert t["tier"].astype(str).to_dict() == want  # f1 joined after the reference date: not in the partition
    sizes = seg.tier_sizes(t.reset_index()).set_index("tier")
    assert sizes["members"].sum() == 14 and sizes.loc["core", "share"] == pytest.approx(3 / 14)


def test_weights_are_parameters(tier_source):
    rules = TierRules(core_share=0.2, weights={"post": 1, "comment": 1, "share": 1, "like": 10})
    t = seg.assign_tiers(tier_source, REF, rules, as_of=date(2026, 4, 1)).set_index("member_id")
    assert t.loc["e4", "score"] == 80 and t.loc["e4", "tier"] == "core"  # ceil(0.2 * 5) = 1: only the top
    assert (t["tier"] == "core").sum() == 1


def test_core_threshold_ties():
    assert activity.core_threshold(np.array([5, 9, 9, 1]), 0.25) == 9
    assert activity.core_threshold(np.array([5, 9, 9, 1]), 0.5) == 9  # rank 2 is the second 9
    assert activity.core_threshold(np.array([5, 9, 7, 1]), 0.5) == 7
    assert np.isnan(activity.core_threshold(np.array([]), 0.05))


def test_migration_matrix():
    before = pd.DataFrame(
        {"member_id": ["a", "b", "c", "e"], "tier": ["core", "active", "dormant", "lurker"]}
    )
    after = pd.DataFrame(
        {"member_id": ["a", "b", "c", "d", "e"], "tier": ["active", "active", "core", "novice", "lurker"]}
    )
    m = seg.tier_migration(before, after)
    assert m.loc["core", "active"] == 1 and m.loc["active", "active"] == 1 and m.loc["dormant", "core"] == 1
    assert m.loc["not yet joined", "novice"] == 1 and m.loc["lurker", "lurker"] == 1
    assert m.to_numpy().sum() == 5 and list(m.columns) == list(TIERS)
    long = seg.migration_long(m)
    assert long["members"].sum() == 5 and set(long.columns) == {"tier_before", "tier_after", "members"}


def _gini_pairs(x):  # independent formula: mean absolute difference over twice the mean
    x = np.asarray(x, float)
    return np.abs(x[:, None] - x[None, :]).sum() / (2 * len(x) ** 2 * x.mean())


def test_gini_of_known_distributions():
    assert st.gini(np.ones(10)) == pytest.approx(0)
    assert st.gini(np.array([0, 0, 0, 1])) == pytest.approx(0.75)
    rng = np.random.default_rng(0)
    x = rng.integers(0, 50, 300)
    assert st.gini(x) == pytest.approx(_gini_pairs(x))
    assert st.gini(rng.exponential(size=200_000)) == pytest.approx(0.5, abs=0.01)
    alpha = 3.0
    assert st.gini(rng.pareto(alpha, 400_000) + 1) == pytest.approx(1 / (2 * alpha - 1), abs=0.01)
    lc = st.lorenz(np.array([1, 1, 1, 1]))
    assert np.allclose(lc["share_of_members"], lc["share_of_total"])
    c = st.concentration(np.array([0, 0, 10, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]))
    assert (
        c["contributors"] == 11
        and c["top1_share"] == pytest.approx(0.5)
        and c["top10_share"] == pytest.approx(11 / 20)
    )


def test_tiers_match_the_generators_independent_computation(synth_small):
    folder, truth = synth_small
    exp = truth["experiments"][0]
    src = load(folder)
    ref = date.fromisoformat(exp["tier_reference_date"])
    tiers = seg.assign_tiers(src, ref, as_of=date.fromisoformat(truth["as_of"]))
    got = tiers["tier"].value_counts().to_dict()
    assert {k: got.get(k, 0) for k in TIERS} == exp["tiers_at_reference"]


def test_at_risk_core_and_connectors(synth_small):
    folder, truth = synth_small
    src = load(folder)
    as_of = date.fromisoformat(truth["as_of"])
    tiers = seg.assign_tiers(src, as_of)
    risk = seg.at_risk_core(src, as_of, tiers)
    assert set(risk["member_id"]) <= set(tiers.loc[tiers["tier"] == "core", "member_id"])
    assert (risk["active_recent"] < 0.5 * risk["active_before"]).all()
    agg = seg.at_risk_by_community(risk, tiers)
    assert agg["at_risk"].sum() == len(risk) and "member_id" not in agg.columns
    conn = seg.connectors(src, as_of, tiers)
    m = pd.read_parquet(folder / "members.parquet")
    assert conn["invitees"].sum() == m["invited_by"].notna().sum()
    assert (conn["retained_d30"] <= conn["observable"]).all() and (
        conn["connectors"] <= conn["inviters"]
    ).all()
