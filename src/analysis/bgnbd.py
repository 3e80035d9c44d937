"""BG/NBD "probability alive" (Fader, Hardie & Lee 2005, "Counting your customers the easy way").

Communities have no cancellation event: a member who stops coming is never seen leaving. The BG/NBD
model says each member, while "alive", is active at a Poisson rate λ (gamma-distributed across members:
shape r, rate α) and after each active period drops out for good with probability p (beta-distributed:
a, b). From a member's repeat count ``x``, the time of their last repeat ``t_x`` and their time observed
``T`` (same unit, counted from their first activity), it gives the probability they are still alive and
how many periods they will be active in the next ``t``. Checked against the published CDNOW fit
(r 0.243, α 4.414, a 0.793, b 2.426; E[Y(39) | x=2, t_x=30.43, T=38.86] = 1.226).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, special

from analysis.display import HtmlRepr

__all__ = [
    "BGNBD",
    "log_likelihood",
    "fit",
    "compress",
]


@dataclass(frozen=True)
class BGNBD(HtmlRepr):
    """Fitted parameters: r, alpha (purchase rate, gamma), a, b (drop-out probability, beta)."""

    r: float
    alpha: float
    a: float
    b: float

    def log_likelihood(self, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
        """Each member's log-likelihood under these parameters (FHL 2005, eq. 6).

        Parameters
        ----------
        x : numpy.ndarray
            Repeat active periods (frequency).
        t_x : numpy.ndarray
            Time of the last repeat (recency).
        T : numpy.ndarray
            Time observed since the first activity.

        Returns
        -------
        numpy.ndarray
        """
        return log_likelihood((self.r, self.alpha, self.a, self.b), x, t_x, T)

    def p_alive(self, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
        """P(still alive at T | x, t_x, T); 1 for members with no repeat (x = 0).

        Parameters
        ----------
        x : numpy.ndarray
            Repeat active periods (frequency).
        t_x : numpy.ndarray
            Time of the last repeat (recency).
        T : numpy.ndarray
            Time observed since the first activity.

        Returns
        -------
        numpy.ndarray
        """
        x, t_x, T = (np.asarray(v, float) for v in (x, t_x, T))
        odds = np.where(
            x > 0, self.a / (self.b + x - 1) * ((self.alpha + T) / (self.alpha + t_x)) ** (self.r + x), 0.0
        )
        return 1.0 / (1.0 + odds)

    def expected(self, t: float, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
        """E[Y(t) | x, t_x, T]: expected repeat activity in the next ``t`` (FHL 2005, eq. 10).

        Parameters
        ----------
        t : float
            The horizon, in the unit of ``T``.
        x : numpy.ndarray
            Repeat active periods (frequency).
        t_x : numpy.ndarray
            Time of the last repeat (recency).
        T : numpy.ndarray
            Time observed since the first activity.

        Returns
        -------
        numpy.ndarray

        Examples
        --------
        The published CDNOW fit and its worked example (E[Y(39)] = 1.226):

        >>> import numpy as np
        >>> from analysis.bgnbd import BGNBD
        >>> m = BGNBD(0.243, 4.414, 0.793, 2.426)
        >>> round(float(m.expected(39, np.array([2]), np.array([30.43]), np.array([38.86]))[0]), 3)
        1.226

        References
        ----------
        Fader, Hardie and Lee (2005), "Counting your customers the easy way", Marketing Science 24(2).
        """
        x, t_x, T = (np.asarray(v, float) for v in (x, t_x, T))
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        z = t / (alpha + T + t)
        hyp = special.hyp2f1(r + x, b + x, a + b + x - 1, z)
        head = (a + b + x - 1) / (a - 1) * (1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp)
        return head * self.p_alive(x, t_x, T)


def log_likelihood(params, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """Each member's log-likelihood under (r, alpha, a, b) (FHL 2005, eq. 6).

    Parameters
    ----------
    params : sequence of float
        (r, alpha, a, b).
    x : numpy.ndarray
        Repeat active periods (frequency).
    t_x : numpy.ndarray
        Time of the last repeat (recency).
    T : numpy.ndarray
        Time observed since the first activity.

    Returns
    -------
    numpy.ndarray
    """
    r, alpha, a, b = params
    x, t_x, T = (np.asarray(v, float) for v in (x, t_x, T))
    common = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
    term1 = special.betaln(a, b + x) - special.betaln(a, b) - (r + x) * np.log(alpha + T)
    with np.errstate(divide="ignore", invalid="ignore"):
        term2 = np.where(
            x > 0,
            special.betaln(a + 1, b + np.maximum(x, 1) - 1)
            - special.betaln(a, b)
            - (r + x) * np.log(alpha + t_x),
            -np.inf,
        )
    return common + np.logaddexp(term1, term2)


def fit(
    x: np.ndarray,
    t_x: np.ndarray,
    T: np.ndarray,
    start: tuple[float, ...] = (1.0, 1.0, 1.0, 1.0),
    weights: np.ndarray | None = None,
) -> BGNBD:
    """Maximum likelihood (on log parameters, L-BFGS-B from ``start``).

    Parameters
    ----------
    x : numpy.ndarray
        Repeat active periods (frequency).
    t_x : numpy.ndarray
        Time of the last repeat (recency).
    T : numpy.ndarray
        Time observed since the first activity.
    start : tuple of float, optional
        Starting (r, alpha, a, b).
    weights : numpy.ndarray, optional
        Members per row (see :func:`compress`).

    Returns
    -------
    BGNBD
        The fitted r, alpha, a, b.
    """
    w = np.ones(len(np.asarray(x))) if weights is None else np.asarray(weights, float)

    def negative(theta: np.ndarray) -> float:
        return -float(np.sum(w * log_likelihood(np.exp(theta), x, t_x, T)))

    res = optimize.minimize(negative, np.log(start), method="L-BFGS-B")
    if not res.success:  # a flat start may stop early: finish with Nelder-Mead
        res = optimize.minimize(
            negative, res.x, method="Nelder-Mead", options={"xatol": 1e-8, "fatol": 1e-10}
        )
    return BGNBD(*np.exp(res.x))


def compress(x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> tuple[np.ndarray, ...]:
    """Unique (x, t_x, T) rows and how many members each stands for: with activity counted in whole
    days, a million members share a few hundred thousand histories, and the likelihood is the same.

    Parameters
    ----------
    x : numpy.ndarray
        Repeat active periods (frequency).
    t_x : numpy.ndarray
        Time of the last repeat (recency).
    T : numpy.ndarray
        Time observed since the first activity.

    Returns
    -------
    tuple of numpy.ndarray
        x, t_x, T and the weights.
    """
    cols = [np.asarray(v, float) for v in (x, t_x, T)]
    codes = [np.unique(c, return_inverse=True) for c in cols]  # (values, index) per column
    key = np.zeros(len(cols[0]), dtype=np.int64)
    for values, idx in codes:
        key = key * len(values) + idx.ravel()
    _, first, counts = np.unique(key, return_index=True, return_counts=True)
    return cols[0][first], cols[1][first], cols[2][first], counts.astype(float)
