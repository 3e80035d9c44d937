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
