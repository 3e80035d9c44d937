"""Cox proportional hazards with Efron (or Breslow) ties on rows that carry integer case weights.

A row with weight ``w`` stands for ``w`` members with the same covariates, duration and event, so the
partial likelihood is that of the expanded rows, exactly: at an event time with ``d`` tied events
(``d`` = the summed weight of the event rows there), Efron's approximation runs over
``l = 0 .. d-1`` terms ``log(R - l/d * A)``, R being the risk-set sum of ``w * exp(x'b)`` and A its part
over the tied events. Fitting ``compress``-ed rows therefore gives the same coefficients, standard
errors, log-likelihood and concordance as the raw rows, at a fraction of the cost (daily durations and
a few categorical covariates collapse a million members into tens of thousands of rows).

Robust (sandwich) standard errors use Efron-adjusted score residuals per row; a compressed row's
residual is the residual of each member it stands for, so the robust variance is also that of the
raw rows (members are the clusters).

Delayed entry (counting-process rows, R's ``Surv(start, stop, event)``): a row with entry ``s`` and
duration ``T`` is at risk at the event times in ``(s, T]``, so a member entering at an event time is not
in that time's risk set. Checked against the closed forms of R survival's validation vignette
(Therneau & Grambsch, appendix E) in ``tests/test_cox_counting.py``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from scipy import sparse, special, stats

from analysis.display import HtmlRepr

__all__ = [
    "CoxFit",
    "fit",
    "reference_levels",
    "design",
    "compress",
    "fit_cox",
    "ph_effect_size",
]

PATTERN_CELLS = 4_000_000  # dense (event time x pattern) tables up to this size
EXPAND_TIES_UP_TO = 32  # larger tie groups use the closed form (same sums, O(1) per event time)


@dataclass(frozen=True)
class CoxFit(HtmlRepr):
    """Estimates of one fit. ``table`` has covariate, coef, se, robust_se, hazard_ratio, ci_lower,
    ci_upper, z, p_value (CIs and p-values from ``se``, or ``robust_se`` when the fit was robust)."""

    table: pd.DataFrame
    log_likelihood: float
    log_likelihood_null: float
    lr_statistic: float  # likelihood-ratio test against the null model, df = number of covariates
    lr_df: int
    lr_p_value: float
    concordance: float
    members: int  # summed weights
    events: int  # summed weights of event rows
    rows: int
    iterations: int
    robust: bool
    ph_test: pd.DataFrame | None = None  # from fit_cox: covariate, period, start, end, hazard_ratio, CIs
    left_out: int = 0  # from fit_cox: rows left out for a missing covariate value

    @property
    def hazard_ratios(self) -> pd.DataFrame:
        """The fit as hazard ratios, the way a reader compares churn rates.


        Returns
        -------
        pandas.DataFrame
            covariate, hazard_ratio, ci_lower, ci_upper, p_value, coef, se, robust_se.
        """
        return self.table[
            ["covariate", "hazard_ratio", "ci_lower", "ci_upper", "p_value", "coef", "se", "robust_se"]
        ]


def _check(x: np.ndarray, t: np.ndarray, e: np.ndarray, w: np.ndarray, s: np.ndarray | None) -> None:
    if not (len(x) == len(t) == len(e) == len(w)) or (s is not None and len(s) != len(t)):
        raise ValueError("covariates, durations, entries, events and weights must have the same length")
    if not np.isfinite(x).all() or not np.isfinite(t).all():
        raise ValueError("covariates and durations must be finite")
    if s is not None and (not np.isfinite(s).all() or (s >= t).any()):
        raise ValueError("every entry must be finite and before its duration (at risk on (entry, duration])")
    if (w <= 0).any() or not np.allclose(w, np.round(w)):
        raise ValueError("case weights must be positive whole numbers (members per row)")


def _pattern_ids(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Id of each row's covariate pattern and the first row of each pattern."""
    if len(x) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    row = np.ascontiguousarray(x).view(np.dtype((np.void, x.dtype.itemsize * x.shape[1]))).ravel()
    _, first, inv = np.unique(row, return_index=True, return_inverse=True)
    return inv.ravel(), first


class _Stratum:
    """Sorted arrays of one stratum and the index of its event times. ``s`` (entries) may be None: every
    row at risk from time 0. ``breslow`` uses Breslow's approximation for tied events instead of Efron's."""

    def __init__(
        self,
        x: np.ndarray,
        t: np.ndarray,
        e: np.ndarray,
        w: np.ndarray,
        s: np.ndarray | None = None,
        breslow: bool = False,
    ):
        order = np.lexsort((~e.astype(bool), t))  # by time; at a tied time events first
        self.x, self.t, self.e, self.w = x[order], t[order], e[order].astype(bool), w[order]
        self.s, self.breslow = (None if s is None else s[order]), breslow
        ev_t = self.t[self.e]
        self.times = np.unique(ev_t)
        self.k_of_event = np.searchsorted(self.times, ev_t)  # event row -> its event time index
        self.d = np.bincount(self.k_of_event, weights=self.w[self.e], minlength=len(self.times))
        self.d = np.round(self.d).astype(np.int64)
        # Efron terms l = 0 .. d_k - 1 (c = l / d_k): expanded for small tie groups, in closed form above
        self.big = self.d > EXPAND_TIES_UP_TO
        small = np.flatnonzero(~self.big)
        self.small = small
        self.term_k = np.repeat(np.arange(small.size), self.d[small])
        starts = np.concatenate([[0], np.cumsum(self.d[small])[:-1]]).astype(np.int64)
        self.c = (np.arange(self.term_k.size) - starts[self.term_k]) / self.d[small][self.term_k]
        self.term_starts = starts
        # sparse indicators: row -> its distinct time; event row -> its event time
        ut, t_idx = np.unique(self.t, return_inverse=True)
        n = len(self.t)
        self.by_time = sparse.csr_matrix((np.ones(n), (t_idx, np.arange(n))), shape=(len(ut), n))
        self.time_of_event_time = np.searchsorted(ut, self.times)
        n_ev = int(self.e.sum())
        self.by_event_time = sparse.csr_matrix(
            (np.ones(n_ev), (self.k_of_event, np.arange(n_ev))), shape=(len(self.times), n_ev)
        )
        self.xx = (self.x[:, :, None] * self.x[:, None, :]).reshape(n, -1)
        if self.s is not None:  # rows entered at or after an event time are not yet at risk there
            us, s_idx = np.unique(self.s, return_inverse=True)
            self.by_entry = sparse.csr_matrix((np.ones(n), (s_idx, np.arange(n))), shape=(len(us), n))
            self.entry_of_event_time = np.searchsorted(us, self.times, side="left")
        # few distinct covariate patterns (categorical designs): weights at risk / tied per pattern
        self.patterns = None
        pid, first_row = _pattern_ids(self.x)
        if len(first_row) * max(len(self.times), 1) <= min(PATTERN_CELLS, 4 * n):
            xp = self.x[first_row]
            self.patterns = (xp, self.xx[first_row])
            per_time = np.zeros((len(ut), len(first_row)))
            np.add.at(per_time, (t_idx, pid), self.w)
            self.n_at_risk = np.cumsum(per_time[::-1], axis=0)[::-1][self.time_of_event_time]
            if self.s is not None:
                self.n_at_risk -= self.not_entered(
                    sparse.csr_matrix((self.w, (np.arange(n), pid)), shape=(n, len(first_row)))
                )
            self.n_tied = np.zeros((len(self.times), len(first_row)))
            np.add.at(self.n_tied, (self.k_of_event, pid[self.e]), self.w[self.e])
        self.S = (self.w[self.e][:, None] * self.x[self.e]).sum(axis=0)  # summed covariates of events

    def not_entered(self, per_row) -> np.ndarray:
        """Per event time, the sums of ``per_row`` (rows x columns) over rows with entry >= that time."""
        per_entry = self.by_entry @ per_row
        per_entry = per_entry.toarray() if sparse.issparse(per_entry) else np.asarray(per_entry)
        tail = np.vstack([np.cumsum(per_entry[::-1], axis=0)[::-1], np.zeros((1, per_entry.shape[1]))])
        return tail[self.entry_of_event_time]

    def efron_sums(self, R: np.ndarray, A: np.ndarray, second: bool = True):
        """Per event time, over l = 0 .. d-1 with c = l/d and den = R - c*A: sum log(den) (a scalar,
        summed over times), and the per-time sums of 1/den, c/den, 1/den^2, c/den^2, c^2/den^2.
        Breslow: c = 0 for every term."""
        nt = len(R)
        if self.breslow:
            d, zero = self.d.astype(float), np.zeros(nt)
            return float((d * np.log(R)).sum()), d / R, zero, d / R**2, zero, zero.copy()
        s0, s1 = np.zeros(nt), np.zeros(nt)
        q0, q1, q2 = np.zeros(nt), np.zeros(nt), np.zeros(nt)
        log_sum = 0.0
        if self.small.size:
            k = self.small
            den = R[k][self.term_k] - self.c * A[k][self.term_k]
            red = self.term_starts
            log_sum += float(np.log(den).sum())
            inv = 1 / den
            s0[k], s1[k] = np.add.reduceat(inv, red), np.add.reduceat(self.c * inv, red)
            if second:
                inv2 = inv * inv
                q0[k] = np.add.reduceat(inv2, red)
                q1[k] = np.add.reduceat(self.c * inv2, red)
                q2[k] = np.add.reduceat(self.c * self.c * inv2, red)
        if self.big.any():
            # den = a (z - l) with a = A/d, z = R/a: sums of 1/(z-l) and 1/(z-l)^2 are digamma and
            # trigamma differences, the sum of log(z-l) a log-gamma difference
            k = self.big
            d = self.d[k].astype(float)
            a = A[k] / d
            z = R[k] / a
            lo = z - d + 1
            log_sum += float((d * np.log(a) + special.gammaln(z + 1) - special.gammaln(lo)).sum())
            S1 = special.digamma(z + 1) - special.digamma(lo)
            s0[k] = S1 / a
            s1[k] = (z * S1 - d) / (d * a)
            if second:
                S2 = special.polygamma(1, lo) - special.polygamma(1, z + 1)
                q0[k] = S2 / a**2
                q1[k] = (z * S2 - S1) / (d * a**2)
                q2[k] = (z * z * S2 - 2 * z * S1 + d) / (d * d * a**2)
        return log_sum, s0, s1, q0, q1, q2

    def pieces(self, beta: np.ndarray, second: bool = True):
        nt, p = len(self.times), self.x.shape[1]
        if self.patterns is not None:  # few covariate patterns: dense (event time x pattern) weights
            xp, xxp = self.patterns
            ex = np.exp(xp @ beta)

            def at_risk(v: np.ndarray) -> np.ndarray:
                return self.n_at_risk @ (ex[:, None] * v)

            def tied(v: np.ndarray) -> np.ndarray:
                return self.n_tied @ (ex[:, None] * v)

            ones, xs, xxs = np.ones((len(xp), 1)), xp, xxp
        else:  # rows: sparse sums per distinct time, then reverse cumulative sums over time
            r = self.w * np.exp(self.x @ beta)
            re_ = r[self.e]

            def at_risk(v: np.ndarray) -> np.ndarray:
                rv = r[:, None] * v
                per_time = self.by_time @ rv
                out = np.cumsum(per_time[::-1], axis=0)[::-1][self.time_of_event_time]
                return out if self.s is None else out - self.not_entered(rv)

            def tied(v: np.ndarray) -> np.ndarray:
                return self.by_event_time @ (re_[:, None] * v[self.e])

            ones, xs, xxs = np.ones((len(self.x), 1)), self.x, self.xx
        R, R1 = at_risk(ones)[:, 0], at_risk(xs)
        A, A1 = tied(ones)[:, 0], tied(xs)
        log_sum, s0, s1, q0, q1, q2 = self.efron_sums(R, A, second)
        ll = float(self.S @ beta - log_sum)
        grad = self.S - (R1 * s0[:, None] - A1 * s1[:, None]).sum(axis=0)
        out = {"ll": ll, "grad": grad, "R1": R1, "A1": A1, "s0": s0, "s1": s1}
        if second:
            R2 = at_risk(xxs).reshape(nt, p, p)
            A2 = tied(xxs).reshape(nt, p, p)
            info = (
                np.einsum("kij,k->ij", R2, s0)
                - np.einsum("kij,k->ij", A2, s1)
                - np.einsum("ki,kj,k->ij", R1, R1, q0)
                + np.einsum("ki,kj,k->ij", R1, A1, q1)
                + np.einsum("ki,kj,k->ij", A1, R1, q1)
                - np.einsum("ki,kj,k->ij", A1, A1, q2)
            )
            out.update(info=info, q0=q0, q1=q1, q2=q2)
        return out

    def score_residuals(self, beta: np.ndarray) -> np.ndarray:
        """Efron score residual of each sorted row (per member it stands for)."""
        p = self.pieces(beta)
        x, e = self.x, self.e
        s0, s1, q0, q1, q2 = p["s0"], p["s1"], p["q0"], p["q1"], p["q2"]
        R1, A1 = p["R1"], p["A1"]
        h1 = R1 * q0[:, None] - A1 * q1[:, None]  # sum_l xbar_l / den_l
        g1 = R1 * q1[:, None] - A1 * q2[:, None]  # sum_l c_l xbar_l / den_l
        xbar_sum = R1 * s0[:, None] - A1 * s1[:, None]  # sum_l xbar_l
        H0 = np.cumsum(s0)
        H1 = np.cumsum(h1, axis=0)
        # event times up to and including each row's time
        upto = np.searchsorted(self.times, self.t, side="right") - 1
        has = upto >= 0
        cum0 = np.where(has, H0[np.maximum(upto, 0)], 0.0)
        cum1 = np.where(has[:, None], H1[np.maximum(upto, 0)], 0.0)
        if self.s is not None:  # only the event times after the row's entry
            before = np.searchsorted(self.times, self.s, side="right") - 1
            some = before >= 0
            cum0 -= np.where(some, H0[np.maximum(before, 0)], 0.0)
            cum1 -= np.where(some[:, None], H1[np.maximum(before, 0)], 0.0)
        ke = self.k_of_event
        cum0[e] -= s1[ke]  # at its own event time an event row counts with weight (1 - c_l)
        cum1[e] -= g1[ke]
        risk = np.exp(x @ beta)
        res = -risk[:, None] * (x * cum0[:, None] - cum1)
        res[e] += x[e] - xbar_sum[ke] / self.d[ke][:, None]
        return res

    def concordance_counts(self, score: np.ndarray) -> tuple[float, float, float]:
        """Weighted (concordant, tied, comparable) pairs for risk ``score`` of the sorted rows: an event
        at t against every row with a later time, or censored at t (lifelines' rule), that has entered
        before t."""
        ranks = np.unique(score, return_inverse=True)[1]
        n_r = ranks.max() + 1 if ranks.size else 0
        # rows leaving after each event time: process times from the last backwards
        conc = tied = pairs = 0.0
        later = np.zeros(n_r)  # weights of rows with time > current event time, by score rank
        waiting = np.zeros(n_r)  # ... of those, rows with entry >= current time (not yet at risk)
        t, w, e = self.t, self.w, self.e
        by_entry = np.argsort(-self.s, kind="stable") if self.s is not None else np.zeros(0, np.int64)
        nxt = 0
        bounds = np.flatnonzero(np.diff(t)) + 1
        groups = np.split(np.arange(t.size), bounds)
        for g in reversed(groups):
            ev = g[e[g]]
            cen = g[~e[g]]
            while nxt < by_entry.size and self.s[by_entry[nxt]] >= t[g[0]]:
                waiting[ranks[by_entry[nxt]]] += w[by_entry[nxt]]
                nxt += 1
            if ev.size:
                pool = later - waiting
                np.add.at(pool, ranks[cen], w[cen])
                below = np.concatenate([[0.0], np.cumsum(pool)])
                rk = ranks[ev]
                total = below[-1]
                conc += float((w[ev] * below[rk]).sum())  # others with lower risk than the event row
                tied += float((w[ev] * pool[rk]).sum())
                pairs += float(w[ev].sum() * total)
            np.add.at(later, ranks[g], w[g])
        return conc, tied, pairs


def fit(
    x: pd.DataFrame,
    duration: np.ndarray | pd.Series,
    event: np.ndarray | pd.Series,
    weights: np.ndarray | pd.Series | None = None,
    strata: np.ndarray | pd.Series | None = None,
    robust: bool = False,
    ridge: float = 0.0,
    tol: float = 1e-12,
    max_iter: int = 50,
    entry: np.ndarray | pd.Series | None = None,
    ties: str = "efron",
) -> CoxFit:
    """Cox proportional hazards by Newton–Raphson on the partial likelihood, optionally stratified
    and with delayed entry.

    Parameters
    ----------
    x : pandas.DataFrame
        Numeric covariates (dummies from :func:`design`).
    duration : array-like
        Follow-up times.
    event : array-like
        1 for an event, 0 for censored.
    weights : array-like, optional
        Whole-number case weights (members per row, see :func:`compress`).
    strata : array-like, optional
        Stratum of each row: each stratum has its own baseline hazard.
    robust : bool, optional
        Sandwich standard errors (rows as clusters); CIs and p-values use them.
    ridge : float, optional
        Adds ``-ridge/2 * |b|^2`` to guard against separation (0).
    tol : float, optional
        Convergence tolerance on the step.
    max_iter : int, optional
        Newton–Raphson iterations at most.
    entry : array-like, optional
        Delayed entry: each row at risk on (entry, duration], R's ``Surv(entry, duration, event)``.
    ties : {"efron", "breslow"}, optional
        Tie handling (Efron by default, as lifelines and R).

    Returns
    -------
    CoxFit
        ``table`` with covariate, coef, se, robust_se, hazard_ratio, ci_lower, ci_upper, z, p_value.

    References
    ----------
    Therneau and Grambsch (2000), *Modeling Survival Data*, appendix E: the closed forms the tests check
    (Breslow 1.475285 and Efron 1.676857 on test data 1).

    Examples
    --------
    R's validation data 1 (Therneau and Grambsch, appendix E):

    >>> import numpy as np, pandas as pd
    >>> from analysis import cox
    >>> x = pd.DataFrame({"x": [1, 1, 1, 0, 0, 0]})
    >>> time, status = np.array([1, 1, 6, 6, 8, 9]), np.array([1, 0, 1, 1, 0, 1])
    >>> round(float(cox.fit(x, time, status, ties="breslow").table["coef"].iloc[0]), 6)
    1.475285
    >>> round(float(cox.fit(x, time, status).table["coef"].iloc[0]), 6)
    1.676857
    """
    xv = x.to_numpy(dtype=float)
    t = np.asarray(duration, dtype=float)
    e = np.asarray(event).astype(bool)
    w = np.ones(len(t)) if weights is None else np.asarray(weights, dtype=float)
    s = None if entry is None else np.asarray(entry, dtype=float)
    _check(xv, t, e, w, s)
    if ties not in ("efron", "breslow"):
        raise ValueError(f"ties must be 'efron' or 'breslow', not {ties!r}")
    if xv.shape[1] == 0:
        raise ValueError("no covariate to fit (every candidate column is constant)")
    if not e.any():
        raise ValueError("no events: a Cox model needs at least one churn")
    if strata is None:
        groups = [np.arange(len(t))]
    else:
        codes = pd.factorize(np.asarray(strata))[0]
        groups = [np.flatnonzero(codes == k) for k in range(int(codes.max()) + 1)]
    mu = (w[:, None] * xv).sum(axis=0) / w.sum()  # centring for numerical stability (estimates unchanged)
    parts = [
        _Stratum(xv[g] - mu, t[g], e[g], w[g], None if s is None else s[g], ties == "breslow") for g in groups
    ]
    beta, ll, ll_null, info, it = _newton(parts, xv.shape[1], ridge, tol, max_iter)
    cov = np.linalg.inv(info)
    se = np.sqrt(np.diag(cov))
    rse = _robust_se(parts, beta, cov) if robust else np.full(len(beta), np.nan)
    lr = 2 * (ll - ll_null)
    return CoxFit(
        table=_estimates(list(x.columns), beta, se, rse, robust),
        log_likelihood=float(ll),
        log_likelihood_null=float(ll_null),
        lr_statistic=float(lr),
        lr_df=len(beta),
        lr_p_value=float(stats.chi2.sf(lr, len(beta))),
        concordance=_concordance(parts, beta),
        members=int(round(w.sum())),
        events=int(round(w[e].sum())),
        rows=len(t),
        iterations=it,
        robust=robust,
    )


def _newton(parts: list[_Stratum], p: int, ridge: float, tol: float, max_iter: int):
    """Maximise the (penalised) partial likelihood from beta = 0 with step halving: beta, log-likelihood,
    null log-likelihood, information matrix, iterations."""

    def evaluate(beta: np.ndarray, second: bool = True):
        ll, grad, info = 0.0, np.zeros(p), np.zeros((p, p))
        for s in parts:
            if s.times.size == 0:
                continue
            pc = s.pieces(beta, second)
            ll += pc["ll"]
            grad += pc["grad"]
            if second:
                info += pc["info"]
        return ll - 0.5 * ridge * beta @ beta, grad - ridge * beta, info + ridge * np.eye(p)

    beta = np.zeros(p)
    ll0, grad, info = evaluate(beta)
    ll_null = ll0 + 0.0
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007
        try:
            step = np.linalg.solve(info, grad)
        except np.linalg.LinAlgError:
            raise ValueError(
                "the Cox information matrix is singular: collinear covariates, or a level without events"
            ) from None
        if float(grad @ step) < tol and np.max(np.abs(step)) < 1e-8:
            break  # the Newton decrement: a further step would change nothing that is reported
        halve = 0
        while True:
            cand = beta + step
            ll1, g1, i1 = evaluate(cand)
            if np.isfinite(ll1) and ll1 >= ll0 - 1e-12 * abs(ll0) or halve > 30:
                break
            step /= 2
            halve += 1
        beta, ll0, grad, info = cand, ll1, g1, i1
    return beta, ll0, ll_null, info, it


def _robust_se(parts: list[_Stratum], beta: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """Sandwich standard errors from the weighted Efron score residuals (members as clusters)."""
    p = len(beta)
    meat = np.zeros((p, p))
    for s in parts:
        if s.times.size:
            r = s.score_residuals(beta)
            meat += (s.w[:, None] * r).T @ r
    return np.sqrt(np.diag(cov @ meat @ cov))


def _estimates(
    cols: list[str], beta: np.ndarray, se: np.ndarray, rse: np.ndarray, robust: bool
) -> pd.DataFrame:
    """Coefficients, hazard ratios with 95% CIs and Wald p-values (on the robust SEs when robust)."""
    use = rse if robust else se
    z = beta / use
    q = stats.norm.ppf(0.975)
    return pd.DataFrame(
        {
            "covariate": cols,
            "coef": beta,
            "se": se,
            "robust_se": rse,
            "hazard_ratio": np.exp(beta),
            "ci_lower": np.exp(beta - q * use),
            "ci_upper": np.exp(beta + q * use),
            "z": z,
            "p_value": 2 * stats.norm.sf(np.abs(z)),
        }
    )


def _concordance(parts: list[_Stratum], beta: np.ndarray) -> float:
    """Harrell's C over the strata: concordant when the member who churns first has the higher risk."""
    conc = tied = pairs = 0.0
    for s in parts:
        c = s.concordance_counts(s.x @ beta)
        conc, tied, pairs = conc + c[0], tied + c[1], pairs + c[2]
    return (conc + 0.5 * tied) / pairs if pairs else np.nan


# --------------------------------------------------------------------------------------------------
# models on a per-member table: reference levels, design, compressed rows, the PH check


def reference_levels(df: pd.DataFrame, wanted: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
    """Reference level of each categorical covariate: the one asked for, or (empty, or absent
    from the data, with a note) the largest group. A covariate with a single level cannot be estimated: it is
    dropped, with a note.

    Parameters
    ----------
    df : pandas.DataFrame
        The data.
    wanted : mapping of str to str
        Covariate -> the reference level asked for ("" for the largest group).

    Returns
    -------
    (dict of str to str, list of str)
        The references used and the notes.
    """
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


def design(df: pd.DataFrame, categorical: Mapping[str, str], numeric: Sequence[str] = ()) -> pd.DataFrame:
    """Dummy columns ``var[level]`` for each categorical covariate plus the numeric columns.

    Parameters
    ----------
    df : pandas.DataFrame
        The data.
    categorical : mapping of str to str
        Covariate -> reference level (dropped); levels compared as strings, missing as "nan".
    numeric : sequence of str, optional
        Numeric columns kept as they are.

    Returns
    -------
    pandas.DataFrame
    """
    out = {}
    for var, ref in categorical.items():
        codes, uniques = pd.factorize(df[var], use_na_sentinel=False)
        labels = [str(u) for u in uniques]
        if len(labels) and str(ref) not in labels:
            shown = ", ".join(sorted(labels)[:5])
            raise ValueError(
                f"reference level {ref!r} of {var} is not in the data ({shown}, ...); choose one with "
                "reference_levels"
            )
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
    x: pd.DataFrame,
    duration: pd.Series,
    event: pd.Series,
    strata: pd.Series | None = None,
    entry: pd.Series | None = None,
) -> pd.DataFrame:
    """Unique (covariates, duration, event[, strata][, entry]) rows with a case-weight column
    ``w``, in order of first appearance: the same partial likelihood on far fewer rows.

    Parameters
    ----------
    x : pandas.DataFrame
        Covariates.
    duration : pandas.Series
        Follow-up times.
    event : pandas.Series
        Events.
    strata : pandas.Series, optional
        Strata.
    entry : pandas.Series, optional
        Delayed entry times.

    Returns
    -------
    pandas.DataFrame
        The covariates with ``_t``, ``_e``, [``_s``], [``_entry``] and ``w``.
    """
    d = x.reset_index(drop=True)
    d["_t"] = np.asarray(duration)
    d["_e"] = np.asarray(event).astype(int)
    if strata is not None:
        d["_s"] = np.asarray(strata).astype(str)
    if entry is not None:
        d["_entry"] = np.asarray(entry)
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


def fit_cox(
    df: pd.DataFrame,
    categorical: Mapping[str, str],
    numeric: Sequence[str] = (),
    duration: str = "t",
    event: str = "event",
    strata: str | None = None,
    compressed: bool = True,
    robust: bool = False,
    ph_check: bool = True,
    entry: str | None = None,
) -> CoxFit:
    """Cox PH (Efron ties) on a table such as the landmark table, by default on rows compressed
    to unique (covariates, duration, event[, stratum][, entry]) with case weights (the same estimates as the
    raw rows). Rows with a missing covariate value are left out (counted in ``CoxFit.left_out``).

    Parameters
    ----------
    df : pandas.DataFrame
        One row per member.
    categorical : mapping of str to str
        Categorical covariate -> reference level ("" for the largest group).
    numeric : sequence of str, optional
        Numeric covariates.
    duration : str, optional
        The time column (``"t"``, days from the landmark).
    event : str, optional
        The event column.
    strata : str, optional
        A stratification column.
    compressed : bool, optional
        Fit on compressed rows (True).
    robust : bool, optional
        Sandwich standard errors with members as clusters; CIs use them.
    ph_check : bool, optional
        Check proportional hazards as an effect size: the hazard ratio fitted separately in three
        follow-up periods, kept as ``CoxFit.ph_test``.
    entry : str, optional
        A delayed-entry column (at risk on (entry, duration]; 0 = from the start).

    Returns
    -------
    CoxFit
    """
    known = df[list(dict.fromkeys([*categorical, *numeric]))].notna().all(axis=1)
    left_out = int((~known).sum())
    if left_out:
        df = df[known]
    entry = entry if entry and (df[entry] > 0).any() else None
    if compressed:  # unique (covariate values, duration, event[, stratum][, entry]) rows, then the design
        cols = list(dict.fromkeys([*categorical, *numeric]))
        rows = compress(
            df[cols], df[duration], df[event], df[strata] if strata else None, df[entry] if entry else None
        )
        t, e, w, s = rows["_t"], rows["_e"], rows["w"], rows["_s"] if strata else None
        ent = rows["_entry"] if entry else None
    else:
        rows, t, e, w, s = df, df[duration], df[event], None, df[strata] if strata else None
        ent = df[entry] if entry else None
    x = design(rows, categorical, numeric)
    x = x.loc[:, x.std() > 0]  # a constant column cannot be estimated
    covariates = list(x.columns)
    res = fit(x, t, e, weights=w, strata=s, robust=robust, entry=ent)
    ph = (
        _ph_check(df, categorical, numeric, duration, event, covariates, entry=entry)
        if ph_check
        else pd.DataFrame()
    )
    return replace(res, ph_test=ph, left_out=left_out)


def _ph_check(
    df, categorical, numeric, duration, event, covariates, periods: int = 3, entry: str | None = None
) -> pd.DataFrame:
    """Proportional hazards as an effect size, not only a p-value (at large n every test "fails"):
    the hazard ratio fitted separately in each of ``periods`` follow-up intervals (split at event-time
    quantiles; members at risk in an interval, clock from its start, entering late with ``entry``).
    Columns: covariate, period, start, end, hazard_ratio, ci_lower, ci_upper. Under PH the ratios
    agree across periods."""

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
        if entry:  # entered before the interval's end and before its own time in the interval
            late = np.maximum(df[entry] - lo, 0)
            at_risk &= (late < np.minimum(df[duration], hi) - lo).to_numpy()
        t = np.minimum(df.loc[at_risk, duration], hi) - lo
        e = df.loc[at_risk, event].astype(bool) & (df.loc[at_risk, duration] < hi)
        ent = pd.Series(np.asarray(late[at_risk])) if entry else None
        xx = x.loc[at_risk]
        keep = [c for c in covariates if xx[c].std() > 0]
        c = compress(xx[keep], pd.Series(np.asarray(t)), pd.Series(np.asarray(e)), entry=ent)
        sm = fit(
            c[keep], c["_t"], c["_e"], weights=c["w"], ridge=1e-3, entry=c["_entry"] if entry else None
        ).table.set_index("covariate")
        for cov in keep:
            rows.append(
                {
                    "covariate": cov,
                    "period": k + 1,
                    "start": lo,
                    "end": hi,
                    "hazard_ratio": float(sm.loc[cov, "hazard_ratio"]),
                    "ci_lower": float(sm.loc[cov, "ci_lower"]),
                    "ci_upper": float(sm.loc[cov, "ci_upper"]),
                }
            )
    return pd.DataFrame(rows)


def ph_effect_size(ph: pd.DataFrame) -> pd.DataFrame:
    """Per covariate: hazard ratio in the first and last follow-up period and their ratio
    (1 = proportional hazards).

    Parameters
    ----------
    ph : pandas.DataFrame
        Hazard ratios by follow-up period (``CoxFit.ph_test`` of :func:`fit_cox`: covariate, period,
        start, end, hazard_ratio, ci_lower, ci_upper).

    Returns
    -------
    pandas.DataFrame
        covariate, hr_first, hr_last, ratio_last_first.
    """
    if ph.empty:
        return pd.DataFrame(columns=["covariate", "hr_first", "hr_last", "ratio_last_first"])
    g = ph.sort_values("period").groupby("covariate", sort=False)
    out = pd.DataFrame(
        {"hr_first": g["hazard_ratio"].first(), "hr_last": g["hazard_ratio"].last()}
    ).reset_index()
    out["ratio_last_first"] = out["hr_last"] / out["hr_first"]
    return out
