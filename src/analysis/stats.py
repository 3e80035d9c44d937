"""Two-sample statistics for experiments, from sufficient statistics (n, Σx, Σx²; Σxy for CUPED).

Conventions follow GrowthBook's gbstats: Welch's t with Satterthwaite degrees of freedom; relative lift
(mean_t - mean_c) / abs(mean_c) with a delta-method variance; CUPED with θ pooled over the two arms of a
comparison, falling back to the raw estimate when the covariate has no variance. Every function
returns a frozen dataclass or a DataFrame; degenerate input gives NaN results, not exceptions.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from analysis.definitions import ALPHA
from analysis.display import HtmlRepr

__all__ = [
    "Moments",
    "Effect",
    "welch",
    "cuped_theta",
    "cuped",
    "holm",
    "benjamini_hochberg",
    "adjusted_ci",
    "SRM",
    "srm",
    "mde",
    "plan",
    "gini",
    "lorenz",
    "top_shares",
    "concentration",
    "wilson",
    "mean_ci",
    "spearman",
]


@dataclass(frozen=True)
class Moments(HtmlRepr):
    """Sufficient statistics of one arm for a metric Y and (optionally) its pre-period covariate X."""

    n: float
    sum: float
    sum_sq: float
    x_sum: float = 0.0
    x_sum_sq: float = 0.0
    xy_sum: float = 0.0

    @classmethod
    def of(cls, y: np.ndarray, x: np.ndarray | None = None) -> Moments:
        """The sums of one arm's member values.

        Parameters
        ----------
        y : numpy.ndarray
            The metric, one value per member.
        x : numpy.ndarray, optional
            Its pre-period covariate (CUPED).

        Returns
        -------
        Moments

        Examples
        --------
        >>> import numpy as np
        >>> from analysis.stats import Moments, welch
        >>> c = Moments.of(np.array([1.0, 2, 3, 4]))
        >>> t = Moments.of(np.array([2.0, 3, 5, 6]))
        >>> e = welch(c, t)
        >>> round(e.effect, 3), round(e.p_value, 3)
        (1.5, 0.233)
        >>> from scipy.stats import ttest_ind
        >>> round(float(ttest_ind([2, 3, 5, 6], [1, 2, 3, 4], equal_var=False).pvalue), 3)
        0.233
        """
        y = np.asarray(y, float)
        if x is None:
            return cls(len(y), float(y.sum()), float((y * y).sum()))
        x = np.asarray(x, float)
        return cls(
            len(y),
            float(y.sum()),
            float((y * y).sum()),
            float(x.sum()),
            float((x * x).sum()),
            float((x * y).sum()),
        )

    def __add__(self, o: Moments) -> Moments:
        return Moments(
            self.n + o.n,
            self.sum + o.sum,
            self.sum_sq + o.sum_sq,
            self.x_sum + o.x_sum,
            self.x_sum_sq + o.x_sum_sq,
            self.xy_sum + o.xy_sum,
        )

    @property
    def mean(self) -> float:
        """Mean of Y."""
        return self.sum / self.n if self.n else float("nan")

    def _co(self, ab_sum: float, a_sum: float, b_sum: float) -> float:
        """Sample covariance (n - 1 denominator) from the sums of a*b, a and b."""
        return (ab_sum - a_sum * b_sum / self.n) / (self.n - 1) if self.n > 1 else float("nan")

    @property
    def var(self) -> float:
        """Sample variance of Y (n - 1 denominator)."""
        return self._co(self.sum_sq, self.sum, self.sum)

    @property
    def x_mean(self) -> float:
        """Mean of the covariate X."""
        return self.x_sum / self.n if self.n else float("nan")

    @property
    def x_var(self) -> float:
        """Sample variance of X (n - 1 denominator)."""
        return self._co(self.x_sum_sq, self.x_sum, self.x_sum)

    @property
    def cov(self) -> float:
        """Sample covariance of Y and X (n - 1 denominator)."""
        return self._co(self.xy_sum, self.x_sum, self.sum)


@dataclass(frozen=True)
class Effect(HtmlRepr):
    """Treatment minus control, absolute and relative, with a two-sided test."""

    control_mean: float
    treatment_mean: float
    effect: float
    se: float
    dof: float
    ci_lower: float
    ci_upper: float
    p_value: float
    lift: float
    lift_ci_lower: float
    lift_ci_upper: float
    theta: float = float("nan")  # CUPED slope (NaN for raw)
    lift_se: float = float("nan")  # delta-method standard error of the lift


_NAN_EFFECT = dict(
    effect=float("nan"),
    se=float("nan"),
    dof=float("nan"),
    ci_lower=float("nan"),
    ci_upper=float("nan"),
    p_value=float("nan"),
    lift=float("nan"),
    lift_ci_lower=float("nan"),
    lift_ci_upper=float("nan"),
)


def _welch(mean_c, var_c, n_c, mean_t, var_t, n_t, alpha, lift_base, theta=float("nan")) -> Effect:
    if n_c < 2 or n_t < 2 or not (var_c + var_t > 0):
        return Effect(mean_c, mean_t, **_NAN_EFFECT, theta=theta)
    a, b = var_c / n_c, var_t / n_t
    se = math.sqrt(a + b)
    dof = (a + b) ** 2 / (a**2 / (n_c - 1) + b**2 / (n_t - 1))
    diff = mean_t - mean_c
    q = stats.t.ppf(1 - alpha / 2, dof)
    p = float(2 * stats.t.sf(abs(diff) / se, dof))
    if lift_base and lift_base == lift_base:
        lift = diff / abs(lift_base)
        # delta method for (m_t - m_c) / |m_c| with independent arms (gbstats frequentist_variance)
        lift_var = var_t / (n_t * lift_base**2) + mean_t**2 * var_c / (n_c * lift_base**4)
        lse = math.sqrt(lift_var)
        lift_lo, lift_hi = lift - q * lse, lift + q * lse
    else:
        lift = lift_lo = lift_hi = lse = float("nan")
    return Effect(
        mean_c, mean_t, diff, se, dof, diff - q * se, diff + q * se, p, lift, lift_lo, lift_hi, theta, lse
    )


def welch(control: Moments, treatment: Moments, alpha: float = ALPHA) -> Effect:
    """Welch's t-test on the difference of means (Satterthwaite degrees of freedom), with the relative
    lift and its delta-method interval.

    Parameters
    ----------
    control : Moments
        The control arm's sums.
    treatment : Moments
        The treatment arm's sums.
    alpha : float, optional
        Two-sided significance level and 1 - confidence (0.05).

    Returns
    -------
    Effect
        Treatment minus control, absolute and relative, with CI and p-value (equal to
        ``scipy.stats.ttest_ind(equal_var=False)``).
    """
    return _welch(
        control.mean, control.var, control.n, treatment.mean, treatment.var, treatment.n, alpha, control.mean
    )


def cuped_theta(control: Moments, treatment: Moments) -> float:
    """θ = Cov(Y, X) / Var(X) on the pooled rows of both arms.

    Parameters
    ----------
    control : Moments
        The control arm's sums.
    treatment : Moments
        The treatment arm's sums.

    Returns
    -------
    float
        NaN without covariate variance.
    """
    pooled = control + treatment
    return pooled.cov / pooled.x_var if pooled.x_var and pooled.x_var > 0 else float("nan")


def cuped(control: Moments, treatment: Moments, alpha: float = ALPHA, theta: float | None = None) -> Effect:
    """CUPED: Ȳ - θ X̄ per arm, Var = (s_Y² + θ² s_X² - 2 θ cov) / n, θ pooled per comparison unless
    given. Falls back to the raw estimate when the pre-period has no variance. The relative lift divides by
    the unadjusted control mean (gbstats).

    Parameters
    ----------
    control : Moments
        The control arm's sums.
    treatment : Moments
        The treatment arm's sums.
    alpha : float, optional
        Two-sided significance level and 1 - confidence (0.05).
    theta : float, optional
        A given θ (default pooled from the two arms).

    Returns
    -------
    Effect

    References
    ----------
    Deng, Xu, Kohavi and Walker (2013), WSDM; GrowthBook's gbstats (``frequentist`` CUPED).
    """
    th = cuped_theta(control, treatment) if theta is None else theta
    if not (th == th) or th == 0:
        return welch(control, treatment, alpha)

    def adj(m: Moments) -> tuple[float, float]:
        return m.mean - th * m.x_mean, max(m.var + th**2 * m.x_var - 2 * th * m.cov, 0.0)

    mc, vc = adj(control)
    mt, vt = adj(treatment)
    e = _welch(mc, vc, control.n, mt, vt, treatment.n, alpha, control.mean, th)
    # report the arms' unadjusted means; the effect and its CI are adjusted
    return Effect(
        control.mean,
        treatment.mean,
        e.effect,
        e.se,
        e.dof,
        e.ci_lower,
        e.ci_upper,
        e.p_value,
        e.lift,
        e.lift_ci_lower,
        e.lift_ci_upper,
        th,
        e.lift_se,
    )


# --------------------------------------------------------------------------------------------------
# multiple testing, SRM, power


def holm(p: Sequence[float]) -> np.ndarray:
    """Holm–Bonferroni adjusted p-values: sorted ascending, (m - i + 1) p_(i), running max, capped at 1.

    Parameters
    ----------
    p : sequence of float
        Raw p-values.

    Returns
    -------
    numpy.ndarray
        Adjusted p-values in the input order.

    Examples
    --------
    >>> from analysis.stats import holm
    >>> holm([0.01, 0.04, 0.03]).round(2).tolist()
    [0.03, 0.06, 0.06]
    """
    p = np.asarray(p, float)
    m = len(p)
    order = np.argsort(p)
    adj = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * p[order]))
    out = np.empty(m)
    out[order] = adj
    return out


def benjamini_hochberg(p: Sequence[float]) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values: sorted descending, m p_(i) / rank, running min,
    capped at 1.

    Parameters
    ----------
    p : sequence of float
        Raw p-values.

    Returns
    -------
    numpy.ndarray
        Adjusted p-values in the input order (``statsmodels``' ``fdr_bh``).
    """
    p = np.asarray(p, float)
    m = len(p)
    order = np.argsort(p)[::-1]
    ranks = m - np.arange(m)
    adj = np.minimum(1.0, np.minimum.accumulate(m * p[order] / ranks))
    out = np.empty(m)
    out[order] = adj
    return out


def adjusted_ci(effect: float, p_adjusted: float, alpha: float = ALPHA) -> tuple[float, float]:
    """A CI consistent with an adjusted p-value: σ' = abs(Δ) / z_{1 - p̃/2},
    Δ ± z_{1 - α/2} σ' (gbstats).

    Parameters
    ----------
    effect : float
        The estimate Δ.
    p_adjusted : float
        Its adjusted p-value p̃.
    alpha : float, optional
        Two-sided significance level and 1 - confidence (0.05).

    Returns
    -------
    (float, float)
        Lower and upper bound.
    """
    if not (p_adjusted == p_adjusted) or effect != effect:
        return float("nan"), float("nan")
    if p_adjusted >= 1:
        return -math.inf, math.inf
    z_p = stats.norm.ppf(1 - p_adjusted / 2)
    if z_p <= 0 or effect == 0:
        return float("nan"), float("nan")
    s = abs(effect) / z_p
    z = stats.norm.ppf(1 - alpha / 2)
    return effect - z * s, effect + z * s


@dataclass(frozen=True)
class SRM(HtmlRepr):
    """Sample-ratio mismatch test: Pearson χ² (``chi2``, ``dof``), its ``p_value`` and whether it is
    ``flagged``.
    """

    chi2: float
    dof: int
    p_value: float
    flagged: bool


def srm(observed: Sequence[float], weights: Sequence[float], threshold: float = 0.001) -> SRM:
    """Pearson χ² of observed arm counts against the planned weights.

    Parameters
    ----------
    observed : sequence of float
        Members per arm.
    weights : sequence of float
        Planned weights (any scale).
    threshold : float, optional
        Flag below this p-value (0.001).

    Returns
    -------
    SRM

    Examples
    --------
    >>> from analysis.stats import srm
    >>> srm([5000, 5200], [1, 1]).flagged
    False
    """
    o = np.asarray(observed, float)
    w = np.asarray(weights, float)
    e = o.sum() * w / w.sum()
    chi2 = float(((o - e) ** 2 / e).sum())
    dof = len(o) - 1
    p = float(stats.chi2.sf(chi2, dof))
    return SRM(chi2, dof, p, p < threshold)


def mde(se: float, alpha: float = ALPHA, power: float = 0.8) -> float:
    """Minimum detectable absolute effect of a two-sided test with standard error ``se``.

    Parameters
    ----------
    se : float
        The estimate's standard error.
    alpha : float, optional
        Two-sided significance level and 1 - confidence (0.05).
    power : float, optional
        The power (0.8).

    Returns
    -------
    float
    """
    return (stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)) * se


def plan(
    sd_control: float,
    effect: float,
    sd_treatment: float | None = None,
    alpha: float = ALPHA,
    power: float = 0.8,
    ratio: float = 1.0,
) -> pd.Series:
    """Members needed to detect an absolute ``effect``:
    n_t = ((z_{1-α/2} + z_power) / δ)² (σ_c²/κ + σ_t²), κ = n_c / n_t.

    Parameters
    ----------
    sd_control : float
        Standard deviation of the metric in control.
    effect : float
        The absolute effect δ to detect.
    sd_treatment : float, optional
        Its standard deviation under treatment (default ``sd_control``).
    alpha : float, optional
        Two-sided significance level and 1 - confidence (0.05).
    power : float, optional
        The power (0.8).
    ratio : float, optional
        κ = n_control / n_treatment (1).

    Returns
    -------
    pandas.Series
        n_treatment, n_control, total.
    """
    sd_t = sd_control if sd_treatment is None else sd_treatment
    z = stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)
    n_t = math.ceil((z / effect) ** 2 * (sd_control**2 / ratio + sd_t**2))
    n_c = math.ceil(n_t * ratio)
    return pd.Series({"n_treatment": n_t, "n_control": n_c, "total": n_t + n_c})


# --------------------------------------------------------------------------------------------------
# concentration


def gini(values: np.ndarray) -> float:
    """Gini coefficient (0 = equal, → 1 = one member holds everything).

    Parameters
    ----------
    values : numpy.ndarray
        Non-negative values, one per member (for example contributions).

    Returns
    -------
    float

    Examples
    --------
    >>> import numpy as np
    >>> from analysis.stats import gini
    >>> gini(np.array([1.0, 1, 1, 1])), gini(np.array([0.0, 0, 0, 4]))
    (0.0, 0.75)
    """
    x = np.sort(np.asarray(values, dtype=float))
    n = x.size
    if n == 0 or x.sum() == 0:
        return float("nan")
    if (x < 0).any():
        raise ValueError("gini needs non-negative values")
    i = np.arange(1, n + 1)
    return float(2 * np.sum(i * x) / (n * x.sum()) - (n + 1) / n)


def lorenz(values: np.ndarray, points: int = 101) -> pd.DataFrame:
    """Lorenz curve.

    Parameters
    ----------
    values : numpy.ndarray
        Non-negative values, one per member (for example contributions).
    points : int, optional
        Rows from 0 to 1 (101).

    Returns
    -------
    pandas.DataFrame
        share_of_members (poorest first), share_of_total.
    """
    x = np.sort(np.asarray(values, dtype=float))
    n = x.size
    cum = np.concatenate([[0.0], np.cumsum(x)]) / (x.sum() if x.sum() else 1)
    pop = np.arange(n + 1) / max(n, 1)
    grid = np.linspace(0, 1, points)
    return pd.DataFrame({"share_of_members": grid, "share_of_total": np.interp(grid, pop, cum)})


def top_shares(values: np.ndarray, percents: tuple[int, ...] = (1, 10)) -> dict[str, float]:
    """The share of the total held by the top k% of the positive values (the ⌈k% · n⌉ largest;
    ties at the cut do not change the share).

    Parameters
    ----------
    values : numpy.ndarray
        Non-negative values, one per member (for example contributions).
    percents : tuple of int, optional
        The k values (1, 10).

    Returns
    -------
    dict of str to float
        ``top{k}_share``; NaN when the total is 0.
    """
    x = np.sort(np.asarray(values, dtype=float)[np.asarray(values) > 0])[::-1]
    total = x.sum()
    return {
        f"top{k}_share": float(x[: math.ceil(k / 100 * x.size)].sum() / total) if total else float("nan")
        for k in percents
    }


def concentration(values: np.ndarray) -> dict[str, float]:
    """Gini and the shares held by the top 1% and 10% of positive values.

    Parameters
    ----------
    values : numpy.ndarray
        Non-negative values, one per member (for example contributions).

    Returns
    -------
    dict of str to float
        gini, top1_share, top10_share.
    """
    x = np.sort(np.asarray(values, dtype=float)[np.asarray(values) > 0])[::-1]
    return {"contributors": int(x.size), "total": float(x.sum()), "gini": gini(x), **top_shares(x)}


# --------------------------------------------------------------------------------------------------
# one-sample intervals


def wilson(successes: float, n: float, alpha: float = ALPHA) -> tuple[float, float]:
    """Wilson score interval of a proportion.

    Parameters
    ----------
    successes : float
        Count of successes.
    n : float
        Trials.
    alpha : float, optional
        Two-sided significance level and 1 - confidence (0.05).

    Returns
    -------
    (float, float)
        Lower and upper bound; (NaN, NaN) when n = 0.

    Examples
    --------
    >>> from analysis.stats import wilson
    >>> [round(float(b), 4) for b in wilson(81, 263)]
    [0.2553, 0.3662]
    """
    if n <= 0:
        return float("nan"), float("nan")
    z = stats.norm.ppf(1 - alpha / 2)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def mean_ci(values: np.ndarray, alpha: float = ALPHA) -> tuple[float, float, float]:
    """Mean and its t interval from the sample variance. For counts per member (invitees,
    contributions) the empirical variance absorbs overdispersion.

    Parameters
    ----------
    values : numpy.ndarray
        The sample.
    alpha : float, optional
        Two-sided significance level and 1 - confidence (0.05).

    Returns
    -------
    (float, float, float)
        Mean, lower, upper (NaN bounds below n = 2).
    """
    x = np.asarray(values, float)
    if x.size == 0:
        return float("nan"), float("nan"), float("nan")
    m = float(x.mean())
    if x.size < 2:
        return m, float("nan"), float("nan")
    half = stats.t.ppf(1 - alpha / 2, x.size - 1) * float(x.std(ddof=1)) / math.sqrt(x.size)
    return m, m - half, m + half


def spearman(x: np.ndarray, y: np.ndarray, alpha: float = ALPHA) -> tuple[float, float, float]:
    """Spearman's rank correlation with a Fisher-z interval (SE 1.06 / √(n − 3), Fieller et al.
    1957).

    Parameters
    ----------
    x : numpy.ndarray
        First variable.
    y : numpy.ndarray
        Second variable.
    alpha : float, optional
        Two-sided significance level and 1 - confidence (0.05).

    Returns
    -------
    (float, float, float)
        rho, lower, upper.
    """
    x, y = np.asarray(x, float), np.asarray(y, float)
    if x.size < 4 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return float("nan"), float("nan"), float("nan")
    rho = float(stats.spearmanr(x, y).statistic)
    z, half = (
        math.atanh(min(max(rho, -0.999999), 0.999999)),
        stats.norm.ppf(1 - alpha / 2) * 1.06 / math.sqrt(x.size - 3),
    )
    return rho, math.tanh(z - half), math.tanh(z + half)
