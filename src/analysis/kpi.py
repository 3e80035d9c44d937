"""KPIs of docs/definitions.md, "KPIs", as Ibis expressions on the connected backend.

Conventions (all parameters of the functions below):

- a *local day* is the calendar day in the source's ``tz``; ``as_of`` is the last complete local day
  included and nothing after it is read;
- **active** on a day = at least one event of any type; **contribution** = post, comment, share or like;
- **UV(P)** = distinct members with a ``visit`` in P (never a sum of daily UVs);
- **WAU/MAU(d)** = distinct active members in the 7 / 30 days ending at d, both ends inclusive;
- a retention cell whose window ends after ``as_of`` is NaN with ``is_complete = False``, never 0;
  pooled rates use complete cells only (Σ retained / Σ cohort size).

Breakdowns (``by``) use the member's attributes from ``members`` (``community``, ``channel``) or any
member -> group table passed in (for example tiers from :mod:`analysis.segments`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from analysis.activity import member_days
from analysis.data import DataSource, accepts_dates, fetch, to_date
from analysis.definitions import CONTRIBUTION_COLUMNS, RETENTION_DAYS, RETENTION_WINDOWS, TRAILING_WINDOWS
from analysis.stats import top_shares

__all__ = [
    "daily_kpis",
    "monthly_stickiness",
    "Period",
    "period_summary",
    "contribution_concentration",
    "compare_periods",
    "new_member_retention",
    "new_member_bracket_retention",
    "pooled_retention",
    "two_week_retention",
    "monthly_retention",
    "weekly_lifecycle",
    "check_lifecycle",
    "period_by_group",
    "last_weeks",
]

Breakdown = str | ir.Table | pd.DataFrame | None


def _groups(src: DataSource, by: Breakdown) -> ir.Table | None:
    """Member -> ``group`` table for a breakdown, or None."""
    if by is None:
        return None
    if isinstance(by, str):
        m = src.members
        if by not in m.columns:
            raise ValueError(f"cannot break down by {by!r}: members has no such column")
        return m.select(member_id=m.member_id, group=m[by].fill_null("(none)"))
    if isinstance(by, pd.DataFrame):
        col = [c for c in by.columns if c != "member_id"][0]
        frame = pd.DataFrame({"member_id": by["member_id"].astype(str), "grp": by[col].astype(str)})
        t = src.upload(frame)
        return t.select(member_id=t.member_id, group=t.grp)
    col = [c for c in by.columns if c != "member_id"][0]
    return by.select(member_id=by.member_id, group=by[col].cast("string"))


def _with_group(t: ir.Table, groups: ir.Table | None) -> tuple[ir.Table, list[str]]:
    if groups is None:
        return t, []
    g = groups.rename(__mid="member_id")
    j = t.join(g, t.member_id == g.__mid).drop("__mid")
    return j, ["group"]


def _calendar(first: date, last: date) -> pd.DatetimeIndex:
    return pd.date_range(first, last, freq="D")


def _as_date_index(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s).dt.normalize()


# --------------------------------------------------------------------------------------------------
# daily series


@accepts_dates
def daily_kpis(
    src: DataSource, as_of: date, by: Breakdown = None, windows: Mapping[str, int] = TRAILING_WINDOWS
) -> pd.DataFrame:
    """A row per local day (and group) from the first day of data to ``as_of``.

    Parameters
    ----------
    src : DataSource
        The community, from :func:`analysis.open` (or ``ctx.src`` in a report).
    as_of : date, str or pandas.Timestamp
        The last complete local day included; nothing after it is read.
    by : str, ibis Table, pandas.DataFrame or None, optional
        A breakdown: a ``members`` column (``"community"``, ``"channel"``) or a member -> group table
        (``member_id`` and one group column, for example tiers); None (default) for the whole community.
    windows : mapping of str to int, optional
        Trailing distinct-active windows: column name -> days ending at the row's date, both ends
        inclusive. Default ``{"wau": 7, "mau": 30}``; ``dau_mau`` is computed when ``"mau"`` is present.

    Returns
    -------
    pandas.DataFrame
        Columns date, [group], uv, dau, one column per window, dau_mau, posts, comments, shares, likes,
        contributions, contributors, contributions_per_contributor, checkins, invites and
        ``<window>_is_complete`` (False while the window reaches before the first day of data).

    Examples
    --------
    >>> import analysis as ca
    >>> from analysis import kpi
    >>> src = ca.open("data/demo")
    >>> daily = kpi.daily_kpis(src, "2026-06-29", windows={"wau": 7, "mau": 28})
    >>> last = daily.iloc[-1]
    >>> print(last["date"], last["dau"], last["wau"], last["mau"])
    2026-06-29 3937 9602 12230
    """
    windows = _check_windows(windows)
    first = src.day_range()[0]
    groups = _groups(src, by)  # once: a DataFrame breakdown is uploaded once
    md, gcols = _with_group(member_days(src, as_of), groups)
    keys = ["day", *gcols]
    daily = (
        md.group_by(keys)
        .aggregate(
            uv=md.count(where=md.visits > 0),
            dau=md.count(),
            contributors=md.count(where=md.contributions > 0),
            **{c: md[c].sum() for c in (*CONTRIBUTION_COLUMNS, "contributions", "checkins", "invites")},
        )
        .execute()
    )
    daily["day"] = _as_date_index(daily["day"])
    frames = []
    cal = _calendar(first, as_of)
    hist = _gap_histogram(src, as_of, groups, cap=max(windows.values()))
    counts_by_n = _trailing_distinct(hist, gcols, tuple(sorted(set(windows.values()))))
    for g in sorted(daily["group"].unique()) if gcols else [None]:
        d = daily[daily["group"] == g] if gcols else daily
        d = d.set_index("day").reindex(cal).drop(columns=gcols, errors="ignore").fillna(0)
        for name, n in windows.items():
            c = counts_by_n[n]
            d[name] = _cumulative_window(c[c["group"] == g] if gcols else c, cal)
        if gcols:
            d.insert(0, "group", g)
        frames.append(d)
    return _finish_daily(pd.concat(frames).rename_axis("date").reset_index(), first, gcols, windows)


def _check_windows(windows: Mapping[str, int]) -> dict[str, int]:
    out = dict(windows)
    taken = set(_BASE_COUNTS) | {"date", "group", "dau_mau", "contributions_per_contributor"}
    for name, n in out.items():
        if not isinstance(n, int | np.integer) or isinstance(n, bool) or n < 1:
            raise ValueError(f"windows: {name!r} must be a whole number of days >= 1, got {n!r}")
        if name in taken:
            raise ValueError(f"windows: {name!r} is already a column of the daily KPIs; choose another name")
    if not out:
        raise ValueError("windows: give at least one trailing window, for example {'wau': 7}")
    return {name: int(n) for name, n in out.items()}


_BASE_COUNTS = ["uv", "dau", "contributors", *CONTRIBUTION_COLUMNS, "contributions", "checkins", "invites"]


def _finish_daily(out: pd.DataFrame, first: date, gcols: list[str], windows: dict[str, int]) -> pd.DataFrame:
    """Whole-number counts, the ratios, the completeness flags and the columns in order."""
    counts = [*_BASE_COUNTS, *windows]
    out[counts] = out[counts].astype("int64")
    ratio = []
    if "mau" in windows:
        out["dau_mau"] = out["dau"] / out["mau"].where(out["mau"] > 0)
        ratio = ["dau_mau"]
    out["contributions_per_contributor"] = out["contributions"] / out["contributors"].where(
        out["contributors"] > 0
    )
    flags = []
    for name, n in windows.items():
        out[f"{name}_is_complete"] = out["date"] >= pd.Timestamp(first + timedelta(days=n - 1))
        flags.append(f"{name}_is_complete")
    out["date"] = out["date"].dt.date
    tail = [*CONTRIBUTION_COLUMNS, "contributions", "contributors", "contributions_per_contributor"]
    return out[["date", *gcols, "uv", "dau", *windows, *ratio, *tail, "checkins", "invites", *flags]]


def _day_gaps(src: DataSource, as_of: date) -> ir.Table:
    """Each member's active days as whole numbers ``d`` (days since 1970-01-01) with the member's
    previous active day ``prev`` (null for the first): one ordered pass over the member-days, kept on
    the backend for every breakdown of the session (a member has one group, so the previous day within
    a group is the previous day)."""
    key = ("kpi_day_gaps", as_of, src.tz)
    if key not in src.cache:
        md = member_days(src, as_of)
        t = md.select("member_id", d=md.day.epoch_days())
        src.cache[key] = src.materialize(
            t.mutate(prev=t.d.lag().over(ibis.window(group_by="member_id", order_by="d")))
        )
    return src.cache[key]


def _gap_histogram(src: DataSource, as_of: date, groups: ir.Table | None, cap: int) -> pd.DataFrame:
    """Member-days counted by day ``d`` (days since 1970-01-01), [group] and ``gap``: days since the
    member's previous active day (from :func:`_day_gaps`), ``cap`` for a first active day and for every
    gap of ``cap`` days or more. A few thousand rows: days x gaps x groups."""
    gaps, gcols = _with_group(_day_gaps(src, as_of), groups)
    t = gaps.mutate(gap=ibis.least((gaps.d - gaps.prev).fill_null(cap), cap))
    return t.group_by(["d", "gap", *gcols]).aggregate(k=t.count()).execute()


def _trailing_distinct(
    hist: pd.DataFrame, gcols: list[str], windows: tuple[int, ...]
) -> dict[int, pd.DataFrame]:
    """Interval events for distinct actives in trailing n-day windows, for each n in ``windows`` (each at
    most the histogram's cap).

    A member active on day ``d`` with ``gap`` days since their previous active day (from
    :func:`_gap_histogram`) is counted in the windows ending on [max(d, d - gap + n), d + n - 1]; these
    intervals are disjoint per member, so the distinct count on a day is the number of intervals covering
    it: +1 at the start, -1 at d + n.
    """
    d, gap, k = (hist[c].to_numpy("int64") for c in ("d", "gap", "k"))
    epoch = pd.Timestamp("1970-01-01")
    out = {}
    for n in windows:
        start = np.where(gap >= n, d, d - gap + n)
        at = pd.to_timedelta(np.concatenate([start, d + n]), unit="D") + epoch
        events = pd.DataFrame({"at": at, "k": np.concatenate([k, -k])})
        for c in gcols:
            events[c] = np.concatenate([hist[c].to_numpy(), hist[c].to_numpy()])
        out[n] = events
    return out


def _cumulative_window(events: pd.DataFrame, cal: pd.DatetimeIndex) -> np.ndarray:
    s = events.groupby("at")["k"].sum()
    full = s.reindex(s.index.union(cal), fill_value=0).sort_index().cumsum()
    return full.reindex(cal).to_numpy()


def monthly_stickiness(daily: pd.DataFrame) -> pd.DataFrame:
    """Monthly mean of daily DAU/MAU ratios, over days with a complete MAU window only.

    Parameters
    ----------
    daily : pandas.DataFrame
        From :func:`daily_kpis` (with a ``mau`` window), optionally by a breakdown.

    Returns
    -------
    pandas.DataFrame
        Columns month (YYYY-MM), [group], dau_mau (the mean ratio), days (days averaged).
    """
    d = daily[daily["mau_is_complete"]].copy()
    d["month"] = pd.to_datetime(d["date"]).dt.strftime("%Y-%m")
    keys = ["month", *(["group"] if "group" in d else [])]
    return d.groupby(keys, as_index=False).agg(dau_mau=("dau_mau", "mean"), days=("dau_mau", "size"))


# --------------------------------------------------------------------------------------------------
# periods


@dataclass(frozen=True)
class Period:
    """Inclusive local-day window: ``start`` and ``end`` are both included.

    Attributes
    ----------
    start, end : datetime.date
        The first and last local day.
    """

    start: date
    end: date

    @property
    def days(self) -> int:
        """Number of days in the window.


        Returns
        -------
        int
        """
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        """The window of the same length that ends the day before ``start`` (环比).


        Returns
        -------
        Period
        """
        return Period(self.start - timedelta(days=self.days), self.start - timedelta(days=1))

    def year_earlier(self) -> Period:
        """The same window one year earlier (同比); 29 February maps to 28 February.


        Returns
        -------
        Period
        """
        return Period(_minus_year(self.start), _minus_year(self.end))

    def __str__(self) -> str:
        return f"{self.start} .. {self.end}"

    @classmethod
    def of(cls, window: Sequence[date | str] | None, as_of: date, days: int = 7) -> Period | None:
        """Build a window from ``[start, end]`` or, when ``window`` is empty, the ``days`` days ending at
        ``as_of``.

        Parameters
        ----------
        window : sequence of date or str, or None
            ``[start, end]`` (dates or ISO strings), or None / empty for the last ``days`` days.
        as_of : date, str or pandas.Timestamp
            The last complete local day included; nothing after it is read.
        days : int, optional
            Length of the default window (7).

        Returns
        -------
        Period or None
            None for an empty window when ``days`` is 0.

        Examples
        --------
        >>> from analysis.kpi import Period
        >>> p = Period.of(None, "2026-06-29", days=7)
        >>> str(p), str(p.previous()), p.days
        ('2026-06-23 .. 2026-06-29', '2026-06-16 .. 2026-06-22', 7)
        """
        if window:
            return cls(to_date(window[0]), to_date(window[1]))
        end = to_date(as_of)
        return cls(end - timedelta(days=days - 1), end) if days else None


def _minus_year(d: date) -> date:
    try:
        return d.replace(year=d.year - 1)
    except ValueError:  # 29 February
        return d.replace(year=d.year - 1, day=28)


@accepts_dates
def period_summary(src: DataSource, period: Period, as_of: date) -> dict[str, float]:
    """Headline numbers of one period.

    Parameters
    ----------
    src : DataSource
        The community, from :func:`analysis.open` (or ``ctx.src`` in a report).
    period : Period
        The inclusive local-day window (:meth:`Period.of`).
    as_of : date, str or pandas.Timestamp
        The last complete local day included; nothing after it is read.

    Returns
    -------
    dict of str to float
        uv, active members, contributions, contributors, new members, contributions per contributor,
        mean DAU, and the top-1% and top-10% contributor shares.
    """
    md = member_days(src, as_of)
    p = md.filter((md.day >= period.start) & (md.day <= period.end))
    row = (
        p.aggregate(
            uv=p.member_id.nunique(where=p.visits > 0),
            active=p.member_id.nunique(),
            contributions=p.contributions.sum(),
            contributors=p.member_id.nunique(where=p.contributions > 0),
            active_days=p.count(),
        )
        .execute()
        .iloc[0]
    )
    m = src.members_local(as_of)
    new = int(m.filter((m.join_day >= period.start) & (m.join_day <= period.end)).count().execute())
    conc = contribution_concentration(src, period, as_of)
    contributions = float(row["contributions"] or 0)
    contributors = int(row["contributors"])
    return {
        "uv": int(row["uv"]),
        "active_members": int(row["active"]),
        "mean_dau": float(row["active_days"]) / period.days,
        "contributions": contributions,
        "contributors": contributors,
        "contributions_per_contributor": contributions / contributors if contributors else float("nan"),
        "new_members": new,
        "top1_share": conc["top1_share"],
        "top10_share": conc["top10_share"],
    }


@accepts_dates
def contribution_concentration(src: DataSource, period: Period, as_of: date) -> dict[str, float]:
    """Share of the period's contributions made by the top 1% and top 10% of
    contributors (:func:`analysis.stats.top_shares`).

    Parameters
    ----------
    src : DataSource
        The community, from :func:`analysis.open` (or ``ctx.src`` in a report).
    period : Period
        The inclusive local-day window (:meth:`Period.of`).
    as_of : date, str or pandas.Timestamp
        The last complete local day included; nothing after it is read.

    Returns
    -------
    dict of str to float
        top1_share, top10_share, with the numbers of contributors and contributions.
    """
    md = member_days(src, as_of)
    p = md.filter((md.day >= period.start) & (md.day <= period.end) & (md.contributions > 0))
    per = fetch(p.group_by("member_id").aggregate(c=p.contributions.sum()))["c"].to_numpy(float)
    return {"contributors": int(per.size), "contributions": float(per.sum()), **top_shares(per)}


@accepts_dates
def compare_periods(src: DataSource, period: Period, as_of: date) -> pd.DataFrame:
    """Headline numbers for ``period``, the same-length window before it (环比) and the same
    window a year earlier (同比), each only when the data cover it.

    Parameters
    ----------
    src : DataSource
        The community, from :func:`analysis.open` (or ``ctx.src`` in a report).
    period : Period
        The inclusive local-day window (:meth:`Period.of`).
    as_of : date, str or pandas.Timestamp
        The last complete local day included; nothing after it is read.

    Returns
    -------
    pandas.DataFrame
        Tidy: metric, current, previous, change_vs_previous, year_earlier, change_vs_year_earlier
        (relative changes; NaN where the data do not cover the window).
    """
    first, _ = src.day_range()
    if period.end > as_of:
        raise ValueError(f"period {period} ends after as_of {as_of}")
    cur = period_summary(src, period, as_of)
    prev_p, yoy_p = period.previous(), period.year_earlier()
    prev = period_summary(src, prev_p, as_of) if prev_p.start >= first else None
    yoy = period_summary(src, yoy_p, as_of) if yoy_p.start >= first else None
    rows = []
    for k, v in cur.items():
        pv = prev[k] if prev else float("nan")
        yv = yoy[k] if yoy else float("nan")
        rows.append(
            {
                "metric": k,
                "current": v,
                "previous": pv,
                "change_vs_previous": (v - pv) / pv if pv not in (0, None) and pv == pv else float("nan"),
                "year_earlier": yv,
                "change_vs_year_earlier": (v - yv) / yv if yv not in (0, None) and yv == yv else float("nan"),
            }
        )
    out = pd.DataFrame(rows)
    out.attrs.update(
        current=str(period), previous=str(prev_p) if prev else None, year_earlier=str(yoy_p) if yoy else None
    )
    return out


# --------------------------------------------------------------------------------------------------
# retention


def _cohort_start(day: ir.DateValue, grain: str) -> ir.DateValue:
    if grain == "day":
        return day
    if grain == "week":
        return day.truncate("W")  # Monday
    if grain == "month":
        return day.truncate("M")
    raise ValueError(f"cohort grain must be day, week or month, not {grain!r}")


def _cohort_end(start: pd.Series, grain: str) -> pd.Series:
    s = pd.to_datetime(start)
    if grain == "day":
        return s
    if grain == "week":
        return s + pd.Timedelta(days=6)
    return s + pd.offsets.MonthEnd(0)


def _new_member_cells(
    src: DataSource, as_of: date, grain: str, by: Breakdown, windows: dict[str, tuple[int, int]]
) -> pd.DataFrame:
    """cohort_date, [group], cohort_size, window label, retained, rate, is_complete for each window.

    Week and month cohorts are sums of day cohorts: every member joins on one day, so cohort sizes and
    the members retained in a window add up. The day cells are computed once per source, ``as_of``,
    breakdown column and windows, and every grain is read from them."""
    if not (by is None or isinstance(by, str)):
        return _query_cells(src, as_of, grain, by, windows)
    key = ("new_member_day_cells", as_of, by, tuple(windows.items()))
    if key not in src.cache:
        src.cache[key] = _query_cells(src, as_of, "day", by, windows, mask=False)
    days = src.cache[key]
    if grain == "day":
        return _finish_cells(days.copy(), grain, windows, as_of)
    gcols = ["group"] if by is not None else []
    cohort = pd.to_datetime(days["cohort_date"])
    days = days.assign(cohort_date=cohort.dt.to_period("W-SUN" if grain == "week" else "M").dt.start_time)
    cells = days.groupby(["cohort_date", *gcols, "window"], as_index=False, sort=False).agg(
        cohort_size=("cohort_size", "sum"), retained=("retained", "sum")
    )
    return _finish_cells(cells, grain, windows, as_of)


def _finish_cells(
    cells: pd.DataFrame, grain: str, windows: dict[str, tuple[int, int]], as_of: date
) -> pd.DataFrame:
    """Completeness (the cohort's last day + the window's last day <= as_of), NaN where incomplete."""
    cells["cohort_date"] = pd.to_datetime(cells["cohort_date"])
    last = cells["window"].map({k: v[1] for k, v in windows.items()})
    cohort_last_day = _cohort_end(cells["cohort_date"], grain)
    cells["is_complete"] = (cohort_last_day + pd.to_timedelta(last, unit="D")) <= pd.Timestamp(as_of)
    cells.loc[~cells["is_complete"], "retained"] = np.nan
    cells["rate"] = cells["retained"] / cells["cohort_size"]
    cells["cohort_date"] = cells["cohort_date"].dt.date
    return cells


def _query_cells(
    src: DataSource,
    as_of: date,
    grain: str,
    by: Breakdown,
    windows: dict[str, tuple[int, int]],
    mask: bool = True,
) -> pd.DataFrame:
    """The cells counted on the backend; ``mask=False`` keeps the counts of incomplete cells."""
    first, _ = src.day_range()
    m = src.members_local(as_of)
    m = m.filter(m.join_day >= first)  # cohorts before the log cannot be observed
    m, gcols = _with_group(m, _groups(src, by))
    m = m.mutate(cohort=_cohort_start(m.join_day, grain))
    sizes = m.group_by(["cohort", *gcols]).aggregate(cohort_size=m.count()).execute()
    md = member_days(src, as_of).select("member_id", "day")
    mm = m.select(*gcols, mid=m.member_id, join_day=m.join_day, cohort=m.cohort)
    act = md.join(mm, md.member_id == mm.mid)
    act = act.mutate(k=act.day.delta(act.join_day, unit="day"))
    spans = list(windows.values())
    act = act.filter(act.k.between(min(lo for lo, _ in spans), max(hi for _, hi in spans)))
    # one pass for every window: a single day counts its member-days (one per member), a bracket its
    # distinct members
    counts = {
        f"w{i}": act.count(where=act.k == lo)
        if lo == hi
        else act.member_id.nunique(where=act.k.between(lo, hi))
        for i, (lo, hi) in enumerate(spans)
    }
    wide = act.group_by(["cohort", *gcols]).aggregate(**counts).execute()
    retained = wide.melt(id_vars=["cohort", *gcols], var_name="window", value_name="retained")
    retained["window"] = retained["window"].map({f"w{i}": label for i, label in enumerate(windows)})
    grid = sizes.merge(pd.DataFrame({"window": list(windows)}), how="cross")
    cells = grid.merge(retained, on=["cohort", *gcols, "window"], how="left")
    cells["retained"] = cells["retained"].fillna(0)
    cells = cells.rename(columns={"cohort": "cohort_date"})
    return _finish_cells(cells, grain, windows, as_of) if mask else cells


@accepts_dates
def new_member_retention(
    src: DataSource,
    as_of: date,
    grain: str = "day",
    by: Breakdown = None,
    days: Sequence[int] = RETENTION_DAYS,
) -> pd.DataFrame:
    """Retention of join cohorts at each day k of ``days``.

    The join day is day 0; retained at day k = active on local day join + k exactly. Cohorts are the
    members whose local join date falls in the day, week or month.

    Parameters
    ----------
    src : DataSource
        The community, from :func:`analysis.open` (or ``ctx.src`` in a report).
    as_of : date, str or pandas.Timestamp
        The last complete local day included; nothing after it is read.
    grain : {"day", "week", "month"}, optional
        Cohort length (default ``"day"``).
    by : str, ibis Table, pandas.DataFrame or None, optional
        A breakdown: a ``members`` column (``"community"``, ``"channel"``) or a member -> group table
        (``member_id`` and one group column, for example tiers); None (default) for the whole community.
    days : sequence of int, optional
        The retention days, each >= 1 (default 1, 7, 14 and 30).

    Returns
    -------
    pandas.DataFrame
        Columns cohort_date, [group], cohort_size, day, retained, rate, is_complete; a cell whose day is
        after ``as_of`` has NaN retained and rate and ``is_complete`` False.

    Examples
    --------
    >>> import analysis as ca
    >>> from analysis import kpi
    >>> cells = kpi.new_member_retention(ca.open("data/demo"), "2026-06-29", grain="week", days=(1, 7))
    >>> kpi.pooled_retention(cells).round(3)
       day  cohorts  members  retained   rate
    0    1       26    17436    6987.0  0.401
    1    7       25    16485    6360.0  0.386
    """
    if not days or any(int(k) != k or k < 1 for k in days):
        raise ValueError(f"retention days must be whole numbers of at least 1, got {list(days)}")
    windows = {str(int(k)): (int(k), int(k)) for k in days}
    cells = _new_member_cells(src, as_of, grain, by, windows)
    cells["day"] = cells.pop("window").astype(int)
    gcols = ["group"] if "group" in cells else []
    cols = ["cohort_date", *gcols, "cohort_size", "day", "retained", "rate", "is_complete"]
    return cells[cols].sort_values(["cohort_date", *gcols, "day"]).reset_index(drop=True)


@accepts_dates
def new_member_bracket_retention(
    src: DataSource,
    as_of: date,
    grain: str = "day",
    by: Breakdown = None,
    windows: Mapping[str, tuple[int, int]] = RETENTION_WINDOWS,
) -> pd.DataFrame:
    """Retention of join cohorts in brackets of days after joining: by default
    two-week (active on any day 8..14, 次周留存) and monthly (any day 24..30, 次月留存).

    Parameters
    ----------
    src : DataSource
        The community, from :func:`analysis.open` (or ``ctx.src`` in a report).
    as_of : date, str or pandas.Timestamp
        The last complete local day included; nothing after it is read.
    grain : {"day", "week", "month"}, optional
        Cohort length (default ``"day"``).
    by : str, ibis Table, pandas.DataFrame or None, optional
        A breakdown: a ``members`` column (``"community"``, ``"channel"``) or a member -> group table
        (``member_id`` and one group column, for example tiers); None (default) for the whole community.
    windows : mapping of str to (int, int), optional
        Label -> (first, last) day after joining, both included.

    Returns
    -------
    pandas.DataFrame
        Columns cohort_date, [group], cohort_size, window (the label), retained, rate, is_complete.
    """
    bad = {k: v for k, v in windows.items() if not (1 <= int(v[0]) <= int(v[1]))}
    if not windows or bad:
        raise ValueError(f"each window is (first, last) day with 1 <= first <= last, got {bad or windows}")
    cells = _new_member_cells(
        src, as_of, grain, by, {k: (int(lo), int(hi)) for k, (lo, hi) in windows.items()}
    )
    gcols = ["group"] if "group" in cells else []
    cols = ["cohort_date", *gcols, "cohort_size", "window", "retained", "rate", "is_complete"]
    return cells[cols].sort_values(["cohort_date", *gcols, "window"]).reset_index(drop=True)


def pooled_retention(cells: pd.DataFrame, key: str = "day") -> pd.DataFrame:
    """Summary per retention day or window: Σ retained / Σ cohort size over complete cells
    only. Cohorts of size 0 never appear; complete cohorts with 0 retained count in full.

    Parameters
    ----------
    cells : pandas.DataFrame
        From :func:`new_member_retention` or :func:`new_member_bracket_retention`.
    key : str, optional
        The column to pool by: ``"day"`` (default) or ``"window"``.

    Returns
    -------
    pandas.DataFrame
        Columns [group], key, cohorts (complete cells), members (Σ cohort size), retained, rate.
    """
    gcols = ["group"] if "group" in cells else []
    c = cells[cells["is_complete"]]
    out = c.groupby([*gcols, key], as_index=False).agg(
        cohorts=("cohort_size", "size"), members=("cohort_size", "sum"), retained=("retained", "sum")
    )
    out["rate"] = out["retained"] / out["members"]
    return out


@accepts_dates
def two_week_retention(src: DataSource, as_of: date, by: Breakdown = None) -> pd.DataFrame:
    """Consecutive 14-day blocks, the last ending at ``as_of``: members active in a block
    and how many of them are active in the following block.

    Blocks starting before the first day of data are left out; the last block has no following block.

    Parameters
    ----------
    src : DataSource
        The community, from :func:`analysis.open` (or ``ctx.src`` in a report).
    as_of : date, str or pandas.Timestamp
        The last complete local day included; nothing after it is read.
    by : str, ibis Table, pandas.DataFrame or None, optional
        A breakdown: a ``members`` column (``"community"``, ``"channel"``) or a member -> group table
        (``member_id`` and one group column, for example tiers); None (default) for the whole community.

    Returns
    -------
    pandas.DataFrame
        Columns block_start, block_end, [group], active, retained, rate.
    """
    return _block_retention(src, as_of, 14, by)


def _block_retention(src: DataSource, as_of: date, n: int, by: Breakdown) -> pd.DataFrame:
    first, _ = src.day_range()
    md, gcols = _with_group(member_days(src, as_of), _groups(src, by))
    mb = (
        md.mutate(block=ibis.literal(as_of).delta(md.day, unit="day") // n)
        .select("member_id", "block", *gcols)
        .distinct()
    )
    nxt = mb.select(mid=mb.member_id, nblock=mb.block)
    j = mb.left_join(nxt, (mb.member_id == nxt.mid) & (mb.block - 1 == nxt.nblock))
    res = (
        j.group_by(["block", *gcols])
        .aggregate(active=j.count(), retained=j.count(where=j.mid.notnull()))
        .execute()
    )
    # every whole block inside the data is a row, also when nobody was active in it
    n_blocks = ((as_of - first).days + 1) // n
    groups = sorted(res["group"].unique()) if gcols else [None]
    full = pd.MultiIndex.from_product([range(1, n_blocks), groups], names=["block", "group"]).to_frame(
        index=False
    )
    res = full.drop(columns=[] if gcols else ["group"]).merge(res, on=["block", *gcols], how="left")
    res[["active", "retained"]] = res[["active", "retained"]].fillna(0).astype("int64")
    res["block_end"] = [as_of - timedelta(days=int(b) * n) for b in res["block"]]
    res["block_start"] = [e - timedelta(days=n - 1) for e in res["block_end"]]
    res["rate"] = res["retained"] / res["active"].where(res["active"] > 0)
    return (
        res[["block_start", "block_end", *gcols, "active", "retained", "rate"]]
        .sort_values(["block_start", *gcols])
        .reset_index(drop=True)
    )


@accepts_dates
def monthly_retention(src: DataSource, as_of: date, by: Breakdown = None) -> pd.DataFrame:
    """Members active in calendar month M who are also active in M+1, over actives in M.

    Parameters
    ----------
    src : DataSource
        The community, from :func:`analysis.open` (or ``ctx.src`` in a report).
    as_of : date, str or pandas.Timestamp
        The last complete local day included; nothing after it is read.
    by : str, ibis Table, pandas.DataFrame or None, optional
        A breakdown: a ``members`` column (``"community"``, ``"channel"``) or a member -> group table
        (``member_id`` and one group column, for example tiers); None (default) for the whole community.

    Returns
    -------
    pandas.DataFrame
        Columns month (YYYY-MM), [group], active, retained, rate, is_complete (complete once M+1 has ended
        by ``as_of``; else retained and rate are NaN).
    """
    md, gcols = _with_group(member_days(src, as_of), _groups(src, by))
    # months as whole numbers (year * 12 + month - 1): M + 1 is an integer join, not date arithmetic
    mm = md.mutate(month=md.day.year() * 12 + md.day.month() - 1).select("member_id", "month", *gcols)
    mm = mm.distinct()
    nxt = mm.select(mid=mm.member_id, pmonth=mm.month - 1)
    j = mm.left_join(nxt, (mm.member_id == nxt.mid) & (mm.month == nxt.pmonth))
    res = (
        j.group_by(["month", *gcols])
        .aggregate(active=j.count(), retained=j.count(where=j.mid.notnull()))
        .execute()
    )
    index = res["month"].astype("int64")
    month = pd.to_datetime(pd.DataFrame({"year": index // 12, "month": index % 12 + 1, "day": 1}))
    next_end = month + pd.offsets.MonthBegin(2) - pd.Timedelta(days=1)
    res["is_complete"] = next_end <= pd.Timestamp(as_of)
    res["retained"] = res["retained"].astype(float).where(res["is_complete"])
    res["rate"] = res["retained"] / res["active"]
    res["month"] = month.dt.strftime("%Y-%m")
    return (
        res[["month", *gcols, "active", "retained", "rate", "is_complete"]]
        .sort_values(["month", *gcols])
        .reset_index(drop=True)
    )


# --------------------------------------------------------------------------------------------------
# lifecycle


@accepts_dates
def weekly_lifecycle(src: DataSource, as_of: date, by: Breakdown = None) -> pd.DataFrame:
    """Weekly lifecycle over 7-day blocks ending at ``as_of``.

    For week t, each member active in t is *returning* (also active in t-1), else *new* (joined in t),
    else *resurrecting*; *dormant* = active in t-1 but not in t. By construction
    new + returning + resurrecting = active(t) and returning + dormant = active(t-1). Weeks whose
    previous week starts before the first day of data are left out.

    Parameters
    ----------
    src : DataSource
        The community, from :func:`analysis.open` (or ``ctx.src`` in a report).
    as_of : date, str or pandas.Timestamp
        The last complete local day included; nothing after it is read.
    by : str, ibis Table, pandas.DataFrame or None, optional
        A breakdown: a ``members`` column (``"community"``, ``"channel"``) or a member -> group table
        (``member_id`` and one group column, for example tiers); None (default) for the whole community.

    Returns
    -------
    pandas.DataFrame
        Columns week_start, week_end, [group], new, returning, resurrecting, dormant, active, active_prev.
    """
    first, _ = src.day_range()
    md, gcols = _with_group(member_days(src, as_of), _groups(src, by))
    lit = ibis.literal(as_of)
    # week 0 ends at as_of, week 1 the week before; each active (member, week) with the member's next
    # older (``older``) and next newer (``newer``) active week, in one ordered pass
    wk = md.mutate(week=lit.delta(md.day, unit="day") // 7).select("member_id", "week", *gcols).distinct()
    w = ibis.window(group_by=["member_id", *gcols], order_by="week")
    wk = src.materialize(wk.mutate(newer=wk.week.lag().over(w), older=wk.week.lead().over(w)))
    m = src.members_local(as_of)
    joined = m.select(jid=m.member_id, jweek=lit.delta(m.join_day, unit="day") // 7)
    cur = wk.left_join(joined, wk.member_id == joined.jid)
    state = ibis.cases(
        (cur.older == cur.week + 1, "returning"), (cur.jweek == cur.week, "new"), else_="resurrecting"
    )
    cur = cur.mutate(state=state)
    counts = cur.group_by(["week", *gcols, "state"]).aggregate(k=cur.count()).execute()
    # dormant in week t: active in t + 1 (the week before) and not in t
    gone = wk.filter(wk.newer.isnull() | (wk.newer != wk.week - 1)).mutate(gone_week=wk.week - 1)
    dormant = gone.group_by(["gone_week", *gcols]).aggregate(dormant=gone.count()).execute()
    dormant = dormant.rename(columns={"gone_week": "week"})
    wide = counts.pivot_table(
        index=["week", *gcols], columns="state", values="k", aggfunc="sum", fill_value=0
    )
    for s in ("new", "returning", "resurrecting"):
        if s not in wide:
            wide[s] = 0
    wide = wide.reset_index().merge(dormant, on=["week", *gcols], how="outer").fillna(0)
    wide["active"] = wide["new"] + wide["returning"] + wide["resurrecting"]
    wide["active_prev"] = wide["returning"] + wide["dormant"]
    wide["week_end"] = [as_of - timedelta(days=7 * int(w)) for w in wide["week"]]
    wide["week_start"] = [e - timedelta(days=6) for e in wide["week_end"]]
    prev_start = [s - timedelta(days=7) for s in wide["week_start"]]
    wide = wide[(np.array(prev_start) >= first) & (wide["week"] >= 0)]
    cols = [
        "week_start",
        "week_end",
        *gcols,
        "new",
        "returning",
        "resurrecting",
        "dormant",
        "active",
        "active_prev",
    ]
    out = wide[cols].sort_values(["week_start", *gcols]).reset_index(drop=True)
    ints = ["new", "returning", "resurrecting", "dormant", "active", "active_prev"]
    out[ints] = out[ints].astype("int64")
    return out


def check_lifecycle(lc: pd.DataFrame) -> None:
    """Check the lifecycle invariants row by row and across weeks (new + returning +
    resurrecting = active; returning + dormant = active the week before).

    Parameters
    ----------
    lc : pandas.DataFrame
        From :func:`weekly_lifecycle`.

    Returns
    -------
    None

    Raises
    ------
    ValueError
        Naming the first week where an invariant fails.
    """
    if not (lc["new"] + lc["returning"] + lc["resurrecting"] == lc["active"]).all():
        raise ValueError("lifecycle: new + returning + resurrecting differs from active")
    if not (lc["returning"] + lc["dormant"] == lc["active_prev"]).all():
        raise ValueError("lifecycle: returning + dormant differs from the previous week's active")
    keys = ["group"] if "group" in lc else []
    for _, g in lc.groupby(keys) if keys else [(None, lc)]:
        g = g.sort_values("week_start")
        consecutive = (pd.to_datetime(g["week_start"]).diff().dt.days == 7).to_numpy()[1:]
        if not (g["active_prev"].to_numpy()[1:] == g["active"].to_numpy()[:-1])[consecutive].all():
            raise ValueError("lifecycle: active_prev differs from the previous week's active")


def period_by_group(daily_by: pd.DataFrame, period: Period) -> pd.DataFrame:
    """Per group over ``period``: mean DAU and contributions, largest mean DAU first.

    Parameters
    ----------
    daily_by : pandas.DataFrame
        From :func:`daily_kpis` with a breakdown.
    period : Period
        The inclusive local-day window (:meth:`Period.of`).

    Returns
    -------
    pandas.DataFrame
        Columns group, mean_dau, contributions.
    """
    d = pd.to_datetime(daily_by["date"]).dt.date
    inside = daily_by[(d >= period.start) & (d <= period.end)]
    out = inside.groupby("group", as_index=False).agg(
        mean_dau=("dau", "mean"), contributions=("contributions", "sum")
    )
    return out.sort_values("mean_dau", ascending=False)


@accepts_dates
def last_weeks(frame: pd.DataFrame, as_of: date, weeks: int, column: str = "date") -> pd.DataFrame:
    """Rows of ``frame`` whose ``column`` (a day) falls in the ``weeks`` weeks ending at ``as_of``.

    Parameters
    ----------
    frame : pandas.DataFrame
        Any table with a day column.
    as_of : date, str or pandas.Timestamp
        The last complete local day included; nothing after it is read.
    weeks : int
        Number of 7-day weeks.
    column : str, optional
        The day column (default ``"date"``).

    Returns
    -------
    pandas.DataFrame
        The selected rows.
    """
    return frame[frame[column] > as_of - timedelta(weeks=weeks)]
