"""Fission (analysis.growth): structural virality on closed forms, the eligible-only K-factor on a
Galton–Watson process, cascade sizes against 1/(1 - K), and the K planted by ``analysis synth``."""

from __future__ import annotations

import itertools
import json
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis import growth, synth
from analysis.data import load
from analysis.definitions import InviteRules

from conftest import write_source
from reference.invites import galton_watson, window_counts

DEMO = Path(__file__).resolve().parents[1] / "data" / "demo"


@pytest.mark.parametrize("n", [2, 3, 5, 17, 100])
def test_structural_virality_of_a_star_and_a_path(n: int) -> None:
    star = {"hub": None} | {f"s{i}": "hub" for i in range(n - 1)}
    path = {"p0": None} | {f"p{i}": f"p{i - 1}" for i in range(1, n)}
    assert growth.structural_virality(star) == pytest.approx(2 * (n - 1) / n, rel=1e-12)
    assert growth.structural_virality(path) == pytest.approx((n + 1) / 3, rel=1e-12)


def test_structural_virality_equals_mean_pairwise_distance_by_search() -> None:
    """Random trees: the Wiener-index formula against breadth-first search over every pair."""
    rng = np.random.default_rng(3)
    for n in (4, 9, 30):
        parent = [None] + [int(rng.integers(0, i)) for i in range(1, n)]
        adj: dict[int, list[int]] = {i: [] for i in range(n)}
        for i, p in enumerate(parent):
            if p is not None:
                adj[i].append(p)
                adj[p].append(i)
        total = 0
        for a in range(n):
            dist, queue = {a: 0}, [a]
            for u in queue:  # breadth first: the queue grows while it is read
                for v in adj[u]:
                    if v not in dist:
                        dist[v] = dist[u] + 1
                        queue.append(v)
            total += sum(dist.values())
        tree = {str(i): (None if p is None else str(p)) for i, p in enumerate(parent)}
        assert growth.structural_virality(tree) == pytest.approx(total / (n * (n - 1)), rel=1e-12)


def _per_member(members: pd.DataFrame, as_of: date, window: int) -> pd.DataFrame:
    """The per-member frame growth.k_factor reads, from the reference counts."""
    per = members.merge(window_counts(members, window), on="member_id")
    per["eligible"] = per["join_day"] + pd.Timedelta(days=window - 1) <= pd.Timestamp(as_of)
    per["invites_sent"] = per["invitees_joined"]
    return per


def test_eligible_k_factor_recovers_a_galton_watson_k_and_the_naive_one_is_low() -> None:
    """K = 0.6, 14-day window: within ±0.02 in each of 200 seeded replications; counting every member
    (the naive K) is lower in every one."""
    k, window, days = 0.6, 14, 120
    as_of = (pd.Timestamp("2026-01-01") + pd.Timedelta(days=days - 1)).date()
    estimates, naive = [], []
    for seed in range(200):
        members = galton_watson(np.random.default_rng(seed), k, window, days, days, 100)
        all_row = growth.k_factor(_per_member(members, as_of, window)).set_index("cohort").loc["all"]
        estimates.append(all_row["k_factor"])
        naive.append(all_row["naive_k"])
    estimates, naive = np.array(estimates), np.array(naive)
    assert np.abs(estimates - k).max() < 0.02, np.abs(estimates - k).max()
    assert (naive < estimates).all() and naive.mean() < k - 0.02


def test_mean_cascade_size_per_root_is_one_over_one_minus_k() -> None:
    k, window = 0.6, 14
    sizes = []
    for seed in range(20):
        members = galton_watson(np.random.default_rng(1000 + seed), k, window, 60, 400, 100)
        tree = growth.forest(members["member_id"].to_numpy(), members["invited_by"].to_numpy())
        sizes.append(growth.cascades(tree)["size"].to_numpy())
    mean = np.concatenate(sizes).mean()
    assert mean == pytest.approx(1 / (1 - k), rel=0.03)


def test_invite_members_counts_match_the_reference_through_the_backend(tmp_path: Path) -> None:
    """One Galton–Watson community written as contract tables: the Ibis counts equal the reference."""
    rng = np.random.default_rng(7)
    members = galton_watson(rng, 0.6, 14, 40, 60, 20)
    joined = members["join_day"] + pd.Timedelta(hours=3)
    kids = members.dropna(subset=["invited_by"])
    # every invitee's inviter sent an invite on the invitee's join day, plus one unconverted invite each
    invites = pd.concat(
        [
            kids[["invited_by", "join_day"]],
            members[["member_id", "join_day"]].set_axis(["invited_by", "join_day"], axis=1),
        ]
    )
    events = pd.DataFrame(
        {
            "member_id": pd.concat([members["member_id"], invites["invited_by"]]),
            "ts": pd.concat([joined, invites["join_day"] + pd.Timedelta(hours=2)]).dt.tz_localize("UTC"),
            "event_type": ["visit"] * len(members) + ["invite"] * len(invites),
        }
    )
    channel = np.where(members["invited_by"].notna(), "invite", "organic")
    table = {
        "member_id": members["member_id"],
        "joined_at": joined.dt.tz_localize("UTC"),
        "invited_by": members["invited_by"],
        "channel": channel,
    }
    write_source(tmp_path, "parquet", members=pd.DataFrame(table), events=events)
    src = load(tmp_path, tz="UTC")
    as_of = src.default_as_of()
    got = growth.invite_members(src, as_of, InviteRules(window_days=14)).set_index("member_id")
    want = window_counts(members[members["join_day"] <= pd.Timestamp(as_of)], 14).set_index("member_id")
    shared = got.index
    assert len(shared) == (members["join_day"] <= pd.Timestamp(as_of)).sum()
    assert (got["invitees_joined"] == want.loc[shared, "invitees_joined"]).all()
    # invites sent by as_of: one per invitee who joined by then (all inside the window) and one's own
    landed = kids[kids["join_day"] <= pd.Timestamp(as_of)].groupby("invited_by").size()
    expected = got.index.to_series().map(landed).fillna(0).astype("int64") + 1
    assert (got["invites_sent"] == expected).all()


def test_synth_k_factor_by_segment_is_recovered() -> None:
    """The demo community's planted K (ground_truth.json) per latent segment lies inside the package's
    95% interval, and overall too."""
    truth = json.loads((DEMO / "ground_truth.json").read_text(encoding="utf-8"))
    cfg = synth.SynthConfig(members=truth["config"]["members"], seed=truth["config"]["seed"])
    latent = synth._draw_members(cfg, np.random.default_rng([cfg.seed, 0]))  # the generator's own draw
    segment = dict(
        zip(synth._member_ids(np.arange(cfg.members)), np.array(synth.SEGMENTS)[latent.segment], strict=True)
    )
    src = load(DEMO)
    per = growth.invite_members(src, src.default_as_of())
    table = growth.k_factor(per.assign(segment=per["member_id"].map(segment)), by="segment").set_index(
        "segment"
    )
    planted = truth["invitations"]
    for name, row in planted["k_factor_by_segment"].items():
        got = table.loc[name]
        assert got["eligible"] == row["eligible"]
        assert got["ci_lower"] <= row["k_factor"] <= got["ci_upper"], (name, row, got.to_dict())
    assert table.loc["all", "ci_lower"] <= planted["k_factor"] <= table.loc["all", "ci_upper"]
    assert list(itertools.islice(table.index, 3)) == sorted(planted["k_factor_by_segment"])


def test_interval_helpers_match_statsmodels_and_scipy() -> None:
    from scipy import stats as sps
    from statsmodels.stats.proportion import proportion_confint

    from analysis.stats import mean_ci, spearman, wilson

    for k, n in ((0, 10), (3, 17), (250, 1000)):
        assert wilson(k, n) == pytest.approx(proportion_confint(k, n, alpha=0.05, method="wilson"), rel=1e-12)
    x = np.random.default_rng(1).poisson(0.6, 500).astype(float)
    m, lo, hi = mean_ci(x)
    want = sps.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=sps.sem(x))
    assert (lo, hi) == pytest.approx(want, rel=1e-12) and m == pytest.approx(x.mean())
    y = x + np.random.default_rng(2).normal(0, 1, 500)
    assert spearman(x, y)[0] == pytest.approx(sps.spearmanr(x, y).statistic, rel=1e-12)


def test_invitee_churn_hazard_matches_lifelines_with_strata() -> None:
    """The channel hazard ratios, stratified by join month, against lifelines' CoxPHFitter (Efron) on the
    raw rows of the demo's churn table."""
    from lifelines import CoxPHFitter

    from analysis import survival

    src = load(DEMO)
    churn = survival.churn_table(src, src.default_as_of())
    got = growth.invitee_churn_hazard(churn).set_index("covariate")["hazard_ratio"]
    df = churn.assign(month=growth.month_label(pd.to_datetime(churn["join_day"])), t=churn["duration"])
    df = df[df["t"] > 0]
    dummies = pd.get_dummies(df["channel"], dtype=float).drop(columns="organic")
    data = pd.concat([dummies, df[["t", "event", "month"]].astype({"event": float})], axis=1)
    ref = CoxPHFitter().fit(data, "t", "event", strata=["month"]).hazard_ratios_
    for channel, hr in ref.items():
        assert got[f"channel[{channel}]"] == pytest.approx(hr, rel=1e-4), channel  # optimiser tolerances


def test_invited_members_are_told_apart_by_invited_by_whatever_the_channel_names() -> None:
    """Chinese channel names (no channel called ``invite``): the quality table still compares invited
    members with the others, and the page's sentence says so."""
    from analysis import narrative

    src = load(DEMO)
    as_of = src.default_as_of()
    per = growth.invite_members(src, as_of)
    zh = {"organic": "自然流量", "search": "搜索", "social": "社交媒体", "invite": "邀请", "ads": "广告"}
    per["channel"] = per["channel"].map(zh)
    tiers = {}
    q = growth.invitee_quality(per, growth.inviter_tiers(per, tiers)).set_index("group")
    obs = per[per["observable"]]
    assert q.loc["invited", "members"] == obs["invited_by"].notna().sum() > 0
    assert q.loc["not invited", "members"] == obs["invited_by"].isna().sum()
    assert "channel: 邀请" in q.index and "channel: invite" not in q.index
    fis = growth.Fission(
        k_factor=growth.k_factor(per), cycle_time=pd.DataFrame(), invited_share=pd.DataFrame(),
        cascades=pd.DataFrame(), largest_roots_by_tier=pd.DataFrame(), quality=q.reset_index(),
        growth=growth.GrowthByTier(pd.DataFrame({"tier": [], "member_share": []}), float("nan"), (0, 0), 0),
        largest_roots=pd.DataFrame(), rules=InviteRules(),
    )  # fmt: skip
    text = " ".join(narrative.fission_findings(fis))
    assert "Invited members were active on day 30" in text and "came on their own" in text


def test_churn_hazard_without_an_organic_channel_uses_the_largest_and_says_so() -> None:
    """Chinese channel names: no ``organic`` to compare with. The largest channel becomes the reference
    (with a note) instead of a singular model; the estimates are those with that reference asked for."""
    from analysis import survival

    src = load(DEMO)
    churn = survival.churn_table(src, src.default_as_of())
    zh = {"organic": "自然流量", "search": "搜索", "social": "社交媒体", "invite": "邀请", "ads": "广告"}
    got = growth.invitee_churn_hazard(churn.assign(channel=churn["channel"].map(zh)))
    want = growth.invitee_churn_hazard(churn)
    assert got.attrs["notes"] and "自然流量" in got.attrs["notes"][0]
    renamed = {
        f"channel[{zh[c[8:-1]]}]": hr for c, hr in zip(want["covariate"], want["hazard_ratio"], strict=True)
    }
    assert dict(zip(got["covariate"], got["hazard_ratio"], strict=True)) == pytest.approx(renamed, rel=1e-12)
