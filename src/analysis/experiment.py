"""Incentive experiments (docs/definitions.md, "Experiments"): per-member metrics, effects, diagnostics.

- Each member's metrics are measured on events in [assigned_at, assigned_at + metric_days) and, for
  CUPED, the same metric in the ``metric_days`` before assignment. Retained at day 14 / 30 = active on a
  local day 8..14 / 24..30 after the local assignment day (day 0).
- A member enters a metric only when its window has ended by ``as_of`` (retention: day 14 / 30 <= as_of;
  counts: assigned_at + metric_days <= the end of ``as_of``).
- Members assigned to more than one arm of the experiment (multiple exposure) are left out and counted.
- Pre-assignment tier = tier at the day before the experiment's first assignment (see
  :mod:`analysis.segments`); members who joined later are ``new``.

Event-level work is Ibis; the statistics run on per-arm sufficient statistics (:mod:`analysis.stats`).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import ibis
import numpy as np
import pandas as pd
import statsmodels.api as sm

from analysis import clusters, sequential
from analysis import stats as st
from analysis.activity import assign_tiers, churn_after, day_bit, weighted_score
from analysis.cox import fit_cox
from analysis.data import DataSource, accepts_dates, fetch
from analysis.data import experiments as experiments  # re-exported: the experiments of a source
from analysis.definitions import (
    ALPHA,
    CONTRIBUTION_TYPES,
    CONTROL_ARM,
    DEFAULT_WEIGHTS,
    EVENT_COLUMNS,
    EXPERIMENT_COUNT_METRICS,
    EXPERIMENT_METRICS,
    EXPERIMENT_RETENTION,
    EXPERIMENT_RETENTION_METRICS,
    TierRules,
)
from analysis.display import HtmlRepr

__all__ = [
    "experiments",
    "control_arm",
    "SplitPlan",
    "planned_split",
    "metric_table",
    "effects",
    "srm_table",
    "balance",
    "power",
    "heterogeneity",
    "novelty",
    "composition",
    "cost_effectiveness",
    "Verdict",
    "verdicts",
    "Signal",
    "SchemeStory",
    "scheme_stories",
    "outcome_spread",
    "story_table",
    "churn_hazard",
]

log = logging.getLogger(__name__)
COUNT_METRICS = EXPERIMENT_COUNT_METRICS
RETENTION_METRICS = EXPERIMENT_RETENTION_METRICS
METRICS = EXPERIMENT_METRICS
# pre-period covariate for CUPED; retention metrics use pre-period active days (no self-analogue)
PRE_COVARIATE = {m: f"pre_{m}" for m in COUNT_METRICS} | {m: "pre_active_days" for m in RETENTION_METRICS}
TYPE_COLS = {t: EVENT_COLUMNS[t] for t in CONTRIBUTION_TYPES}
# the event types counted per member, in the order of their codes in the metric query
COUNTED_TYPES = TYPE_COLS | {t: EVENT_COLUMNS[t] for t in ("visit", "checkin")}
RETENTION_DAYS = EXPERIMENT_RETENTION  # local days after the assignment day


def control_arm(src: DataSource, experiment: str) -> str:
    """The experiment's control arm: the arm with ``arms.is_control``; without an ``arms`` table,
    the arm named ``control``.

    Parameters
    ----------
    src : DataSource
        The community, from :func:`analysis.open` (or ``ctx.src`` in a report).
    experiment : str
        The experiment's name in ``assignments``.

    Returns
    -------
    str

    Raises
    ------
    ValueError
        When the experiment has no control arm, naming its arms.
    """
    arms = src.table("arms")
    if arms is not None:
        rows = arms.filter((arms.experiment == experiment) & arms.is_control).select("arm").execute()
        if len(rows) == 1:
            return str(rows["arm"].iloc[0])
        raise ValueError(f"experiment {experiment!r}: arms must mark exactly one control arm (is_control)")
    present = _assigned_arms(src, experiment)
    if CONTROL_ARM in present:
        return CONTROL_ARM
    raise ValueError(
        f"experiment {experiment!r} has no arms table and no arm named {CONTROL_ARM!r} "
        f"(arms: {', '.join(present)})"
    )


@dataclass(frozen=True)
class SplitPlan(HtmlRepr):
    """Planned share of each arm; ``known`` is False when the data carry no plan (equal shares assumed)."""

    experiment: str
    weights: Mapping[str, float]
    known: bool

    def shares(self) -> pd.Series:
        """The planned share of each arm (the weights normalised to sum to 1).


        Returns
        -------
        pandas.Series
            Arm -> share.
        """
        w = pd.Series(dict(self.weights), dtype=float)
        return w / w.sum()


def planned_split(src: DataSource, experiment: str) -> SplitPlan:
    """The planned split from ``arms`` (weights), or equal shares over the assigned arms without
    it.

    Parameters
    ----------
    src : DataSource
        The community, from :func:`analysis.open` (or ``ctx.src`` in a report).
    experiment : str
        The experiment's name in ``assignments``.

    Returns
    -------
    SplitPlan
    """
    arms = src.table("arms")
    if arms is not None:
        d = arms.filter(arms.experiment == experiment).select("arm", "weight").execute()
        return SplitPlan(
            experiment, dict(zip(d["arm"].astype(str), d["weight"].astype(float), strict=True)), True
        )
    return SplitPlan(experiment, dict.fromkeys(_assigned_arms(src, experiment), 1.0), False)


def _assigned_arms(src: DataSource, experiment: str) -> list[str]:
    a = src.table("assignments")
    if a is None:
        return []
    arms = a.filter(a.experiment == experiment).select("arm").distinct().execute()["arm"]
    return sorted(map(str, arms))


def _control(table: pd.DataFrame, control: str | None) -> str:
    """The control arm to compare with: ``control`` when given, else the one :func:`metric_table`
    recorded; it must be one of the table's arms."""
    c = control or table.attrs.get("control") or CONTROL_ARM
    if not (table["arm"] == c).any():
        arms = ", ".join(sorted(map(str, table["arm"].unique())))
        raise ValueError(f"control arm {c!r} is not among the arms of the table ({arms}); pass control=")
    return c


@accepts_dates
def metric_table(
    src: DataSource,
    experiment: str,
    as_of: date | str,
    metric_days: int = 28,
    weights: Mapping[str, float] | None = None,
    tier_rules: TierRules | None = None,
) -> pd.DataFrame:
    """One row per singly-assigned member with the window and pre-period metrics; NaN where not yet
    observable.

    Parameters
    ----------
    src : DataSource
        The community, from :func:`analysis.open` (or ``ctx.src`` in a report).
    experiment : str
        The experiment's name in ``assignments``.
    as_of : date, str or pandas.Timestamp
        The last complete local day included; nothing after it is read.
    metric_days : int, optional
        The metric window after assignment (28).
    weights : mapping of str to float, optional
        Contribution weights of the score (default :data:`analysis.definitions.DEFAULT_WEIGHTS`).
    tier_rules : TierRules, optional
        The rules of the pre-assignment tiers.

    Returns
    -------
    pandas.DataFrame
        member_id, arm, assigned_at, assign_day, tier (pre-assignment), each metric and ``pre_<metric>``,
        contributions by week since assignment (``contributions_w1`` ..), reward cost. ``attrs``:
        multiple_exposure (members left out), metric_days, the tiers' reference day, control.

    Examples
    --------
    >>> import analysis as ca
    >>> from analysis import experiment
    >>> src = ca.open("data/demo")
    >>> name = experiment.experiments(src)[0]
    >>> table = experiment.metric_table(src, name, "2026-06-29")
    >>> eff = experiment.effects(table)
    >>> sorted(eff["arm"].unique()), sorted(eff["method"].unique())
    (['badges', 'cash', 'points'], ['cuped', 'raw'])
    """
    if metric_days < 1:
        raise ValueError(f"metric_days must be at least 1, got {metric_days}")
    weights = dict(weights or DEFAULT_WEIGHTS)
    single, n_multi = _singly_assigned(src, experiment)
    df = fetch(single.order_by("idx"))
    if len(df) == 0:
        raise ValueError(f"experiment {experiment!r} has no singly-assigned members")
    df = df.drop(columns="idx")
    first, last = pd.to_datetime(df["assign_day"]).min().date(), pd.to_datetime(df["assign_day"]).max().date()
    activity = _window_activity(src, single, as_of, metric_days, (first, last), len(df))
    cost = _reward_cost(src, single, experiment, metric_days, len(df))
    df = pd.DataFrame({**{c: df[c] for c in df}, **{c: activity[c] for c in activity}, "cost": cost})
    for p in ("", "pre_"):
        df[f"{p}contributions"] = sum(df[f"{p}{c}"] for c in TYPE_COLS.values())
        df[f"{p}contribution_score"] = weighted_score(lambda c, p=p: df[f"{p}{c}"], weights)
        df[f"{p}contributor"] = (df[f"{p}contributions"] > 0).astype(float)
    df["assign_day"] = pd.to_datetime(df["assign_day"]).dt.date
    # windows [assigned_at, assigned_at + metric_days) have ended by the end of as_of, at any time of day
    d0 = pd.to_datetime(df["assign_day"])
    complete = d0 + pd.Timedelta(days=metric_days) <= pd.Timestamp(as_of)
    for m in COUNT_METRICS:
        df.loc[~complete, m] = np.nan
    for m, (_, last_k) in RETENTION_DAYS.items():
        df[m] = np.where(d0 + pd.Timedelta(days=last_k) <= pd.Timestamp(as_of), df[m], np.nan)
    ref = min(df["assign_day"]) - timedelta(days=1)
    tiers = assign_tiers(src, ref, tier_rules, as_of=as_of)[["member_id", "tier"]]
    at = pd.Index(tiers["member_id"]).get_indexer(df["member_id"])  # -1: joined after the reference date
    df["tier"] = np.where(at >= 0, tiers["tier"].astype(object).to_numpy()[at], "new").astype(object)
    df.attrs.update(
        experiment=experiment,
        multiple_exposure=n_multi,
        metric_days=metric_days,
        tier_reference_date=str(ref),
        as_of=str(as_of),
        control=control_arm(src, experiment),
    )
    return df


def _singly_assigned(src: DataSource, experiment: str) -> tuple[ibis.Table, int]:
    """The experiment's members in exactly one arm (member_id, arm, assigned_at, local assign_day and a
    row number ``idx`` by member_id), materialised so that the row numbers hold in every query; and
    the number of members in more than one arm."""
    a = src.table("assignments")
    if a is None:
        raise ValueError("the data source has no assignments table")
    a = a.filter(a.experiment == experiment)
    per = a.group_by("member_id").aggregate(
        n_arms=a.arm.nunique(), arm=a.arm.argmin(a.assigned_at), assigned_at=a.assigned_at.min()
    )
    n_multi = int(per.filter(per.n_arms > 1).count().execute())
    single = per.filter(per.n_arms == 1).select("member_id", "arm", "assigned_at")
    single = single.mutate(
        assign_day=src.local(single.assigned_at).date(), idx=ibis.row_number().over(order_by=single.member_id)
    )
    return src.materialize(single), n_multi


def _window_activity(
    src: DataSource, single: ibis.Table, as_of: date, metric_days: int, assign_days: tuple[date, date], n: int
) -> pd.DataFrame:
    """Row ``idx`` of ``single`` (assigned members): counts by type in [assigned_at, + metric_days) and in
    the pre-period [assigned_at - metric_days, assigned_at), contributions by week, active days in each
    (distinct local days), and retained_d14 / retained_d30 (active on local day 8..14 / 24..30 after the
    assignment day) as 0/1.

    One pass over the members' events from the pre-period to the last retention day, grouped by
    (member, part, type); part 0 is the pre-period, 1..W the weeks of the window, W + 1 after it. The
    distinct days of a group travel as a bit mask of day offsets (in chunks of 62 days), so active days
    are a popcount of the OR over types instead of a COUNT(DISTINCT) per window."""
    weeks = math.ceil(metric_days / 7)
    span = ibis.interval(days=metric_days)
    last_day = max(hi for _, hi in RETENTION_DAYS.values())
    # the local days any member's parts can touch (the UTC shift of metric_days moves a day at most one)
    since = assign_days[0] - timedelta(days=metric_days + 1)
    until = min(as_of, assign_days[1] + timedelta(days=max(last_day, metric_days + 1)))
    e = src.events_local(until, since=since)
    s = single.select(sid="member_id", idx="idx", aat="assigned_at", ad="assign_day")
    j = e.join(s, e.member_id == s.sid)
    j = j.mutate(k=j.day.delta(j.ad, unit="day"))
    j = j.filter(j.ts >= j.aat - span, (j.ts < j.aat + span) | (j.k <= last_day))
    ends = [j.aat + ibis.interval(days=min(7 * (w + 1), metric_days)) for w in range(weeks)]
    part = ibis.cases(
        (j.ts < j.aat, 0), *((j.ts < end, w + 1) for w, end in enumerate(ends)), else_=weeks + 1
    )
    # day offsets count from the earliest possible local day of the pre-period
    j = j.mutate(
        part=part,
        ty=j.event_type.cases(*((t, i) for i, t in enumerate(COUNTED_TYPES)), else_=len(COUNTED_TYPES)),
        off=j.k + (metric_days + 1),
    )
    chunk, bit = day_bit(j.off)
    j = j.mutate(chunk=chunk, bit=bit)
    g = j.group_by(["idx", "part", "ty", "chunk"]).aggregate(
        n=j.count(),
        days=j.bit.bit_or(),
        **{m: j.k.between(lo, hi).any() for m, (lo, hi) in RETENTION_DAYS.items()},
    )
    window, pre = g.part.between(1, weeks), g.part == 0
    aggs = {}
    for i, t in enumerate(COUNTED_TYPES):
        aggs[COUNTED_TYPES[t]] = g.n.sum(where=window & (g.ty == i)).cast("int64")
        aggs[f"pre_{COUNTED_TYPES[t]}"] = g.n.sum(where=pre & (g.ty == i)).cast("int64")
    contrib = g.ty.isin([list(COUNTED_TYPES).index(t) for t in CONTRIBUTION_TYPES])
    for w in range(weeks):
        aggs[f"contributions_w{w + 1}"] = g.n.sum(where=(g.part == w + 1) & contrib).cast("int64")
    # masks stay int64 end to end (a null would turn the column into float64 and round off high bits)
    aggs |= {
        "active_days": g.days.bit_or(where=window).fill_null(0),
        "pre_active_days": g.days.bit_or(where=pre).fill_null(0),
    }
    aggs |= {m: ibis.ifelse(g[m].any(), 1, 0).cast("int64") for m in RETENTION_DAYS}
    return _per_member(fetch(g.group_by(["idx", "chunk"]).aggregate(**aggs)), n)


def _per_member(per: pd.DataFrame, n: int) -> pd.DataFrame:
    """Rows (idx, chunk) of window totals and day masks -> one row per member 0..n-1: active days are
    the popcounts of the masks summed over chunks, retention flags the max over chunks."""
    for c in ("active_days", "pre_active_days"):  # popcount of the day masks
        per[c] = np.bitwise_count(per[c].to_numpy(np.int64)).astype(np.int64)
    per = (
        per.drop(columns="chunk")
        .groupby("idx")
        .agg({c: ("max" if c in RETENTION_DAYS else "sum") for c in per.columns if c not in ("idx", "chunk")})
    )
    per = per.reindex(np.arange(n), fill_value=0).fillna(0).astype(np.int64).reset_index(drop=True)
    per[list(RETENTION_DAYS)] = per[list(RETENTION_DAYS)].astype(float)
    return per


def _reward_cost(
    src: DataSource, single: ibis.Table, experiment: str, metric_days: int, n: int
) -> np.ndarray:
    """Reward cost per row of ``single`` in [assigned_at, assigned_at + metric_days) (0 without rewards)."""
    r = src.table("rewards")
    if r is None:
        return np.zeros(n)
    r = r.filter(r.experiment.isnull() | (r.experiment == experiment))
    s = single.select(sid="member_id", idx="idx", aat="assigned_at")
    j = r.join(s, r.member_id == s.sid)
    j = j.filter(j.ts >= j.aat, j.ts < j.aat + ibis.interval(days=metric_days))
    cost = fetch(j.group_by("idx").aggregate(cost=j.cost.sum()))
    return cost.set_index("idx")["cost"].reindex(np.arange(n), fill_value=0.0).to_numpy(float)


# --------------------------------------------------------------------------------------------------
# effects


def _moments(
    values: Mapping[str, np.ndarray], rows: np.ndarray, metric: str, covariate: str | None
) -> st.Moments:
    """Sufficient statistics of ``metric`` (and ``covariate``) over ``rows`` where the metric is observed."""
    y = values[metric][rows]
    ok = ~np.isnan(y)
    return st.Moments.of(y[ok], values[covariate][rows][ok] if covariate else None)


def effects(
    table: pd.DataFrame,
    metrics: Sequence[str] = METRICS,
    primary: Sequence[str] = ("contributions", "retained_d30"),
    control: str | None = None,
    alpha: float = ALPHA,
    cap_quantile: float | None = 0.999,
    community: pd.Series | None = None,
) -> pd.DataFrame:
    """Each treatment arm against control for each metric, raw and CUPED.

    Holm over arms × primary metrics, Benjamini–Hochberg over the rest (each method separately).
    ``contributions_capped`` (capped at the ``cap_quantile`` of non-zero values) is added beside
    contributions.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`metric_table`.
    metrics : sequence of str, optional
        The metrics (every per-member metric of the table).
    primary : sequence of str, optional
        The primary metrics (Holm family).
    control : str, optional
        The control arm (default ``table.attrs["control"]``, see :func:`control_arm`).
    alpha : float, optional
        Two-sided significance level (0.05).
    cap_quantile : float or None, optional
        The cap of ``contributions_capped`` (0.999; None for no capped metric).
    community : pandas.Series, optional
        Each row's community, when whole communities were randomised: the community-level estimates of
        :func:`analysis.clusters.effect` (CR2 below 50 communities).

    Returns
    -------
    pandas.DataFrame
        experiment, metric, arm, n, mean, control_mean, effect, ci_lower, ci_upper, lift, lift_ci_lower,
        lift_ci_upper, p_value, p_adjusted, adj_ci_lower, adj_ci_upper, method, family, unit (member or
        community), clusters.

    References
    ----------
    Deng, Xu, Kohavi and Walker (2013), "Improving the sensitivity of online controlled experiments by
    utilizing pre-experiment data" (CUPED); GrowthBook's stats engine (gbstats) for the delta-method lift.
    """
    control = _control(table, control)
    metrics = list(metrics)
    covs = {m: PRE_COVARIATE.get(m, f"pre_{m}") for m in metrics}
    covs = {m: (c if c in table else None) for m, c in covs.items()}
    values = {c: table[c].to_numpy(float) for c in {*metrics, *covs.values()} - {None}}
    if cap_quantile and "contributions" in metrics:
        _add_capped(values, covs, metrics, cap_quantile)
    arm_of = table["arm"].to_numpy()
    arms = [a for a in sorted(table["arm"].unique()) if a != control]
    where = {a: np.flatnonzero(arm_of == a) for a in [control, *arms]}
    rows = []
    for metric in metrics:
        cov = covs[metric]
        c_m = _moments(values, where[control], metric, cov)
        for arm in arms:
            t_m = _moments(values, where[arm], metric, cov)
            if community is None:
                estimates = [("raw", st.welch(c_m, t_m, alpha), np.nan)]
                estimates += [("cuped", st.cuped(c_m, t_m, alpha), np.nan)] if cov else []
            else:
                estimates = _community_estimates(
                    values, metric, cov, arm_of, community, (control, arm), alpha
                )
            for method, e, n_clusters in estimates:
                rows.append(
                    {
                        "experiment": table.attrs.get("experiment", ""),
                        "metric": metric,
                        "arm": arm,
                        "n": int(t_m.n),
                        "n_control": int(c_m.n),
                        **_effect_fields(e),
                        "method": method,
                        "theta": e.theta,
                        "family": "primary" if metric in primary else "secondary",
                        "unit": "member" if community is None else "community",
                        "clusters": n_clusters,
                    }
                )
    return _adjusted(pd.DataFrame(rows), alpha)


def _community_estimates(
    values: dict, metric: str, cov: str | None, arm_of: np.ndarray, community: pd.Series, pair, alpha: float
) -> list[tuple[str, st.Effect, int]]:
    """(method, effect, communities compared) of one arm against control from community sums, as the
    member-level :class:`~analysis.stats.Effect` reports it (the arms' means unadjusted)."""
    control, arm = pair
    sums = clusters.sums(community.to_numpy(), arm_of, values[metric], values[cov] if cov else None)
    c, t = sums[sums["arm"] == control], sums[sums["arm"] == arm]
    raw = (c["sum_y"].sum() / c["n"].sum(), t["sum_y"].sum() / t["n"].sum())
    out = []
    for method in ("raw", "cuped") if cov else ("raw",):
        ce = clusters.effect(c, t, cuped=method == "cuped", alpha=alpha)
        e = st.Effect(
            control_mean=raw[0],
            treatment_mean=raw[1],
            effect=ce.effect,
            se=ce.se,
            dof=ce.df,
            ci_lower=ce.ci_lower,
            ci_upper=ce.ci_upper,
            p_value=ce.p_value,
            lift=ce.relative,
            lift_ci_lower=ce.relative_ci_lower,
            lift_ci_upper=ce.relative_ci_upper,
            theta=ce.theta if method == "cuped" else np.nan,
        )
        out.append((method, e, ce.clusters + ce.clusters_control))
    return out


def _add_capped(values: dict, covs: dict, metrics: list[str], cap_quantile: float) -> None:
    """``contributions_capped``: contributions capped at the ``cap_quantile`` of non-zero values (with
    its pre-period capped alike), inserted after contributions."""
    y = values["contributions"]
    nz = y[y > 0]
    cap = float(np.quantile(nz, cap_quantile)) if len(nz) else 0.0
    values["contributions_capped"] = np.minimum(y, cap)  # NaN (window not ended) stays NaN
    values["pre_contributions_capped"] = np.minimum(values["pre_contributions"], cap)
    covs["contributions_capped"] = "pre_contributions_capped"
    metrics.insert(metrics.index("contributions") + 1, "contributions_capped")


def _effect_fields(e: st.Effect) -> dict[str, float]:
    """The columns every effects table shares, in their order."""
    return {
        "mean": e.treatment_mean,
        "control_mean": e.control_mean,
        "effect": e.effect,
        "se": e.se,
        "ci_lower": e.ci_lower,
        "ci_upper": e.ci_upper,
        "lift": e.lift,
        "lift_ci_lower": e.lift_ci_lower,
        "lift_ci_upper": e.lift_ci_upper,
        "p_value": e.p_value,
    }


def _adjusted(out: pd.DataFrame, alpha: float) -> pd.DataFrame:
    """Adjusted p-values (Holm for the primary family, Benjamini-Hochberg for the rest, per method)
    and the confidence intervals that match them."""
    out["p_adjusted"] = np.nan
    for (_method, family), g in out.groupby(["method", "family"]):
        p = g["p_value"].fillna(1.0).to_numpy()
        out.loc[g.index, "p_adjusted"] = st.holm(p) if family == "primary" else st.benjamini_hochberg(p)
    cis = [st.adjusted_ci(r.effect, r.p_adjusted, alpha) for r in out.itertuples()]
    out["adj_ci_lower"] = [c[0] for c in cis]
    out["adj_ci_upper"] = [c[1] for c in cis]
    return out


# --------------------------------------------------------------------------------------------------
# diagnostics


def srm_table(
    table: pd.DataFrame,
    plan: SplitPlan | pd.DataFrame | None = None,
    by: str | None = None,
    threshold: float = 0.001,
) -> pd.DataFrame:
    """Sample-ratio mismatch against the planned split.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`metric_table`.
    plan : SplitPlan, pandas.DataFrame or None, optional
        A :class:`SplitPlan`, an ``arms`` table, or None (equal shares over the table's arms).
    by : str, optional
        A column to test within (one test per group), for example ``"tier"``.
    threshold : float, optional
        Flag below this p-value (0.001).

    Returns
    -------
    pandas.DataFrame
        experiment, [by], arm, expected_share, members, share, p_value, p_sequential (anytime-valid, over
        the assignment days), flagged, planned (False: the data carry no plan).
    """
    exp = plan.experiment if isinstance(plan, SplitPlan) else table.attrs.get("experiment", "")
    if isinstance(plan, pd.DataFrame):
        d = plan[plan["experiment"] == exp] if "experiment" in plan else plan
        plan = SplitPlan(exp, dict(zip(d["arm"].astype(str), d["weight"].astype(float), strict=True)), True)
    elif plan is None:
        plan = SplitPlan(exp, dict.fromkeys(sorted(map(str, table["arm"].unique())), 1.0), False)
    weights = pd.Series(dict(plan.weights), dtype=float)
    groups = [(None, table)] if by is None else list(table.groupby(by))
    rows = []
    for g, d in groups:
        counts = d["arm"].value_counts().reindex(weights.index, fill_value=0)
        res = st.srm(counts.to_numpy(), weights.to_numpy(), threshold)
        p_seq = _sequential_srm(d, weights)
        for arm, n in counts.items():
            rows.append(
                {
                    "experiment": exp,
                    **({by: g} if by else {}),
                    "arm": arm,
                    "expected_share": weights[arm] / weights.sum(),
                    "members": int(n),
                    "share": n / max(counts.sum(), 1),
                    "p_value": res.p_value,
                    "p_sequential": p_seq,
                    "flagged": res.flagged,
                    "planned": plan.known,
                }
            )
    return pd.DataFrame(rows)


def _sequential_srm(d: pd.DataFrame, weights: pd.Series) -> float:
    """The anytime-valid SRM p-value over the assignment days (counts cumulated day by day)."""
    if "assign_day" not in d or d.empty:
        return float("nan")
    daily = pd.crosstab(d["assign_day"], d["arm"]).reindex(columns=weights.index, fill_value=0).sort_index()
    return float(sequential.srm_p_values(daily.cumsum().to_numpy(), weights.to_numpy())[-1])


def balance(
    table: pd.DataFrame,
    covariates: Sequence[str] = ("pre_contributions", "pre_active_days", "pre_visits", "pre_checkins"),
    control: str | None = None,
    alpha: float = 0.001,
    community: pd.Series | None = None,
) -> pd.DataFrame:
    """Pre-period balance: Welch test of each pre-assignment covariate, treatment vs control,
    flagged at ``alpha`` / (arms × covariates) (Bonferroni, as GrowthBook).

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`metric_table`.
    covariates : sequence of str, optional
        Pre-period columns of the table.
    control : str, optional
        The control arm (default ``table.attrs["control"]``, see :func:`control_arm`).
    alpha : float, optional
        Family-wise level of the flags (0.001).
    community : pandas.Series, optional
        Each row's community, when whole communities were randomised: the community-level estimates of
        :func:`analysis.clusters.effect` (CR2 below 50 communities).

    Returns
    -------
    pandas.DataFrame
        covariate, arm, control_mean, mean, difference, p_value, threshold, flagged.
    """
    control = _control(table, control)
    arms = _treatment_arms(table, control)
    limit = alpha / max(len(arms) * len(covariates), 1)
    rows = []
    for cov in covariates:
        for arm in arms:
            if community is None:
                e = _arm_effect(table, control, arm, cov, None)
                means = (e.control_mean, e.treatment_mean)
            else:
                sums = clusters.cluster_sums(table, community, cov, None)
                e = clusters.effect(sums[sums["arm"] == control], sums[sums["arm"] == arm])
                means = (e.control_mean, e.arm_mean)
            rows.append(
                {
                    "covariate": cov,
                    "arm": arm,
                    "control_mean": means[0],
                    "mean": means[1],
                    "difference": e.effect,
                    "p_value": e.p_value,
                    "threshold": limit,
                    "flagged": bool(e.p_value < limit),
                }
            )
    return pd.DataFrame(rows)


def power(eff: pd.DataFrame, alpha: float = ALPHA, power_: float = 0.8) -> pd.DataFrame:
    """Minimum detectable effect at ``power_`` for each comparison (from its standard error), and
    whether the observed test was underpowered for a 5% relative change.

    Parameters
    ----------
    eff : pandas.DataFrame
        From :func:`effects`.
    alpha : float, optional
        Two-sided significance level (0.05).
    power_ : float, optional
        The power (0.8).

    Returns
    -------
    pandas.DataFrame
        metric, arm, method, n, control_mean, se, mde, mde_relative, underpowered.
    """
    d = eff[eff["method"] == "cuped"].copy() if (eff["method"] == "cuped").any() else eff.copy()
    d["mde"] = [st.mde(se, alpha, power_) for se in d["se"]]
    d["mde_relative"] = d["mde"] / d["control_mean"].abs()
    d["underpowered"] = d["mde_relative"] > 0.05
    return d[["metric", "arm", "method", "n", "control_mean", "se", "mde", "mde_relative", "underpowered"]]


# --------------------------------------------------------------------------------------------------
# community-specific analyses


def heterogeneity(
    table: pd.DataFrame,
    metric: str,
    control: str | None = None,
    tiers: Sequence[str] = ("core", "active", "novice", "lurker"),
    scale: str = "absolute",
    adjust: bool = True,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Effect by pre-assignment tier, and for each arm an interaction test (does the effect differ
    by tier?): a Wald test of the treated × tier terms in ``metric ~ treated * tier`` on the arm's and
    control's members, with robust (HC1) covariance.

    On 20 simulated communities of 6,000 members the adjusted absolute test flags the planted check-in
    heterogeneity of cash in 20 of 20 (largest p 0.009; unadjusted 19 of 20) and badges, which plants none,
    in 1 of 20.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`metric_table`.
    metric : str
        The metric.
    control : str, optional
        The control arm (default ``table.attrs["control"]``, see :func:`control_arm`).
    tiers : sequence of str, optional
        The tiers compared.
    scale : {"absolute", "relative"}, optional
        OLS on the raw scale, or a log link (Poisson quasi-likelihood) for differences in lift.
    adjust : bool, optional
        Add the centred pre-period value as a covariate with a common slope, as CUPED does.

    Returns
    -------
    (pandas.DataFrame, pandas.DataFrame)
        The effect per tier and arm, and the interaction test per arm.
    """
    control = _control(table, control)
    d = table[table[metric].notna() & table["tier"].isin(tiers)]
    rows = []
    for tier, g in d.groupby("tier"):
        for arm in _treatment_arms(g, control):
            e = _arm_effect(g, control, arm, metric, None)
            rows.append(
                {
                    "metric": metric,
                    "tier": tier,
                    "arm": arm,
                    "n": int((g["arm"] == arm).sum()),
                    "control_mean": e.control_mean,
                    "mean": e.treatment_mean,
                    "effect": e.effect,
                    "ci_lower": e.ci_lower,
                    "ci_upper": e.ci_upper,
                    "lift": e.lift,
                    "p_value": e.p_value,
                }
            )
    levels = sorted(d["tier"].unique())  # the first is the reference level, as in ``C(tier)``
    pre = f"pre_{metric}" if adjust else None
    arms = _treatment_arms(d, control)
    tests = [_interaction_test(d, control, arm, metric, levels, pre, scale) for arm in arms]
    return pd.DataFrame(rows), pd.DataFrame([t for t in tests if t])


def _interaction_test(
    d: pd.DataFrame, control: str, arm: str, metric: str, levels: Sequence[str], pre: str | None, scale: str
) -> dict | None:
    """Wald test (robust HC1 covariance) of the treated x tier terms for one arm against control; None
    when there is no such term (one tier)."""
    sub = d[d["arm"].isin([control, arm])]
    x, names = _interaction_design(sub, arm, levels, pre, scale)
    y = sub[metric].to_numpy(float)
    if scale == "relative":  # multiplicative effects: a log-link (Poisson) model with robust errors
        full = sm.GLM(y, x, family=sm.families.Poisson()).fit(cov_type="HC1")
    else:
        full = sm.OLS(y, x).fit(cov_type="HC1")
    inter = [i for i, n in enumerate(names) if n.startswith("treated:")]
    if not inter:
        return None
    r = np.zeros((len(inter), len(names)))
    r[np.arange(len(inter)), inter] = 1.0
    w = full.wald_test(r, scalar=True, use_f=True)
    return {
        "metric": metric,
        "arm": arm,
        "scale": scale,
        "f_stat": float(w.statistic),
        "df": len(inter),
        "p_value": float(w.pvalue),
    }


def _interaction_design(
    sub: pd.DataFrame, arm: str, levels: Sequence[str], pre: str | None, scale: str
) -> tuple[np.ndarray, list[str]]:
    """Design of ``y ~ treated * C(tier) [+ pre_c]`` (treatment coding, reference ``levels[0]``; levels
    absent from ``sub`` are dropped), built directly rather than through a formula (it is the same
    matrix, without patsy's cost on a million rows)."""
    treated = (sub["arm"] == arm).to_numpy(float)
    tier = sub["tier"].to_numpy()
    present = [lv for lv in levels[1:] if (tier == lv).any()]
    cols, names = [np.ones(len(sub)), treated], ["Intercept", "treated"]
    for lv in present:
        cols.append((tier == lv).astype(float))
        names.append(f"tier[{lv}]")
    for lv in present:
        cols.append(treated * (tier == lv))
        names.append(f"treated:tier[{lv}]")
    if pre is not None and pre in sub and sub[pre].notna().all() and sub[pre].std() > 0:
        v = np.log1p(sub[pre].to_numpy(float)) if scale == "relative" else sub[pre].to_numpy(float)
        cols.append(v - v.mean())
        names.append("pre_c")
    return np.column_stack(cols), names


def _arm_effect(d: pd.DataFrame, control: str, arm: str, col: str, pre: str | None) -> st.Effect:
    """CUPED effect of ``arm`` against ``control`` on ``col`` with the pre-period covariate ``pre`` (the
    estimator of the effects table), or Welch's when there is none."""
    c, t = d["arm"] == control, d["arm"] == arm
    y = d[col].to_numpy(float)
    x = d[pre].to_numpy(float) if pre and pre in d else None
    mc = st.Moments.of(y[c.to_numpy()], None if x is None else x[c.to_numpy()])
    mt = st.Moments.of(y[t.to_numpy()], None if x is None else x[t.to_numpy()])
    return st.cuped(mc, mt) if x is not None else st.welch(mc, mt)


def _treatment_arms(d: pd.DataFrame, control: str) -> list[str]:
    return sorted(a for a in d["arm"].unique() if a != control)


def novelty(table: pd.DataFrame, control: str | None = None) -> pd.DataFrame:
    """Effect on contributions by week since assignment, CUPED-adjusted for pre-period
    contributions as in the effects table.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`metric_table`.
    control : str, optional
        The control arm (default ``table.attrs["control"]``, see :func:`control_arm`).

    Returns
    -------
    pandas.DataFrame
        arm, week, control_mean, effect, ci_lower, ci_upper, lift, method.
    """
    control = _control(table, control)
    rows = []
    d = table[table["contributions"].notna()]
    weeks = sorted(int(c.removeprefix("contributions_w")) for c in d if c.startswith("contributions_w"))
    for w in weeks:
        for arm in _treatment_arms(d, control):
            e = _arm_effect(d, control, arm, f"contributions_w{w}", "pre_contributions")
            rows.append(
                {
                    "arm": arm,
                    "week": w,
                    "control_mean": e.control_mean,
                    "effect": e.effect,
                    "ci_lower": e.ci_lower,
                    "ci_upper": e.ci_upper,
                    "lift": e.lift,
                    "method": "cuped" if e.theta == e.theta else "raw",
                }
            )
    return pd.DataFrame(rows)


def composition(table: pd.DataFrame, control: str | None = None) -> pd.DataFrame:
    """Where the incremental activity comes from: per arm and event type, the CUPED-adjusted
    difference in counts per member against control (each type adjusted for its own pre-period count).

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`metric_table`.
    control : str, optional
        The control arm (default ``table.attrs["control"]``, see :func:`control_arm`).

    Returns
    -------
    pandas.DataFrame
        arm, type, incremental_per_member, ci_lower, ci_upper, method.
    """
    control = _control(table, control)
    d = table[table["contributions"].notna()]
    rows = []
    for arm in _treatment_arms(d, control):
        for col in [*TYPE_COLS.values(), "checkins"]:
            e = _arm_effect(d, control, arm, col, f"pre_{col}")
            rows.append(
                {
                    "arm": arm,
                    "type": col,
                    "incremental_per_member": e.effect,
                    "ci_lower": e.ci_lower,
                    "ci_upper": e.ci_upper,
                    "method": "cuped" if e.theta == e.theta else "raw",
                }
            )
    return pd.DataFrame(rows)


def cost_effectiveness(table: pd.DataFrame, control: str | None = None, alpha: float = ALPHA) -> pd.DataFrame:
    """Cost per incremental contribution = mean cost per treated member / the CUPED-adjusted
    increment in contributions, with a delta-method CI; NaN when the increment is not positive or nothing was
    paid.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`metric_table`.
    control : str, optional
        The control arm (default ``table.attrs["control"]``, see :func:`control_arm`).
    alpha : float, optional
        Two-sided significance level (0.05).

    Returns
    -------
    pandas.DataFrame
        arm, cost_per_member, incremental, cost_per_incremental, ci_lower, ci_upper.
    """
    from scipy import stats as sps

    control = _control(table, control)
    d = table[table["contributions"].notna()]
    z = sps.norm.ppf(1 - alpha / 2)
    rows = []
    for arm in _treatment_arms(d, control):
        g = d[d["arm"] == arm]
        e = _arm_effect(d, control, arm, "contributions", "pre_contributions")
        cost = g["cost"].to_numpy(float)
        inc, mc = e.effect, cost.mean()
        if mc <= 0 or not inc > 0:
            rows.append(
                {
                    "arm": arm,
                    "cost_per_member": mc,
                    "incremental": inc,
                    "cost_per_incremental": np.nan,
                    "ci_lower": np.nan,
                    "ci_upper": np.nan,
                }
            )
            continue
        r = mc / inc
        # Var(mc / inc) by the delta method; cost covaries with the treated arm's adjusted outcome
        th = e.theta if e.theta == e.theta else 0.0
        y_adj = g["contributions"].to_numpy(float) - th * g["pre_contributions"].to_numpy(float)
        var_mc, cov = cost.var(ddof=1) / len(g), np.cov(cost, y_adj)[0, 1] / len(g)
        var_r = r**2 * (var_mc / mc**2 + e.se**2 / inc**2 - 2 * cov / (mc * inc))
        se = float(np.sqrt(max(var_r, 0)))
        rows.append(
            {
                "arm": arm,
                "cost_per_member": mc,
                "incremental": inc,
                "cost_per_incremental": r,
                "ci_lower": r - z * se,
                "ci_upper": r + z * se,
            }
        )
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class Verdict(HtmlRepr):
    """One scheme's decision and why, as data (the words are made by ``narrative.verdict_text``).

    ``reason``: ``srm`` (split does not match the plan), ``lowers`` (a primary metric fell), ``core_hurt``
    (core members' metric fell while the average looks fine), ``all_improved``, ``some_improved``
    (one primary metric improved, the others did not move clearly) or ``no_change``. ``moves`` holds
    the metrics behind the reason as (metric, relative lift, adjusted p) tuples."""

    arm: str
    decision: str  # ship, don't ship, inconclusive
    reason: str
    moves: tuple[tuple[str, float, float], ...] = ()


def verdicts(
    eff: pd.DataFrame, by_tier: pd.DataFrame, primary: Sequence[str], srm_flagged: bool, alpha: float = ALPHA
) -> list[Verdict]:
    """One decision per scheme from the primary metrics (CUPED, Holm-adjusted) and the core
    members.

    Parameters
    ----------
    eff : pandas.DataFrame
        From :func:`effects`.
    by_tier : pandas.DataFrame
        The per-tier effects of :func:`heterogeneity`.
    primary : sequence of str
        The primary metrics.
    srm_flagged : bool
        Whether the split failed its SRM test (then no decision is made).
    alpha : float, optional
        Two-sided significance level (0.05).

    Returns
    -------
    list of Verdict
    """
    e = eff[(eff["method"] == "cuped") & eff["metric"].isin(primary)]
    out = []
    for arm, g in e.groupby("arm"):
        core = by_tier[(by_tier["arm"] == arm) & (by_tier["tier"] == "core")] if len(by_tier) else by_tier
        out.append(Verdict(arm, *_decide(g, core, srm_flagged, alpha)))
    return out


def _moves(rows: pd.DataFrame, p: str = "p_adjusted") -> tuple[tuple[str, float, float], ...]:
    return tuple((str(r["metric"]), float(r["lift"]), float(r[p])) for _, r in rows.iterrows())


def _decide(
    g: pd.DataFrame, core: pd.DataFrame, srm_flagged: bool, alpha: float
) -> tuple[str, str, tuple[tuple[str, float, float], ...]]:
    """(decision, reason, moves) for one arm's primary-metric rows ``g`` and its core-tier rows ``core``."""
    if srm_flagged:
        return "inconclusive", "srm", ()
    wins = g[(g["p_adjusted"] < alpha) & (g["effect"] > 0)]
    losses = g[(g["p_adjusted"] < alpha) & (g["effect"] < 0)]
    core_hurt = core[(core["p_value"] < alpha) & (core["effect"] < 0)]
    if len(losses):
        return "don't ship", "lowers", _moves(losses.iloc[:1])
    if len(core_hurt):
        return "don't ship", "core_hurt", _moves(core_hurt.iloc[:1], "p_value")
    if len(wins) == len(g):
        return "ship", "all_improved", _moves(wins)
    if len(wins):
        return "inconclusive", "some_improved", _moves(wins.iloc[:1])
    return "inconclusive", "no_change", ()


LOW_EFFORT = ("checkins", "likes")  # what a reward buys cheaply (composition types)
HIGH_EFFORT = ("posts", "comments", "shares")


@dataclass(frozen=True)
class Signal(HtmlRepr):
    """One estimate with its 95% interval: a relative churn rate (``ratio``) or a difference."""

    estimate: float
    ci_lower: float
    ci_upper: float
    p_value: float
    members: int
    ratio: bool = False

    @property
    def seen(self) -> bool:
        """The interval excludes no change (1 for a ratio, 0 for a difference)."""
        null = 1.0 if self.ratio else 0.0
        return bool(self.ci_lower > null or self.ci_upper < null)


@dataclass(frozen=True)
class SchemeStory(HtmlRepr):
    """What one scheme did, beyond its verdict: where the extra activity came from (``low_effort``:
    extra check-ins and likes per member, ``high_effort``: extra posts, comments and shares;
    ``farming`` when the reward bought low-effort activity, more of it than contributions) and what
    happened to the members who were core before the experiment (their churn against control as a
    relative churn rate, and their contributions)."""

    arm: str
    verdict: Verdict
    low_effort: float
    high_effort: float
    farming: bool
    core_churn: Signal | None
    core_contributions: Signal | None


def _signal(rows: pd.DataFrame, estimate: str, members: str, ratio: bool = False) -> Signal | None:
    if rows.empty:
        return None
    r = rows.iloc[0]
    return Signal(
        float(r[estimate]),
        float(r["ci_lower"]),
        float(r["ci_upper"]),
        float(r["p_value"]),
        int(r[members]),
        ratio,
    )


def scheme_stories(
    verdicts_: Sequence[Verdict], comp: pd.DataFrame, contributions_by_tier: pd.DataFrame, hr: pd.DataFrame
) -> list[SchemeStory]:
    """What each scheme did beyond its verdict. Farming: some low-effort type rose beyond chance
    and the low-effort increment exceeds the high-effort one.

    Parameters
    ----------
    verdicts_ : sequence of Verdict
        From :func:`verdicts`.
    comp : pandas.DataFrame
        From :func:`composition`.
    contributions_by_tier : pandas.DataFrame
        :func:`heterogeneity` of contributions (its per-tier table).
    hr : pandas.DataFrame
        From :func:`churn_hazard`.

    Returns
    -------
    list of SchemeStory
    """
    out = []
    for v in verdicts_:
        c = comp[comp["arm"] == v.arm].set_index("type")
        low = float(c["incremental_per_member"].reindex(LOW_EFFORT).fillna(0).sum())
        high = float(c["incremental_per_member"].reindex(HIGH_EFFORT).fillna(0).sum())
        low_seen = bool((c["ci_lower"].reindex(LOW_EFFORT) > 0).any())
        tiers = contributions_by_tier
        core_c = tiers[(tiers["arm"] == v.arm) & (tiers["tier"] == "core")] if len(tiers) else tiers
        core_h = hr[(hr["arm"] == v.arm) & (hr["tier"] == "core")] if len(hr) else hr
        out.append(
            SchemeStory(
                v.arm,
                v,
                low,
                high,
                low_seen and low > max(high, 0.0),
                _signal(core_h, "hazard_ratio", "members", ratio=True),
                _signal(core_c, "effect", "n"),
            )
        )
    return out


def outcome_spread(table: pd.DataFrame, metrics: Sequence[str]) -> pd.DataFrame:
    """How much members differ inside each arm, to read an effect against (retention metrics:
    the share retained only).

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`metric_table`.
    metrics : sequence of str
        The metrics.

    Returns
    -------
    pandas.DataFrame
        arm, metric, members, mean, p10, median, p90.
    """
    rows = []
    for arm, g in table.groupby("arm", sort=True):
        for m in metrics:
            v = g[m].dropna().astype(float)
            rate = m.startswith("retained")
            q = v.quantile([0.1, 0.5, 0.9]) if len(v) and not rate else pd.Series([np.nan] * 3)
            rows.append(
                {
                    "arm": arm,
                    "metric": m,
                    "members": len(v),
                    "mean": v.mean() if len(v) else np.nan,
                    "p10": q.iloc[0],
                    "median": q.iloc[1],
                    "p90": q.iloc[2],
                }
            )
    return pd.DataFrame(rows)


def story_table(stories: Sequence[SchemeStory]) -> pd.DataFrame:
    """Tidy verdicts and stories.

    Parameters
    ----------
    stories : sequence of SchemeStory
        From :func:`scheme_stories`.

    Returns
    -------
    pandas.DataFrame
        arm, decision, reason, farming, low_effort, high_effort, core_churn_hr, core_churn_ci_lower,
        core_churn_ci_upper, core_churn_seen.
    """
    rows = []
    for s in stories:
        c = s.core_churn
        rows.append(
            {
                "arm": s.arm,
                "decision": s.verdict.decision,
                "reason": s.verdict.reason,
                "farming": s.farming,
                "low_effort": s.low_effort,
                "high_effort": s.high_effort,
                "core_churn_hr": c.estimate if c else float("nan"),
                "core_churn_ci_lower": c.ci_lower if c else float("nan"),
                "core_churn_ci_upper": c.ci_upper if c else float("nan"),
                "core_churn_seen": c.seen if c else False,
            }
        )
    return pd.DataFrame(rows)


@accepts_dates
def churn_hazard(
    src: DataSource,
    table: pd.DataFrame,
    as_of: date,
    churn_days: int = 30,
    control: str | None = None,
    by_tier: bool = True,
) -> pd.DataFrame:
    """Churn after assignment (clock from the local assignment day) as hazard ratios against
    control, overall and within each pre-assignment tier. A group with too few churns, or that cannot be
    fitted, is left out and logged.

    Parameters
    ----------
    src : DataSource
        The community, from :func:`analysis.open` (or ``ctx.src`` in a report).
    table : pandas.DataFrame
        From :func:`metric_table`.
    as_of : date, str or pandas.Timestamp
        The last complete local day included; nothing after it is read.
    churn_days : int, optional
        Quiet days that make a churn (30).
    control : str, optional
        The control arm (default ``table.attrs["control"]``, see :func:`control_arm`).
    by_tier : bool, optional
        Also within each tier (True).

    Returns
    -------
    pandas.DataFrame
        tier, arm, hazard_ratio, ci_lower, ci_upper, p_value, members, churned.
    """
    control = _control(table, control)
    starts = table[["member_id", "arm", "tier", "assign_day"]].rename(columns={"assign_day": "start_day"})
    ch = churn_after(src, starts, as_of, churn_days)
    rows = []
    groups = [("all", ch)] + ([(t, g) for t, g in ch.groupby("tier")] if by_tier else [])
    for name, g in groups:
        # an arm without a single churn has no finite hazard ratio: leave it out of this group's model
        with_events = g.groupby("arm")["event"].sum()
        g = g[g["arm"].isin(with_events[with_events > 0].index)]
        if g["arm"].nunique() < 2 or g["event"].sum() < 10 or (g["arm"] == control).sum() == 0:
            log.info("churn hazard ratios: tier %s left out (too few churns to compare arms)", name)
            continue
        try:
            res = fit_cox(g, categorical={"arm": control}, duration="duration", event="event", ph_check=False)
        except ValueError as exc:  # a degenerate group (e.g. separation): no estimate rather than no report
            log.warning("churn hazard ratios: tier %s left out: %s", name, exc)
            continue
        hr = res.hazard_ratios.assign(tier=name, arm=lambda d: d["covariate"].str.extract(r"arm\[(.*)\]")[0])
        rows.append(
            hr[["tier", "arm", "hazard_ratio", "ci_lower", "ci_upper", "p_value"]].assign(
                members=len(g), churned=int(g["event"].sum())
            )
        )
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()
