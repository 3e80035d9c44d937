"""Community-randomised experiments: effects from cluster-level sufficient statistics.

When whole communities get one arm, members of a community are not independent and a member-level
analysis understates the uncertainty by the design effect ``1 + (m - 1) ICC``. Everything here works on
one row per cluster (community): ``n`` members, ``sum_y`` and ``sum_y2`` of the outcome, and optionally
``sum_x``, ``sum_x2``, ``sum_xy`` of a pre-period covariate for CUPED (:func:`cluster_sums`, from the
per-member metric table).

**Estimate.** The member-level difference in means between an arm and control, ``ȳ_T - ȳ_C`` with
``ȳ_a = Σ sum_y / Σ n`` over the arm's clusters (the OLS coefficient of the arm dummy on member rows).

**CR0** (the delta method on cluster sums, what GrowthBook, Statsig and Eppo use for clusters):
``Var(ȳ_a) = Σ_g E_g² / N_a²`` with ``E_g = sum_y_g - n_g ȳ_a`` the cluster's summed residual. Equal to
statsmodels ``OLS(cov_type="cluster", use_correction=False)`` on the member rows.

**CR2** (Bell & McCaffrey 2002; Pustejovsky & Tipton 2018) inflates each cluster's residual by
``(I - H_gg)^(-1/2)``. With arm-level regressors ``H_gg = (n_g / N_a) 11'/n_g``, so the adjustment is the
scalar ``(1 - n_g / N_a)^(-1/2)`` on ``E_g``. Degrees of freedom are Bell–McCaffrey's (the Satterthwaite
approximation under a working iid model, Imbens & Kolesár 2016), computed from the cluster sizes; the
CI uses the t quantile with those degrees of freedom. With 30 communities this keeps the false-positive
rate near its nominal 5% where the naive member-level analysis is far above it.

**CUPED** at the cluster level: the outcome adjusted by ``θ (x - x̄)`` with the project's θ (pooled over
both arms' members, :func:`analysis.stats.cuped_theta`), computed from the same sums; the cluster
analysis then runs on the adjusted sums (θ treated as known, as GrowthBook does).

**Wild cluster bootstrap** (WCR: Rademacher weights per cluster with the null imposed; full
enumeration of the 2^G sign vectors when G is at most 12): an independent small-cluster p-value, checked
against the ``wildboottest`` package in the tests.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from analysis import stats as st
from analysis.definitions import ALPHA
from analysis.display import HtmlRepr

__all__ = [
    "ClusterEffect",
    "adjusted",
    "Contrast",
    "cell_contrast",
    "effect",
    "icc",
    "design_effect",
    "ClusterPlan",
    "plan",
    "wild_bootstrap",
    "cluster_sums",
    "sums",
]

SMALL = 50  # fewer clusters than this: CR2 with Bell-McCaffrey degrees of freedom (else CR0, normal)


@dataclass(frozen=True)
class ClusterEffect(HtmlRepr):
    """One arm against control with communities as the unit. ``method``: ``CR2`` (t with ``df``) or
    ``CR0`` (normal). ``se_naive``: the member-level standard error that ignores clustering."""

    control_mean: float
    arm_mean: float
    effect: float
    se: float
    df: float
    ci_lower: float
    ci_upper: float
    p_value: float
    relative: float
    relative_se: float
    relative_ci_lower: float
    relative_ci_upper: float
    se_naive: float
    clusters: int
    clusters_control: int
    members: int
    members_control: int
    method: str
    theta: float  # the CUPED slope (0 without a covariate)


def _moments(d: pd.DataFrame) -> st.Moments:
    """The member-level sufficient statistics of one arm, from its cluster sums."""
    x = (d["sum_x"].sum(), d["sum_x2"].sum(), d["sum_xy"].sum()) if "sum_x" in d else (0.0, 0.0, 0.0)
    return st.Moments(float(d["n"].sum()), float(d["sum_y"].sum()), float(d["sum_y2"].sum()), *map(float, x))


def adjusted(df: pd.DataFrame, theta: float, x_mean: float) -> pd.DataFrame:
    """Cluster sums of the CUPED-adjusted outcome ``y - θ (x - x̄)``.

    Parameters
    ----------
    df : pandas.DataFrame
        Cluster sums with the covariate columns (``sum_x``, ``sum_x2``, ``sum_xy``).
    theta : float
        θ.
    x_mean : float
        The pooled covariate mean x̄.

    Returns
    -------
    pandas.DataFrame
        ``n``, ``sum_y``, ``sum_y2`` of the adjusted outcome.
    """
    return df.assign(sum_y=df["sum_y"] - theta * (df["sum_x"] - df["n"] * x_mean))


@dataclass(frozen=True)
class Contrast(HtmlRepr):
    """A linear contrast of cell means with its CR2 (or CR0) standard error and Bell–McCaffrey df."""

    estimate: float
    se: float
    df: float
    ci_lower: float
    ci_upper: float
    p_value: float


def cell_contrast(cells: pd.DataFrame, coef: dict, cr2: bool = True, alpha: float = ALPHA) -> Contrast:
    """Σ coef_c ȳ_c over cells c, with ȳ_c = Σ sum_y / Σ n over the cell's rows (the member-level
    OLS on cell dummies), and its cluster-robust standard error.

    A cluster may contribute to several cells (treated and untreated members of one community). CR2: each
    cluster's summed cell residual E_gc is scaled by (1 - n_gc / N_c)^(-1/2) (the leverage of the cell-dummy
    design is block-constant); the variance is Σ_g (Σ_c coef_c a_gc E_gc / N_c)². Bell–McCaffrey df from the
    G x G matrix M_gh = Σ_c a_gc a_hc (coef_c / N_c)² (δ_gh n_gc - n_gc n_hc / N_c). CR0: a = 1 and normal
    quantiles.

    Parameters
    ----------
    cells : pandas.DataFrame
        One row per (cluster, cell): ``cluster``, ``cell``, ``n``, ``sum_y`` (and ``sum_y2``).
    coef : dict
        Cell -> its coefficient in the contrast.
    cr2 : bool, optional
        CR2 with Bell–McCaffrey df (True), or CR0 with normal quantiles.
    alpha : float, optional
        Two-sided significance level (0.05).

    Returns
    -------
    Contrast

    References
    ----------
    Bell and McCaffrey (2002), Survey Methodology 28(2); Pustejovsky and Tipton (2018), JBES 36(4).
    """
    keys = list(coef)
    cell_col = cells["cell"].tolist()
    pick = np.array([c in coef for c in cell_col])
    code = np.array([keys.index(c) for c, p in zip(cell_col, pick, strict=True) if p], dtype=np.int64)
    n = cells["n"].to_numpy(float)[pick]
    sy = cells["sum_y"].to_numpy(float)[pick]
    cl, cl_idx = np.unique(cells["cluster"].to_numpy()[pick], return_inverse=True)
    N = np.bincount(code, weights=n, minlength=len(keys))
    mean = np.bincount(code, weights=sy, minlength=len(keys)) / N
    Nc, co = N[code], np.array([coef[c] for c in keys])
    k = co[code] / Nc
    a = 1 / np.sqrt(1 - n / Nc) if cr2 else np.ones(len(n))
    E = sy - n * mean[code]
    per_cluster = np.bincount(cl_idx, weights=k * a * E, minlength=len(cl))
    est = float(co @ mean)
    se = float(np.sqrt((per_cluster**2).sum()))
    if cr2:
        w = a * k  # per (cluster, cell) row
        same_cell = code[:, None] == code[None, :]
        rows = (w[:, None] * w[None, :]) * same_cell * (np.diag(n) - np.outer(n, n) / Nc[:, None])
        onehot = np.zeros((len(n), len(cl)))
        onehot[np.arange(len(n)), cl_idx] = 1
        M = onehot.T @ rows @ onehot
        df = float(np.trace(M) ** 2 / np.sum(M * M))
    else:
        df = np.inf
    q = stats.t.ppf(1 - alpha / 2, df)
    p = float(2 * stats.t.sf(abs(est) / se, df)) if se > 0 else float("nan")
    return Contrast(est, se, df, est - q * se, est + q * se, p)


def effect(
    control: pd.DataFrame,
    arm: pd.DataFrame,
    cuped: bool = False,
    cr2: bool | None = None,
    alpha: float = ALPHA,
) -> ClusterEffect:
    """Arm against control with communities as the unit (:func:`cell_contrast` with each arm a
    cell). CUPED uses the project's θ (:func:`analysis.stats.cuped_theta`, pooled over both arms'
    members).

    Parameters
    ----------
    control : pandas.DataFrame
        One row per control community: ``n``, ``sum_y``, ``sum_y2`` (:func:`cluster_sums`).
    arm : pandas.DataFrame
        The same for the treatment arm.
    cuped : bool, optional
        Adjust for the pre-period (needs ``sum_x``, ``sum_x2``, ``sum_xy``).
    cr2 : bool or None, optional
        Default: CR2 with Bell–McCaffrey df below 50 clusters, else CR0 with normal quantiles.
    alpha : float, optional
        Two-sided significance level (0.05).

    Returns
    -------
    ClusterEffect
        Includes ``se_naive``, the member-level (Welch or CUPED) standard error that ignores the
        clusters.
    """
    if min(len(control), len(arm)) < 2:
        raise ValueError(
            f"a community-level comparison needs at least two communities in each arm "
            f"({len(control)} in control, {len(arm)} in the arm)"
        )
    m_c, m_t = _moments(control), _moments(arm)
    naive = st.cuped(m_c, m_t, alpha) if cuped else st.welch(m_c, m_t, alpha)
    theta = naive.theta if cuped and naive.theta == naive.theta else 0.0
    if theta:
        x_mean = (m_c.x_sum + m_t.x_sum) / (m_c.n + m_t.n)
        control, arm = adjusted(control, theta, x_mean), adjusted(arm, theta, x_mean)
    cells = pd.concat([control.assign(cell="control"), arm.assign(cell="arm")], ignore_index=True)
    cells["cluster"] = np.arange(len(cells))  # each row is its own community
    small = len(cells) < SMALL if cr2 is None else cr2
    diff = cell_contrast(cells, {"arm": 1.0, "control": -1.0}, small, alpha)
    vc = cell_contrast(cells, {"control": 1.0}, small, alpha).se ** 2
    vt = cell_contrast(cells, {"arm": 1.0}, small, alpha).se ** 2
    mc = float(control["sum_y"].sum() / m_c.n)
    mt = float(arm["sum_y"].sum() / m_t.n)
    rel = mt / mc - 1 if mc else np.nan  # delta method on the two arm means (independent arms)
    rel_se = float(np.sqrt(vt / mc**2 + mt**2 * vc / mc**4)) if mc else np.nan
    q = diff.ci_upper - diff.estimate  # half-width over se is the quantile
    q = q / diff.se if diff.se > 0 else np.nan
    return ClusterEffect(
        control_mean=mc,
        arm_mean=mt,
        effect=diff.estimate,
        se=diff.se,
        df=diff.df,
        ci_lower=diff.ci_lower,
        ci_upper=diff.ci_upper,
        p_value=diff.p_value,
        relative=float(rel),
        relative_se=rel_se,
        relative_ci_lower=float(rel - q * rel_se),
        relative_ci_upper=float(rel + q * rel_se),
        se_naive=float(naive.se),
        clusters=len(arm),
        clusters_control=len(control),
        members=int(m_t.n),
        members_control=int(m_c.n),
        method="CR2" if small else "CR0",
        theta=float(theta),
    )


def icc(clusters: pd.DataFrame) -> float:
    """Intraclass correlation of the outcome by one-way ANOVA on the member rows (clusters of
    unequal size: the n0 = (N - Σn²/N) / (G - 1) average size).

    Parameters
    ----------
    clusters : pandas.DataFrame
        One row per community: ``n``, ``sum_y``, ``sum_y2`` (:func:`cluster_sums`).

    Returns
    -------
    float
        At least 0.
    """
    n, s, s2 = (clusters[c].to_numpy(float) for c in ("n", "sum_y", "sum_y2"))
    N, G = n.sum(), len(n)
    if G < 2 or N <= G:
        return float("nan")
    grand = s.sum() / N
    ssb = float((s * s / n).sum() - N * grand**2)
    ssw = float(s2.sum() - (s * s / n).sum())
    msb, msw = ssb / (G - 1), ssw / (N - G)
    n0 = (N - (n * n).sum() / N) / (G - 1)
    return float(max((msb - msw) / (msb + (n0 - 1) * msw), 0.0)) if msb + (n0 - 1) * msw > 0 else 0.0


def design_effect(clusters: pd.DataFrame, rho: float | None = None) -> float:
    """1 + (m - 1) ICC with m the size-weighted mean cluster size Σn²/N (unequal clusters cost
    more).

    Parameters
    ----------
    clusters : pandas.DataFrame
        One row per community: ``n``, ``sum_y``, ``sum_y2`` (:func:`cluster_sums`).
    rho : float, optional
        A given ICC (default :func:`icc` of ``clusters``).

    Returns
    -------
    float
    """
    n = clusters["n"].to_numpy(float)
    rho = icc(clusters) if rho is None else rho
    return float(1 + ((n * n).sum() / n.sum() - 1) * rho)


@dataclass(frozen=True)
class ClusterPlan(HtmlRepr):
    """Communities needed per arm to detect ``effect`` (absolute) with the given power."""

    clusters_per_arm: int
    members_per_cluster: float
    icc: float
    design_effect: float
    effect: float
    sd: float
    alpha: float
    power: float


def plan(
    effect: float,
    sd: float,
    members_per_cluster: float,
    icc: float,
    alpha: float = ALPHA,
    power: float = 0.8,
) -> ClusterPlan:
    """Communities per arm for a two-arm community-randomised test: k = 2 (t_{1-α/2} + t_power)² sd²
    DEFF / (m δ²) with t quantiles on 2k - 2 degrees of freedom (solved by iteration),
    DEFF = 1 + (m - 1) ICC.

    Parameters
    ----------
    effect : float
        The absolute difference δ in a member-level mean.
    sd : float
        The member-level standard deviation.
    members_per_cluster : float
        Members per community m.
    icc : float
        The intraclass correlation.
    alpha : float, optional
        Two-sided significance level (0.05).
    power : float, optional
        The power (0.8).

    Returns
    -------
    ClusterPlan
    """
    if effect <= 0 or sd <= 0 or members_per_cluster < 1:
        raise ValueError("effect and sd must be positive and members_per_cluster at least 1")
    deff = 1 + (members_per_cluster - 1) * icc
    k = 2.0
    for _ in range(100):
        df = max(2 * k - 2, 1)
        q = stats.t.ppf(1 - alpha / 2, df) + stats.t.ppf(power, df)
        new = 2 * q * q * sd * sd * deff / (members_per_cluster * effect * effect)
        if abs(new - k) < 1e-9:
            break
        k = max(new, 2.0)
    return ClusterPlan(
        int(np.ceil(k)), float(members_per_cluster), float(icc), float(deff), effect, sd, alpha, power
    )


def wild_bootstrap(
    control: pd.DataFrame, arm: pd.DataFrame, draws: int = 9999, seed: int = 0
) -> tuple[float, np.ndarray]:
    """WCR wild cluster bootstrap p-value of "no difference" (Rademacher signs per cluster, the
    null imposed; every one of the 2^G sign vectors when 2^G < ``draws``) with the CR0/CR1 t statistic (the
    small-sample factor cancels). The p-value counts draws with abs(t*) > abs(t).

    Parameters
    ----------
    control : pandas.DataFrame
        One row per control community: ``n``, ``sum_y``, ``sum_y2`` (:func:`cluster_sums`).
    arm : pandas.DataFrame
        The same for the treatment arm.
    draws : int, optional
        Bootstrap draws (9999).
    seed : int, optional
        Random seed.

    Returns
    -------
    (float, numpy.ndarray)
        The p-value and the bootstrap t values.
    """
    n = np.r_[control["n"].to_numpy(float), arm["n"].to_numpy(float)]
    s = np.r_[control["sum_y"].to_numpy(float), arm["sum_y"].to_numpy(float)]
    treated = np.r_[np.zeros(len(control)), np.ones(len(arm))].astype(bool)
    U = s - n * s.sum() / n.sum()  # restricted residuals summed per cluster (null: one common mean)
    G = len(n)
    if 2**G < draws:
        v = np.array(list(itertools.product([1.0, -1.0], repeat=G)))
    else:
        v = np.random.default_rng(seed).choice([-1.0, 1.0], size=(draws, G))
    t_obs = _t_stat(n, s, treated)
    # y* = ȳ + v_g ũ: cluster sums of y* are n ȳ + v U, the statistic is that of those sums
    boot = _t_stat(n[None, :], (n * s.sum() / n.sum())[None, :] + v * U[None, :], treated)
    return float(np.mean(np.abs(boot) > abs(t_obs))), boot


def _t_stat(n: np.ndarray, s: np.ndarray, treated: np.ndarray) -> np.ndarray:
    """Difference of arm means over its CR0 standard error, for each row of cluster sums ``s``."""
    s = np.atleast_2d(s)
    n = np.broadcast_to(n, s.shape)
    means, var = [], 0.0
    for mask in (~treated, treated):
        N = n[:, mask].sum(axis=1)
        m = s[:, mask].sum(axis=1) / N
        E = s[:, mask] - n[:, mask] * m[:, None]
        means.append(m)
        var = var + (E * E).sum(axis=1) / N**2
    out = (means[1] - means[0]) / np.sqrt(var)
    return out if out.size > 1 else out[0]


def cluster_sums(
    table: pd.DataFrame, community: pd.Series, metric: str, covariate: str | None
) -> pd.DataFrame:
    """One row per community (and its arm) of members whose ``metric`` is observed.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`analysis.experiment.metric_table`.
    community : pandas.Series
        Each row's community.
    metric : str
        The outcome.
    covariate : str or None
        Its pre-period covariate, or None.

    Returns
    -------
    pandas.DataFrame
        cluster, arm, n, sum_y, sum_y2, and with a covariate sum_x, sum_x2, sum_xy.
    """
    x = table[covariate].to_numpy(float) if covariate else None
    return sums(community.to_numpy(), table["arm"].to_numpy(), table[metric].to_numpy(float), x)


def sums(cluster: np.ndarray, arm: np.ndarray, y: np.ndarray, x: np.ndarray | None = None) -> pd.DataFrame:
    """:func:`cluster_sums` from arrays (one entry per member; NaN outcomes left out).

    Parameters
    ----------
    cluster : numpy.ndarray
        Each member's community.
    arm : numpy.ndarray
        Each member's arm.
    y : numpy.ndarray
        The outcome.
    x : numpy.ndarray, optional
        The pre-period covariate.

    Returns
    -------
    pandas.DataFrame
    """
    ok = ~np.isnan(y)
    d = pd.DataFrame({"cluster": cluster[ok], "arm": arm[ok], "y": y[ok]})
    d["y2"] = d["y"] ** 2
    aggs = {"n": ("y", "size"), "sum_y": ("y", "sum"), "sum_y2": ("y2", "sum")}
    if x is not None:
        d = d.assign(x=x[ok], x2=x[ok] ** 2, xy=x[ok] * d["y"].to_numpy())
        aggs |= {"sum_x": ("x", "sum"), "sum_x2": ("x2", "sum"), "sum_xy": ("xy", "sum")}
    return d.groupby(["cluster", "arm"]).agg(**aggs).reset_index()
