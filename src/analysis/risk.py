"""Who is about to leave: each active member's probability of churning within ``horizon_days``.

**Population and outcome.** At a landmark day d, every member active in the ``churn_days`` before d
(so not churned yet). The outcome is the project's churn rule with the clock at the member's last active
day on or before d: churned when that churn day is at most d + horizon. It is visible ``churn_days``
later, so a landmark's outcome is known once d + horizon + churn_days has passed.

**Model: a landmark logistic model, stacked over weekly landmarks.** The question is a probability at a
fixed horizon, the quantity to calibrate. Every member at a landmark is followed for the whole horizon,
so there is no censoring: a logistic model on the binary outcome is unbiased, and the IPCW Brier score
equals the plain Brier score (all weights 1). Features are measured at the landmark only (no immortal
time, no look-ahead). A Cox model would add a proportional-hazards assumption and a baseline hazard to
estimate the same number. Training stacks ``landmarks`` weekly landmarks whose outcomes are all visible.

**Features** (Ibis on the member-days): days since last active, active days in the last 7 / 28 / 56
days, posts, comments, shares, likes, check-ins and visits in the last 28 days, tenure, invited members
who joined, and the member's tier, sign-up channel, community and latest experiment arm at d ("not in
an experiment" when none).

**Backtest.** Fit with landmarks whose outcomes are visible by ``as_of - horizon - churn_days`` (the fit
date, using data up to that day only), predict at the fit date, and score against what happened by
``as_of``: AUC, calibration slope and intercept, ICI, Brier, and the share of churners in the top 10% of
risk, against a recency-only model (days since last active) that the full model has to beat.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property

import ibis
import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import special, stats
from statsmodels.nonparametric.smoothers_lowess import lowess

from analysis.activity import assign_tiers, churn_after, member_days, member_rows, members_frame
from analysis.data import DataSource, accepts_dates, fetch
from analysis.definitions import TierRules
from analysis.display import HtmlRepr

__all__ = [
    "RiskRules",
    "features",
    "outcomes",
    "RiskModel",
    "fit",
    "logistic",
    "auc",
    "calibration",
    "ici",
    "top_capture",
    "scores",
    "Backtest",
    "backtest",
    "p_alive",
    "RiskNow",
    "risk_now",
    "history_needed",
    "RiskSection",
    "section",
    "reliability",
    "expected_leavers",
    "total_leavers",
    "reasons",
    "drivers",
]

COUNTS = ("posts", "comments", "shares", "likes", "checkins", "visits")
NUMERIC = (
    "recency",
    "log_recency",
    "active_7",
    "active_28",
    "active_56",
    *(f"log_{c}" for c in COUNTS),
    "log_tenure",
    "log_invited",
)
CATEGORICAL = ("tier", "channel", "community", "arm")
NO_ARM = "not in an experiment"
HISTORY_DAYS = 56
Z95 = 1.959963984540054


@dataclass(frozen=True)
class RiskRules:
    """Horizon and churn rule of the risk estimate, and how many weekly landmarks train the model."""

    horizon_days: int = 30
    churn_days: int = 30
    landmarks: int = 4  # at most; fewer once ``min_rows`` training rows are reached
    step_days: int = 7
    min_rows: int = 200_000
    max_fit_rows: int = 400_000  # a larger training set is fitted on a seeded random sample of this size
    tiers: TierRules = field(default_factory=TierRules)

    @property
    def lag(self) -> int:
        """Days from a landmark until its outcome is visible."""
        return self.horizon_days + self.churn_days


@accepts_dates
def features(src: DataSource, landmark: date, as_of: date, rules: RiskRules = RiskRules()) -> pd.DataFrame:
    """What is known at ``landmark`` about each member active in the ``churn_days`` before it
    (inclusive), from data up to the landmark only: recency, frequency and trend of activity and of each
    contribution type, tier, tenure, invites, channel, community and experiment arm.

    Parameters
    ----------
    src : DataSource
        The community, from :func:`analysis.open` (or ``ctx.src`` in a report).
    landmark : date
        The day the prediction is made.
    as_of : date, str or pandas.Timestamp
        The last complete local day included; nothing after it is read.
    rules : RiskRules, optional
        Horizon, churn rule and training landmarks (default ``RiskRules()``: 30 days, 30 quiet days).

    Returns
    -------
    pandas.DataFrame
        member_id, last_active, the numeric features and the categorical ones.
    """
    lo = landmark - timedelta(days=HISTORY_DAYS - 1)
    md = member_days(src, as_of, between=(lo, landmark))
    recent = {n: md.day > landmark - timedelta(days=n) for n in (7, 28)}
    per = md.group_by("member_id").aggregate(
        last_active=md.day.max(),
        active_7=md.count(where=recent[7]),
        active_28=md.count(where=recent[28]),
        active_56=md.count(),
        **{c: md[c].sum(where=recent[28]) for c in COUNTS},
    )
    per = per.filter(per.last_active > landmark - timedelta(days=rules.churn_days))
    m = src.members_local(as_of)
    joined = m.filter(m.join_day <= landmark)
    invited = (
        joined.filter(joined.invited_by.notnull()).group_by("invited_by").aggregate(invited=ibis._.count())
    )
    rows = member_rows(src, as_of)  # the member's columns come from the cached member frame, by row
    j = per.join(rows, "member_id").left_join(invited, per.member_id == invited.invited_by)
    j = j.drop("invited_by")
    arms = _arms_at(src, landmark)
    if arms is not None:
        j = j.left_join(arms, j.member_id == arms.arm_member).drop("arm_member")
    df = fetch(j.drop("member_id"))
    members = members_frame(src, as_of)[["member_id", "join_day", "channel", "community"]]
    members = members.iloc[df["row"].to_numpy()].reset_index(drop=True)
    df = pd.concat([members, df], axis=1)
    df = df[df["join_day"] <= pd.Timestamp(landmark)].reset_index(drop=True)
    if "arm" not in df:
        df["arm"] = None
    df["arm"] = df["arm"].fillna(NO_ARM)
    return _derived(df, src, landmark, as_of, rules)


def _arms_at(src: DataSource, landmark: date):
    """Each member's latest experiment arm assigned on or before ``landmark`` (local day), as
    "experiment: arm"; None without an assignments table."""
    a = src.table("assignments")
    if a is None:
        return None
    a = a.filter(src.local(a.assigned_at).date() <= landmark)
    label = a.experiment.cast("string") + ": " + a.arm.cast("string")
    return a.group_by(arm_member=a.member_id).aggregate(arm=label.argmax(a.assigned_at))


def _derived(
    df: pd.DataFrame, src: DataSource, landmark: date, as_of: date, rules: RiskRules
) -> pd.DataFrame:
    day = pd.Timestamp(landmark)
    df["recency"] = (day - pd.to_datetime(df["last_active"])).dt.days.astype(float)
    df["log_recency"] = np.log1p(df["recency"])
    df["log_tenure"] = np.log1p((day - pd.to_datetime(df["join_day"])).dt.days.clip(lower=0).astype(float))
    df["log_invited"] = np.log1p(df["invited"].fillna(0).astype(float))
    for c in COUNTS:
        df[f"log_{c}"] = np.log1p(df[c].fillna(0).astype(float))
    for c in ("active_7", "active_28", "active_56"):
        df[c] = df[c].astype(float)
    # tiers of the members joined by the landmark come in members_frame order: place them by row
    tiers = assign_tiers(src, landmark, rules.tiers, as_of=as_of)["tier"].to_numpy()
    joined = members_frame(src, as_of)["join_day"].to_numpy() <= np.datetime64(landmark, "D")
    tier_by_row = np.full(len(joined), None, dtype=object)
    tier_by_row[np.flatnonzero(joined)] = tiers
    df["tier"] = tier_by_row[df["row"].to_numpy()]
    for c in CATEGORICAL:
        df[c] = df[c].astype(object).where(df[c].notna(), "unknown").astype(str)
    df["landmark"] = day
    # member_id order: the rows of members_frame are in member_id order
    return df.sort_values("row", ignore_index=True).drop(columns="row")


@accepts_dates
def outcomes(
    src: DataSource, feats: pd.DataFrame, landmark: date, rules: RiskRules = RiskRules()
) -> pd.Series:
    """Churned within the horizon after ``landmark``, by the churn rule with the clock at each
    member's last active day; needs data up to landmark + horizon + churn_days.

    Parameters
    ----------
    src : DataSource
        The community, from :func:`analysis.open` (or ``ctx.src`` in a report).
    feats : pandas.DataFrame
        From :func:`features` at ``landmark``.
    landmark : date
        The day the prediction was made.
    rules : RiskRules, optional
        Horizon, churn rule and training landmarks (default ``RiskRules()``: 30 days, 30 quiet days).

    Returns
    -------
    pandas.Series
        Bool per row of ``feats``.
    """
    starts = pd.DataFrame(
        {"member_id": feats["member_id"], "start_day": pd.to_datetime(feats["last_active"])}
    )
    ch = churn_after(src, starts, landmark + timedelta(days=rules.lag), rules.churn_days)
    churned = ch.set_index("member_id")["event"]
    return feats["member_id"].map(churned).fillna(False).astype(bool).rename("churned")


# --------------------------------------------------------------------------------------------------
# the model


@dataclass(frozen=True)
class RiskModel(HtmlRepr):
    """A fitted logistic model: coefficients by design column, the reference level and the levels seen
    of each categorical feature, the numeric means (for the reasons), and the training size."""

    params: pd.Series
    cov: pd.DataFrame
    levels: dict[str, tuple[str, ...]]
    numeric: tuple[str, ...]
    means: pd.Series
    members: int
    churned: int

    def design(self, df: pd.DataFrame) -> pd.DataFrame:
        """The model's design matrix for new rows (levels not seen in training count as the
        reference).

        Parameters
        ----------
        df : pandas.DataFrame
            Features, as from :func:`features`.

        Returns
        -------
        pandas.DataFrame
        """
        return design(df, self.numeric, self.levels)

    def predict(self, df: pd.DataFrame) -> np.ndarray:
        """P(churn within the horizon) for each row.

        Parameters
        ----------
        df : pandas.DataFrame
            Features, as from :func:`features`.

        Returns
        -------
        numpy.ndarray
        """
        return 1.0 / (1.0 + np.exp(-(self.design(df).to_numpy(float) @ self.params.to_numpy(float))))


def design(df: pd.DataFrame, numeric: tuple[str, ...], levels: dict[str, tuple[str, ...]]) -> pd.DataFrame:
    """Intercept, the numeric columns, and one indicator per non-reference level of each categorical
    (``levels[c][0]`` is the reference; a level not seen in training counts as the reference)."""
    cols = {"const": np.ones(len(df))}
    cols |= {c: df[c].to_numpy(float) for c in numeric}
    for c, lv in levels.items():
        values = df[c].astype(str).to_numpy()
        cols |= {f"{c}[{v}]": (values == v).astype(float) for v in lv[1:]}
    return pd.DataFrame(cols, index=df.index)


def fit(
    train: pd.DataFrame,
    y: pd.Series,
    numeric: tuple[str, ...] = NUMERIC,
    categorical: tuple[str, ...] = CATEGORICAL,
    min_level: int = 20,
) -> RiskModel:
    """Logistic regression of ``y`` on the features (a discrete-time hazard over the horizon, pooled
    over landmarks). Categorical levels with fewer than ``min_level`` members join the reference (the most
    common level).

    Parameters
    ----------
    train : pandas.DataFrame
        Stacked features.
    y : pandas.Series
        Their outcomes.
    numeric : tuple of str, optional
        Numeric features.
    categorical : tuple of str, optional
        Categorical features.
    min_level : int, optional
        Smallest level kept apart from the reference (20).

    Returns
    -------
    RiskModel
    """
    levels = {}
    for c in categorical:
        counts = train[c].astype(str).value_counts()
        kept = [v for v in counts.index[1:] if counts[v] >= min_level]
        levels[c] = (str(counts.index[0]), *sorted(map(str, kept)))
    x = design(train, numeric, levels)
    x = x.loc[:, (x.std() > 0) | (x.columns == "const")]
    beta, cov = logistic(x.to_numpy(float), y.astype(float).to_numpy())
    params, cov = pd.Series(beta, index=x.columns), pd.DataFrame(cov, index=x.columns, columns=x.columns)
    levels = {c: (lv[0], *[v for v in lv[1:] if f"{c}[{v}]" in x.columns]) for c, lv in levels.items()}
    numeric = tuple(c for c in numeric if c in x.columns)
    return RiskModel(params, cov, levels, numeric, train[list(numeric)].mean(), int(len(y)), int(y.sum()))


def logistic(x: np.ndarray, y: np.ndarray, tol: float = 1e-10, max_iter: int = 100) -> tuple[np.ndarray, ...]:
    """Maximum-likelihood logistic regression by Newton's method on the normal equations (the same
    estimates as statsmodels' GLM Binomial, several times faster on a few hundred thousand rows).

    Parameters
    ----------
    x : numpy.ndarray
        Design matrix (with its intercept column).
    y : numpy.ndarray
        0/1 outcomes.
    tol : float, optional
        Convergence tolerance.
    max_iter : int, optional
        Newton iterations at most.

    Returns
    -------
    tuple of numpy.ndarray
        Coefficients and their covariance (the inverse information at the estimate).
    """
    beta = np.zeros(x.shape[1])
    for _ in range(max_iter):
        p = special.expit(x @ beta)
        info = x.T @ (x * (p * (1 - p))[:, None])
        step = np.linalg.solve(info, x.T @ (y - p))
        beta = beta + step
        if np.max(np.abs(step)) < tol:
            break
    p = special.expit(x @ beta)
    return beta, np.linalg.inv(x.T @ (x * (p * (1 - p))[:, None]))


# --------------------------------------------------------------------------------------------------
# scores of a prediction


def auc(y: np.ndarray, p: np.ndarray) -> float:
    """Area under the ROC curve = P(a churner's risk > a stayer's), ties counted half
    (Mann–Whitney).

    Parameters
    ----------
    y : numpy.ndarray
        Outcomes, 1 = churned within the horizon.
    p : numpy.ndarray
        Predicted risks in [0, 1].

    Returns
    -------
    float

    Examples
    --------
    >>> import numpy as np
    >>> from analysis.risk import auc
    >>> auc(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8]))
    0.75
    """
    y = np.asarray(y, bool)
    ranks = stats.rankdata(p)
    n1, n0 = y.sum(), (~y).sum()
    return float((ranks[y].sum() - n1 * (n1 + 1) / 2) / (n1 * n0)) if n1 and n0 else float("nan")


def calibration(y: np.ndarray, p: np.ndarray) -> tuple[float, float]:
    """Calibration slope and intercept of a prediction.

    Parameters
    ----------
    y : numpy.ndarray
        Outcomes, 1 = churned within the horizon.
    p : numpy.ndarray
        Predicted risks in [0, 1].

    Returns
    -------
    (float, float)
        The slope of logit P(y) on logit p (1 = right spread), and the intercept with logit p as an offset
        (0 = right overall level; calibration-in-the-large).
    """
    lp = np.log(np.clip(p, 1e-12, 1 - 1e-12) / np.clip(1 - p, 1e-12, 1))
    y = np.asarray(y, float)
    slope = sm.GLM(y, sm.add_constant(lp), family=sm.families.Binomial()).fit().params[1]
    intercept = sm.GLM(y, np.ones((len(y), 1)), family=sm.families.Binomial(), offset=lp).fit().params[0]
    return float(slope), float(intercept)


def ici(y: np.ndarray, p: np.ndarray, frac: float = 0.75, delta: float = 0.005) -> float:
    """Integrated calibration index: the mean absolute difference between the predicted risk and a
    lowess smooth of the outcome on it.

    Parameters
    ----------
    y : numpy.ndarray
        Outcomes, 1 = churned within the horizon.
    p : numpy.ndarray
        Predicted risks in [0, 1].
    frac : float, optional
        The lowess span (0.75).
    delta : float, optional
        The smooth is fitted at risks at least ``delta`` apart and interpolated between them (statsmodels'
        ``delta``: the same ICI to 1e-6 on 120,000 members, in 0.1 s instead of 77 s).

    Returns
    -------
    float

    References
    ----------
    Austin and Steyerberg (2019), "The Integrated Calibration Index (ICI) and related metrics for
    quantifying the calibration of logistic regression models", Statistics in Medicine 38(21).
    """
    smooth = lowess(np.asarray(y, float), p, frac=frac, it=0, delta=delta, return_sorted=False)
    return float(np.mean(np.abs(smooth - p)))


def top_capture(y: np.ndarray, p: np.ndarray, share: float = 0.10) -> float:
    """Share of all churners found among the ``share`` of members with the highest predicted risk.

    Parameters
    ----------
    y : numpy.ndarray
        Outcomes, 1 = churned within the horizon.
    p : numpy.ndarray
        Predicted risks in [0, 1].
    share : float, optional
        The top share (0.10).

    Returns
    -------
    float
    """
    y = np.asarray(y, bool)
    k = int(np.ceil(share * len(p)))
    top = np.argsort(-np.asarray(p), kind="stable")[:k]
    return float(y[top].sum() / y.sum()) if y.sum() else float("nan")


def scores(y: np.ndarray, p: np.ndarray, calibrated: bool = True) -> dict[str, float]:
    """Every score of one prediction.

    Parameters
    ----------
    y : numpy.ndarray
        Outcomes, 1 = churned within the horizon.
    p : numpy.ndarray
        Predicted risks in [0, 1].
    calibrated : bool, optional
        False for a ranking that is not a probability of the outcome (the recency baseline): the
        calibration columns and the Brier score are then NaN.

    Returns
    -------
    dict of str to float
        auc, calibration_slope, calibration_intercept, ici, brier (no censoring: the IPCW weights are all
        1), top10_capture.
    """
    slope, intercept = calibration(y, p) if calibrated else (np.nan, np.nan)
    return {
        "auc": auc(y, p),
        "calibration_slope": slope,
        "calibration_intercept": intercept,
        "ici": ici(y, p) if calibrated else np.nan,
        "brier": float(np.mean((np.asarray(p) - np.asarray(y, float)) ** 2)) if calibrated else np.nan,
        "top10_capture": top_capture(y, p),
    }


# --------------------------------------------------------------------------------------------------
# training, backtest and the risk now


def landmark_days(end: date, first_day: date, rules: RiskRules = RiskRules()) -> list[date]:
    """The weekly training landmarks ending at ``end`` that have ``HISTORY_DAYS`` of log before them."""
    days = [end - timedelta(days=k * rules.step_days) for k in range(rules.landmarks)]
    return [d for d in days if d - timedelta(days=HISTORY_DAYS - 1) >= first_day]


def training_set(src: DataSource, end: date, as_of: date, rules: RiskRules) -> tuple[pd.DataFrame, pd.Series]:
    """Stacked landmarks ending at ``end``, each with its outcome (data up to ``end + lag`` only)."""
    parts, ys = [], []
    for d in landmark_days(end, src.day_range()[0], rules):
        f, y = labelled(src, d, as_of, rules)
        parts.append(f)
        ys.append(y)
        if sum(map(len, parts)) >= rules.min_rows:  # a large community needs no more landmarks
            break
    if not parts:
        raise ValueError(f"no training landmark: the log must start {HISTORY_DAYS} days before {end}")
    return pd.concat(parts, ignore_index=True), pd.concat(ys, ignore_index=True)


def labelled(
    src: DataSource, landmark: date, as_of: date, rules: RiskRules
) -> tuple[pd.DataFrame, pd.Series]:
    """Features and outcomes at one landmark, computed once per source (the backtest's fit date is the
    risk now's newest training landmark)."""
    key = ("risk_labelled", landmark, as_of, rules.horizon_days, rules.churn_days, repr(rules.tiers))
    if key not in src.cache:
        f = features(src, landmark, as_of, rules)
        src.cache[key] = (f, outcomes(src, f, landmark, rules))
    f, y = src.cache[key]
    return f.copy(), y.copy()


RECENCY = ("recency", "log_recency")


def _capped(train: pd.DataFrame, y: pd.Series, rows: int) -> tuple[pd.DataFrame, pd.Series]:
    """At most ``rows`` training rows: a seeded random sample of a larger set (the coefficients of a
    few dozen terms need no more; fitting a million rows would only cost time and memory)."""
    if len(train) <= rows:
        return train, y
    keep = np.sort(np.random.default_rng(0).choice(len(train), rows, replace=False))
    return train.iloc[keep].reset_index(drop=True), y.iloc[keep].reset_index(drop=True)


@dataclass(frozen=True)
class Backtest(HtmlRepr):
    """The models fitted at ``fit_date`` (data up to it) and scored on what happened by as_of."""

    fit_date: date
    table: pd.DataFrame  # one row per model: the output contract of churn_risk_backtest.csv
    scored: pd.DataFrame  # member rows at the fit date: churned, risk, recency_risk


@accepts_dates
def backtest(src: DataSource, as_of: date, rules: RiskRules = RiskRules()) -> Backtest:
    """Fit at ``as_of - horizon - churn_days`` with landmarks whose outcomes were visible then,
    predict for the members active at that day, and score against their churn by ``as_of``; the
    recency-only model is scored the same way.

    Parameters
    ----------
    src : DataSource
        The community, from :func:`analysis.open` (or ``ctx.src`` in a report).
    as_of : date, str or pandas.Timestamp
        The last complete local day included; nothing after it is read.
    rules : RiskRules, optional
        Horizon, churn rule and training landmarks (default ``RiskRules()``: 30 days, 30 quiet days).

    Returns
    -------
    Backtest
        The fit date, both models' scores and the predictions.
    """
    fit_date = as_of - timedelta(days=rules.lag)
    train, y = training_set(src, fit_date - timedelta(days=rules.lag), as_of, rules)
    test, churned = labelled(src, fit_date, as_of, rules)
    test["churned"] = churned.to_numpy()
    train, y = _capped(train, y, rules.max_fit_rows)
    full, base = fit(train, y), fit(train, y, numeric=RECENCY, categorical=())
    test["risk"], test["recency_risk"] = full.predict(test), base.predict(test)
    test["p_dead"] = 1 - p_alive(src, fit_date, as_of, test["member_id"])
    rows = []
    for name, col in (("risk model", "risk"), ("recency", "recency_risk"), ("bg/nbd", "p_dead")):
        rows.append(
            {
                "model": name,
                "fit_date": fit_date.isoformat(),
                "horizon_days": rules.horizon_days,
                "members": len(test),
                "churned": int(test["churned"].sum()),
                # P(dead) is not a probability of the churn rule within the horizon: only its ranking
                **scores(test["churned"].to_numpy(), test[col].to_numpy(), calibrated=name != "bg/nbd"),
            }
        )
    return Backtest(fit_date, pd.DataFrame(rows), test)


@accepts_dates
def p_alive(src: DataSource, day: date, as_of: date, members: pd.Series) -> np.ndarray:
    """BG/NBD probability that each member is still "alive" at ``day`` (active days as the
    transactions, in days; fitted on every member active by ``day``, from data up to ``day``).

    Parameters
    ----------
    src : DataSource
        The community, from :func:`analysis.open` (or ``ctx.src`` in a report).
    day : date
        The day of the estimate.
    as_of : date, str or pandas.Timestamp
        The last complete local day included; nothing after it is read.
    members : pandas.Series
        Member IDs.

    Returns
    -------
    numpy.ndarray
    """
    from analysis import bgnbd

    md = member_days(src, as_of, between=(src.day_range()[0], day))
    per = fetch(md.group_by("member_id").aggregate(first=md.day.min(), last=md.day.max(), n=md.count()))
    first, last = pd.to_datetime(per["first"]), pd.to_datetime(per["last"])
    x = per["n"].to_numpy(float) - 1
    t_x = (last - first).dt.days.to_numpy(float)
    T = (pd.Timestamp(day) - first).dt.days.to_numpy(float)
    xs, txs, Ts, w = bgnbd.compress(x, t_x, T)  # every member, as unique histories with weights
    model = bgnbd.fit(xs, txs, Ts, weights=w)
    alive = pd.Series(model.p_alive(x, t_x, T), index=per["member_id"].to_numpy())
    return members.map(alive).fillna(1.0).to_numpy(float)


@dataclass(frozen=True)
class RiskNow(HtmlRepr):
    """The model fitted with every landmark whose outcome is visible by as_of (``train``: its rows), and
    ``members``: each member active in the last ``churn_days`` with their risk (restricted exports only)."""

    model: RiskModel
    members: pd.DataFrame
    train: pd.DataFrame

    def member_list(self) -> pd.DataFrame:
        """The member-level risk list (restricted exports only).


        Returns
        -------
        pandas.DataFrame
            member_id, tier, community, channel, risk and the top reasons, riskiest first.
        """
        out = self.members[["member_id", "tier", "community", "channel", "risk"]].copy()
        out["reasons"] = reasons(self.model, self.members)
        return out.sort_values("risk", ascending=False, ignore_index=True)


@accepts_dates
def risk_now(src: DataSource, as_of: date, rules: RiskRules = RiskRules()) -> RiskNow:
    """Fit with every landmark whose outcome is visible by ``as_of`` and predict for the members
    active in the last ``churn_days``.

    Parameters
    ----------
    src : DataSource
        The community, from :func:`analysis.open` (or ``ctx.src`` in a report).
    as_of : date, str or pandas.Timestamp
        The last complete local day included; nothing after it is read.
    rules : RiskRules, optional
        Horizon, churn rule and training landmarks (default ``RiskRules()``: 30 days, 30 quiet days).

    Returns
    -------
    RiskNow
    """
    train, y = _capped(
        *training_set(src, as_of - timedelta(days=rules.lag), as_of, rules), rules.max_fit_rows
    )
    model = fit(train, y)
    now = features(src, as_of, as_of, rules)
    now["risk"] = model.predict(now)
    return RiskNow(model, now, train)


@accepts_dates
def history_needed(as_of: date, rules: RiskRules = RiskRules(), backtest: bool = False) -> date:
    """The first log day the risk now needs: the newest training landmark is ``lag`` days before
    ``as_of``, with the features' history before it.

    Parameters
    ----------
    as_of : date, str or pandas.Timestamp
        The last complete local day included; nothing after it is read.
    rules : RiskRules, optional
        Horizon, churn rule and training landmarks (default ``RiskRules()``: 30 days, 30 quiet days).
    backtest : bool, optional
        The day its backtest needs instead (the backtest's newest landmark is ``2 * lag`` before).

    Returns
    -------
    date
    """
    end = as_of - timedelta(days=rules.lag * (2 if backtest else 1))
    return end - timedelta(days=HISTORY_DAYS - 1)


LEAVER_COLUMNS = ["tier", "community", "members", "expected", "lower", "upper", "variance", "mean_risk"]
BACKTEST_COLUMNS = [
    "model",
    "fit_date",
    "horizon_days",
    "members",
    "churned",
    "auc",
    "calibration_slope",
    "calibration_intercept",
    "ici",
    "brier",
    "top10_capture",
]
RELIABILITY_COLUMNS = ["group", "members", "predicted", "observed", "ci_lower", "ci_upper"]
DRIVER_COLUMNS = ["feature", "level", "low", "high", "odds_ratio", "ci_lower", "ci_upper", "p_value"]
MEMBER_COLUMNS = ["member_id", "tier", "community", "channel", "risk", "reasons"]


@dataclass(frozen=True)
class RiskSection(HtmlRepr):
    """What a report shows about churn risk. ``now`` is None when the log starts after ``now_needs``,
    ``backtest`` when it starts after ``backtest_needs``; the tables are then empty (same columns).
    Each table is computed once, on first use."""

    now: RiskNow | None
    backtest: Backtest | None
    log_start: date
    now_needs: date
    backtest_needs: date

    @cached_property
    def leavers(self) -> pd.DataFrame:
        """Expected leavers in the horizon by tier and community (:func:`expected_leavers`)."""
        return expected_leavers(self.now.members) if self.now else pd.DataFrame(columns=LEAVER_COLUMNS)

    @cached_property
    def drivers(self) -> pd.DataFrame:
        """What drives risk, as odds ratios (:func:`drivers`)."""
        return drivers(self.now.model, self.now.train) if self.now else pd.DataFrame(columns=DRIVER_COLUMNS)

    @property
    def backtest_table(self) -> pd.DataFrame:
        """One row per model (the risk model and ``recency``): the backtest's scores."""
        return self.backtest.table if self.backtest else pd.DataFrame(columns=BACKTEST_COLUMNS)

    @cached_property
    def reliability(self) -> pd.DataFrame:
        """The backtest's reliability curve (:func:`reliability`)."""
        if self.backtest is None:
            return pd.DataFrame(columns=RELIABILITY_COLUMNS)
        scored = self.backtest.scored
        return reliability(scored["churned"].to_numpy(), scored["risk"].to_numpy())

    def member_list(self) -> pd.DataFrame:
        """The member-level risk list (restricted exports only); empty without a risk now.


        Returns
        -------
        pandas.DataFrame
            member_id, tier, community, channel, risk and the top reasons, riskiest first.
        """
        return self.now.member_list() if self.now else pd.DataFrame(columns=MEMBER_COLUMNS)


@accepts_dates
def section(src: DataSource, as_of: date, rules: RiskRules = RiskRules()) -> RiskSection:
    """The risk now and its backtest, each only when the log reaches far enough back for it.

    Parameters
    ----------
    src : DataSource
        The community, from :func:`analysis.open` (or ``ctx.src`` in a report).
    as_of : date, str or pandas.Timestamp
        The last complete local day included; nothing after it is read.
    rules : RiskRules, optional
        Horizon, churn rule and training landmarks (default ``RiskRules()``: 30 days, 30 quiet days).

    Returns
    -------
    RiskSection
        Expected leavers, drivers, the backtest table, the reliability curve and the member list, each
        computed on first use.
    """
    first = src.day_range()[0]
    now_needs, back_needs = history_needed(as_of, rules), history_needed(as_of, rules, backtest=True)
    return RiskSection(
        now=risk_now(src, as_of, rules) if first <= now_needs else None,
        backtest=backtest(src, as_of, rules) if first <= back_needs else None,
        log_start=first,
        now_needs=now_needs,
        backtest_needs=back_needs,
    )


def reliability(y: np.ndarray, p: np.ndarray, bins: int = 10) -> pd.DataFrame:
    """The reliability curve: members in ``bins`` equal-sized groups of predicted risk.

    Parameters
    ----------
    y : numpy.ndarray
        Outcomes, 1 = churned within the horizon.
    p : numpy.ndarray
        Predicted risks in [0, 1].
    bins : int, optional
        Number of groups (10).

    Returns
    -------
    pandas.DataFrame
        group, members, predicted (mean risk), observed (share churned) with its Wilson 95% interval.
    """
    from analysis.stats import wilson

    order = np.argsort(np.asarray(p), kind="stable")
    rows = []
    for i, idx in enumerate(np.array_split(order, bins), start=1):
        k, n = int(np.asarray(y, bool)[idx].sum()), len(idx)
        lo, hi = wilson(k, n)
        rows.append(
            {
                "group": i,
                "members": n,
                "predicted": float(np.mean(np.asarray(p)[idx])),
                "observed": k / n if n else float("nan"),
                "ci_lower": lo,
                "ci_upper": hi,
            }
        )
    return pd.DataFrame(rows)


def expected_leavers(now: pd.DataFrame, by: tuple[str, ...] = ("tier", "community")) -> pd.DataFrame:
    """Expected leavers in the horizon per group, core first.

    Parameters
    ----------
    now : pandas.DataFrame
        :attr:`RiskNow.members`.
    by : tuple of str, optional
        Grouping columns (tier, community).

    Returns
    -------
    pandas.DataFrame
        Groups, members, expected (Σ risk), a 95% interval for the count that will leave given the risks
        (Σ risk ± 1.96 √variance, variance = Σ risk(1 − risk)), variance, mean_risk.
    """
    g = now.assign(_var=now["risk"] * (1 - now["risk"])).groupby(list(by), observed=True)
    out = g.agg(
        members=("risk", "size"),
        expected=("risk", "sum"),
        variance=("_var", "sum"),
        mean_risk=("risk", "mean"),
    ).reset_index()
    half = Z95 * np.sqrt(out["variance"])
    out.insert(out.columns.get_loc("expected") + 1, "lower", (out["expected"] - half).clip(lower=0))
    out.insert(out.columns.get_loc("lower") + 1, "upper", out["expected"] + half)
    core_first = out["tier"].ne("core") if "tier" in out else False
    return (
        out.assign(_k=core_first).sort_values(["_k", "expected"], ascending=[True, False]).drop(columns="_k")
    )


def total_leavers(leavers: pd.DataFrame) -> tuple[float, float, float]:
    """Expected leavers over all groups (members' outcomes are independent given their risks,
    so the variances add).

    Parameters
    ----------
    leavers : pandas.DataFrame
        From :func:`expected_leavers`.

    Returns
    -------
    (float, float, float)
        expected, lower, upper.
    """
    expected = float(leavers["expected"].sum())
    half = Z95 * float(np.sqrt(leavers["variance"].sum()))
    return expected, max(expected - half, 0.0), expected + half


FEATURE_GROUPS = {  # design columns → the reason a reader sees
    "recency": "days since last active",
    "log_recency": "days since last active",
    "active_7": "active days, last 7",
    "active_28": "active days, last 28",
    "active_56": "active days, last 56",
    **{f"log_{c}": f"{c}, last 28 days" for c in COUNTS},
    "log_tenure": "days since joining",
    "log_invited": "members invited",
}


def _group(column: str) -> str:
    """``channel[ads]`` → "channel: ads"; ``log_recency`` → "days since last active"."""
    if "[" in column:
        var, level = column.split("[", 1)
        return f"{var}: {level.rstrip(']')}"
    return FEATURE_GROUPS.get(column, column)


def reasons(model: RiskModel, now: pd.DataFrame, top: int = 3) -> pd.Series:
    """Per member, the ``top`` features that raise the risk most against an average member (each
    term β·(x − mean) for numbers, β of the level for categories, summed by feature).

    Parameters
    ----------
    model : RiskModel
        The fitted model.
    now : pandas.DataFrame
        The members' features.
    top : int, optional
        How many reasons (3).

    Returns
    -------
    pandas.Series
        "a; b; c" per member.
    """
    x = model.design(now)
    centred = x.copy()
    for c in model.numeric:
        centred[c] = x[c] - model.means[c]
    terms = centred.drop(columns="const")
    groups = [_group(c) for c in terms.columns]
    names = np.array(sorted(set(groups)), dtype=object)
    weight = np.zeros((len(groups), len(names)))  # term -> its feature, times the term's coefficient
    weight[np.arange(len(groups)), np.searchsorted(names, groups)] = model.params[terms.columns].to_numpy()
    contrib = terms.to_numpy(float) @ weight
    order = np.argsort(-contrib, axis=1)[:, :top]
    positive = np.take_along_axis(contrib, order, axis=1) > 0  # a prefix of each row's order
    text = np.full(len(order), "", dtype=object)
    for j in range(order.shape[1]):
        name = names[order[:, j]].astype(object)
        text = text + np.where(positive[:, j], ("; " if j else "") + name, "")
    return pd.Series(text, index=now.index)


RAW = {  # a raw feature → its design columns as functions of its value
    "recency": {"recency": float, "log_recency": np.log1p},
    "active_7": {"active_7": float},
    "active_28": {"active_28": float},
    "active_56": {"active_56": float},
    **{c: {f"log_{c}": np.log1p} for c in COUNTS},
    "tenure": {"log_tenure": np.log1p},
    "invited": {"log_invited": np.log1p},
}


def drivers(model: RiskModel, train: pd.DataFrame) -> pd.DataFrame:
    """What drives risk, as odds ratios of churning within the horizon with 95% CIs: a category
    against its reference level; a number from its 10th to its 90th percentile among the training members
    (through all of its model terms).

    Parameters
    ----------
    model : RiskModel
        The fitted model.
    train : pandas.DataFrame
        Its training rows.

    Returns
    -------
    pandas.DataFrame
        feature, level (or "p10 → p90"), low, high, odds_ratio, ci_lower, ci_upper, p_value.
    """
    beta, cov = model.params, model.cov
    rows = []

    def add(feature: str, level: str, low: float, high: float, d: pd.Series) -> None:
        eta, var = float(d @ beta[d.index]), float(d @ cov.loc[d.index, d.index] @ d)
        se = np.sqrt(var)
        rows.append(
            {
                "feature": feature,
                "level": level,
                "low": low,
                "high": high,
                "odds_ratio": np.exp(eta),
                "ci_lower": np.exp(eta - 1.96 * se),
                "ci_upper": np.exp(eta + 1.96 * se),
                "p_value": float(2 * stats.norm.sf(abs(eta) / se)) if se > 0 else float("nan"),
            }
        )

    tenure = (train["landmark"] - pd.to_datetime(train["join_day"])).dt.days.clip(lower=0)
    raw = train.assign(tenure=tenure, invited=train["invited"].fillna(0))
    for name, terms in RAW.items():
        used = {c: f for c, f in terms.items() if c in beta.index}
        if not used:
            continue
        low, high = raw[name].astype(float).quantile([0.1, 0.9])
        high = high if high > low else low + 1.0
        d = pd.Series({c: float(f(high)) - float(f(low)) for c, f in used.items()})
        add(name, "p10 → p90", float(low), float(high), d)
    for c, levels in model.levels.items():
        for v in levels[1:]:
            add(c, v, float("nan"), float("nan"), pd.Series({f"{c}[{v}]": 1.0}))
    return pd.DataFrame(rows)
