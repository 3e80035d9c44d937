"""Core members: tier sizes, trend and migration, concentration, connectors and the core at risk
(docs/definitions.md, "Core members and tiers").

- **Contribution score** of a member at reference date R over a trailing window of ``window_days``
  local days [R - window_days + 1, R]: Σ weight(type) × contributions (post 5, comment 3, share 2, like 1).
- **Tiers** at R partition all members joined by R (local join day <= R):
  ``core``: among members with >= 1 contribution and >= ``core_min_active_days`` (4) active days in the
  window, everyone scoring at least the score at rank ⌈core_share · n⌉ (n = those eligible; ties at the
  cut are all core); ``active``: other contributors, or 8+ active days; ``novice``: joined within the
  window and not core/active; ``lurker``: active in the window without contributing; ``dormant``: no
  activity in the window.

Event-level work (scores, active days) is Ibis on the backend; the tier rules run on the per-member
table in pandas.
"""

from __future__ import annotations

from datetime import date, timedelta

import ibis
import pandas as pd

from analysis.activity import assign_tiers as assign_tiers  # re-exported: tiers are read here
from analysis.activity import cache_member_days, member_days
from analysis.data import DataSource, accepts_dates
from analysis.definitions import TIERS
from analysis.definitions import TierRules as TierRules
from analysis.stats import concentration as concentration
from analysis.stats import lorenz as lorenz

__all__ = [
    "tier_sizes",
    "tier_sizes_compared",
    "tier_trend",
    "tier_migration",
    "migration_long",
    "connectors",
    "connectors_by_tier",
    "at_risk_core",
    "at_risk_by_community",
]


def tier_sizes(tiers: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    """Members per tier and their share.

    Parameters
    ----------
    tiers : pandas.DataFrame
        From :func:`analysis.activity.assign_tiers`.
    by : str, optional
        A column of ``tiers`` (``"community"``, ``"channel"``): shares within each group.

    Returns
    -------
    pandas.DataFrame
        tier, [by], members, share (of all members joined by the reference day, or of the group).
    """
    keys = [by] if by else []
    counts = tiers.groupby([*keys, "tier"], observed=False).size().rename("members").reset_index()
    total = counts.groupby(keys)["members"].transform("sum") if keys else counts["members"].sum()
    counts["share"] = counts["members"] / total
    return (
        counts[["tier", *keys, "members", "share"]] if not keys else counts[[by, "tier", "members", "share"]]
    )


def tier_sizes_compared(now: pd.DataFrame, before: pd.DataFrame) -> pd.DataFrame:
    """Tier sizes at two reference days side by side.

    Parameters
    ----------
    now : pandas.DataFrame
        Tiers at the later day (:func:`analysis.activity.assign_tiers`).
    before : pandas.DataFrame
        Tiers at the earlier day.

    Returns
    -------
    pandas.DataFrame
        tier, members, share, members_before, share_before.
    """
    return tier_sizes(now).merge(tier_sizes(before), on="tier", suffixes=("", "_before"))


@accepts_dates
def tier_trend(src: DataSource, as_of: date, weeks: int = 12, rules: TierRules | None = None) -> pd.DataFrame:
    """Tier sizes at weekly reference days ending at ``as_of``; reference days before the first
    full window of data are left out.

    Parameters
    ----------
    src : DataSource
        The community, from :func:`analysis.open` (or ``ctx.src`` in a report).
    as_of : date, str or pandas.Timestamp
        The last complete local day included; nothing after it is read.
    weeks : int, optional
        Number of weekly reference days (12).
    rules : TierRules, optional
        The tier definition (default :class:`analysis.definitions.TierRules`).

    Returns
    -------
    pandas.DataFrame
        ref_date, tier, members, share.
    """
    rules = rules or TierRules()
    first, _ = src.day_range()
    cache_member_days(src, as_of)  # many windows: aggregate the whole log once, not once per window
    rows = []
    for k in range(weeks - 1, -1, -1):
        ref = as_of - timedelta(days=7 * k)
        if ref - timedelta(days=rules.window_days - 1) < first:
            continue
        s = tier_sizes(assign_tiers(src, ref, rules, as_of))
        s.insert(0, "ref_date", ref)
        rows.append(s)
    return (
        pd.concat(rows, ignore_index=True)
        if rows
        else pd.DataFrame(columns=["ref_date", "tier", "members", "share"])
    )


def tier_migration(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """Members by tier at two reference days: who moved up, down or left the core.

    Parameters
    ----------
    before : pandas.DataFrame
        Tiers at the earlier day.
    after : pandas.DataFrame
        Tiers at the later day.

    Returns
    -------
    pandas.DataFrame
        Counts matrix (rows: tier before, with ``not yet joined`` for members who joined in between;
        columns: tier after).
    """
    b = before[["member_id", "tier"]].rename(columns={"tier": "before"})
    a = after[["member_id", "tier"]].rename(columns={"tier": "after"})
    j = a.merge(b, on="member_id", how="left")
    j["before"] = j["before"].astype(object).fillna("not yet joined")
    rows = [*TIERS, "not yet joined"]
    m = pd.crosstab(j["before"], j["after"].astype(object)).reindex(
        index=rows, columns=list(TIERS), fill_value=0
    )
    m.index.name, m.columns.name = "tier before", "tier after"
    return m


def migration_long(matrix: pd.DataFrame) -> pd.DataFrame:
    """Tidy form of :func:`tier_migration`.

    Parameters
    ----------
    matrix : pandas.DataFrame
        From :func:`tier_migration`.

    Returns
    -------
    pandas.DataFrame
        tier_before, tier_after, members.
    """
    out = matrix.stack().rename("members").reset_index()
    out.columns = ["tier_before", "tier_after", "members"]
    return out


# --------------------------------------------------------------------------------------------------
# connectors and the at-risk core


@accepts_dates
def connectors(src: DataSource, as_of: date, tiers: pd.DataFrame) -> pd.DataFrame:
    """Invitations that brought in members who stayed, per inviter tier and community.

    An invitee is *retained* when active on local day join + 30 (the D30 definition); invitees whose day 30
    is after ``as_of`` are not yet observable.

    Parameters
    ----------
    src : DataSource
        The community, from :func:`analysis.open` (or ``ctx.src`` in a report).
    as_of : date, str or pandas.Timestamp
        The last complete local day included; nothing after it is read.
    tiers : pandas.DataFrame
        From :func:`analysis.activity.assign_tiers`.

    Returns
    -------
    pandas.DataFrame
        tier, community, inviters, invitees, observable, retained_d30, rate, connectors (inviters with at
        least one retained invitee).
    """
    m = src.members_local(as_of)
    inv = m.filter(m.invited_by.notnull()).select(
        invitee="member_id", inviter="invited_by", join_day="join_day"
    )
    md = member_days(src, as_of).select("member_id", "day")
    day30 = inv.mutate(d30=(inv.join_day + ibis.interval(days=30)).cast("date"))
    hit = day30.left_join(md, (day30.invitee == md.member_id) & (day30.d30 == md.day))
    df = hit.select("invitee", "inviter", "d30", hit=hit.member_id.notnull()).execute()
    if df.empty:
        return pd.DataFrame(
            columns=[
                "tier",
                "community",
                "inviters",
                "invitees",
                "observable",
                "retained_d30",
                "rate",
                "connectors",
            ]
        )
    df["observable"] = pd.to_datetime(df["d30"]).dt.date <= as_of
    df["retained"] = df["hit"] & df["observable"]
    per = (
        df.groupby("inviter")
        .agg(invitees=("invitee", "size"), observable=("observable", "sum"), retained_d30=("retained", "sum"))
        .reset_index()
    )
    per = per.merge(
        tiers[["member_id", "tier", "community"]], left_on="inviter", right_on="member_id", how="left"
    )
    per["tier"] = per["tier"].astype(object).fillna("not joined by reference")
    per["community"] = per["community"].fillna("(none)")
    out = per.groupby(["tier", "community"], as_index=False).agg(
        inviters=("inviter", "size"),
        invitees=("invitees", "sum"),
        observable=("observable", "sum"),
        retained_d30=("retained_d30", "sum"),
        connectors=("retained_d30", lambda s: int((s > 0).sum())),
    )
    out["rate"] = out["retained_d30"] / out["observable"].where(out["observable"] > 0)
    return out[
        ["tier", "community", "inviters", "invitees", "observable", "retained_d30", "rate", "connectors"]
    ]


def connectors_by_tier(conn: pd.DataFrame) -> pd.DataFrame:
    """:func:`connectors` summed over communities.

    Parameters
    ----------
    conn : pandas.DataFrame
        From :func:`connectors`.

    Returns
    -------
    pandas.DataFrame
        tier, inviters, invitees, observable, retained_d30, connectors, rate (retained_d30 / observable;
        NaN when none is observable yet).
    """
    cols = ["inviters", "invitees", "observable", "retained_d30", "connectors"]
    out = conn.groupby("tier", as_index=False, observed=True)[cols].sum()
    out["rate"] = out["retained_d30"] / out["observable"].where(out["observable"] > 0)
    return out


@accepts_dates
def at_risk_core(src: DataSource, as_of: date, tiers: pd.DataFrame, days: int = 14) -> pd.DataFrame:
    """Core members whose active days in the last ``days`` days fell below half of the ``days``
    before. Member-level (member IDs): for restricted exports only; pages show
    :func:`at_risk_by_community`.

    Parameters
    ----------
    src : DataSource
        The community, from :func:`analysis.open` (or ``ctx.src`` in a report).
    as_of : date, str or pandas.Timestamp
        The last complete local day included; nothing after it is read.
    tiers : pandas.DataFrame
        From :func:`analysis.activity.assign_tiers`.
    days : int, optional
        Length of each of the two windows compared (14).

    Returns
    -------
    pandas.DataFrame
        member_id, community, active_recent, active_before.
    """
    md = member_days(src, as_of)
    recent_lo = as_of - timedelta(days=days - 1)
    before_lo = as_of - timedelta(days=2 * days - 1)
    w = md.filter((md.day >= before_lo) & (md.day <= as_of))
    per = (
        w.group_by("member_id")
        .aggregate(
            active_recent=w.count(where=w.day >= recent_lo),
            active_before=w.count(where=w.day < recent_lo),
        )
        .execute()
    )
    core = tiers.loc[tiers["tier"] == "core", ["member_id", "community"]]
    j = core.merge(per, on="member_id", how="left").fillna({"active_recent": 0, "active_before": 0})
    risk = j[j["active_recent"] < 0.5 * j["active_before"]]
    return risk.astype({"active_recent": "int64", "active_before": "int64"}).reset_index(drop=True)


def at_risk_by_community(risk: pd.DataFrame, tiers: pd.DataFrame) -> pd.DataFrame:
    """At-risk core members per community, without member IDs.

    Parameters
    ----------
    risk : pandas.DataFrame
        From :func:`at_risk_core`.
    tiers : pandas.DataFrame
        From :func:`analysis.activity.assign_tiers`.

    Returns
    -------
    pandas.DataFrame
        community, core_members, at_risk, share.
    """
    core = tiers[tiers["tier"] == "core"].groupby("community").size().rename("core_members")
    r = risk.groupby("community").size().rename("at_risk")
    out = (
        pd.concat([core, r], axis=1)
        .fillna(0)
        .astype("int64")
        .reset_index()
        .rename(columns={"index": "community"})
    )
    out["share"] = out["at_risk"] / out["core_members"].where(out["core_members"] > 0)
    return out.sort_values("core_members", ascending=False).reset_index(drop=True)
