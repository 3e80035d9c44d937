"""Churn as survival (docs/definitions.md, "Churn").

- A member **churns** at their last active day before the first run of ``churn_days`` (30) inactive
  days. The join day counts as active (day 0). Churn is only visible ``churn_days`` later, so follow-up
  ends at ``cutoff = as_of - churn_days`` for everyone: members with no churn by then are censored at
  the cutoff, and members who joined after it are left out.
- Duration T = local days from the join day to the churn day or the cutoff.
- **Landmark**: covariates are measured in the first ``landmark_days`` (14) days after joining
  (days 0 .. landmark-1); only members with T >= landmark (neither churned nor censored before it) enter,
  and time is counted from the landmark. Lifetime totals are never used as covariates: they credit
  survival time to the covariate (immortal-time bias).
- **Left truncation**: members who joined before the first day of the log are left out by default
  (their early churn is unobservable); ``left_truncation="entry"`` keeps those active in the log's
  first ``churn_days`` days with delayed entry at the log start instead.

Event-level work (active days, landmark windows) is Ibis in :mod:`analysis.activity`; lifelines
(Kaplan-Meier, log-rank) works on the per-member table, and Cox models are :mod:`analysis.cox`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import ibis
import numpy as np
import pandas as pd
from scipy import stats

from analysis.activity import (
    active_day_masks,
    active_offsets,
    member_days_since_join,
    members_frame,
    quiet_starts,
    tiers_from_window,
    window_totals,
)
from analysis.data import DataSource, accepts_dates
from analysis.definitions import LANDMARK_TIERS
from analysis.definitions import ChurnRules as ChurnRules  # re-exported: the rules these analyses take
from analysis.display import HtmlRepr
from analysis.stats import holm

__all__ = [
    "churn_table",
    "join_runs",
    "landmark_table",
    "kaplan_meier",
    "survival_summary",
    "logrank",
    "RMST",
    "rmst",
    "rmst_table",
    "usable_tau",
    "reactivation",
    "sensitivity",
]

# --------------------------------------------------------------------------------------------------
# the per-member churn table


@accepts_dates
def churn_table(src: DataSource, as_of: date, rules: ChurnRules | None = None) -> pd.DataFrame:
    """One row per member in the churn analysis, by the churn rule counted from the join day
    (which counts as active for members who joined inside the log).

    Parameters
    ----------
    src : DataSource
        The community, from :func:`analysis.open` (or ``ctx.src`` in a report).
    as_of : date, str or pandas.Timestamp
        The last complete local day included; nothing after it is read.
    rules : ChurnRules, optional
        The churn definition (default :class:`analysis.definitions.ChurnRules`).

    Returns
    -------
    pandas.DataFrame
        member_id, join_day, channel, community, churn_day (NaT when none by the cutoff), event (bool),
        duration (days), entry (days; > 0 only with delayed entry), came_back (churned and active again
        later), left_truncated (joined before the log). ``attrs`` carry the counts the report must state:
        members joined after the cutoff and members joined before the log (left out or entered late).

    Examples
    --------
    >>> import analysis as ca
    >>> from analysis import survival
    >>> churn = survival.churn_table(ca.open("data/demo"), "2026-06-29")
    >>> km = survival.kaplan_meier(churn, group="channel")
    >>> summary = survival.survival_summary(km, at=(30,)).set_index("group")
    >>> summary.columns.tolist()[:5]
    ['members', 'events', 'median', 'median_ci_lower', 'median_ci_upper']
    >>> bool(summary.loc["all", "s30"] > 0.5)
    True
    """
    rules = rules or ChurnRules()
    first, _ = src.day_range()
    cutoff = as_of - timedelta(days=rules.churn_days)
    if cutoff < first:
        raise ValueError(
            f"as_of {as_of} leaves no follow-up: the cutoff {cutoff} is before the log starts ({first})"
        )
    m = members_frame(src, as_of)  # member_id order: a stable row order, the rows of join_runs
    first_ts, cutoff_ts = pd.Timestamp(first), pd.Timestamp(cutoff)
    keep = (m["join_day"] <= cutoff_ts).to_numpy()
    n_after_cutoff = int((~keep).sum())
    df = m[keep].reset_index(drop=True)
    df["left_truncated"] = df["join_day"] < first_ts
    start = df["join_day"].to_numpy("datetime64[D]")
    runs = join_runs(src, as_of, (rules.churn_days,))[rules.churn_days][keep].reset_index(drop=True)
    df["churn_day"] = _offset_days(start, runs["churn_k"].to_numpy())
    df["first_active"] = _offset_days(start, runs["first_k"].to_numpy())
    n_left = int(df["left_truncated"].sum())
    df = _with_entry(df, rules, first_ts)
    df["event"] = df["churn_day"].notna() & (df["churn_day"] <= cutoff_ts)
    end_day = df["churn_day"].where(df["event"], cutoff_ts)
    df["duration"] = (end_day - df["join_day"]).dt.days.astype("int64")
    df["came_back"] = df["event"] & runs["back"].reindex(df.index).to_numpy()
    df.loc[~df["event"], "churn_day"] = pd.NaT
    df["community"] = df["community"].fillna("(none)")
    df["channel"] = df["channel"].fillna("(none)")
    ym = df["join_day"].dt.year * 100 + df["join_day"].dt.month  # strftime is slow on a million rows
    codes, uniq = pd.factorize(ym)
    df["cohort_month"] = np.array([f"{u // 100:04d}-{u % 100:02d}" for u in uniq], dtype=object)[codes]
    out = df[CHURN_COLUMNS].reset_index(drop=True)
    counts = {"joined_after_cutoff": n_after_cutoff, "left_truncated": n_left}
    out.attrs.update(
        as_of=str(as_of),
        cutoff=str(cutoff),
        churn_days=rules.churn_days,
        **counts,
        left_truncation=rules.left_truncation,
    )
    return out


CHURN_COLUMNS = [
    "member_id",
    "join_day",
    "channel",
    "community",
    "cohort_month",
    "churn_day",
    "event",
    "duration",
    "entry",
    "came_back",
    "left_truncated",
]


@accepts_dates
def join_runs(src: DataSource, as_of: date, thresholds: Sequence[int]) -> dict[int, pd.DataFrame]:
    """The churn rule from the join day for every member joined by ``as_of``, one frame per churn
    threshold. The active days are fetched and put in order once per source and ``as_of``; every threshold
    not yet computed comes from one pass over them.

    Parameters
    ----------
    src : DataSource
        The community, from :func:`analysis.open` (or ``ctx.src`` in a report).
    as_of : date, str or pandas.Timestamp
        The last complete local day included; nothing after it is read.
    thresholds : sequence of int
        The churn_days values.

    Returns
    -------
    dict of int to pandas.DataFrame
        threshold -> churn_k (first day offset of the quiet run, -1 for none), back, first_k; rows as in
        :func:`analysis.activity.members_frame`.
    """
    key = ("join_runs", as_of, src.tz)
    if key not in src.cache:
        m = members_frame(src, as_of)
        start = m["join_day"].to_numpy("datetime64[D]")
        masks = active_day_masks(src, m["member_id"], start, as_of)
        day0 = start >= np.datetime64(src.day_range()[0], "D")  # joined inside the log
        offsets = active_offsets(
            *(masks[c].to_numpy(np.int64) for c in ("row", "chunk", "days")), day0_active=day0
        )
        last = (np.datetime64(as_of, "D") - start).astype(np.int64)  # as_of, in days from the join day
        src.cache[key] = (offsets, last, {})
    offsets, last, runs = src.cache[key]
    todo = [d for d in dict.fromkeys(thresholds) if d not in runs]
    columns = ("churn_k", "back", "first_k")
    for d, found in quiet_starts(*offsets, last, todo).items():
        runs[d] = pd.DataFrame(dict(zip(columns, found, strict=True)))
    return {d: runs[d] for d in thresholds}


def _with_entry(df: pd.DataFrame, rules: ChurnRules, first_ts: pd.Timestamp) -> pd.DataFrame:
    """Members who joined before the log: left out (``exclude``), or (``entry``) kept with delayed entry
    at the log's first day when active within its first churn_days days (else they churned before)."""
    if rules.left_truncation == "exclude":
        df = df[~df["left_truncated"]].copy()
        df["entry"] = 0
        return df
    early = df["first_active"] < first_ts + pd.Timedelta(days=rules.churn_days)
    df = df[~df["left_truncated"] | early].copy()
    df["entry"] = np.where(df["left_truncated"], (first_ts - df["join_day"]).dt.days, 0)
    return df


def _offset_days(start: np.ndarray, k: np.ndarray) -> pd.Series:
    """``start + k`` days as datetime64[s], NaT where k < 0."""
    days = np.where(k >= 0, start + np.maximum(k, 0).astype("timedelta64[D]"), np.datetime64("NaT"))
    return pd.Series(days.astype("datetime64[s]"))


@accepts_dates
def landmark_table(
    src: DataSource, churn: pd.DataFrame, as_of: date, rules: ChurnRules | None = None
) -> pd.DataFrame:
    """Members still in the risk set at the landmark (duration >= landmark_days), with
    covariates from days 0 .. landmark-1 after joining and time counted from the landmark.

    Parameters
    ----------
    src : DataSource
        The community, from :func:`analysis.open` (or ``ctx.src`` in a report).
    churn : pandas.DataFrame
        From :func:`churn_table`.
    as_of : date, str or pandas.Timestamp
        The last complete local day included; nothing after it is read.
    rules : ChurnRules, optional
        The churn definition (its ``landmark_days`` and ``tiers``).

    Returns
    -------
    pandas.DataFrame
        The churn table's columns plus lm_contributions, lm_active_days, lm_score, lm_tier (core / active /
        lurker / dormant on the landmark window, with the core cut pooled over all members at their
        landmark) and ``t`` = duration - landmark_days. Members who joined before the log have no observed
        landmark window: their covariates are NaN (``attrs["covariates_unknown"]``).
    """
    rules = rules or ChurnRules()
    L = rules.landmark_days
    d = churn[churn["duration"] >= L].copy()
    j = member_days_since_join(src, as_of)
    j = j.filter(j.day < j.jd + ibis.interval(days=L))
    totals = window_totals(j, rules.tiers.weights)
    cov = totals.select(
        "member_id",
        lm_contributions=totals.contributions,
        lm_active_days=totals.active_days,
        lm_score=totals.score,
    ).execute()
    d = d.merge(cov, on="member_id", how="left")
    for c in ("lm_contributions", "lm_active_days", "lm_score"):
        d[c] = d[c].fillna(0)
    d["lm_contributions"] = d["lm_contributions"].astype("int64")
    d["lm_active_days"] = d["lm_active_days"].astype("int64")
    # members who joined before the log have no observed landmark window: their covariates are unknown
    # (not zero), so they stay out of the tier groups and the Cox model but count in the overall curves
    seen = ~d["left_truncated"].to_numpy(bool)
    per = d.loc[seen, ["lm_contributions", "lm_active_days", "lm_score"]].set_axis(
        ["contributions", "active_days", "score"], axis=1
    )
    tier = tiers_from_window(per, None, rules.tiers)
    d["lm_tier"] = pd.Categorical(tier.astype(str).reindex(d.index), categories=list(LANDMARK_TIERS))
    for c in ("lm_contributions", "lm_active_days", "lm_score"):
        d[c] = d[c].where(seen)
    d["t"] = d["duration"] - L
    d["entry_t"] = np.maximum(d["entry"] - L, 0)
    d.attrs.update(
        churn.attrs,
        landmark_days=L,
        dropped_before_landmark=int(len(churn) - len(d)),
        covariates_unknown=int((~seen).sum()),
    )
    return d


# --------------------------------------------------------------------------------------------------
# Kaplan-Meier, log-rank


def kaplan_meier(
    df: pd.DataFrame,
    group: str | None = None,
    duration: str = "duration",
    event: str = "event",
    entry: str | None = "entry",
) -> pd.DataFrame:
    """Kaplan–Meier survival with 95% CI (lifelines' exponential Greenwood) and at-risk counts,
    per group.

    With delayed entry, a member entering at time e is at risk on (e, T], R's counting-process convention
    (``survfit(Surv(entry, T, E))``): not at an event time equal to its entry.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per member, for example :func:`churn_table` or :func:`landmark_table`.
    group : str, optional
        A column of ``df``; group ``all`` holds every row, the other groups its values (rows where it is
        missing are in ``all`` only).
    duration : str, optional
        The column of follow-up time in days.
    event : str, optional
        The column that is True (1) for a churn.
    entry : str or None, optional
        The delayed-entry column (``"entry"``; ignored when absent), None for none.

    Returns
    -------
    pandas.DataFrame
        group, timeline, survival, ci_lower, ci_upper, at_risk, events.
    """
    from lifelines import KaplanMeierFitter

    frames = []
    groups = [("all", df)] + ([(str(k), g) for k, g in df.groupby(group, observed=True)] if group else [])
    for name, g in groups:
        kmf = KaplanMeierFitter()
        ent = g[entry] if entry and entry in g and (g[entry] > 0).any() else None
        times = None
        if ent is not None:
            g = g[(g[entry] <= 0) | (g[duration] > g[entry])]  # no time at risk on (e, T] when T <= e
            ent = g[entry].astype(float)
            times = np.unique(np.r_[0.0, g[duration].to_numpy(float)])
            half_gap = np.diff(times).min() / 2 if len(times) > 1 else 0.5
            ent = ent.where(ent <= 0, ent + half_gap)  # lifelines counts entrants at their entry time
        kmf.fit(g[duration], g[event], entry=ent, label="s")
        sf = kmf.survival_function_
        ci = kmf.confidence_interval_
        tab = kmf.event_table
        if times is not None:  # drop the shifted entry times again (no events there)
            keep = sf.index.isin(times)
            sf, ci = sf[keep], ci[keep]
        frames.append(
            pd.DataFrame(
                {
                    "group": name,
                    "timeline": sf.index.to_numpy(),
                    "survival": sf["s"].to_numpy(),
                    "ci_lower": ci.iloc[:, 0].to_numpy(),
                    "ci_upper": ci.iloc[:, 1].to_numpy(),
                    "at_risk": tab["at_risk"].reindex(sf.index).to_numpy(),
                    "events": tab["observed"].reindex(sf.index).to_numpy(),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def _step_at(km: pd.DataFrame, t: float, col: str) -> float:
    k = km[km["timeline"] <= t]
    if k.empty:
        return 1.0
    if t > km["timeline"].max():
        return float("nan")
    return float(k[col].iloc[-1])


def survival_summary(km: pd.DataFrame, at: Sequence[int] = (30, 60, 90)) -> pd.DataFrame:
    """Per group: members at start, median lifetime with 95% CI, survival at ``at`` days with
    CI. Medians are NaN (not reached) when survival stays above 50% during follow-up.

    Parameters
    ----------
    km : pandas.DataFrame
        From :func:`kaplan_meier`.
    at : sequence of int, optional
        Days to read survival at (30, 60, 90).

    Returns
    -------
    pandas.DataFrame
        group, members, events, median, median_ci_lower, median_ci_upper, and per day ``s{d}``,
        ``s{d}_ci_lower``, ``s{d}_ci_upper``.
    """
    rows = []
    for g, k in km.groupby("group", sort=False):
        row = {"group": g, "members": int(k["at_risk"].iloc[0]), "events": int(k["events"].sum())}
        for label, col in (
            ("median", "survival"),
            ("median_ci_lower", "ci_lower"),
            ("median_ci_upper", "ci_upper"),
        ):
            below = k[k[col] <= 0.5]
            row[label] = float(below["timeline"].iloc[0]) if len(below) else float("nan")
        for t in at:
            row[f"s{t}"] = _step_at(k, t, "survival")
            row[f"s{t}_ci_lower"] = _step_at(k, t, "ci_lower")
            row[f"s{t}_ci_upper"] = _step_at(k, t, "ci_upper")
        rows.append(row)
    return pd.DataFrame(rows)


def logrank(
    df: pd.DataFrame, group: str, duration: str = "duration", event: str = "event"
) -> tuple[dict, pd.DataFrame]:
    """Overall k-group log-rank test and pairwise tests with Holm-adjusted p-values.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per member, for example :func:`churn_table` or :func:`landmark_table`.
    group : str
        The column that defines the groups.
    duration : str, optional
        The column of follow-up time in days.
    event : str, optional
        The column that is True (1) for a churn.

    Returns
    -------
    (dict, pandas.DataFrame)
        The overall test (chi2, df, p_value) and the pairwise table (group_a, group_b, chi2, p_value,
        p_holm).
    """
    from lifelines.statistics import multivariate_logrank_test, pairwise_logrank_test

    d = df[df[group].notna()]
    overall = multivariate_logrank_test(d[duration], d[group].astype(str), d[event])
    pw = pairwise_logrank_test(d[duration], d[group].astype(str), d[event]).summary.reset_index()
    pw.columns = ["group_a", "group_b", *pw.columns[2:]]
    pw = pw.rename(columns={"test_statistic": "chi2", "p": "p_value"})[
        ["group_a", "group_b", "chi2", "p_value"]
    ]
    pw["p_holm"] = holm(pw["p_value"].to_numpy()) if len(pw) else []
    return {
        "chi2": float(overall.test_statistic),
        "df": int(overall.degrees_of_freedom),
        "p_value": float(overall.p_value),
    }, pw


# --------------------------------------------------------------------------------------------------
# RMST with a Greenwood standard error


@dataclass(frozen=True)
class RMST(HtmlRepr):
    """Restricted mean survival time up to ``tau`` and its Greenwood-type standard error."""

    tau: float
    rmst: float
    se: float


def rmst(durations: np.ndarray, events: np.ndarray, tau: float, weights: np.ndarray | None = None) -> RMST:
    """Restricted mean survival time: the area under the KM curve on [0, tau], with
    Var = Σ_{t_j <= tau} A_j² d_j / (n_j (n_j - d_j)), A_j the area under the curve from t_j to tau.

    Parameters
    ----------
    durations : numpy.ndarray
        Follow-up times.
    events : numpy.ndarray
        1 for an event, 0 for censored.
    tau : float
        The horizon.
    weights : numpy.ndarray, optional
        Case weights (members per row).

    Returns
    -------
    RMST
        tau, rmst and se.

    References
    ----------
    Uno et al., survRM2 (R package): the same estimator and variance.
    """
    t = np.asarray(durations, float)
    e = np.asarray(events, bool)
    w = np.ones_like(t) if weights is None else np.asarray(weights, float)
    times = np.unique(t[e & (t <= tau)])
    n_at = np.array([w[t >= u].sum() for u in times])
    d_at = np.array([w[(t == u) & e].sum() for u in times])
    s = np.cumprod(1 - d_at / n_at)
    grid = np.concatenate([[0.0], times, [tau]])
    surv = np.concatenate([[1.0], s])
    area = np.diff(grid) * surv  # area of each step
    total = float(area.sum())
    tail = np.cumsum(area[::-1])[::-1][1:]  # A_j: area after t_j
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(n_at > d_at, tail**2 * d_at / (n_at * (n_at - d_at)), 0.0)
    return RMST(float(tau), total, float(math.sqrt(terms.sum())))


def rmst_table(
    df: pd.DataFrame,
    group: str,
    tau: float,
    reference: str | None = None,
    duration: str = "duration",
    event: str = "event",
) -> pd.DataFrame:
    """RMST per group with 95% CI, and the difference to ``reference`` with CI and a two-sided
    z-test p-value. ``tau`` is lowered to the shortest of the groups' longest follow-up (survRM2's rule), so
    no group's curve is extrapolated.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per member, for example :func:`churn_table` or :func:`landmark_table`.
    group : str
        The column that defines the groups.
    tau : float
        The horizon asked for.
    reference : str, optional
        The reference group (default the largest).
    duration : str, optional
        The column of follow-up time in days.
    event : str, optional
        The column that is True (1) for a churn.

    Returns
    -------
    pandas.DataFrame
        group, members, tau (the value used), rmst, se, ci_lower, ci_upper, reference, difference,
        diff_ci_lower, diff_ci_upper, p_value.
    """
    groups = {str(k): g for k, g in df.groupby(group, observed=True)}
    ref = reference or max(groups, key=lambda k: len(groups[k]))
    tau = usable_tau(df, group, tau, duration)
    res = {k: rmst(g[duration].to_numpy(), g[event].to_numpy(), tau) for k, g in groups.items()}
    z = stats.norm.ppf(0.975)
    rows = []
    for k, r in res.items():
        diff = r.rmst - res[ref].rmst
        se_d = math.hypot(r.se, res[ref].se)
        rows.append(
            {
                "group": k,
                "members": len(groups[k]),
                "tau": tau,
                "rmst": r.rmst,
                "se": r.se,
                "ci_lower": r.rmst - z * r.se,
                "ci_upper": r.rmst + z * r.se,
                "reference": ref,
                "difference": diff,
                "diff_ci_lower": diff - z * se_d,
                "diff_ci_upper": diff + z * se_d,
                "p_value": float(2 * stats.norm.sf(abs(diff) / se_d))
                if k != ref and se_d > 0
                else float("nan"),
            }
        )
    return pd.DataFrame(rows)


def usable_tau(df: pd.DataFrame, group: str, tau: float, duration: str = "duration") -> float:
    """``tau``, or the shortest of the groups' longest follow-up times when that is shorter.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per member, for example :func:`churn_table` or :func:`landmark_table`.
    group : str
        The column that defines the groups.
    tau : float
        The horizon asked for.
    duration : str, optional
        The column of follow-up time in days.

    Returns
    -------
    float
    """
    longest = df.groupby(group, observed=True)[duration].max()
    return tau if not len(longest) or tau <= longest.min() else float(longest.min())


# --------------------------------------------------------------------------------------------------
# reactivation, sensitivity, risk now


def reactivation(churn: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    """Share of churned members who were active again later.

    Parameters
    ----------
    churn : pandas.DataFrame
        From :func:`churn_table`.
    by : str, optional
        A column to break down by.

    Returns
    -------
    pandas.DataFrame
        [by], churned, came_back, rate.
    """
    d = churn[churn["event"]]
    keys = [by] if by else []
    g = d.groupby(keys, observed=True) if keys else [((), d)]
    rows = [
        {
            **({by: k[0] if isinstance(k, tuple) else k} if by else {}),
            "churned": len(x),
            "came_back": int(x["came_back"].sum()),
        }
        for k, x in g
    ]
    out = pd.DataFrame(rows)
    out["rate"] = out["came_back"] / out["churned"].where(out["churned"] > 0)
    return out


@accepts_dates
def sensitivity(
    src: DataSource,
    as_of: date,
    churn_days: Sequence[int] = (14, 30, 60, 90),
    left_truncation: str = "exclude",
) -> pd.DataFrame:
    """How the answers move with the churn threshold (one pass over the active days serves
    every threshold).

    Parameters
    ----------
    src : DataSource
        The community, from :func:`analysis.open` (or ``ctx.src`` in a report).
    as_of : date, str or pandas.Timestamp
        The last complete local day included; nothing after it is read.
    churn_days : sequence of int, optional
        The thresholds (14, 30, 60, 90).
    left_truncation : {"exclude", "entry"}, optional
        How members who joined before the log are treated.

    Returns
    -------
    pandas.DataFrame
        churn_days, cutoff, members, churned, median (lifetime), s30, s60, s90, came_back_rate.
    """
    rows = []
    first, _ = src.day_range()
    churn_days = [w for w in churn_days if as_of - timedelta(days=w) >= first + timedelta(days=7)]
    join_runs(src, as_of, churn_days)  # every threshold from one pass over the active days
    for w in churn_days:
        c = churn_table(src, as_of, ChurnRules(churn_days=w, left_truncation=left_truncation))
        s = survival_summary(kaplan_meier(c)).iloc[0]
        r = reactivation(c).iloc[0]
        rows.append(
            {
                "churn_days": w,
                "cutoff": c.attrs["cutoff"],
                "members": len(c),
                "churned": int(c["event"].sum()),
                "median": s["median"],
                "s30": s["s30"],
                "s60": s["s60"],
                "s90": s["s90"],
                "came_back_rate": r["rate"],
            }
        )
    return pd.DataFrame(rows)
