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

import pandas as pd

from analysis.clusters import cell_contrast
from analysis.definitions import ALPHA

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
