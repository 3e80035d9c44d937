"""Spillover in a randomised-saturation experiment (Hudgens & Halloran 2008; Baird et al. 2018).

Communities are randomised to a saturation s (the share of their members to treat, 0 for pure control
communities), then members inside each community to treatment at that share. With ȳ(s, T) and ȳ(s, U)
the mean outcome of treated and untreated members in communities at saturation s:

- **direct** effect at s: ȳ(s, T) - ȳ(s, U), what treatment does to a member beside untreated neighbours;
- **spillover** effect at s: ȳ(s, U) - ȳ(0, U), what treating others does to the untreated;
- **total** effect at s: ȳ(s, T) - ȳ(0, U), the direct and spillover effects together.

A spillover interval that excludes zero rejects "no spillover" (SUTVA). Each effect is a contrast of
cell means with communities as clusters (:func:`analysis.clusters.cell_contrast`: CR2 with
Bell–McCaffrey degrees of freedom), from one row of sums per community and cell.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

from analysis.clusters import cell_contrast
from analysis.data import DataSource, fetch
from analysis.definitions import ALPHA
from analysis.display import HtmlRepr
from analysis.experiment import PRE_COVARIATE

__all__ = [
    "saturation_effects",
    "community_levels",
    "from_table",
    "invite_edges",
    "NeighbourTest",
    "neighbour_test",
]

COLUMNS = ["saturation", "effect_type", "effect", "se", "df", "ci_lower", "ci_upper", "p_value"]


def saturation_effects(cells: pd.DataFrame, alpha: float = ALPHA) -> pd.DataFrame:
    """Direct, spillover and total effects at each saturation above 0. Pure control
    communities (saturation 0) must be present.

    Parameters
    ----------
    cells : pandas.DataFrame
        One row per community and treatment status: ``cluster``, ``saturation``, ``treated`` (bool),
        ``n``, ``sum_y``.
    alpha : float, optional
        Two-sided significance level (0.05).

    Returns
    -------
    pandas.DataFrame

    References
    ----------
    Baird, Bohren, McIntosh and Özler (2018), "Optimal design of experiments in the presence of
    interference", Review of Economics and Statistics 100(5).
    """
    d = cells.assign(
        cell=list(zip(cells["saturation"].astype(float), cells["treated"].astype(bool), strict=True))
    )
    if not ((d["saturation"] == 0) & ~d["treated"].astype(bool)).any():
        raise ValueError("a saturation design needs pure control communities (saturation 0)")
    rows = []
    for s in sorted(x for x in d["saturation"].astype(float).unique() if x > 0):
        treated, untreated, pure = (s, True), (s, False), (0.0, False)
        if not {treated, untreated, pure} <= set(d["cell"]):
            continue  # the three effects need treated and untreated members at s and pure controls
        for kind, coef in (
            ("direct", {treated: 1.0, untreated: -1.0}),
            ("spillover", {untreated: 1.0, pure: -1.0}),
            ("total", {treated: 1.0, pure: -1.0}),
        ):
            c = cell_contrast(d, coef, alpha=alpha)
            rows.append(
                {
                    "saturation": s,
                    "effect_type": kind,
                    "effect": c.estimate,
                    "se": c.se,
                    "df": c.df,
                    "ci_lower": c.ci_lower,
                    "ci_upper": c.ci_upper,
                    "p_value": c.p_value,
                }
            )
    return pd.DataFrame(rows, columns=COLUMNS)


TABLE_COLUMNS = ["experiment", "metric", "arm", "saturation", *COLUMNS[1:]]


def community_levels(
    table: pd.DataFrame, community: pd.Series, control: str, levels: Sequence[float] = ()
) -> pd.Series:
    """Each community's saturation: 0 where no assigned member was treated (pure control);
    otherwise the nearest of the design's ``levels`` to its treated share, or (no levels given) the mean
    treated share of all communities with treated members, rounded to 0.01.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`analysis.experiment.metric_table`.
    community : pandas.Series
        Each row's community.
    control : str
        The control arm.
    levels : sequence of float, optional
        The design's saturation levels.

    Returns
    -------
    pandas.Series
        Community -> saturation.
    """
    treated = (table["arm"] != control).astype(float)
    share = treated.groupby(community.to_numpy()).mean()
    positive = share[share > 0]
    if len(levels):
        lv = np.array([x for x in levels if x > 0], float)
        snapped = lv[np.abs(positive.to_numpy()[:, None] - lv[None, :]).argmin(axis=1)] if len(lv) else []
        out = pd.Series(snapped, index=positive.index, dtype=float)
    else:
        out = pd.Series(round(float(positive.mean()), 2) if len(positive) else 0.0, index=positive.index)
    return out.reindex(share.index, fill_value=0.0)


def from_table(
    table: pd.DataFrame,
    community: pd.Series,
    control: str,
    metrics: Sequence[str] = ("contributions", "retained_d30"),
    levels: Sequence[float] = (),
    alpha: float = ALPHA,
    cuped: bool = True,
    edges: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Direct, spillover and total effects of an experiment's treatment arms (pooled: treated = any
    arm but ``control``) by saturation, for each metric. Empty (same columns) when no community is pure
    control or none has treated members: spillover is then not identified.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`analysis.experiment.metric_table`.
    community : pandas.Series
        Each row's community.
    control : str
        The control arm.
    metrics : sequence of str, optional
        The metrics.
    levels : sequence of float, optional
        The design's saturation levels.
    alpha : float, optional
        Two-sided significance level (0.05).
    cuped : bool, optional
        Adjust each metric for its pre-period value (the slope pooled within community and treatment
        cells, so it carries no treatment effect).
    edges : pandas.DataFrame, optional
        Invite edges (:func:`invite_edges`): adds one ``invite_spillover`` row per metric from
        :func:`neighbour_test` (not when whole communities were randomised).

    Returns
    -------
    pandas.DataFrame
    """
    level = community_levels(table, community, control, levels)
    arms = sorted(str(a) for a in table["arm"].unique() if a != control)
    # the randomisation test re-draws members' arms: only valid when members, not communities, were drawn
    by_member = bool((table["arm"].groupby(community.to_numpy()).nunique() > 1).any())
    rows = [_invite_rows(table, edges, control, metrics, arms)] if edges is not None and by_member else []
    by_saturation = (level == 0).any() and (level > 0).any()
    for metric in metrics if by_saturation else ():
        y = table[metric].to_numpy(float)
        ok = ~np.isnan(y)
        d = pd.DataFrame(
            {
                "cluster": community.to_numpy()[ok],
                "treated": (table["arm"] != control).to_numpy()[ok],
                "y": y[ok],
            }
        )
        cov = PRE_COVARIATE.get(metric)
        if cuped and cov in table:  # less θ (x - x̄), θ the slope on the pre-period pooled within cells
            d["x"] = table[cov].to_numpy(float)[ok]
            g = d.groupby(["cluster", "treated"])
            xc, yc = d["x"] - g["x"].transform("mean"), d["y"] - g["y"].transform("mean")
            sxx = float((xc * xc).sum())
            theta = float((xc * yc).sum()) / sxx if sxx > 0 else 0.0
            d["y"] = d["y"] - theta * (d["x"] - d["x"].mean())
        cells = d.groupby(["cluster", "treated"]).agg(n=("y", "size"), sum_y=("y", "sum")).reset_index()
        cells["saturation"] = cells["cluster"].map(level).to_numpy(float)
        eff = saturation_effects(cells, alpha)
        eff.insert(0, "arm", ", ".join(arms))
        eff.insert(0, "metric", metric)
        eff.insert(0, "experiment", table.attrs.get("experiment", ""))
        rows.append(eff)
    rows = [r for r in rows if len(r)]
    return pd.concat(rows, ignore_index=True)[TABLE_COLUMNS] if rows else pd.DataFrame(columns=TABLE_COLUMNS)


def _invite_rows(
    table: pd.DataFrame, edges: pd.DataFrame, control: str, metrics: Sequence[str], arms: list[str]
) -> pd.DataFrame:
    out = []
    for metric in metrics:
        r = neighbour_test(table, edges, control, metric)
        if np.isfinite(r.p_value):
            out.append(
                {
                    "experiment": table.attrs.get("experiment", ""),
                    "metric": metric,
                    "arm": ", ".join(arms),
                    "saturation": np.nan,
                    "effect_type": "invite_spillover",
                    "effect": r.difference,
                    "p_value": r.p_value,
                }
            )
    return pd.DataFrame(out, columns=TABLE_COLUMNS)


def invite_edges(src: DataSource) -> pd.DataFrame:
    """The invite graph: every invited member and their inviter.

    Parameters
    ----------
    src : DataSource
        The community, from :func:`analysis.open` (or ``ctx.src`` in a report).

    Returns
    -------
    pandas.DataFrame
        member_id, invited_by.
    """
    m = src.table("members")
    return fetch(m.filter(m.invited_by.notnull()).select("member_id", "invited_by"))


@dataclass(frozen=True)
class NeighbourTest(HtmlRepr):
    """Fisher randomisation test of "no spillover through invitations" (Athey, Eckles & Imbens 2018):
    focal members are the untreated ones with exactly one assigned invite neighbour (their inviter or
    one invitee: exposure then does not track how connected a member is); the statistic is the mean
    outcome of focal members with a treated neighbour minus those without; its null distribution
    re-draws the arms of the non-focal members (the experiment's own randomisation, focal members' arms
    held fixed)."""

    metric: str
    focal: int
    exposed: int
    difference: float
    p_value: float
    draws: int


def neighbour_test(
    table: pd.DataFrame,
    edges: pd.DataFrame,
    control: str,
    metric: str = "contributions",
    draws: int = 999,
    seed: int = 0,
) -> NeighbourTest:
    """Fisher randomisation test of "no spillover through invitations" (see
    :class:`NeighbourTest`). NaN when it cannot be run (no focal member with and without a treated
    neighbour).

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`analysis.experiment.metric_table`.
    edges : pandas.DataFrame
        ``member_id``, ``invited_by``; both ends must be assigned members to count.
    control : str
        The control arm.
    metric : str, optional
        The outcome (contributions).
    draws : int, optional
        Randomisation draws (999).
    seed : int, optional
        Random seed.

    Returns
    -------
    NeighbourTest

    References
    ----------
    Athey, Eckles and Imbens (2018), "Exact p-values for network interference", JASA 113(521).
    """
    ids = pd.Index(table["member_id"])
    a, b = ids.get_indexer(edges["member_id"]), ids.get_indexer(edges["invited_by"])
    keep = (a >= 0) & (b >= 0) & (a != b)
    n = len(ids)
    adj = sparse.coo_matrix(
        (np.ones(2 * keep.sum()), (np.r_[a[keep], b[keep]], np.r_[b[keep], a[keep]])), shape=(n, n)
    )
    adj = (adj.tocsr() > 0).astype(np.int8)
    treated = (table["arm"] != control).to_numpy()
    y = table[metric].to_numpy(float)
    # one assigned neighbour each: a focal member's chance of a treated neighbour is then the same for
    # all of them, so exposure does not stand in for how connected a member is
    focal = ~treated & (np.asarray(adj.sum(axis=1)).ravel() == 1) & ~np.isnan(y)
    neighbour = adj[focal].indices  # the one neighbour of each focal member, in row order
    exposed = _neighbour_arms(treated, focal, neighbour, draws, seed)  # focal x (1 + draws)
    yf = y[focal][:, None]
    n_exp = exposed.sum(axis=0)
    n_un = exposed.shape[0] - n_exp
    if exposed.shape[0] == 0 or n_exp[0] == 0 or n_un[0] == 0:
        return NeighbourTest(
            metric, int(focal.sum()), int(n_exp[0]) if exposed.shape[0] else 0, np.nan, np.nan, draws
        )
    with np.errstate(invalid="ignore", divide="ignore"):
        stat = (yf * exposed).sum(axis=0) / n_exp - (yf * ~exposed).sum(axis=0) / n_un
    null = stat[1:][np.isfinite(stat[1:])]
    p = (1 + np.sum(np.abs(null) >= abs(stat[0]))) / (len(null) + 1)
    return NeighbourTest(metric, int(focal.sum()), int(n_exp[0]), float(stat[0]), float(p), draws)


def _neighbour_arms(
    treated: np.ndarray, focal: np.ndarray, neighbour: np.ndarray, draws: int, seed: int
) -> np.ndarray:
    """Whether each focal member's neighbour is treated: column 0 as assigned, then under ``draws``
    complete re-randomisations of the non-focal members' arms (focal members' arms held fixed).

    Only the arms of the neighbours are drawn: under a uniformly random permutation of the non-focal
    members' arms, the arms landing on ``u`` given members are ``K`` treated among them, K hypergeometric
    (the pool's treated and untreated counts, u draws), placed on a uniformly random K of the u. That is
    the same distribution as permuting every member, at O(u) per draw instead of O(members)."""
    out = np.repeat(treated[neighbour][:, None], draws + 1, axis=1)
    moved = ~focal[neighbour]  # neighbours whose arm is re-drawn (a focal neighbour keeps its own)
    slots, where = np.unique(neighbour[moved], return_inverse=True)
    pool = treated[~focal]
    n_treated, u = int(pool.sum()), len(slots)
    rng = np.random.default_rng(seed)
    for k in range(1, draws + 1):
        arms = np.zeros(u, bool)
        if u:
            n = rng.hypergeometric(n_treated, len(pool) - n_treated, u)
            arms[rng.permutation(u)[:n]] = True
        out[moved, k] = arms[where]
    return out
