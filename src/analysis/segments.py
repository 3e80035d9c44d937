"""Core members: contribution score, tiers, migration, concentration, connectors (docs/definitions.md, "Core members and tiers").

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

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

import ibis
import numpy as np
import pandas as pd

from analysis.data import DataSource, accepts_dates, fetch
from analysis.definitions import CONTRIBUTION_TYPES, DEFAULT_WEIGHTS
from analysis.kpi import TYPE_COLUMNS, member_days

TIERS: tuple[str, ...] = ("core", "active", "novice", "lurker", "dormant")


@dataclass(frozen=True)
class TierRules:
    """Parameters of the tier definition (defaults from docs/definitions.md)."""

    window_days: int = 30
    weights: Mapping[str, float] = None  # type: ignore[assignment]
    core_share: float = 0.05
    core_min_active_days: int = 4
    active_min_days: int = 8

    def __post_init__(self) -> None:
        if self.weights is None:
            object.__setattr__(self, "weights", dict(DEFAULT_WEIGHTS))
        unknown = set(self.weights) - set(CONTRIBUTION_TYPES)
        if unknown:
            raise ValueError(f"weights for unknown contribution types: {sorted(unknown)}")
        if not 0 < self.core_share <= 1:
            raise ValueError("core_share must be in (0, 1]")


@accepts_dates
def member_window(src: DataSource, ref: date, rules: TierRules, as_of: date | None = None) -> pd.DataFrame:
    """Per member joined by ``ref``: join_day, community, channel, score, contributions, active_days in
    the window ending at ``ref`` (0 where the member had no activity)."""
    as_of = as_of or ref
    lo = ref - timedelta(days=rules.window_days - 1)
    w = member_days(src, as_of, between=(lo, ref))
    score = sum(
        (w[TYPE_COLUMNS[t]] * float(rules.weights.get(t, 0.0)) for t in CONTRIBUTION_TYPES[1:]),
        w[TYPE_COLUMNS[CONTRIBUTION_TYPES[0]]] * float(rules.weights.get(CONTRIBUTION_TYPES[0], 0.0)),
    )
    per = w.group_by("member_id").aggregate(
        score=score.sum(), contributions=w.contributions.sum(), active_days=w.count()
    )
    m = src.members_local(as_of)
    m = m.filter(m.join_day <= ref).select("member_id", "join_day", "community", "channel")
    per = per.rename(pid="member_id")
    j = m.left_join(per, m.member_id == per.pid).drop("pid")
    df = fetch(j)
    for c in ("score", "contributions", "active_days"):
        df[c] = df[c].fillna(0)
    df["contributions"] = df["contributions"].astype("int64")
    df["active_days"] = df["active_days"].astype("int64")
    df["join_day"] = pd.to_datetime(df["join_day"]).dt.date
    return df


def core_threshold(scores: np.ndarray, core_share: float) -> float:
    """The score at rank ⌈core_share · n⌉ of ``scores`` sorted descending (NaN when empty)."""
    n = len(scores)
    if n == 0:
        return float("nan")
    k = math.ceil(core_share * n)
    return float(np.sort(np.asarray(scores, dtype=float))[::-1][k - 1])


def tiers_from_window(per: pd.DataFrame, ref: date | None, rules: TierRules) -> pd.Series:
    """Tier label per row of :func:`member_window` output (the rules of docs/definitions.md, in order).

    With ``ref=None`` there is no ``novice`` tier (for windows where every member is new, such as the
    churn landmark); those members fall to lurker or dormant by their activity."""
    contrib = per["contributions"].to_numpy() >= 1
    days = per["active_days"].to_numpy()
    eligible = contrib & (days >= rules.core_min_active_days)
    cut = core_threshold(per["score"].to_numpy()[eligible], rules.core_share)
    core = eligible & (per["score"].to_numpy() >= cut) if eligible.any() else np.zeros(len(per), bool)
    active = ~core & (contrib | (days >= rules.active_min_days))
    if ref is None:
        novice = np.zeros(len(per), bool)
    else:
        lo = ref - timedelta(days=rules.window_days - 1)
        novice = ~core & ~active & (pd.to_datetime(per["join_day"]).dt.date >= lo).to_numpy()
    lurker = ~core & ~active & ~novice & (days >= 1)
    tier = np.select(
        [core, active, novice, lurker], ["core", "active", "novice", "lurker"], default="dormant"
    )
    return pd.Series(pd.Categorical(tier, categories=list(TIERS)), index=per.index, name="tier")


@accepts_dates
def assign_tiers(
    src: DataSource, ref: date, rules: TierRules | None = None, as_of: date | None = None
) -> pd.DataFrame:
    """Per-member tiers at ``ref``: member_id, tier, score, contributions, active_days, join_day,
    community, channel (members joined by ``ref``)."""
    rules = rules or TierRules()
    per = member_window(src, ref, rules, as_of)
    per["tier"] = tiers_from_window(per, ref, rules)
    return per


def tier_sizes(tiers: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    """tier, [by], members, share (of all members joined by the reference date, or of the group)."""
    keys = [by] if by else []
    counts = tiers.groupby([*keys, "tier"], observed=False).size().rename("members").reset_index()
    total = counts.groupby(keys)["members"].transform("sum") if keys else counts["members"].sum()
    counts["share"] = counts["members"] / total
    return (
        counts[["tier", *keys, "members", "share"]] if not keys else counts[[by, "tier", "members", "share"]]
    )


@accepts_dates
def tier_trend(src: DataSource, as_of: date, weeks: int = 12, rules: TierRules | None = None) -> pd.DataFrame:
    """Tier sizes at weekly reference dates ending at ``as_of``: ref_date, tier, members, share.
    Reference dates before the first full window of data are left out."""
    rules = rules or TierRules()
    first, _ = src.day_range()
    member_days(src, as_of)  # many windows: aggregate the whole log once rather than once per window
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
    """Counts matrix of members by tier at two reference dates (rows: before, columns: after).

    Members who joined between the dates form the row ``not yet joined``."""
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
    """Tidy form of :func:`tier_migration`: tier_before, tier_after, members."""
    out = matrix.stack().rename("members").reset_index()
    out.columns = ["tier_before", "tier_after", "members"]
    return out


# --------------------------------------------------------------------------------------------------
# concentration


def gini(values: np.ndarray) -> float:
    """Gini coefficient of non-negative values (0 = equal, → 1 = one holds everything)."""
    x = np.sort(np.asarray(values, dtype=float))
    n = x.size
    if n == 0 or x.sum() == 0:
        return float("nan")
    if (x < 0).any():
        raise ValueError("gini needs non-negative values")
    i = np.arange(1, n + 1)
    return float(2 * np.sum(i * x) / (n * x.sum()) - (n + 1) / n)


def lorenz(values: np.ndarray, points: int = 101) -> pd.DataFrame:
    """Lorenz curve: share_of_members (poorest first) and share_of_total, ``points`` rows from 0 to 1."""
    x = np.sort(np.asarray(values, dtype=float))
    n = x.size
    cum = np.concatenate([[0.0], np.cumsum(x)]) / (x.sum() if x.sum() else 1)
    pop = np.arange(n + 1) / max(n, 1)
    grid = np.linspace(0, 1, points)
    return pd.DataFrame({"share_of_members": grid, "share_of_total": np.interp(grid, pop, cum)})


def concentration(values: np.ndarray) -> dict[str, float]:
    """Gini and the shares held by the top 1% and 10% (⌈k% · n⌉ largest values) of positive values."""
    x = np.sort(np.asarray(values, dtype=float)[np.asarray(values) > 0])[::-1]
    n, total = x.size, x.sum()
    out = {"contributors": int(n), "total": float(total), "gini": gini(x)}
    for k in (1, 10):
        out[f"top{k}_share"] = float(x[: math.ceil(k / 100 * n)].sum() / total) if total else float("nan")
    return out


# --------------------------------------------------------------------------------------------------
# connectors and the at-risk core


@accepts_dates
def connectors(src: DataSource, as_of: date, tiers: pd.DataFrame) -> pd.DataFrame:
    """Invitations that brought in members who stayed, per inviter tier and community.

    An invitee is *retained* when active on local day join + 30 (the D30 definition); invitees whose
    day 30 is after ``as_of`` are not yet observable. Columns: tier, community, inviters, invitees,
    observable, retained_d30, rate, connectors (inviters with at least one retained invitee)."""
    m = src.members_local(as_of)
    inv = m.filter(m.invited_by.notnull()).select(
        invitee="member_id", inviter="invited_by", join_day="join_day"
    )
    md = member_days(src, as_of).select("member_id", "day")
    day30 = inv.mutate(d30=(inv.join_day + ibis.interval(days=30)).cast("date"))
    hit = day30.left_join(md, (day30.invitee == md.member_id) & (day30.d30 == md.day))
    df = hit.select("invitee", "inviter", "d30", hit=hit.member_id.notnull()).execute()
    if df.empty:
        return pd.DataFrame(columns=["tier", "community", "inviters", "invitees", "observable", "retained_d30",
                                     "rate", "connectors"])  # fmt: skip
    df["observable"] = pd.to_datetime(df["d30"]).dt.date <= as_of
    df["retained"] = df["hit"] & df["observable"]
    per = df.groupby("inviter").agg(invitees=("invitee", "size"), observable=("observable", "sum"),
                                    retained_d30=("retained", "sum")).reset_index()  # fmt: skip
    per = per.merge(
        tiers[["member_id", "tier", "community"]], left_on="inviter", right_on="member_id", how="left"
    )
    per["tier"] = per["tier"].astype(object).fillna("not joined by reference")
    per["community"] = per["community"].fillna("(none)")
    out = per.groupby(["tier", "community"], as_index=False).agg(
        inviters=("inviter", "size"), invitees=("invitees", "sum"), observable=("observable", "sum"),
        retained_d30=("retained_d30", "sum"), connectors=("retained_d30", lambda s: int((s > 0).sum())),
    )  # fmt: skip
    out["rate"] = out["retained_d30"] / out["observable"].where(out["observable"] > 0)
    return out[
        ["tier", "community", "inviters", "invitees", "observable", "retained_d30", "rate", "connectors"]
    ]


def connectors_by_tier(conn: pd.DataFrame) -> pd.DataFrame:
    """:func:`connectors` summed over communities: tier, inviters, invitees, observable, retained_d30,
    connectors, rate (retained_d30 / observable; NaN when none is observable yet)."""
    cols = ["inviters", "invitees", "observable", "retained_d30", "connectors"]
    out = conn.groupby("tier", as_index=False, observed=True)[cols].sum()
    out["rate"] = out["retained_d30"] / out["observable"].where(out["observable"] > 0)
    return out


@accepts_dates
def at_risk_core(src: DataSource, as_of: date, tiers: pd.DataFrame, days: int = 14) -> pd.DataFrame:
    """Core members whose active days in the last ``days`` days fell below half of the ``days`` before.

    Per-member (member IDs): member_id, community, active_recent, active_before. For restricted
    exports only; pages show :func:`at_risk_by_community`."""
    md = member_days(src, as_of)
    recent_lo = as_of - timedelta(days=days - 1)
    before_lo = as_of - timedelta(days=2 * days - 1)
    w = md.filter((md.day >= before_lo) & (md.day <= as_of))
    per = (
        w.group_by("member_id")
        .aggregate(
            active_recent=(w.day >= recent_lo).cast("int64").sum(),
            active_before=(w.day < recent_lo).cast("int64").sum(),
        )
        .execute()
    )
    core = tiers.loc[tiers["tier"] == "core", ["member_id", "community"]]
    j = core.merge(per, on="member_id", how="left").fillna({"active_recent": 0, "active_before": 0})
    risk = j[j["active_recent"] < 0.5 * j["active_before"]]
    return risk.astype({"active_recent": "int64", "active_before": "int64"}).reset_index(drop=True)


def at_risk_by_community(risk: pd.DataFrame, tiers: pd.DataFrame) -> pd.DataFrame:
    """community, core_members, at_risk, share (aggregate: no member IDs)."""
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


def describe_change(now: pd.DataFrame, before: pd.DataFrame, ref_now: date, ref_before: date,
                    migration: pd.DataFrame, conc: Mapping[str, float], at_risk: int) -> str:  # fmt: skip
    """One plain-language paragraph on what changed in the core between two reference dates."""
    n_now = int((now["tier"] == "core").sum())
    n_before = int((before["tier"] == "core").sum())
    stayed = int(migration.loc["core", "core"]) if "core" in migration.index else 0
    left = n_before - stayed
    joined = n_now - stayed
    change = (n_now - n_before) / n_before if n_before else float("nan")
    trend = "grew" if n_now > n_before else "shrank" if n_now < n_before else "held steady"
    pct = f" ({change:+.0%})" if change == change else ""
    return (
        f"On {ref_now} the core had {n_now:,} members, against {n_before:,} on {ref_before}: it {trend}{pct}. "
        f"{stayed:,} stayed core, {joined:,} rose into it and {left:,} dropped out. "
        f"The top 10% of contributors made {conc['top10_share']:.0%} of the contribution score "
        f"(Gini {conc['gini']:.2f}). {at_risk:,} core members are at risk: their active days in the last "
        f"two weeks fell below half of the two weeks before."
    )
