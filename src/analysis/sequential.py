"""Results safe to watch daily: always-valid confidence sequences and a sequential sample-ratio check.

**Confidence sequence** (the asymptotic normal-mixture sequence of Waudby-Smith et al. 2023,
arXiv 2103.06476, as GrowthBook and Eppo use it). With ``n`` members in the two arms together, an
estimate ``Δ`` with standard error ``se`` and ``σ̂² = se² n``, the interval ``Δ ± σ̂ √(2 (nρ² + 1)
ln(√(nρ² + 1) / α) / (n² ρ²))`` covers the true effect at every look at once with probability 1 - α,
however often it is looked at. ``ρ = √((-2 ln α + ln(-2 ln α + 1)) / N*)`` tunes the sequence to be
tightest near ``N*`` members (default 5,000, GrowthBook's). The always-valid p-value,
``min(1, √(nρ² + 1) exp(-ρ² n Δ² / (2 se² (nρ² + 1))))``, is below α exactly when the sequence at level α
excludes zero. The fixed-horizon test stays the verdict at the planned end; this tells whether stopping
earlier is safe.

**Sequential SRM** (Lindon & Malek 2022, gbstats ``ssrm``): a Dirichlet–multinomial Bayes factor of
the arm counts against the planned split, with prior concentration 10,000 around the planned shares;
the p-value is the running minimum of 1 / BF over the looks (anytime-valid).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import special

from analysis import stats as st
from analysis.definitions import ALPHA
from analysis.display import HtmlRepr
from analysis.stats import Moments

__all__ = [
    "N_STAR",
    "rho",
    "halfwidth",
    "always_valid_p",
    "SequentialEffect",
    "effect",
    "sequence",
    "srm_p_values",
]

#: GrowthBook's default tuning: members (both arms) where the sequence is tightest.
N_STAR = 5000
SRM_CONCENTRATION = 10_000.0


def rho(alpha: float = ALPHA, n_star: float = N_STAR) -> float:
    """The mixture's tuning parameter for a sequence tightest near ``n_star`` observations.

    Parameters
    ----------
    alpha : float, optional
        Two-sided significance level (0.05).
    n_star : float, optional
        Observations where the sequence is tightest (5,000, GrowthBook's default).

    Returns
    -------
    float
    """
    la = -2 * math.log(alpha)
    return math.sqrt((la + math.log(la + 1)) / n_star)


def halfwidth(
    se: float | np.ndarray, n: float | np.ndarray, alpha: float = ALPHA, n_star: float = N_STAR
) -> float | np.ndarray:
    """Half-width of the always-valid interval for an estimate.

    Parameters
    ----------
    se : float or numpy.ndarray
        Its standard error.
    n : float or numpy.ndarray
        Observations (both arms).
    alpha : float, optional
        Two-sided significance level (0.05).
    n_star : float, optional
        Observations where the sequence is tightest (5,000, GrowthBook's default).

    Returns
    -------
    float or numpy.ndarray
    """
    r2 = rho(alpha, n_star) ** 2
    sigma2 = np.asarray(se, float) ** 2 * n
    out = np.sqrt(sigma2 * 2 * (n * r2 + 1) * np.log(np.sqrt(n * r2 + 1) / alpha) / (n * n * r2))
    return float(out) if np.ndim(out) == 0 else out


def always_valid_p(effect: float, se: float, n: float, alpha: float = ALPHA, n_star: float = N_STAR) -> float:
    """min(1, 1/E) with E = exp(ρ² s / (2 (nρ² + 1))) / √(nρ² + 1) and s = n Δ² / se² (the
    squared sum statistic over σ̂²): the mixture martingale of the sequence.

    Parameters
    ----------
    effect : float
        The estimate Δ.
    se : float
        Its standard error.
    n : float
        Observations (both arms).
    alpha : float, optional
        Two-sided significance level (0.05).
    n_star : float, optional
        Observations where the sequence is tightest (5,000, GrowthBook's default).

    Returns
    -------
    float

    References
    ----------
    Waudby-Smith et al. (2023), "Time-uniform central limit theory and asymptotic confidence sequences",
    eq. 155; GrowthBook's sequential testing.
    """
    r2 = rho(alpha, n_star) ** 2
    s = n * effect * effect / (se * se)
    log_e = r2 * s / (2 * (n * r2 + 1)) - 0.5 * math.log(n * r2 + 1)
    return float(min(1.0, math.exp(-log_e)))


@dataclass(frozen=True)
class SequentialEffect(HtmlRepr):
    """Treatment minus control at one look, absolute and relative, with always-valid intervals."""

    n: int
    n_control: int
    effect: float
    se: float
    cs_lower: float
    cs_upper: float
    lift: float
    lift_se: float
    lift_cs_lower: float
    lift_cs_upper: float
    p_value: float  # always-valid, for the absolute effect


def effect(
    control: Moments,
    treatment: Moments,
    cuped: bool = False,
    alpha: float = ALPHA,
    n_star: float = N_STAR,
) -> SequentialEffect:
    """The always-valid effect of ``treatment`` against ``control``: the fixed-horizon estimate
    (:func:`analysis.stats.welch`, or :func:`analysis.stats.cuped` with the pooled θ) with its confidence
    sequence; the lift divides by the unadjusted control mean.

    Parameters
    ----------
    control : Moments
        The control arm's sums.
    treatment : Moments
        The treatment arm's sums.
    cuped : bool, optional
        CUPED-adjust (needs the covariate sums).
    alpha : float, optional
        Two-sided significance level (0.05).
    n_star : float, optional
        Observations where the sequence is tightest (5,000, GrowthBook's default).

    Returns
    -------
    SequentialEffect
    """
    fixed = st.cuped(control, treatment, alpha) if cuped else st.welch(control, treatment, alpha)
    n, members = control.n + treatment.n, (treatment.n, control.n)
    return sequence(fixed.effect, fixed.se, fixed.lift, fixed.lift_se, n, *members, alpha, n_star)


def sequence(
    estimate: float,
    se: float,
    lift: float,
    lift_se: float,
    n: float,
    n_arm: float,
    n_control: float,
    alpha: float = ALPHA,
    n_star: float = N_STAR,
) -> SequentialEffect:
    """An estimate and its lift with their always-valid intervals at one look.

    Parameters
    ----------
    estimate : float
        The effect.
    se : float
        Its standard error.
    lift : float
        The relative lift.
    lift_se : float
        Its standard error.
    n : float
        Units at this look (members, or communities when they were randomised).
    n_arm : float
        Members of the arm reported.
    n_control : float
        Members of control reported.
    alpha : float, optional
        Two-sided significance level (0.05).
    n_star : float, optional
        Observations where the sequence is tightest (5,000, GrowthBook's default).

    Returns
    -------
    SequentialEffect
    """
    hw = halfwidth(se, n, alpha, n_star) if se > 0 else float("nan")
    lhw = halfwidth(lift_se, n, alpha, n_star) if lift_se > 0 else float("nan")
    return SequentialEffect(
        n=int(n_arm),
        n_control=int(n_control),
        effect=estimate,
        se=se,
        cs_lower=estimate - hw,
        cs_upper=estimate + hw,
        lift=lift,
        lift_se=lift_se,
        lift_cs_lower=lift - lhw,
        lift_cs_upper=lift + lhw,
        p_value=always_valid_p(estimate, se, n, alpha, n_star) if se > 0 else float("nan"),
    )


def srm_p_values(
    counts: Sequence[Sequence[float]], weights: Sequence[float], concentration: float = SRM_CONCENTRATION
) -> np.ndarray:
    """Anytime-valid SRM p-value after each look (a Dirichlet-multinomial Bayes factor):
    log BF = log Γ(A) - log Γ(A + n) + Σ [log Γ(a_i + x_i) - log Γ(a_i)] - Σ x_i log p_i with
    a = concentration · p, A = Σ a; p = running min of 1/BF.

    Parameters
    ----------
    counts : sequence of sequence of float
        Cumulative members per arm at each look (rows).
    weights : sequence of float
        The planned split.
    concentration : float, optional
        The prior's concentration (10,000).

    Returns
    -------
    numpy.ndarray
        One p-value per look.

    References
    ----------
    Lindon and Malek (2022), "Anytime-valid inference for multinomial count data", NeurIPS.
    """
    x = np.atleast_2d(np.asarray(counts, float))
    p = np.asarray(weights, float) / np.sum(weights)
    a = concentration * p
    n = x.sum(axis=1)
    log_bf = (
        special.gammaln(a.sum())
        - special.gammaln(a.sum() + n)
        + (special.gammaln(a + x) - special.gammaln(a)).sum(axis=1)
        - (x * np.log(p)).sum(axis=1)
    )
    return np.minimum.accumulate(np.minimum(1.0, np.exp(-log_bf)))
