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

import numpy as np
import pandas as pd

from analysis.clusters import cell_contrast
from analysis.definitions import ALPHA
from analysis.experiment import PRE_COVARIATE

COLUMNS = ["saturation", "effect_type", "effect", "se", "df", "ci_lower", "ci_upper", "p_value"]


def saturation_effects(cells: pd.DataFrame, alpha: float = ALPHA) -> pd.DataFrame:
    """Direct, spillover and total effects at each saturation above 0, from one row per community and
    treatment status: ``cluster``, ``saturation``, ``treated`` (bool), ``n``, ``sum_y``. Pure control
    communities (saturation 0) must be present."""
    d = cells.assign(
        cell=list(zip(cells["saturation"].astype(float), cells["treated"].astype(bool), strict=True))
    )
    if not ((d["saturation"] == 0) & ~d["treated"].astype(bool)).any():
        raise ValueError("a saturation design needs pure control communities (saturation 0)")
    rows = []
    for s in sorted(x for x in d["saturation"].astype(float).unique() if x > 0):
        treated, untreated, pure = (s, True), (s, False), (0.0, False)
        for kind, coef in (
            ("direct", {treated: 1.0, untreated: -1.0}),
            ("spillover", {untreated: 1.0, pure: -1.0}),
            ("total", {treated: 1.0, pure: -1.0}),
        ):
            if not all(c in set(d["cell"]) for c in coef):
                continue
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
    """Each community's saturation: 0 where no assigned member was treated (pure control); otherwise the
    nearest of the design's ``levels`` to its treated share, or (no levels given) the mean treated share
    of all communities with treated members, rounded to 0.01 (one pooled saturation)."""
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
) -> pd.DataFrame:
    """Direct, spillover and total effects of an experiment's treatment arms (pooled: treated = any arm
    but ``control``) by saturation, for each metric, from the metric table and each row's community.
    ``cuped``: each metric adjusted for its pre-period value (the slope pooled within community and
    treatment cells, so it carries no treatment effect). Empty (same columns) when no community is pure
    control or none has treated members: spillover is then not identified."""
    level = community_levels(table, community, control, levels)
    if not ((level == 0).any() and (level > 0).any()):
        return pd.DataFrame(columns=TABLE_COLUMNS)
    arms = sorted(str(a) for a in table["arm"].unique() if a != control)
    rows = []
    for metric in metrics:
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
    return pd.concat(rows, ignore_index=True)[TABLE_COLUMNS]
