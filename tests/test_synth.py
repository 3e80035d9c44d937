"""The simulated community: contract, determinism, calendar and the planted ground truth."""

from __future__ import annotations

import hashlib
import json
from datetime import date

import duckdb
import numpy as np
import pytest

from analysis.cli import main as cli_main
from analysis.synth import ARM_WEIGHTS, SynthConfig, generate, time_of_day_cdf


def _q(folder, sql):
    con = duckdb.connect()
    con.execute("set TimeZone='UTC'")
    for t in ("members", "events", "assignments", "arms", "rewards"):
        con.execute(f"create view {t} as select * from read_parquet('{folder}/{t}.parquet')")
    return con.execute(sql).df()


def test_same_seed_same_files_other_seed_differs(tmp_path):
    cfg = SynthConfig(members=400, seed=3)
    generate(cfg, tmp_path / "a")
    generate(cfg, tmp_path / "b")
    generate(SynthConfig(members=400, seed=4), tmp_path / "c")

    def digest(folder):
        return {f.name: hashlib.sha256(f.read_bytes()).hexdigest() for f in sorted(folder.iterdir())}

    assert digest(tmp_path / "a") == digest(tmp_path / "b")
    assert digest(tmp_path / "a")["events.parquet"] != digest(tmp_path / "c")["events.parquet"]


def test_tables_and_calendar(synth_small):
    folder, truth = synth_small
    assert truth["members"] == 3000
    m = _q(folder, "select count(*) n, count(distinct member_id) u from members")
    assert m.n[0] == m.u[0] == 3000
    # local days: log start .. export day, which stops at 09:00 local
    r = _q(
        folder,
        "select min(ts + interval 8 hour) lo, max(ts + interval 8 hour) hi, "
        "count(*) filter (where event_type not in "
        "('visit','post','comment','share','like','checkin','invite')) bad "
        "from events",
    )
    assert r.lo[0].date() == date(2026, 1, 1)
    assert r.hi[0].date() == date(2026, 6, 30) and r.hi[0].hour < 9
    assert r.bad[0] == 0
    assert truth["as_of"] == "2026-06-29"
    # nobody acts before joining; members who joined before the log exist (left truncation)
    early = _q(
        folder,
        "select count(*) n from events e join members m using (member_id) where e.ts < m.joined_at - "
        "interval 1 hour",
    )
    assert early.n[0] == 0
    assert 0.08 < truth["members_joined_before_log"] / 3000 < 0.16


def test_activity_has_weekly_rhythm_and_festival(synth_small):
    folder, truth = synth_small
    daily = _q(
        folder,
        "select cast(ts + interval 8 hour as date) d, count(distinct member_id) dau from events "
        "where cast(ts + interval 8 hour as date) between '2026-05-01' and '2026-06-29' group by 1 order "
        "by 1",
    )
    daily["d"] = daily.d.dt.date
    daily["dow"] = [d.weekday() for d in daily.d]
    fest = daily.d.between(date(2026, 6, 12), date(2026, 6, 18))
    base = daily[~fest & (daily.d >= date(2026, 6, 1))]
    assert daily[fest].dau.mean() > 1.2 * base.dau.mean()
    assert base[base.dow >= 5].dau.mean() > base[base.dow < 5].dau.mean()


def test_contribution_is_concentrated(synth_small):
    folder, _ = synth_small
    c = _q(
        folder,
        "select member_id, count(*) n from events where event_type in ('post','comment','share','like') "
        "group by 1",
    ).n.sort_values(ascending=False)
    top10 = c.head(int(np.ceil(0.1 * len(c)))).sum() / c.sum()
    assert top10 > 0.5  # a few contribute most


def test_invitations_name_an_earlier_active_member(synth_small):
    folder, _ = synth_small
    r = _q(
        folder,
        """
        select count(*) n,
               count(*) filter (where inv.joined_at < m.joined_at) earlier,
               count(*) filter (where m.channel = 'invite') invite_channel
        from members m join members inv on inv.member_id = m.invited_by
        """,
    )
    assert r.n[0] > 100 and r.earlier[0] == r.n[0] == r.invite_channel[0]
    ev = _q(
        folder,
        """
        select count(*) n from members m join events e
          on e.member_id = m.invited_by and e.event_type = 'invite'
         and e.ts between m.joined_at - interval 1 hour and m.joined_at
        where m.joined_at >= timestamp '2026-01-01 00:00:00'
        """,
    )
    assert (
        ev.n[0]
        > 0.9
        * _q(
            folder,
            "select count(*) n from members where invited_by is not null and joined_at >= '2026-01-01'",
        ).n[0]
    )


def test_experiment_tables_and_split(synth_small):
    folder, truth = synth_small
    exp = truth["experiments"][0]
    a = _q(folder, "select arm, count(distinct member_id) n from assignments group by 1")
    shares = dict(zip(a.arm, a.n / a.n.sum(), strict=True))
    for arm, w in ARM_WEIGHTS.items():
        assert abs(shares[arm] - w) < 0.05
    multi = _q(
        folder,
        "select count(*) n from (select member_id from assignments group by 1 having count(distinct arm) > "
        "1)",
    )
    assert multi.n[0] == exp["members_with_multiple_arms"] > 0
    # every assignment happens at one of the member's events
    at_event = _q(
        folder,
        """
        with first as (select member_id, min(assigned_at) t from assignments group by 1)
        select count(*) n, count(*) filter (where exists (
          select 1 from events e where e.member_id = first.member_id and e.ts = first.t)) hit from first
        """,
    )
    assert at_event.hit[0] == at_event.n[0]
    arms = _q(folder, "select * from arms order by arm")
    assert arms.is_control.sum() == 1 and abs(arms.weight.sum() - 1) < 1e-9
    cost = _q(folder, "select arm, sum(cost) c from rewards group by 1")
    assert set(cost.arm) == {"points", "cash"} and (cost.c > 0).all()


def test_ground_truth_is_recorded_and_matches_a_naive_estimate(synth_small):
    """The Monte Carlo truth of the check-in effect of cash agrees with a difference in means."""
    folder, truth = synth_small
    exp = truth["experiments"][0]
    eff = {(e["arm"], e["metric"], e["group"]): e for e in exp["effects"]}
    assert {"contributions", "retained_d14", "retained_d30", "checkins"} <= {k[1] for k in eff}
    per = _q(
        folder,
        """
        with a as (select member_id, arm, assigned_at from assignments
                   where member_id in (select member_id from assignments group by 1 having count(*) = 1))
        select a.arm, count(e.ts) filter (where e.event_type = 'checkin') checkins
        from a left join events e on e.member_id = a.member_id
         and e.ts >= a.assigned_at and e.ts < a.assigned_at + interval 28 day
        group by a.member_id, a.arm
        """,
    )
    g = per.groupby("arm").checkins.agg(["mean", "var", "count"])
    diff = g.loc["cash", "mean"] - g.loc["control", "mean"]
    se = np.sqrt(
        g.loc["cash", "var"] / g.loc["cash", "count"] + g.loc["control", "var"] / g.loc["control", "count"]
    )
    true = eff[("cash", "checkins", "all")]["effect"]
    assert true > 1.0
    assert abs(diff - true) < 4 * se
    # planted heterogeneity: points lifts lurker check-ins but costs core members retention
    assert eff[("points", "retained_d30", "segment:core")]["effect"] < 0
    assert eff[("badges", "retained_d30", "segment:core")]["effect"] > 0
    assert eff[("points", "checkins", "segment:lurker")]["effect"] > 0
    assert truth["survival"]["channel_hazard_ratio_vs_organic"]["ads"] == pytest.approx(1.6)
    json.dumps(truth)  # serialisable


def test_time_of_day_cdf_is_a_cdf():
    x = time_of_day_cdf(np.array([0, 3600, 43200, 86399, 86400]))
    assert x[0] == 0 and x[-1] == pytest.approx(1) and np.all(np.diff(x) > 0)


def test_cli_synth_csv(tmp_path, capsys):
    assert (
        cli_main(
            ["synth", "--members", "300", "--seed", "2", "--out", str(tmp_path / "s"), "--format", "csv"]
        )
        == 0
    )
    assert "wrote 300 members" in capsys.readouterr().out
    assert cli_main(["validate", "--data", str(tmp_path / "s")]) == 0
    assert (tmp_path / "s" / "events.csv").exists() and (tmp_path / "s" / "ground_truth.json").exists()
