"""The daily view of an experiment: each primary effect as it was on every day it could be looked at,
with always-valid intervals (:mod:`analysis.sequential`), so that looking every day never inflates false
positives.

A look on day d counts the members whose metric window had ended by d (the window ends
``metric_days`` after the assignment for counts, on the last day of the retention bracket for retention),
so every member's outcome is final when it enters and the last look equals the fixed-horizon analysis,
whose test stays the verdict at the planned end (the day the last assigned member's window ends). Looks
are the days on which members entered, up to the report date.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import numpy as np
import pandas as pd

from analysis import clusters
from analysis import sequential as sq
from analysis.data import accepts_dates
from analysis.definitions import ALPHA
from analysis.experiment import COUNT_METRICS, PRE_COVARIATE, RETENTION_DAYS, _control
from analysis.stats import Moments

__all__ = [
    "ready_day",
    "planned_end",
    "monitoring",
    "status",
]

COLUMNS = [
    "experiment",
    "metric",
    "arm",
    "day",
    "n",
    "n_control",
    "effect",
    "cs_lower",
    "cs_upper",
    "lift",
    "lift_cs_lower",
    "lift_cs_upper",
    "p_value",
    "method",
]


def ready_day(table: pd.DataFrame, metric: str) -> pd.Series:
    """The day each member's ``metric`` is final: assignment day + metric_days (counts) or + the
    last day of the retention bracket.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`analysis.experiment.metric_table`.
    metric : str
        The metric.

    Returns
    -------
    pandas.Series
    """
    lag = RETENTION_DAYS[metric][1] if metric in RETENTION_DAYS else int(table.attrs["metric_days"])
    return pd.to_datetime(table["assign_day"]) + pd.Timedelta(days=lag)


def planned_end(table: pd.DataFrame, metrics: Sequence[str]) -> date:
    """The day the last assigned member's window ends for every metric.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`analysis.experiment.metric_table`.
    metrics : sequence of str
        The metrics.

    Returns
    -------
    date
    """
    return max(ready_day(table, m).max() for m in metrics).date()


def monitoring(
    table: pd.DataFrame,
    metrics: Sequence[str] = ("contributions", "retained_d30"),
    control: str | None = None,
    alpha: float = ALPHA,
    n_star: float = sq.N_STAR,
    cuped: bool = True,
    community: pd.Series | None = None,
) -> pd.DataFrame:
    """The experiment as it would have been watched: one row per metric, treatment arm and look
    day, with always-valid intervals (safe to look every day).

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`analysis.experiment.metric_table`.
    metrics : sequence of str, optional
        The metrics.
    control : str, optional
        The control arm.
    alpha : float, optional
        Two-sided significance level (0.05).
    n_star : float, optional
        Observations where the sequence is tightest.
    cuped : bool, optional
        CUPED-adjust metrics with a pre-period.
    community : pandas.Series, optional
        Each row's community for a community-randomised experiment: communities are the units of the
        sequence, with the cluster-robust (CR0) standard error.

    Returns
    -------
    pandas.DataFrame
        metric, arm, day, n, n_control, effect with its always-valid interval, lift with its interval,
        the always-valid p-value, method.
    """
    control = _control(table, control)
    as_of = pd.Timestamp(table.attrs.get("as_of", pd.Timestamp.max.date()))
    arms = [a for a in sorted(table["arm"].unique()) if a != control]
    in_arm = {a: (table["arm"] == a).to_numpy() for a in (control, *arms)}  # compared once, not per look
    rows = []
    for metric in metrics:
        if metric not in COUNT_METRICS and metric not in RETENTION_DAYS:
            raise ValueError(f"no window is defined for metric {metric!r}")
        ready = ready_day(table, metric)
        ready_at = ready.to_numpy()
        y = table[metric].to_numpy(float)
        cov = PRE_COVARIATE.get(metric)
        x = table[cov].to_numpy(float) if cov in table and cuped else None
        ok = ~np.isnan(y) & (ready <= as_of).to_numpy()
        for day in sorted(ready[ok].unique()):
            seen = ok & (ready_at <= np.datetime64(day))
            for arm in arms:
                if community is not None:
                    e = _cluster_look(
                        table, community, seen, metric, cov if x is not None else None, control, arm, alpha
                    )
                else:
                    c = _moments(y, x, seen & in_arm[control])
                    t = _moments(y, x, seen & in_arm[arm])
                    e = (
                        sq.effect(c, t, cuped=x is not None, alpha=alpha, n_star=n_star)
                        if min(c.n, t.n) >= 2
                        else None
                    )
                if e is not None:
                    rows.append(_row(table, metric, arm, day, e, "cuped" if x is not None else "raw"))
    return pd.DataFrame(rows, columns=COLUMNS)


def _cluster_look(
    table: pd.DataFrame,
    community: pd.Series,
    seen: np.ndarray,
    metric: str,
    cov: str | None,
    control: str,
    arm: str,
    alpha: float,
) -> sq.SequentialEffect | None:
    """One look of a community-randomised experiment: communities as the units (CR0 standard error,
    n = communities, N* = all communities of the two arms)."""
    rows = seen & table["arm"].isin([control, arm]).to_numpy()
    sums = clusters.cluster_sums(table[rows], community[rows], metric, cov)
    c, t = sums[sums["arm"] == control], sums[sums["arm"] == arm]
    if len(c) < 2 or len(t) < 2:
        return None
    e = clusters.effect(c, t, cuped=cov is not None, cr2=False)
    final = int(community[table["arm"].isin([control, arm]).to_numpy()].nunique())
    g = len(c) + len(t)
    members = (e.members, e.members_control)
    return sq.sequence(e.effect, e.se, e.relative, e.relative_se, g, *members, alpha, final)


def _moments(y: np.ndarray, x: np.ndarray | None, rows: np.ndarray) -> Moments:
    return Moments.of(y[rows], None if x is None else x[rows])


def _row(table: pd.DataFrame, metric: str, arm: str, day, e: sq.SequentialEffect, method: str) -> dict:
    return {
        "experiment": table.attrs.get("experiment", ""),
        "metric": metric,
        "arm": arm,
        "day": pd.Timestamp(day).date(),
        "n": e.n,
        "n_control": e.n_control,
        "effect": e.effect,
        "cs_lower": e.cs_lower,
        "cs_upper": e.cs_upper,
        "lift": e.lift,
        "lift_cs_lower": e.lift_cs_lower,
        "lift_cs_upper": e.lift_cs_upper,
        "p_value": e.p_value,
        "method": method,
    }


@accepts_dates
def status(mon: pd.DataFrame, end: date) -> pd.DataFrame:
    """Per metric and arm at the latest look: whether the always-valid interval excludes no change
    (``settled``), in which direction, and the planned end.

    Parameters
    ----------
    mon : pandas.DataFrame
        From :func:`monitoring`.
    end : date
        The planned end (:func:`planned_end`).

    Returns
    -------
    pandas.DataFrame
    """
    if mon.empty:
        return pd.DataFrame(columns=["metric", "arm", "day", "settled", "direction", "planned_end"])
    last = mon.sort_values("day").groupby(["metric", "arm"], sort=False).tail(1)
    settled = (last["cs_lower"] > 0) | (last["cs_upper"] < 0)
    return last.assign(
        settled=settled,
        direction=np.where(last["cs_lower"] > 0, "up", np.where(last["cs_upper"] < 0, "down", "")),
        planned_end=end,
    )[["metric", "arm", "day", "settled", "direction", "planned_end"]].reset_index(drop=True)
