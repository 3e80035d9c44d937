"""How an experiment was randomised, and effects that respect it.

**Unit.** Declared (``unit="member"`` or ``"community"``), or detected: an experiment is
community-randomised when every community with at least two assigned members has all of them in one arm
and at least two communities were assigned. Members' communities come from ``members.community``.

**Community-randomised effects** (``experiment.effects(..., community=design.row_clusters)``) use
:mod:`analysis.clusters` on one row of sums per community: CR2 with Bell–McCaffrey degrees of freedom
below 50 communities, CR0 from 50 on; CUPED at the community level.
The split is checked in communities (the plan's shares against the communities per arm). The ICC of
each primary metric is estimated in the control arm, where no treatment varies between communities.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis import clusters
from analysis import experiment as ex
from analysis import stats as st
from analysis.data import DataSource, fetch
from analysis.display import HtmlRepr

__all__ = [
    "Design",
    "member_communities",
    "detect_unit",
    "design",
    "split_check",
    "split_by_tier",
    "balance",
]

UNITS = ("member", "community")


@dataclass(frozen=True)
class Design(HtmlRepr):
    """The randomisation unit and, for communities: each metric-table row's community, the
    communities per arm, the split test in communities, and the ICC and design effect of the first
    primary metric (control arm)."""

    unit: str
    detected: bool  # False: declared by the caller
    community: pd.Series  # the community of each row of the metric table
    per_arm: dict[str, int]
    srm_p_value: float
    icc: float
    design_effect: float

    @property
    def clusters(self) -> int:
        """Number of communities in the experiment (0 when members were randomised)."""
        return int(sum(self.per_arm.values()))

    @property
    def row_clusters(self) -> pd.Series | None:
        """Each row's community when communities were randomised (the unit of every analysis), else None."""
        return self.community if self.unit == "community" else None


def member_communities(src: DataSource, table: pd.DataFrame) -> pd.Series:
    """``members.community`` of each row of the metric table (fetched by an Ibis join on the
    assigned members, never the events).

    Parameters
    ----------
    src : DataSource
        The community, from :func:`analysis.open` (or ``ctx.src`` in a report).
    table : pandas.DataFrame
        From :func:`analysis.experiment.metric_table`.

    Returns
    -------
    pandas.Series
        Aligned with ``table``.
    """
    m = src.table("members")
    a = src.table("assignments")
    exp = table.attrs.get("experiment", "")
    ids = a.filter(a.experiment == exp).select(aid="member_id").distinct()
    j = m.join(ids, m.member_id == ids.aid).select("member_id", "community")
    per = fetch(j).drop_duplicates("member_id").set_index("member_id")["community"]
    return table["member_id"].map(per).astype(object).fillna("").rename("community")


def detect_unit(community: pd.Series, arm: pd.Series) -> str:
    """The randomisation unit the assignments show: ``community`` when every community with two
    or more members has one arm and there are at least two communities; else ``member``.

    Parameters
    ----------
    community : pandas.Series
        Each assigned member's community.
    arm : pandas.Series
        Each assigned member's arm.

    Returns
    -------
    {"community", "member"}

    Examples
    --------
    >>> import pandas as pd
    >>> from analysis.randomisation import detect_unit
    >>> detect_unit(pd.Series(["a", "a", "b", "b"]), pd.Series(["x", "x", "y", "y"]))
    'community'
    """
    d = pd.DataFrame({"c": community.to_numpy(), "a": arm.to_numpy()})
    g = d.groupby("c")["a"].agg(["nunique", "size"])
    big = g[g["size"] >= 2]
    return "community" if len(big) >= 2 and (big["nunique"] == 1).all() else "member"


def design(
    src: DataSource,
    table: pd.DataFrame,
    plan: ex.SplitPlan,
    unit: str = "",
    primary: Sequence[str] = ("contributions",),
) -> Design:
    """The experiment's randomisation unit with the facts the page states about a community
    design.

    Parameters
    ----------
    src : DataSource
        The community, from :func:`analysis.open` (or ``ctx.src`` in a report).
    table : pandas.DataFrame
        From :func:`analysis.experiment.metric_table`.
    plan : SplitPlan
        From :func:`analysis.experiment.planned_split`.
    unit : {"", "member", "community"}, optional
        The declared unit, or empty to detect it (:func:`detect_unit`).
    primary : sequence of str, optional
        The metric whose ICC and design effect are reported (the first one).

    Returns
    -------
    Design
        The unit; for communities each row's community, the communities per arm, the split test in
        communities, and the ICC and design effect.
    """
    if unit and unit not in UNITS:
        raise ValueError(f"unit must be one of {', '.join(UNITS)} (or empty to detect), not {unit!r}")
    community = member_communities(src, table)
    found = unit or detect_unit(community, table["arm"])
    first = community.groupby(table["arm"].to_numpy()).nunique()
    per_arm = {str(a): int(first.get(a, 0)) for a in plan.weights}
    weights = np.array([plan.weights[a] for a in per_arm], float)
    srm_p = (
        st.srm(np.array(list(per_arm.values()), float), weights).p_value if found == "community" else np.nan
    )
    sums = clusters.cluster_sums(table, community, primary[0], None) if found == "community" else None
    control = table.attrs.get("control") or ex.CONTROL_ARM
    icc = clusters.icc(sums[sums["arm"] == control]) if sums is not None else np.nan
    deff = clusters.design_effect(sums, icc) if sums is not None else 1.0
    return Design(found, not unit, community, per_arm, float(srm_p), float(icc), float(deff))


def split_check(
    design_: Design, table: pd.DataFrame, plan: ex.SplitPlan, threshold: float = 0.001
) -> pd.DataFrame:
    """The sample-ratio check in the randomisation unit: :func:`analysis.experiment.srm_table` for
    members; for communities the same columns over the communities per arm (``members`` counts communities;
    member shares follow community sizes and say nothing about the split), with no daily check.

    Parameters
    ----------
    design_ : Design
        From :func:`design`.
    table : pandas.DataFrame
        From :func:`analysis.experiment.metric_table`.
    plan : SplitPlan
        From :func:`analysis.experiment.planned_split`.
    threshold : float, optional
        Flag below this p-value (0.001).

    Returns
    -------
    pandas.DataFrame
    """
    if design_.unit == "member":
        return ex.srm_table(table, plan, threshold=threshold)
    one_row_each = pd.DataFrame({"arm": table["arm"].to_numpy(), "c": design_.community.to_numpy()})
    return ex.srm_table(one_row_each.drop_duplicates("c")[["arm"]], plan, threshold=threshold)


def split_by_tier(design_: Design, table: pd.DataFrame, plan: ex.SplitPlan) -> pd.DataFrame:
    """The split by pre-assignment tier for member randomisation; empty (same columns) for
    communities, whose tier mix differs by community by design.

    Parameters
    ----------
    design_ : Design
        From :func:`design`.
    table : pandas.DataFrame
        From :func:`analysis.experiment.metric_table`.
    plan : SplitPlan
        From :func:`analysis.experiment.planned_split`.

    Returns
    -------
    pandas.DataFrame
    """
    out = ex.srm_table(table, plan, by="tier")
    return out if design_.unit == "member" else out.iloc[0:0]


def balance(
    design_: Design,
    table: pd.DataFrame,
    covariates: Sequence[str] = ("pre_contributions", "pre_active_days", "pre_visits", "pre_checkins"),
    control: str | None = None,
    alpha: float = 0.001,
) -> pd.DataFrame:
    """Pre-period balance (:func:`analysis.experiment.balance`), with community-level tests (CR2)
    when communities were randomised.

    Parameters
    ----------
    design_ : Design
        From :func:`design`.
    table : pandas.DataFrame
        From :func:`analysis.experiment.metric_table`.
    covariates : sequence of str, optional
        Pre-period columns of the table.
    control : str, optional
        The control arm.
    alpha : float, optional
        Family-wise level of the flags (0.001).

    Returns
    -------
    pandas.DataFrame
    """
    return ex.balance(table, covariates, control=control, alpha=alpha, community=design_.row_clusters)
