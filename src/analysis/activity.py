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
from collections.abc import Callable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from analysis.data import DataSource, accepts_dates, fetch
from analysis.definitions import CONTRIBUTION_COLUMNS, CONTRIBUTION_TYPES, EVENT_COLUMNS, TIERS, TierRules

__all__ = [
    "member_days",
    "weighted_score",
    "member_window",
    "core_threshold",
    "assign_tiers",
    "churn_after",
]

MASK_DAYS = 62  # days per bit mask of active days (the masks fit a signed 64-bit integer)

# --------------------------------------------------------------------------------------------------
# member-days


@accepts_dates
def member_days(src: DataSource, as_of: date, between: tuple[date, date] | None = None) -> ir.Table:
    """One row per (member, local day) with at least one event, counts by type: the activity
    layer every analysis reads; cached on the backend.

    Parameters
    ----------
    src : DataSource
        The community, from :func:`analysis.open` (or ``ctx.src`` in a report).
    as_of : date, str or pandas.Timestamp
        The last complete local day included; nothing after it is read.
    between : (date, date), optional
        Keep the days first..last only: a slice of the table when it has been built (in this session, for
        this day or a later one) or another report of the run has shared it (see
        :meth:`analysis.data.DataSource.materialize`), otherwise an uncached expression over those days'
        events.

    Returns
    -------
    ibis Table
        Columns member_id, day, events, visits, posts, comments, shares, likes, checkins, invites,
        contributions.

    Examples
    --------
    >>> import analysis as ca
    >>> from analysis.activity import member_days
    >>> md = member_days(ca.open("data/demo"), "2026-06-29")
    >>> int(md.count().execute()) > 0
    True
    """
    md = _built_member_days(src, as_of)
    if md is None:
        name = f"member_days_{as_of:%Y%m%d}_{src.tz.replace('/', '-')}"
        shared = src.shared_file(name)
        if between is not None and not (shared and shared.exists()):
            first, last = between
            return _member_days(src.events_local(min(last, as_of), since=first))
        md = src.cache[("member_days", as_of, src.tz)] = src.materialize(
            _member_days(src.events_local(as_of)), share_as=name
        )
    if between is None:
        return md
    return md.filter(md.day.between(between[0], min(between[1], as_of)))


def _built_member_days(src: DataSource, as_of: date) -> ir.Table | None:
    """A member-day table already built in this session that covers ``as_of``: the one for ``as_of``,
    or one for a later day cut at ``as_of`` (the same rows: a day's counts do not depend on later days)."""
    built = sorted(k[1] for k in src.cache if k[0] == "member_days" and k[2] == src.tz and k[1] >= as_of)
    if not built:
        return None
    md = src.cache[("member_days", built[0], src.tz)]
    return md if built[0] == as_of else md.filter(md.day <= as_of)


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
    """The contribution score: Σ count of each contribution type × its weight, summed in a fixed
    order. Counts become floating point before the product (on PostgreSQL an integer times a literal such as
    5.0 would be NUMERIC, which the Arrow fetch refuses).

    Parameters
    ----------
    column : callable
        ``column(name)`` gives the counts column of a type's column name (an Ibis column or a pandas
        Series).
    weights : mapping of str to float
        Points per contribution type.

    Returns
    -------
    ibis column or pandas.Series
        The score, of the same kind as the columns.

    Examples
    --------
    >>> import pandas as pd
    >>> from analysis.activity import weighted_score
    >>> counts = pd.DataFrame({"posts": [1, 0], "comments": [2, 0], "shares": [0, 1], "likes": [3, 0]})
    >>> weighted_score(counts.__getitem__, {"post": 5, "comment": 3, "share": 2, "like": 1}).tolist()
    [14.0, 2.0]
    """

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
    """Per member joined by ``ref``: the score, contributions and active days in the tier
    window ending at ``ref`` (0 where the member had no activity).

    Parameters
    ----------
    src : DataSource
        The community, from :func:`analysis.open` (or ``ctx.src`` in a report).
    ref : date or str
        The reference day (the window's last day).
    rules : TierRules
        The tier definition (its ``window_days`` and ``weights``).
    as_of : date or str, optional
        The last day of data the member-day table covers (default ``ref``).

    Returns
    -------
    pandas.DataFrame
        member_id, join_day, community, channel, score, contributions, active_days; member_id order.
    """
    as_of = as_of or ref
    lo = ref - timedelta(days=rules.window_days - 1)
    per = window_totals(member_days(src, as_of, between=(lo, ref)), rules.weights)
    rows = member_rows(src, as_of)
    per = fetch(per.join(rows, per.member_id == rows.member_id).drop("member_id"))
    m = members_frame(src, as_of)
    joined = m["join_day"].to_numpy() <= np.datetime64(ref, "D")
    df = m[joined].reset_index(drop=True)
    at = per["row"].to_numpy()
    for c, kind in (("score", "float64"), ("contributions", "int64"), ("active_days", "int64")):
        values = np.zeros(len(m), kind)
        values[at] = per[c].to_numpy(kind)
        df[c] = values[joined]
    df["join_day"] = df["join_day"].dt.date
    return df[["member_id", "join_day", "community", "channel", "score", "contributions", "active_days"]]


def member_rows(src: DataSource, as_of: date) -> ir.Table:
    """member_id and ``row``, its position in :func:`members_frame`, as a backend table: joining it
    lets a query return row numbers instead of member_id strings (a numeric fetch, no string lookup)."""
    key = ("member_rows", as_of, src.tz)
    if key not in src.cache:
        ids = members_frame(src, as_of)["member_id"]
        src.cache[key] = src.upload(pd.DataFrame({"member_id": ids, "row": np.arange(len(ids))}))
    return src.cache[key]


def members_frame(src: DataSource, as_of: date) -> pd.DataFrame:
    """Every member joined by ``as_of``: member_id, join_day (local, datetime64), community, channel,
    invited_by; in member_id order, fetched once per source and ``as_of`` (shared: callers must not
    modify it)."""
    key = ("members_frame", as_of, src.tz)
    if key not in src.cache:
        m = src.members_local(as_of).select("member_id", "join_day", "community", "channel", "invited_by")
        df = fetch(m.order_by("member_id"), date_as_object=False)
        df["join_day"] = df["join_day"].astype("datetime64[s]")
        src.cache[key] = df
    return src.cache[key]


def core_threshold(scores: np.ndarray, core_share: float) -> float:
    """The score at rank ⌈core_share · n⌉ of ``scores`` sorted descending.

    Parameters
    ----------
    scores : numpy.ndarray
        Scores of the eligible members.
    core_share : float
        The core share, in (0, 1].

    Returns
    -------
    float
        NaN when ``scores`` is empty.

    Examples
    --------
    >>> import numpy as np
    >>> from analysis.activity import core_threshold
    >>> core_threshold(np.array([1.0, 9, 4, 7, 3]), 0.4)
    7.0
    """
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
        joined = pd.to_datetime(per["join_day"]).to_numpy("datetime64[D]")
        novice = ~core & ~active & (joined >= np.datetime64(lo, "D"))
    lurker = ~core & ~active & ~novice & (days >= 1)
    tier = np.select(
        [core, active, novice, lurker], ["core", "active", "novice", "lurker"], default="dormant"
    )
    return pd.Series(pd.Categorical(tier, categories=list(TIERS)), index=per.index, name="tier")


RECENT_TIERS = 4  # tier frames kept per source (about 50 MB each at a million members)


@accepts_dates
def assign_tiers(
    src: DataSource, ref: date, rules: TierRules | None = None, as_of: date | None = None
) -> pd.DataFrame:
    """Every member's tier at ``ref`` (the rules of docs/definitions.md, "Tiers", in order).

    Parameters
    ----------
    src : DataSource
        The community, from :func:`analysis.open` (or ``ctx.src`` in a report).
    ref : date or str
        The reference day.
    rules : TierRules, optional
        The tier definition (default :class:`analysis.definitions.TierRules`).
    as_of : date or str, optional
        The last day of data read (default ``ref``).

    Returns
    -------
    pandas.DataFrame
        member_id, tier, score, contributions, active_days, join_day, community, channel (members joined
        by ``ref``).

    Examples
    --------
    >>> import analysis as ca
    >>> from analysis.activity import assign_tiers
    >>> tiers = assign_tiers(ca.open("data/demo"), "2026-06-29")
    >>> tiers["tier"].value_counts().reindex(["core", "active", "novice", "lurker", "dormant"]).tolist()
    [302, 8456, 1797, 1927, 7466]
    """
    rules = rules or TierRules()
    # a report asks for the same reference day more than once (its tiers now, then the weekly trend
    # through that day): the last few results are kept, and each caller gets its own copy
    key = ("tiers", ref, as_of or ref, repr(rules))
    recent = src.cache.setdefault("recent_tiers", {})
    if key not in recent:
        per = member_window(src, ref, rules, as_of)
        per["tier"] = tiers_from_window(per, ref, rules)
        recent[key] = per
        while len(recent) > RECENT_TIERS:
            del recent[next(iter(recent))]
    return recent[key].copy()


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
    e = member_days(src, as_of, between=(pd.Timestamp(start.min()).date(), as_of)).select("member_id", "day")
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
    """:func:`quiet_runs` from active-day masks already fetched (:func:`active_day_masks`)."""
    last = (np.datetime64(as_of, "D") - start).astype(np.int64)  # as_of, in days from each start
    forced = np.zeros(len(start), bool) if day0_active is None else np.asarray(day0_active, bool)
    columns = (masks[c].to_numpy(np.int64) for c in ("row", "chunk", "days"))
    k, back, first = first_quiet_starts(*columns, last, (churn_days,), forced)[churn_days]
    return pd.DataFrame({"churn_k": k, "back": back, "first_k": first})


def first_quiet_starts(
    row: np.ndarray,
    chunk: np.ndarray,
    days: np.ndarray,
    last: np.ndarray,
    thresholds: Sequence[int],
    day0_active: np.ndarray,
) -> dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Per member (``last``: its last observed day offset) and churn threshold d: the first active day
    offset k followed by no activity on k+1..k+d with k + d <= last (or -1), whether any active day
    follows k, and the first active day offset (or -1). Active days are given as bit masks: bit b of
    ``days`` on a (``row``, ``chunk``) entry marks offset chunk * MASK_DAYS + b; ``day0_active`` adds
    offset 0.

    Works on the list of active days (member, offset) in order: k is quiet for d exactly when the gap
    to the member's next active day exceeds d (or there is none), so every threshold costs one pass
    over the active days, not over members x days."""
    return quiet_starts(*active_offsets(row, chunk, days, day0_active), last, thresholds)


def quiet_starts(
    r: np.ndarray, k: np.ndarray, last: np.ndarray, thresholds: Sequence[int]
) -> dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """:func:`first_quiet_starts` from the active days as (row, offset) pairs sorted by row then offset
    (:func:`active_offsets`)."""
    n = len(last)
    has_next = np.zeros(len(r), bool)
    has_next[:-1] = r[1:] == r[:-1]
    gap = np.full(len(r), np.iinfo(np.int64).max)
    gap[:-1] = np.where(has_next[:-1], k[1:] - k[:-1], gap[:-1])
    first = np.full(n, -1, dtype=np.int64)
    rows, at = np.unique(r, return_index=True)  # r is sorted: the first entry of a member is its first day
    first[rows] = k[at]
    out = {}
    for d in thresholds:
        idx = np.flatnonzero((gap > d) & (k + d <= last[r]))
        rows, at = np.unique(r[idx], return_index=True)
        churn_k, back = np.full(n, -1, dtype=np.int64), np.zeros(n, bool)
        churn_k[rows], back[rows] = k[idx[at]], has_next[idx[at]]
        out[d] = (churn_k, back, first)
    return out


def active_offsets(
    row: np.ndarray, chunk: np.ndarray, days: np.ndarray, day0_active: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(member row, day offset) of every active day, sorted by row then offset, from the bit masks
    (offset 0 added for the rows of ``day0_active``)."""
    day0 = np.flatnonzero(day0_active)
    row = np.concatenate([row, day0])
    chunk = np.concatenate([chunk, np.zeros(len(day0), np.int64)])
    days = np.concatenate([days, np.ones(len(day0), np.int64)])
    order = np.lexsort((chunk, row))
    row, chunk, days = row[order], chunk[order], days[order]
    new = np.ones(len(row), bool)  # one entry per (row, chunk): the forced day 0 ORed into chunk 0
    new[1:] = (row[1:] != row[:-1]) | (chunk[1:] != chunk[:-1])
    at = np.flatnonzero(new)
    if len(at) < len(row):
        row, chunk, days = row[at], chunk[at], np.bitwise_or.reduceat(days, at)
    bits = np.unpackbits(days.astype("<i8").view(np.uint8).reshape(-1, 8), axis=1, bitorder="little")
    entry, bit = np.nonzero(bits[:, :MASK_DAYS])  # row-major: by entry, then bit
    return row[entry], chunk[entry] * MASK_DAYS + bit


@accepts_dates
def churn_after(src: DataSource, starts: pd.DataFrame, as_of: date, churn_days: int = 30) -> pd.DataFrame:
    """Churn with the clock starting at each row's ``start_day`` (an active day, for example the
    local assignment day), by the churn rule; follow-up ends at ``as_of - churn_days`` and starts after that
    are left out.

    Parameters
    ----------
    src : DataSource
        The community, from :func:`analysis.open` (or ``ctx.src`` in a report).
    starts : pandas.DataFrame
        member_id and start_day (a local day), plus any columns to keep.
    as_of : date, str or pandas.Timestamp
        The last complete local day included; nothing after it is read.
    churn_days : int, optional
        Quiet days that make a churn (30).

    Returns
    -------
    pandas.DataFrame
        The ``starts`` columns plus event (1 = churned), duration (days from the start), churn_day.
    """
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
