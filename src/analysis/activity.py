"""The features layer every analysis starts from: member-days, scores and window totals, tiers at a
reference date, active-day masks and the churn rule (docs/definitions.md).

- **Member-days**: one row per (member, local day) with at least one event, with counts by type; built
  once per data source and ``as_of`` and cached on the backend.
- **Contribution score**: the weighted sum of a member's contributions (weights per type).
- **Tiers** at a reference date, from the totals of the trailing window (``TierRules``).
- **Churn rule**: from a start day (the join day, an assignment day), the first active day k followed by
  ``churn_days`` days without activity, with k + churn_days <= as_of. Active days travel from the backend
  as 62-day bit masks and the rule runs in numpy; this is the only implementation of the rule.

Event-level work is Ibis on the connected backend; per-member results come back as pandas frames.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import date, timedelta
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from analysis.data import DataSource, accepts_dates, fetch
from analysis.definitions import CONTRIBUTION_COLUMNS, CONTRIBUTION_TYPES, EVENT_COLUMNS, TIERS, TierRules

MASK_DAYS = 62  # days per bit mask of active days (the masks fit a signed 64-bit integer)

# --------------------------------------------------------------------------------------------------
# member-days


@accepts_dates
def member_days(src: DataSource, as_of: date, between: tuple[date, date] | None = None) -> ir.Table:
    """One row per (member, local day) with at least one event, counts by type; cached on the backend.

    Columns: member_id, day, events, visits, posts, comments, shares, likes, checkins, invites,
    contributions.

    ``between`` = (first, last) keeps those days only: a slice of the cached table when it has been
    built, otherwise an uncached expression over those days' events (a report that needs a few weeks,
    not the whole log, then never aggregates the whole log).
    """
    key = ("member_days", as_of, src.tz)
    cache = src.cache
    if between is not None and key not in cache:
        first, last = between
        return _member_days(src.events_local(min(last, as_of), since=first))
    if key not in cache:
        md = _member_days(src.events_local(as_of))
        cache[key] = src.materialize(md)
    md = cache[key]
    return md if between is None else md.filter(md.day.between(*between))


def cache_member_days(src: DataSource, as_of: date) -> ir.Table:
    """Build the whole log's member-days once (a backend table), so that every later
    ``member_days(..., between=...)`` slice reads it instead of aggregating the events again."""
    return member_days(src, as_of)


def _member_days(e: ir.Table) -> ir.Table:
    counts = {col: e.count(where=e.event_type == t).cast("int32") for t, col in EVENT_COLUMNS.items()}
    md = e.group_by(["member_id", "day"]).aggregate(events=e.count().cast("int32"), **counts)
    return md.mutate(
        contributions=sum((md[c] for c in CONTRIBUTION_COLUMNS[1:]), md[CONTRIBUTION_COLUMNS[0]])
    )


def member_days_since_join(src: DataSource, as_of: date) -> ir.Table:
    """Member-days on or after each member's local join day, with the join day as ``jd``. Lazy: each
    query fuses the join into its own plan, which is cheaper than writing the joined table out once."""
    md = member_days(src, as_of)
    m = src.members_local(as_of).select(mid="member_id", jd="join_day")
    j = md.join(m, md.member_id == m.mid).drop("mid")
    return j.filter(j.day >= j.jd)


def weighted_score(column: Callable[[str], Any], weights: Mapping[str, float]) -> Any:
    """The contribution score: Σ count of each contribution type × its weight. ``column(name)`` gives
    the counts column (an Ibis column or a pandas Series); types are summed in a fixed order. Counts
    become floating point before the product (on PostgreSQL an integer times a literal such as 5.0
    would be NUMERIC, which the Arrow fetch refuses)."""

    def term(t: str) -> Any:
        counts = column(EVENT_COLUMNS[t])
        counts = counts.cast("float64") if isinstance(counts, ir.Value) else counts.astype("float64")
        return counts * float(weights.get(t, 0.0))

    first, *rest = CONTRIBUTION_TYPES
    return sum((term(t) for t in rest), term(first))


def window_totals(md: ir.Table, weights: Mapping[str, float]) -> ir.Table:
    """Per member of the member-days ``md``: score, contributions and active_days."""
    score = weighted_score(lambda c: md[c], weights)
    return md.group_by("member_id").aggregate(
        score=score.sum(), contributions=md.contributions.sum(), active_days=md.count()
    )


# --------------------------------------------------------------------------------------------------
# tiers


@accepts_dates
def member_window(src: DataSource, ref: date, rules: TierRules, as_of: date | None = None) -> pd.DataFrame:
    """Per member joined by ``ref``: join_day, community, channel, score, contributions, active_days in
    the window ending at ``ref`` (0 where the member had no activity)."""
    as_of = as_of or ref
    lo = ref - timedelta(days=rules.window_days - 1)
    per = window_totals(member_days(src, as_of, between=(lo, ref)), rules.weights)
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


# --------------------------------------------------------------------------------------------------
# active-day masks and the churn rule


def day_bit(offset: ir.IntegerValue) -> tuple[ir.IntegerValue, ir.IntegerValue]:
    """(chunk, bit) of a day offset >= 0 in the active-day bit masks: the day is bit
    ``offset % MASK_DAYS`` of mask number ``offset // MASK_DAYS``; BIT_OR the bits per chunk.

    The shift is 64-bit on every backend: the one is cast to BIGINT and the count to INT (Ibis writes
    an untyped ``1 << n``, which Spark and PostgreSQL evaluate in 32 bits: bits 32..61 would be lost)."""
    return offset // MASK_DAYS, ibis.literal(1).cast("int64") << (offset % MASK_DAYS).cast("int32")


def active_day_masks(src: DataSource, members: pd.Series, start: np.ndarray, as_of: date) -> pd.DataFrame:
    """Active days of each row (member ``members[i]``, counted from local day ``start[i]``) up to
    ``as_of``: row, chunk, days (bit b of days marks offset chunk * MASK_DAYS + b)."""
    frame = pd.DataFrame(
        {"member_id": members.astype(str).to_numpy(), "start_day": start, "row": np.arange(len(start))}
    )
    t = src.upload(frame)
    t = t.mutate(start_day=t.start_day.cast("date"))
    e = src.events_local(as_of, since=pd.Timestamp(start.min()).date()).select("member_id", "day")
    j = e.join(t, e.member_id == t.member_id).filter(lambda x: x.day >= x.start_day)
    chunk, bit = day_bit(j.day.delta(j.start_day, unit="day"))
    j = j.mutate(chunk=chunk, bit=bit)
    return fetch(j.group_by(["row", "chunk"]).aggregate(days=j.bit.bit_or()))


def quiet_runs(
    src: DataSource,
    members: pd.Series,
    start: np.ndarray,
    as_of: date,
    churn_days: int,
    day0_active: np.ndarray | None = None,
) -> pd.DataFrame:
    """The churn rule for each row (member, start day): ``churn_k``, the first active day offset k
    (from the start) followed by ``churn_days`` quiet days with k + churn_days <= as_of (-1: none);
    ``back``, active again after it; ``first_k``, the first active offset (-1: none). Where
    ``day0_active`` is set, the start day counts as active whether or not it has events (the join
    day)."""
    if not len(start):
        return runs_from_masks(NO_MASKS, start, as_of, churn_days)
    masks = active_day_masks(src, members, start, as_of)
    return runs_from_masks(masks, start, as_of, churn_days, day0_active)


NO_MASKS = pd.DataFrame(
    {"row": np.zeros(0, np.int64), "chunk": np.zeros(0, np.int64), "days": np.zeros(0, np.int64)}
)


def runs_from_masks(
    masks: pd.DataFrame,
    start: np.ndarray,
    as_of: date,
    churn_days: int,
    day0_active: np.ndarray | None = None,
) -> pd.DataFrame:
    """:func:`quiet_runs` from active-day masks already fetched (:func:`active_day_masks`), so that
    several churn thresholds read the masks once."""
    n = len(start)
    out = pd.DataFrame({"churn_k": np.full(n, -1), "back": np.zeros(n, bool), "first_k": np.full(n, -1)})
    if not n:
        return out
    last = (np.datetime64(as_of, "D") - start).astype(np.int64)  # as_of, in days from each start
    forced = np.zeros(n, bool) if day0_active is None else np.asarray(day0_active, bool)
    k, back, first = first_quiet_start(
        masks["row"].to_numpy(np.int64),
        masks["chunk"].to_numpy(np.int64),
        masks["days"].to_numpy(np.int64),
        last,
        churn_days,
        forced,
    )
    return pd.DataFrame({"churn_k": k, "back": back, "first_k": first})


def first_quiet_start(
    row: np.ndarray,
    chunk: np.ndarray,
    days: np.ndarray,
    last: np.ndarray,
    churn_days: int,
    day0_active: np.ndarray,
    block: int = 100_000,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per member (``last``: its last observed day offset): the first active day offset k followed by
    no activity on k+1..k+churn_days with k + churn_days <= last (or -1), whether any active day follows
    k, and the first active day offset (or -1). Active days are given as bit masks: bit b of ``days``
    on a (``row``, ``chunk``) entry marks offset chunk * MASK_DAYS + b; ``day0_active`` adds offset 0.
    Rows are processed in blocks to bound the day-by-member matrix."""
    n = len(last)
    churn_k, back, first = np.full(n, -1, dtype=np.int64), np.zeros(n, bool), np.full(n, -1, dtype=np.int64)
    order = np.argsort(row, kind="stable")
    row, chunk, days = row[order], chunk[order], days[order]
    width = int(last.max()) + 1 if n else 0
    for lo in range(0, n, block):
        hi = min(lo + block, n)
        active = _active_matrix(row, chunk, days, lo, hi, width + churn_days + 1)
        active[:, 0] |= day0_active[lo:hi]
        active[:, width:] = False
        before = np.cumsum(active, axis=1, dtype=np.int32)  # active days on 0..k
        ks = np.arange(width)
        quiet = before[:, ks + churn_days] - before[:, ks] == 0  # none on k+1..k+churn_days
        cand = active[:, :width] & quiet & (ks[None, :] + churn_days <= last[lo:hi, None])
        found = cand.any(axis=1)
        k = cand.argmax(axis=1)
        churn_k[lo:hi][found] = k[found]
        back[lo:hi] = found & (before[:, -1] > before[np.arange(hi - lo), k])
        seen = active.any(axis=1)
        first[lo:hi][seen] = active[seen].argmax(axis=1)
    return churn_k, back, first


def _active_matrix(
    row: np.ndarray, chunk: np.ndarray, days: np.ndarray, lo: int, hi: int, width: int
) -> np.ndarray:
    """Rows lo..hi-1 of the member-by-day-offset matrix of active days (offsets >= width dropped)."""
    a, b = np.searchsorted(row, [lo, hi])
    r, c, d = row[a:b] - lo, chunk[a:b], days[a:b]
    active = np.zeros((hi - lo, width), dtype=bool)
    for bit in range(MASK_DAYS):
        on = ((d >> bit) & 1).astype(bool)
        col = c[on] * MASK_DAYS + bit
        keep = col < width
        active[r[on][keep], col[keep]] = True
    return active


@accepts_dates
def churn_after(src: DataSource, starts: pd.DataFrame, as_of: date, churn_days: int = 30) -> pd.DataFrame:
    """Churn with the clock starting at ``starts.start_day`` (an active day, e.g. the local assignment
    day), by the churn rule of :func:`quiet_runs`; follow-up ends at as_of - churn_days; starts after that
    are left out.

    Returns ``starts`` columns plus event, duration (days from the start), churn_day."""
    cutoff = as_of - timedelta(days=churn_days)
    s = starts[pd.to_datetime(starts["start_day"]) <= pd.Timestamp(cutoff)].copy()
    start = pd.to_datetime(s["start_day"]).to_numpy("datetime64[D]")
    churn_k = quiet_runs(src, s["member_id"], start, as_of, churn_days)["churn_k"].to_numpy()
    s["churn_day"] = pd.to_datetime(
        np.where(churn_k >= 0, start + churn_k.astype("timedelta64[D]"), np.datetime64("NaT"))
    )
    s["event"] = s["churn_day"].notna() & (s["churn_day"] <= pd.Timestamp(cutoff))
    end_day = s["churn_day"].where(s["event"], pd.Timestamp(cutoff))
    s["duration"] = (end_day - pd.to_datetime(s["start_day"])).dt.days.astype("int64")
    s.attrs.update(cutoff=str(cutoff), churn_days=churn_days, started_after_cutoff=int(len(starts) - len(s)))
    return s
