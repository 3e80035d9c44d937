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

Event-level work (active days, gaps, landmark windows) is Ibis; lifelines (Kaplan-Meier, log-rank) and
``analysis.cox`` work on the per-member table. Cox models are fitted on rows compressed to unique
(covariates, duration, event) with case weights, which gives the same estimates as the raw rows.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
from scipy import stats

from analysis import cox
from analysis.data import DataSource, accepts_dates, fetch
from analysis.definitions import CONTRIBUTION_TYPES, DEFAULT_WEIGHTS
from analysis.kpi import TYPE_COLUMNS, member_days
from analysis.segments import TierRules, tiers_from_window

MASK_DAYS = 62  # days per bit mask of active days (the masks fit a signed 64-bit integer)


def day_bit(offset: ir.IntegerValue) -> tuple[ir.IntegerValue, ir.IntegerValue]:
    """(chunk, bit) of a day offset >= 0 in the active-day bit masks: the day is bit
    ``offset % MASK_DAYS`` of mask number ``offset // MASK_DAYS``; BIT_OR the bits per chunk."""
    return offset // MASK_DAYS, ibis.literal(1, "int64") << (offset % MASK_DAYS)


LANDMARK_TIERS = ("core", "active", "lurker", "dormant")


@dataclass(frozen=True)
class ChurnRules:
    """Parameters of the churn definition (defaults from docs/definitions.md)."""

    churn_days: int = 30
    landmark_days: int = 14
    left_truncation: str = "exclude"  # or "entry"
    core_share: float = 0.05

    def __post_init__(self) -> None:
        if self.churn_days < 1 or self.landmark_days < 0:
            raise ValueError("churn_days must be >= 1 and landmark_days >= 0")
        if self.left_truncation not in ("exclude", "entry"):
            raise ValueError("left_truncation must be 'exclude' or 'entry'")


# --------------------------------------------------------------------------------------------------
# the per-member churn table


def first_quiet_run(acts: ibis.Table, as_of: date, churn_days: int) -> ibis.Table:
    """Per member of ``acts`` (member_id, day: active local days): first_active, churn_day (the first
    active day followed by ``churn_days`` or more quiet days up to ``as_of``; null if none) and back
    (active again after that churn day)."""
    w = ibis.window(group_by="member_id", order_by="day")
    acts = acts.mutate(nxt=acts.day.lead().over(w))
    end = ibis.literal(as_of + timedelta(days=1))
    is_cand = (acts.nxt.fill_null(end).delta(acts.day, unit="day") - 1) >= churn_days
    return acts.group_by("member_id").aggregate(
        first_active=acts.day.min(),
        churn_day=acts.day.min(where=is_cand),
        back=acts.nxt.argmin(acts.day, where=is_cand).notnull(),
    )


def member_days_since_join(src: DataSource, as_of: date) -> ibis.Table:
    """Member-days (see :func:`analysis.kpi.member_days`) on or after each member's local join day,
    with the join day as ``jd``. Lazy: each query fuses the join into its own plan, which is cheaper
    than writing the joined table out once."""
    md = member_days(src, as_of)
    m = src.members_local(as_of).select(mid="member_id", jd="join_day")
    j = md.join(m, md.member_id == m.mid).drop("mid")
    return j.filter(j.day >= j.jd)


@accepts_dates
def churn_table(src: DataSource, as_of: date, rules: ChurnRules | None = None) -> pd.DataFrame:
    """One row per member in the analysis: member_id, join_day, channel, community, churn_day (NaT when
    none by the cutoff), event (bool), duration (days), entry (days; > 0 only with delayed entry),
    came_back (churned and active again later), left_truncated (joined before the log).

    ``attrs`` carry the counts the report must state: members joined after the cutoff and members
    joined before the log (left out or entered late)."""
    rules = rules or ChurnRules()
    first, _ = src.day_range()
    cutoff = as_of - timedelta(days=rules.churn_days)
    if cutoff < first:
        raise ValueError(
            f"as_of {as_of} leaves no follow-up: the cutoff {cutoff} is before the log starts ({first})"
        )
    m = src.members_local(as_of).select("member_id", "join_day", "channel", "community")
    acts = member_days_since_join(src, as_of).select("member_id", "day")
    per = first_quiet_run(acts, as_of, rules.churn_days).rename(pid="member_id")
    j = m.left_join(per, m.member_id == per.pid).drop("pid").order_by("member_id")  # a stable row order
    df = fetch(j, date_as_object=False)
    for c in ("join_day", "churn_day", "first_active"):
        df[c] = df[c].astype("datetime64[s]")
    first_ts, cutoff_ts = pd.Timestamp(first), pd.Timestamp(cutoff)
    # the join day is day 0 and counts as activity for members who joined inside the log: a quiet run
    # of churn_days right after it is a churn on the join day
    inside = df["join_day"] >= first_ts
    next_after_join = df["first_active"].where(df["first_active"] > df["join_day"])
    quiet = (next_after_join.fillna(pd.Timestamp(as_of) + pd.Timedelta(days=1)) - df["join_day"]).dt.days - 1
    on_join = (
        inside
        & (df["first_active"].isna() | (df["first_active"] > df["join_day"]))
        & (quiet >= rules.churn_days)
    )
    df.loc[on_join, "back"] = df.loc[on_join, "first_active"].notna()
    df.loc[on_join, "churn_day"] = df.loc[on_join, "join_day"]
    n_after_cutoff = int((df["join_day"] > cutoff_ts).sum())
    df = df[df["join_day"] <= cutoff_ts].copy()
    df["left_truncated"] = df["join_day"] < first_ts
    n_left = int(df["left_truncated"].sum())
    if rules.left_truncation == "exclude":
        df = df[~df["left_truncated"]].copy()
        df["entry"] = 0
    else:
        # enter at the log start only if active within its first churn_days days (else churned before)
        early = df["first_active"] < first_ts + pd.Timedelta(days=rules.churn_days)
        df = df[~df["left_truncated"] | early].copy()
        df["entry"] = np.where(df["left_truncated"], (first_ts - df["join_day"]).dt.days, 0)
    df["event"] = df["churn_day"].notna() & (df["churn_day"] <= cutoff_ts)
    end_day = df["churn_day"].where(df["event"], cutoff_ts)
    df["duration"] = (end_day - df["join_day"]).dt.days.astype("int64")
    df["came_back"] = df["event"] & df["back"].astype("boolean").fillna(False).astype(bool)
    df.loc[~df["event"], "churn_day"] = pd.NaT
    df["community"] = df["community"].fillna("(none)")
    df["channel"] = df["channel"].fillna("(none)")
    ym = df["join_day"].dt.year * 100 + df["join_day"].dt.month  # strftime is slow on a million rows
    codes, uniq = pd.factorize(ym)
    df["cohort_month"] = np.array([f"{u // 100:04d}-{u % 100:02d}" for u in uniq], dtype=object)[codes]
    out = df[["member_id", "join_day", "channel", "community", "cohort_month", "churn_day", "event", "duration",
              "entry", "came_back", "left_truncated"]].reset_index(drop=True)  # fmt: skip
    out.attrs.update(
        as_of=str(as_of), cutoff=str(cutoff), churn_days=rules.churn_days, joined_after_cutoff=n_after_cutoff,
        left_truncated=n_left, left_truncation=rules.left_truncation,
    )  # fmt: skip
    return out


@accepts_dates
def landmark_table(src: DataSource, churn: pd.DataFrame, as_of: date, rules: ChurnRules | None = None,
                   weights: Mapping[str, float] | None = None) -> pd.DataFrame:  # fmt: skip
    """Members still in the risk set at the landmark (duration >= landmark_days), with covariates from
    days 0 .. landmark-1 after joining and time counted from the landmark.

    Adds: lm_contributions, lm_active_days, lm_score, lm_tier (core / active / lurker / dormant: the
    tier rules on the landmark window, with the core cut pooled over all members at their landmark),
    and ``t`` = duration - landmark_days. Members who joined before the log (kept with delayed entry)
    have no observed landmark window: their covariates are NaN (``attrs["covariates_unknown"]``)."""
    rules = rules or ChurnRules()
    weights = dict(weights or DEFAULT_WEIGHTS)
    L = rules.landmark_days
    d = churn[churn["duration"] >= L].copy()
    j = member_days_since_join(src, as_of)
    j = j.filter(j.day < j.jd + ibis.interval(days=L))
    score = sum((j[TYPE_COLUMNS[t]] * float(weights.get(t, 0)) for t in CONTRIBUTION_TYPES[1:]),
                j[TYPE_COLUMNS[CONTRIBUTION_TYPES[0]]] * float(weights.get(CONTRIBUTION_TYPES[0], 0)))  # fmt: skip
    cov = (
        j.group_by("member_id")
        .aggregate(lm_contributions=j.contributions.sum(), lm_active_days=j.count(), lm_score=score.sum())
        .execute()
    )
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
    tier = tiers_from_window(per, None, TierRules(core_share=rules.core_share))
    d["lm_tier"] = pd.Categorical(tier.astype(str).reindex(d.index), categories=list(LANDMARK_TIERS))
    for c in ("lm_contributions", "lm_active_days", "lm_score"):
        d[c] = d[c].where(seen)
    d["t"] = d["duration"] - L
    d["entry_t"] = np.maximum(d["entry"] - L, 0)
    d.attrs.update(churn.attrs, landmark_days=L, dropped_before_landmark=int(len(churn) - len(d)),
                   covariates_unknown=int((~seen).sum()))  # fmt: skip
    return d


# --------------------------------------------------------------------------------------------------
# Kaplan-Meier, log-rank


def kaplan_meier(df: pd.DataFrame, group: str | None = None, duration: str = "duration", event: str = "event",
                 entry: str | None = "entry") -> pd.DataFrame:  # fmt: skip
    """KM survival with 95% CI (lifelines' exponential Greenwood) and at-risk counts, per group.

    Columns: group, timeline, survival, ci_lower, ci_upper, at_risk, events. Group ``all`` = every row
    of ``df``, the other groups its values of ``group`` (rows where it is missing are in ``all`` only).
    With delayed entry, a member entering at time e is at risk on (e, T], R's counting-process
    convention (``survfit(Surv(entry, T, E))``): not at an event time equal to its entry."""
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
    """Per group: members at start, median lifetime with 95% CI, survival at ``at`` days with CI.

    Medians are NaN (not reached) when survival stays above 50% during follow-up."""
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
    """Overall k-group log-rank test and pairwise tests with Holm-adjusted p-values."""
    from lifelines.statistics import multivariate_logrank_test, pairwise_logrank_test
    from statsmodels.stats.multitest import multipletests

    d = df[df[group].notna()]
    overall = multivariate_logrank_test(d[duration], d[group].astype(str), d[event])
    pw = pairwise_logrank_test(d[duration], d[group].astype(str), d[event]).summary.reset_index()
    pw.columns = ["group_a", "group_b", *pw.columns[2:]]
    pw = pw.rename(columns={"test_statistic": "chi2", "p": "p_value"})[
        ["group_a", "group_b", "chi2", "p_value"]
    ]
    pw["p_holm"] = multipletests(pw["p_value"], method="holm")[1] if len(pw) else []
    return {"chi2": float(overall.test_statistic), "df": int(overall.degrees_of_freedom),
            "p_value": float(overall.p_value)}, pw  # fmt: skip


# --------------------------------------------------------------------------------------------------
# RMST with a Greenwood standard error


@dataclass(frozen=True)
class RMST:
    """Restricted mean survival time up to ``tau`` and its Greenwood-type standard error."""

    tau: float
    rmst: float
    se: float


def rmst(durations: np.ndarray, events: np.ndarray, tau: float, weights: np.ndarray | None = None) -> RMST:
    """Area under the KM curve on [0, tau] with Var = Σ_{t_j <= tau} A_j² d_j / (n_j (n_j - d_j)),
    A_j = area under the curve from t_j to tau (the estimator's variance, as in survRM2)."""
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


def rmst_table(df: pd.DataFrame, group: str, tau: float, reference: str | None = None,
               duration: str = "duration", event: str = "event") -> pd.DataFrame:  # fmt: skip
    """RMST per group with 95% CI, and the difference to ``reference`` (default: the largest group)
    with CI and two-sided z-test p-value.

    ``tau`` is lowered to the shortest of the groups' longest follow-up (survRM2's rule), so no group's
    curve is extrapolated; the ``tau`` column holds the value used."""
    groups = {str(k): g for k, g in df.groupby(group, observed=True)}
    ref = reference or max(groups, key=lambda k: len(groups[k]))
    tau = usable_tau(df, group, tau, duration)
    res = {k: rmst(g[duration].to_numpy(), g[event].to_numpy(), tau) for k, g in groups.items()}
    z = stats.norm.ppf(0.975)
    rows = []
    for k, r in res.items():
        diff = r.rmst - res[ref].rmst
        se_d = math.hypot(r.se, res[ref].se)
        rows.append({
            "group": k, "members": len(groups[k]), "tau": tau, "rmst": r.rmst, "se": r.se,
            "ci_lower": r.rmst - z * r.se, "ci_upper": r.rmst + z * r.se, "reference": ref,
            "difference": diff, "diff_ci_lower": diff - z * se_d, "diff_ci_upper": diff + z * se_d,
            "p_value": float(2 * stats.norm.sf(abs(diff) / se_d)) if k != ref and se_d > 0 else float("nan"),
        })  # fmt: skip
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------------
# Cox proportional hazards on compressed rows


@dataclass(frozen=True)
class CoxResult:
    """A fitted Cox model: tidy hazard ratios plus fit facts."""

    hazard_ratios: pd.DataFrame  # covariate, hazard_ratio, ci_lower, ci_upper, p_value, coef, se, robust_se
    members: int
    events: int
    rows_fitted: int
    concordance: float
    log_likelihood: float
    ph_test: pd.DataFrame  # covariate, period, start, end, hazard_ratio, ci_lower, ci_upper
    fit: cox.CoxFit
    left_out: int = 0  # rows with a missing covariate value


def reference_levels(df: pd.DataFrame, wanted: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
    """Reference level of each categorical covariate: the one asked for, or (empty, or absent from the
    data, with a note) the largest group. A covariate with a single level cannot be estimated: it is
    dropped, with a note. Returns (references, notes)."""
    refs, notes = {}, []
    for var, ref in wanted.items():
        counts = df[var].dropna().astype(str).value_counts()
        name = var.removeprefix("lm_")
        if len(counts) < 2:
            only = ", ".join(counts.index) or "none"
            notes.append(f"Every member has the same {name} ({only}), so {name} is left out of the model.")
            continue
        refs[var] = ref if ref in counts.index else str(counts.index[0])
        if ref and ref not in counts.index:
            notes.append(f"No member has {name} {ref}; the reference group is {refs[var]}, the largest.")
    return refs, notes


def usable_tau(df: pd.DataFrame, group: str, tau: float, duration: str = "duration") -> float:
    """``tau``, or the shortest of the groups' longest follow-up times when that is shorter."""
    longest = df.groupby(group, observed=True)[duration].max()
    return tau if not len(longest) or tau <= longest.min() else float(longest.min())


def design(df: pd.DataFrame, categorical: Mapping[str, str], numeric: Sequence[str] = ()) -> pd.DataFrame:
    """Dummy columns ``var[level]`` for each categorical (``categorical`` maps var -> reference level,
    which is dropped; levels compared as strings, missing as "nan") plus numeric columns."""
    out = {}
    for var, ref in categorical.items():
        codes, uniques = pd.factorize(df[var], use_na_sentinel=False)
        labels = [str(u) for u in uniques]
        for lv in sorted(set(labels) - {str(ref)}):
            hit = np.isin(codes, [i for i, lab in enumerate(labels) if lab == lv])
            out[f"{var}[{lv}]"] = hit.astype("int8")
    for c in numeric:
        out[c] = df[c].to_numpy(dtype=float)
    return pd.DataFrame(out, index=df.index)


def _codes(col: pd.Series) -> tuple[np.ndarray, int]:
    """Integer codes of a column (missing values get a code of their own) and how many codes there
    can be. Categoricals and small integer ranges need no hashing."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        codes, card = col.cat.codes.to_numpy().astype(np.int64), len(col.cat.categories)
    else:
        v = col.to_numpy()
        if v.dtype.kind in "biu" and v.size and int(v.max()) - int(v.min()) < 1_000_000:
            return v.astype(np.int64) - int(v.min()), int(v.max()) - int(v.min()) + 1
        codes, uniques = pd.factorize(v)
        codes, card = codes.astype(np.int64), len(uniques)
    return np.where(codes < 0, card, codes), card + 1


def _first_seen_ids(key: np.ndarray) -> tuple[np.ndarray, int]:
    ids, uniques = pd.factorize(key)
    return ids.astype(np.int64), len(uniques)


def compress(
    x: pd.DataFrame, duration: pd.Series, event: pd.Series, strata: pd.Series | None = None
) -> pd.DataFrame:
    """Unique (covariates, duration, event[, strata]) rows with a case-weight column ``w``, in order of
    first appearance."""
    d = x.reset_index(drop=True)
    d["_t"] = np.asarray(duration)
    d["_e"] = np.asarray(event).astype(int)
    if strata is not None:
        d["_s"] = np.asarray(strata).astype(str)
    key, size = np.zeros(len(d), dtype=np.int64), 1
    for c in d.columns:  # mixed-radix key, re-coded whenever it could overflow
        codes, card = _codes(d[c])
        if size * card >= 2**62:
            key, size = _first_seen_ids(key)
        key, size = key * card + codes, size * card
    key, _ = _first_seen_ids(key)
    counts = np.bincount(key)
    first = np.flatnonzero(np.r_[True, key[1:] > np.maximum.accumulate(key)[:-1]])
    return d.iloc[first].reset_index(drop=True).assign(w=counts)


def fit_cox(df: pd.DataFrame, categorical: Mapping[str, str], numeric: Sequence[str] = (),
            duration: str = "t", event: str = "event", strata: str | None = None,
            compressed: bool = True, robust: bool = False, ph_check: bool = True) -> CoxResult:  # fmt: skip
    """Cox PH (Efron ties, ``analysis.cox``) on the landmark table, by default on rows compressed to
    unique (covariates, duration, event[, stratum]) with case weights (the same estimates as the raw
    rows). ``robust`` reports sandwich standard errors (members as clusters) and bases CIs on them.
    Rows with a missing covariate value are left out (counted in ``CoxResult.left_out``)."""
    known = df[list(dict.fromkeys([*categorical, *numeric]))].notna().all(axis=1)
    left_out = int((~known).sum())
    if left_out:
        df = df[known]
    if compressed:  # unique (covariate values, duration, event[, stratum]) rows, then the design
        cols = list(dict.fromkeys([*categorical, *numeric]))
        rows = compress(df[cols], df[duration], df[event], df[strata] if strata else None)
        t, e, w, s = rows["_t"], rows["_e"], rows["w"], rows["_s"] if strata else None
    else:
        rows, t, e, w, s = df, df[duration], df[event], None, df[strata] if strata else None
    x = design(rows, categorical, numeric)
    x = x.loc[:, x.std() > 0]  # a constant column cannot be estimated
    covariates = list(x.columns)
    res = cox.fit(x, t, e, weights=w, strata=s, robust=robust)
    hr = res.table[
        ["covariate", "hazard_ratio", "ci_lower", "ci_upper", "p_value", "coef", "se", "robust_se"]
    ]
    return CoxResult(
        hazard_ratios=hr, members=int(len(df)), events=int(df[event].sum()), rows_fitted=res.rows,
        concordance=res.concordance, log_likelihood=res.log_likelihood,
        ph_test=_ph_check(df, categorical, numeric, duration, event, covariates) if ph_check else pd.DataFrame(),
        fit=res, left_out=left_out,
    )  # fmt: skip


def _ph_check(df, categorical, numeric, duration, event, covariates, periods: int = 3) -> pd.DataFrame:
    """Proportional hazards as an effect size, not only a p-value (at large n every test "fails"):
    the hazard ratio fitted separately in each of ``periods`` follow-up intervals (split at event-time
    quantiles; members at risk in an interval, clock from its start). Columns: covariate, period,
    start, end, hazard_ratio, ci_lower, ci_upper. Under PH the ratios agree across periods."""

    ev_times = df.loc[df[event].astype(bool), duration]
    if len(ev_times) < 30 * periods:
        return pd.DataFrame(
            columns=["covariate", "period", "start", "end", "hazard_ratio", "ci_lower", "ci_upper"]
        )
    cuts = [
        0.0,
        *np.quantile(ev_times, np.arange(1, periods) / periods).tolist(),
        float(df[duration].max()) + 1,
    ]
    x = design(df, categorical, numeric).reindex(columns=covariates, fill_value=0)
    rows = []
    for k in range(periods):
        lo, hi = cuts[k], cuts[k + 1]
        at_risk = (df[duration] >= lo).to_numpy()
        t = np.minimum(df.loc[at_risk, duration], hi) - lo
        e = df.loc[at_risk, event].astype(bool) & (df.loc[at_risk, duration] < hi)
        xx = x.loc[at_risk]
        keep = [c for c in covariates if xx[c].std() > 0]
        c = compress(xx[keep], pd.Series(np.asarray(t)), pd.Series(np.asarray(e)))
        sm = cox.fit(c[keep], c["_t"], c["_e"], weights=c["w"], ridge=1e-3).table.set_index("covariate")
        for cov in keep:
            rows.append({"covariate": cov, "period": k + 1, "start": lo, "end": hi,
                         "hazard_ratio": float(sm.loc[cov, "hazard_ratio"]),
                         "ci_lower": float(sm.loc[cov, "ci_lower"]), "ci_upper": float(sm.loc[cov, "ci_upper"])})  # fmt: skip
    return pd.DataFrame(rows)


def ph_effect_size(ph: pd.DataFrame) -> pd.DataFrame:
    """Per covariate: hazard ratio in the first and last follow-up period and their ratio (1 = PH)."""
    if ph.empty:
        return pd.DataFrame(columns=["covariate", "hr_first", "hr_last", "ratio_last_first"])
    g = ph.sort_values("period").groupby("covariate", sort=False)
    out = pd.DataFrame(
        {"hr_first": g["hazard_ratio"].first(), "hr_last": g["hazard_ratio"].last()}
    ).reset_index()
    out["ratio_last_first"] = out["hr_last"] / out["hr_first"]
    return out


# --------------------------------------------------------------------------------------------------
# reactivation, sensitivity, risk now


def reactivation(churn: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    """Share of churned members who were active again later: [by], churned, came_back, rate."""
    d = churn[churn["event"]]
    keys = [by] if by else []
    g = d.groupby(keys, observed=True) if keys else [((), d)]
    rows = [{**({by: k[0] if isinstance(k, tuple) else k} if by else {}), "churned": len(x),
             "came_back": int(x["came_back"].sum())} for k, x in g]  # fmt: skip
    out = pd.DataFrame(rows)
    out["rate"] = out["came_back"] / out["churned"].where(out["churned"] > 0)
    return out


@accepts_dates
def sensitivity(src: DataSource, as_of: date, churn_days: Sequence[int] = (14, 30, 60, 90),
                left_truncation: str = "exclude") -> pd.DataFrame:  # fmt: skip
    """How the answers move with the churn threshold: per churn_days, members, churned, median lifetime,
    S(30), S(60), S(90) and the share of churned who came back."""
    rows = []
    first, _ = src.day_range()
    for w in churn_days:
        if as_of - timedelta(days=w) < first + timedelta(days=7):
            continue
        c = churn_table(src, as_of, ChurnRules(churn_days=w, left_truncation=left_truncation))
        s = survival_summary(kaplan_meier(c)).iloc[0]
        r = reactivation(c).iloc[0]
        rows.append({"churn_days": w, "cutoff": c.attrs["cutoff"], "members": len(c), "churned": int(c["event"].sum()),
                     "median": s["median"], "s30": s["s30"], "s60": s["s60"], "s90": s["s90"],
                     "came_back_rate": r["rate"]})  # fmt: skip
    return pd.DataFrame(rows)


@accepts_dates
def churn_risk_now(
    churn: pd.DataFrame, km: pd.DataFrame, as_of: date, group: str, horizon: int = 30
) -> pd.DataFrame:
    """For members not churned by the cutoff: P(churn within ``horizon`` more days | survived so far)
    = 1 - S(a + horizon) / S(a) from the KM of their ``group`` (a = days since joining at the cutoff).

    Per member (IDs: restricted exports only): member_id, group, age_days, risk (NaN beyond follow-up)."""
    alive = churn[~churn["event"]].copy()
    alive["age_days"] = alive["duration"]
    risks = []
    for g, k in km.groupby("group"):
        sel = alive[alive[group].astype(str) == g] if g != "all" else None
        if sel is None or sel.empty:
            continue
        s_a = np.array([_step_at(k, a, "survival") for a in sel["age_days"]])
        s_b = np.array([_step_at(k, a + horizon, "survival") for a in sel["age_days"]])
        risks.append(pd.DataFrame({"member_id": sel["member_id"].to_numpy(), "group": g,
                                   "age_days": sel["age_days"].to_numpy(), "risk": 1 - s_b / s_a}))  # fmt: skip
    return (
        pd.concat(risks, ignore_index=True)
        if risks
        else pd.DataFrame(columns=["member_id", "group", "age_days", "risk"])
    )


def risk_summary(
    risk: pd.DataFrame, by: Sequence[str] = ("tier", "community"), high: float = 0.5
) -> pd.DataFrame:
    """Per group of ``by``: members, mean_risk (of members with an estimable risk), high_risk (risk >
    ``high``), unknown (risk not estimable: beyond the group's follow-up)."""
    g = risk.assign(_high=risk["risk"] > high, _unknown=risk["risk"].isna()).groupby(list(by), observed=True)
    out = g.agg(members=("risk", "size"), mean_risk=("risk", "mean"), high_risk=("_high", "sum"),
                unknown=("_unknown", "sum")).reset_index()  # fmt: skip
    return out.astype({"high_risk": "int64", "unknown": "int64"})


# --------------------------------------------------------------------------------------------------
# narrative


def _pct_change(hr: float) -> str:
    if hr < 1:
        return f"{1 - hr:.0%} less likely"
    return f"{hr - 1:.0%} more likely"


def describe(cox: CoxResult, summary: pd.DataFrame, churn: pd.DataFrame, landmark: pd.DataFrame,
             reference_labels: Mapping[str, str]) -> list[str]:  # fmt: skip
    """Plain-language sentences for stakeholders from a Cox fit and KM summaries."""
    out = []
    hr = cox.hazard_ratios.set_index("covariate")
    all_row = summary[summary["group"] == "all"].iloc[0]
    med = all_row["median"]
    med_txt = (
        f"half of them had churned {med:.0f} days after it"
        if med == med
        else "fewer than half had churned by the end of follow-up"
    )
    observed = [(t, all_row[f"s{t}"]) for t in (30, 90) if all_row[f"s{t}"] == all_row[f"s{t}"]]
    missing = [t for t in (30, 90) if all_row[f"s{t}"] != all_row[f"s{t}"]]
    said = " and ".join(f"{v:.0%} had not churned {t} days later" for t, v in observed)
    if missing:
        follow = int(landmark["t"].max()) if len(landmark) else 0
        gap = (f"{' and '.join(map(str, missing))} days later is not yet observable: follow-up after the "
               f"landmark reaches only {follow} days so far")  # fmt: skip
        said = f"{said}; {gap}" if said else gap
    out.append(
        f"Of {len(landmark):,} members still around {landmark.attrs.get('landmark_days', 14)} days after joining, "
        f"{said}; {med_txt}."
    )
    for var, ref in reference_labels.items():
        rows = hr[hr.index.str.startswith(f"{var}[")]
        sig = rows[rows["p_value"] < 0.05].sort_values("hazard_ratio")
        if sig.empty:
            continue
        parts = [f"{c.split('[', 1)[1].rstrip(']')} members are {_pct_change(r.hazard_ratio)} to churn in any given week"
                 for c, r in sig.iterrows()]  # fmt: skip
        out.append(f"Compared with {ref} ({var.replace('lm_', '')}), " + "; ".join(parts) + ".")
    churned = churn[churn["event"]]
    if len(churned):
        out.append(f"{churned['came_back'].mean():.0%} of the members who churned were active again later: "
                   f"churn by inactivity is not always final.")  # fmt: skip
    return out


def summary_table(summary: pd.DataFrame, at: Sequence[int] = (30, 60, 90)) -> pd.DataFrame:
    """:func:`survival_summary` for readers: one column per quantity, each "value (CI low - high)"."""
    from analysis.tables import fmt

    def ci(v, lo, hi, kind, missing="n/a"):
        return f"{fmt(v, kind)} ({fmt(lo, kind)} - {fmt(hi, kind)})" if v == v else missing

    out = pd.DataFrame({"group": summary["group"], "members": summary["members"].map(lambda v: fmt(v, "int")),
                        "churned": summary["events"].map(lambda v: fmt(v, "int"))})  # fmt: skip
    out["median days (95% CI)"] = [ci(r["median"], r["median_ci_lower"], r["median_ci_upper"], "int", "not reached")
                                   for _, r in summary.iterrows()]  # fmt: skip
    for t in at:
        out[f"not churned at {t} days"] = [ci(r[f"s{t}"], r[f"s{t}_ci_lower"], r[f"s{t}_ci_upper"], "pct")
                                           for _, r in summary.iterrows()]  # fmt: skip
    return out


# --------------------------------------------------------------------------------------------------
# churn from another clock start (experiment assignment)


@accepts_dates
def churn_after(src: DataSource, starts: pd.DataFrame, as_of: date, churn_days: int = 30) -> pd.DataFrame:
    """Churn with the clock starting at ``starts.start_day`` (an active day, e.g. the local assignment
    day): churn = the first active day on or after the start followed by ``churn_days`` quiet days
    (the rule of :func:`first_quiet_run`); follow-up ends at as_of - churn_days; starts after that are
    left out.

    Each member's active days since the start come back from the backend as bit masks (one 62-day
    chunk per row, so a million members cost a few million rows rather than one row per member-day)
    and the rule is applied to the day-by-member matrix.

    Returns ``starts`` columns plus event, duration (days from the start), churn_day."""
    cutoff = as_of - timedelta(days=churn_days)
    s = starts[pd.to_datetime(starts["start_day"]) <= pd.Timestamp(cutoff)].copy()
    start = pd.to_datetime(s["start_day"]).to_numpy("datetime64[D]")
    frame = pd.DataFrame(
        {"member_id": s["member_id"].astype(str), "start_day": start, "row": np.arange(len(s))}
    )
    churn_k = np.full(len(s), -1)
    if len(s):
        t = src.con.create_table(f"_starts_{uuid.uuid4().hex[:12]}", ibis.memtable(frame), temp=True)
        t = t.mutate(start_day=t.start_day.cast("date"))
        e = src.events_local(as_of, since=pd.Timestamp(start.min()).date()).select("member_id", "day")
        j = e.join(t, e.member_id == t.member_id).filter(lambda x: x.day >= x.start_day)
        chunk, bit = day_bit(j.day.delta(j.start_day, unit="day"))
        j = j.mutate(chunk=chunk, bit=bit)
        masks = fetch(j.group_by(["row", "chunk"]).aggregate(days=j.bit.bit_or()))
        last = (np.datetime64(as_of, "D") - start).astype(np.int64)  # as_of, in days from each start
        churn_k = _first_quiet_start(
            masks["row"].to_numpy(np.int64), masks["chunk"].to_numpy(np.int64), masks["days"].to_numpy(np.int64),
            last, churn_days,
        )  # fmt: skip
    s["churn_day"] = pd.to_datetime(
        np.where(churn_k >= 0, start + churn_k.astype("timedelta64[D]"), np.datetime64("NaT"))
    )
    s["event"] = s["churn_day"].notna() & (s["churn_day"] <= pd.Timestamp(cutoff))
    end_day = s["churn_day"].where(s["event"], pd.Timestamp(cutoff))
    s["duration"] = (end_day - pd.to_datetime(s["start_day"])).dt.days.astype("int64")
    s.attrs.update(cutoff=str(cutoff), churn_days=churn_days, started_after_cutoff=int(len(starts) - len(s)))
    return s


def _first_quiet_start(row: np.ndarray, chunk: np.ndarray, days: np.ndarray, last: np.ndarray,
                       churn_days: int, block: int = 100_000) -> np.ndarray:  # fmt: skip
    """Per member (``last``: its last observed day offset): the first active day offset k followed by
    no activity on k+1..k+churn_days with k + churn_days <= last, or -1. Active days are given as
    bit masks: bit b of ``days`` on a (``row``, ``chunk``) entry marks offset chunk * MASK_DAYS + b.
    Rows are processed in blocks to bound the day-by-member matrix."""
    n = len(last)
    out = np.full(n, -1, dtype=np.int64)
    order = np.argsort(row, kind="stable")
    row, chunk, days = row[order], chunk[order], days[order]
    width = int(last.max()) + 1 if n else 0
    for lo in range(0, n, block):
        hi = min(lo + block, n)
        a, b = np.searchsorted(row, [lo, hi])
        r, c, d = row[a:b] - lo, chunk[a:b], days[a:b]
        active = np.zeros((hi - lo, width + churn_days + 1), dtype=bool)
        for bit in range(MASK_DAYS):
            on = ((d >> bit) & 1).astype(bool)
            col = c[on] * MASK_DAYS + bit
            keep = col < width
            active[r[on][keep], col[keep]] = True
        before = np.cumsum(active, axis=1, dtype=np.int32)  # active days on 0..k
        ks = np.arange(width)
        quiet = before[:, ks + churn_days] - before[:, ks] == 0  # none on k+1..k+churn_days
        cand = active[:, :width] & quiet & (ks[None, :] + churn_days <= last[lo:hi, None])
        found = cand.any(axis=1)
        out[lo:hi][found] = cand[found].argmax(axis=1)
    return out
