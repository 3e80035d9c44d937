"""Community fission (社群裂变): who invites, how many they bring, how far cascades travel and whether
invited members are good members (docs/definitions.md, "Invitations").

- **Invite window** of a member: their local join day and the ``window_days`` - 1 days after it
  (:class:`~analysis.definitions.InviteRules`). *Invites sent* are their ``invite`` events in it;
  *invitees joined* the members naming them in ``invited_by`` who joined in it.
- **K-factor** of a join cohort: invitees joined per *eligible* member, a member whose window began
  inside the log and ended by ``as_of``. Counting every member instead (the naive K) is biased low:
  recent joiners have not finished inviting. Conversion = invitees joined / invites sent.
- **Cascade**: the invite tree under a member who was not invited. Size counts its members (the root
  included), depth its generations below the root, and structural virality (Goel et al. 2016) is the
  mean shortest-path distance over all pairs of its members.

Event-level work is Ibis; the invite tree is a member-level table and is walked in numpy.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from analysis.activity import assign_tiers, member_days_since_join, member_rows, members_frame
from analysis.cox import fit_cox, reference_levels
from analysis.data import DataSource, accepts_dates, fetch
from analysis.definitions import ALPHA, InviteRules
from analysis.display import HtmlRepr
from analysis.stats import mean_ci, spearman, wilson

__all__ = [
    "invite_members",
    "k_factor",
    "cycle_time",
    "invited_share",
    "forest",
    "cascades",
    "structural_virality",
    "cascade_summary",
    "tiers_by_month",
    "inviter_tiers",
    "largest_cascade_roots",
    "invitee_quality",
    "invitee_churn_hazard",
    "GrowthByTier",
    "who_grows",
    "Fission",
    "fission",
]

INVITED, NOT_INVITED = "invited", "not invited"  # by invited_by, whatever the channels are called


# --------------------------------------------------------------------------------------------------
# per member


@accepts_dates
def invite_members(src: DataSource, as_of: date, rules: InviteRules | None = None) -> pd.DataFrame:
    """One row per member joined by ``as_of`` with their invitations and their own first-month
    outcome. Member-level (member IDs): never on a page.

    Parameters
    ----------
    src : DataSource
        The community, from :func:`analysis.open` (or ``ctx.src`` in a report).
    as_of : date, str or pandas.Timestamp
        The last complete local day included; nothing after it is read.
    rules : InviteRules, optional
        The invite window and retention day (default :class:`analysis.definitions.InviteRules`).

    Returns
    -------
    pandas.DataFrame
        member_id, invited_by, join_day, channel, community, invites_sent and invitees_joined (inside the
        member's invite window), invitees_all (joined by ``as_of``), eligible, observable (join day +
        ``retention_day`` <= as_of), retained (active that day), contributions_d30 (contributions on local
        days 0 .. retention_day - 1 after joining), in_log (joined on or after the log's first day).
    """
    rules = rules or InviteRules()
    w, r = rules.window_days, rules.retention_day
    first = src.day_range()[0]
    m = src.members_local(as_of).select("member_id", "invited_by", "join_day", "channel", "community")
    kids = m.filter(m.invited_by.notnull()).select(kid_of="invited_by", kid_day="join_day")
    inv = m.select(iid="member_id", ijd="join_day")
    kids = kids.join(inv, kids.kid_of == inv.iid)
    offset = kids.kid_day.delta(kids.ijd, unit="day")
    joined = kids.group_by(mid=kids.kid_of).aggregate(
        invitees_joined=kids.count(where=(offset >= 0) & (offset < w)), invitees_all=kids.count()
    )
    # the member's own days from joining: invites sent in the window, day-30 activity, contributions
    j = member_days_since_join(src, as_of)
    j = j.mutate(k=j.day.delta(j.jd, unit="day"))
    j = j.filter(j.k <= max(w - 1, r))
    own = j.group_by(mid=j.member_id).aggregate(
        invites_sent=j.invites.sum(where=j.k < w),
        retained=j.count(where=j.k == r),
        contributions_d30=j.contributions.sum(where=j.k < r),
    )
    df = members_frame(src, as_of)[["member_id", "invited_by", "join_day", "channel", "community"]].copy()
    df["join_day"] = df["join_day"].astype("datetime64[ns]")
    rows = member_rows(src, as_of)  # counts come back by row of the member frame: no member_id strings
    for t in (joined, own):
        counts = fetch(t.join(rows, t.mid == rows.member_id).drop("mid", "member_id"))
        at = counts.pop("row").to_numpy()
        for c in counts:
            values = np.zeros(len(df), "int64")
            values[at] = counts[c].fillna(0).to_numpy("int64")
            df[c] = values
    df["in_log"] = df["join_day"] >= pd.Timestamp(first)
    df["eligible"] = df["in_log"] & (df["join_day"] + pd.Timedelta(days=w - 1) <= pd.Timestamp(as_of))
    df["observable"] = df["in_log"] & (df["join_day"] + pd.Timedelta(days=r) <= pd.Timestamp(as_of))
    df["retained"] = df["retained"] > 0
    return df if df["member_id"].is_monotonic_increasing else df.sort_values("member_id", ignore_index=True)


# --------------------------------------------------------------------------------------------------
# K-factor, conversion, cycle time, invited share


def month_label(days: pd.Series) -> pd.Series:
    """``YYYY-MM`` of each day (one string per distinct month: strftime is slow on a million rows)."""
    code = days.dt.year * 100 + days.dt.month
    return code.map({c: f"{c // 100}-{c % 100:02d}" for c in code.unique()})


def k_factor(per: pd.DataFrame, by: str = "cohort", alpha: float = ALPHA) -> pd.DataFrame:
    """K-factor (invitees who joined per eligible member) over members who joined inside the log
    (earlier joiners' windows were not observed), with an ``all`` row.

    Parameters
    ----------
    per : pandas.DataFrame
        From :func:`invite_members`.
    by : str, optional
        ``"cohort"`` (join month, default) or any column of ``per``.
    alpha : float, optional
        1 - confidence of the intervals (0.05).

    Returns
    -------
    pandas.DataFrame
        cohort, members, eligible, invites_sent, invitees_joined, conversion, k_factor, ci_lower,
        ci_upper (t interval of the mean invitees per eligible member), naive_k (invitees joined so far
        per member, every member counted).
    """
    if "in_log" in per:
        per = per[per["in_log"]]
    per = per.assign(cohort=month_label(per["join_day"]))
    rows = [_k_row(str(key), g, alpha) for key, g in per.groupby(by, sort=True)]
    rows.append(_k_row("all", per, alpha))
    return pd.DataFrame(rows).rename(columns={"key": by})


def _k_row(key: str, g: pd.DataFrame, alpha: float) -> dict:
    el = g[g["eligible"]]
    k, lo, hi = mean_ci(el["invitees_joined"].to_numpy(), alpha)
    sent, joined = int(el["invites_sent"].sum()), int(el["invitees_joined"].sum())
    return {
        "key": key,
        "members": len(g),
        "eligible": len(el),
        "invites_sent": sent,
        "invitees_joined": joined,
        "conversion": joined / sent if sent else float("nan"),
        "k_factor": k,
        "ci_lower": lo,
        "ci_upper": hi,
        "naive_k": float(g["invitees_all"].mean()) if len(g) else float("nan"),
    }


def cycle_time(per: pd.DataFrame) -> pd.DataFrame:
    """Days from the inviter's join to the invitee's join, by the invitee's join month and
    overall.

    Parameters
    ----------
    per : pandas.DataFrame
        From :func:`invite_members`.

    Returns
    -------
    pandas.DataFrame
        cohort, invitees, mean_days, median_days, p90_days.
    """
    pairs = per.loc[per["invited_by"].notna(), ["invited_by", "join_day"]].merge(
        per[["member_id", "join_day"]], left_on="invited_by", right_on="member_id", suffixes=("", "_inviter")
    )
    pairs["days"] = (pairs["join_day"] - pairs["join_day_inviter"]).dt.days
    pairs["cohort"] = month_label(pairs["join_day"])
    rows = [(c, g["days"]) for c, g in pairs.groupby("cohort")] + [("all", pairs["days"])]
    return pd.DataFrame(
        [
            {
                "cohort": c,
                "invitees": len(d),
                "mean_days": float(d.mean()) if len(d) else float("nan"),
                "median_days": float(d.median()) if len(d) else float("nan"),
                "p90_days": float(d.quantile(0.9)) if len(d) else float("nan"),
            }
            for c, d in rows
        ]
    )


@accepts_dates
def invited_share(per: pd.DataFrame, first: date, alpha: float = ALPHA) -> pd.DataFrame:
    """Share of new members who came by invitation (``invited_by`` set), by join week (Monday)
    inside the log.

    Parameters
    ----------
    per : pandas.DataFrame
        From :func:`invite_members`.
    first : date
        The log's first local day.
    alpha : float, optional
        1 - confidence of the intervals (0.05).

    Returns
    -------
    pandas.DataFrame
        week, new_members, invited, share, ci_lower, ci_upper (Wilson).
    """
    new = per[per["join_day"] >= pd.Timestamp(first)]
    week = new["join_day"] - pd.to_timedelta(new["join_day"].dt.weekday, unit="D")
    g = new.assign(week=week.dt.date, invited=new["invited_by"].notna()).groupby("week")
    out = g.agg(new_members=("member_id", "size"), invited=("invited", "sum")).reset_index()
    out["share"] = out["invited"] / out["new_members"]
    bounds = [wilson(k, n, alpha) for k, n in zip(out["invited"], out["new_members"], strict=True)]
    out["ci_lower"], out["ci_upper"] = [b[0] for b in bounds], [b[1] for b in bounds]
    return out


# --------------------------------------------------------------------------------------------------
# the invite forest


def forest(member_ids: np.ndarray, invited_by: np.ndarray) -> pd.DataFrame:
    """Every member's place in the invite forest. An ``invited_by`` outside ``member_ids`` makes the
    member a root.

    Parameters
    ----------
    member_ids : numpy.ndarray
        Member IDs.
    invited_by : numpy.ndarray
        Each member's inviter (None or empty for none).

    Returns
    -------
    pandas.DataFrame
        member_id, root (the uninvited member at the top of their tree), generation (0 for a root),
        subtree (members in their subtree, themselves included).

    Examples
    --------
    >>> import numpy as np
    >>> from analysis.growth import forest
    >>> tree = forest(np.array(["a", "b", "c"]), np.array([None, "a", "b"]))
    >>> tree[["member_id", "root", "generation", "subtree"]]
      member_id root  generation  subtree
    0         a    a           0        3
    1         b    a           1        2
    2         c    a           2        1
    """
    ids = np.asarray(member_ids, dtype=object)
    pos = pd.Index(ids)
    parent = pos.get_indexer(pd.Series(invited_by, dtype=object).where(pd.notna(invited_by), None))
    n = ids.size
    root, gen = np.arange(n), np.zeros(n, dtype=np.int64)
    up = parent.copy()
    while (up >= 0).any():  # climb one generation per pass (depth is small)
        climbing = up >= 0
        root[climbing] = up[climbing]
        gen[climbing] += 1
        up[climbing] = parent[up[climbing]]
        if gen.max() > n:
            raise ValueError("invited_by forms a cycle")
    subtree = np.ones(n, dtype=np.int64)
    for g in range(int(gen.max()), 0, -1):  # deepest first: each member adds its subtree to its parent
        at = np.flatnonzero(gen == g)
        np.add.at(subtree, parent[at], subtree[at])
    return pd.DataFrame({"member_id": ids, "root": ids[root], "generation": gen, "subtree": subtree})


def cascades(tree: pd.DataFrame) -> pd.DataFrame:
    """One row per cascade (invite tree). The mean distance over all pairs of a tree's n members
    is its Wiener index / C(n, 2), and the Wiener index is the sum over edges of s · (n - s), s the members
    below the edge.

    Parameters
    ----------
    tree : pandas.DataFrame
        From :func:`forest`.

    Returns
    -------
    pandas.DataFrame
        root, size, depth, structural_virality (NaN for a single member).

    References
    ----------
    Goel, Anderson, Hofman and Watts (2016), "The structural virality of online diffusion", Management
    Science 62(1).
    """
    by_root = tree.groupby("root", sort=False)
    out = pd.DataFrame({"size": by_root.size(), "depth": by_root["generation"].max()})
    kids = tree[tree["generation"] > 0]
    n = out["size"].reindex(kids["root"]).to_numpy()
    s = kids["subtree"].to_numpy()
    wiener = pd.Series(s * (n - s), index=kids["root"].to_numpy()).groupby(level=0).sum()
    out["wiener"] = wiener.reindex(out.index).fillna(0).to_numpy()
    pairs = out["size"] * (out["size"] - 1) / 2
    out["structural_virality"] = out["wiener"] / pairs.where(pairs > 0)
    return out.drop(columns="wiener").rename_axis("root").reset_index()


def structural_virality(invited_by: dict[str, str | None]) -> float:
    """Structural virality (mean distance between all pairs) of one tree.

    Parameters
    ----------
    invited_by : dict of str to str or None
        member -> inviter, the root's inviter None.

    Returns
    -------
    float
        NaN for a single member.

    Examples
    --------
    A chain of four members is more viral than a star of four (one member inviting three):

    >>> from analysis.growth import structural_virality
    >>> chain = {"a": None, "b": "a", "c": "b", "d": "c"}
    >>> star = {"a": None, "b": "a", "c": "a", "d": "a"}
    >>> round(structural_virality(chain), 3), structural_virality(star)
    (1.667, 1.5)
    """
    tree = forest(np.array(list(invited_by), dtype=object), np.array(list(invited_by.values()), dtype=object))
    (value,) = cascades(tree)["structural_virality"]
    return float(value)


def cascade_summary(casc: pd.DataFrame) -> pd.DataFrame:
    """Cascades by (size, depth).

    Parameters
    ----------
    casc : pandas.DataFrame
        From :func:`cascades`.

    Returns
    -------
    pandas.DataFrame
        size, depth, cascades, structural_virality_mean (empty for size 1).
    """
    out = casc.groupby(["size", "depth"], as_index=False).agg(
        cascades=("root", "size"), structural_virality_mean=("structural_virality", "mean")
    )
    return out.sort_values(["size", "depth"]).reset_index(drop=True)


# --------------------------------------------------------------------------------------------------
# tiers at the time of inviting


@accepts_dates
def tiers_by_month(src: DataSource, per: pd.DataFrame, as_of: date) -> dict[pd.Timestamp, pd.DataFrame]:
    """Tiers at the day before each join month of an invitee inside the log (the tier an inviter
    had when the month's invitations landed); months starting on the log's first day have none.

    Parameters
    ----------
    src : DataSource
        The community, from :func:`analysis.open` (or ``ctx.src`` in a report).
    per : pandas.DataFrame
        From :func:`invite_members`.
    as_of : date, str or pandas.Timestamp
        The last complete local day included; nothing after it is read.

    Returns
    -------
    dict of pandas.Timestamp to pandas.DataFrame
        Month start -> :func:`analysis.activity.assign_tiers` output.
    """
    first = src.day_range()[0]
    invited = per.loc[per["invited_by"].notna() & (per["join_day"] >= pd.Timestamp(first)), "join_day"]
    months = sorted(set(invited.dt.to_period("M").dt.start_time))
    out = {}
    for start in months:
        ref = (start - pd.Timedelta(days=1)).date()
        if ref >= first:
            out[start] = assign_tiers(src, ref, as_of=as_of)[["member_id", "tier"]].astype({"tier": object})
    return out


def inviter_tiers(per: pd.DataFrame, tiers: dict[pd.Timestamp, pd.DataFrame]) -> pd.Series:
    """For each invitee the inviter's tier at the start of the invitee's join month.

    Parameters
    ----------
    per : pandas.DataFrame
        From :func:`invite_members`.
    tiers : dict of pandas.Timestamp to pandas.DataFrame
        From :func:`tiers_by_month`.

    Returns
    -------
    pandas.Series
        Indexed like ``per``; ``unknown`` where no tiers exist (the log's first month, joins before the
        log).
    """
    inv = per[per["invited_by"].notna()]
    month = inv["join_day"].dt.to_period("M").dt.start_time
    out = pd.Series("unknown", index=inv.index, dtype=object)
    for start, t in tiers.items():
        at = month == start
        tier = t.set_index("member_id")["tier"].astype(object)
        out[at] = inv.loc[at, "invited_by"].map(tier).fillna("unknown").to_numpy()
    return out


def largest_cascade_roots(
    per: pd.DataFrame, casc: pd.DataFrame, tiers: dict[pd.Timestamp, pd.DataFrame], top: int
) -> pd.DataFrame:
    """The roots of the ``top`` largest cascades (size >= 2) by their tier when their first
    invitee joined. Aggregated: no member IDs.

    Parameters
    ----------
    per : pandas.DataFrame
        From :func:`invite_members`.
    casc : pandas.DataFrame
        From :func:`cascades`.
    tiers : dict of pandas.Timestamp to pandas.DataFrame
        From :func:`tiers_by_month`.
    top : int
        How many cascades.

    Returns
    -------
    pandas.DataFrame
        tier, roots, share, members (in those cascades).
    """
    big = casc[casc["size"] >= 2].nlargest(top, ["size", "depth"])
    kid_tier = inviter_tiers(per, tiers)
    first_kid = (
        per.loc[kid_tier.index].assign(tier=kid_tier).sort_values("join_day").drop_duplicates("invited_by")
    )
    tier = big["root"].map(first_kid.set_index("invited_by")["tier"]).fillna("unknown")
    out = (
        big.assign(tier=tier)
        .groupby("tier", as_index=False)
        .agg(roots=("root", "size"), members=("size", "sum"))
    )
    out["share"] = out["roots"] / out["roots"].sum() if len(out) else []
    return (
        out[["tier", "roots", "share", "members"]]
        .sort_values("roots", ascending=False)
        .reset_index(drop=True)
    )


# --------------------------------------------------------------------------------------------------
# quality of invited members, and who grows the community


def invitee_quality(per: pd.DataFrame, kid_tier: pd.Series, alpha: float = ALPHA) -> pd.DataFrame:
    """D30 retention and first-month contributions of members who joined inside the log, by how
    they came: ``invited`` and ``not invited`` (``invited_by`` set or not, whatever the sign-up channels are
    called), ``channel: X`` for every channel, and ``invited by: TIER`` by the inviter's tier at the time.
    Only members whose day 30 is observable count.

    Parameters
    ----------
    per : pandas.DataFrame
        From :func:`invite_members`.
    kid_tier : pandas.Series
        From :func:`inviter_tiers`.
    alpha : float, optional
        1 - confidence of the intervals (0.05).

    Returns
    -------
    pandas.DataFrame
        group, members, retained_d30, rate, ci_lower, ci_upper (Wilson), rate_cohort_adjusted (each join
        month weighted as in all observable members), contributions_d30_mean.
    """
    obs = per[per["observable"]].assign(month=lambda d: month_label(d["join_day"]))
    mix = obs["month"].value_counts(normalize=True)
    invited = obs["invited_by"].notna()
    groups = [(INVITED, obs[invited]), (NOT_INVITED, obs[~invited])]
    groups += [(f"channel: {c}", g) for c, g in obs.groupby(obs["channel"].fillna("(none)"))]
    tiers = kid_tier.reindex(obs.index).dropna()
    groups += [(f"invited by: {t}", obs.loc[tiers.index[tiers == t]]) for t in sorted(tiers.unique())]
    rows = []
    for name, g in groups:
        k, n = int(g["retained"].sum()), len(g)
        lo, hi = wilson(k, n, alpha)
        by_month = g.groupby("month")["retained"].mean()
        w = mix.reindex(by_month.index)
        rows.append(
            {
                "group": name,
                "members": n,
                "retained_d30": k,
                "rate": k / n if n else float("nan"),
                "ci_lower": lo,
                "ci_upper": hi,
                "rate_cohort_adjusted": float((by_month * w).sum() / w.sum()) if n else float("nan"),
                "contributions_d30_mean": float(g["contributions_d30"].mean()) if n else float("nan"),
            }
        )
    return pd.DataFrame(rows)


def invitee_churn_hazard(churn: pd.DataFrame, reference: str = "organic") -> pd.DataFrame:
    """Churn hazard ratio of each sign-up channel against ``reference``, stratified by join
    month (each month its own baseline hazard).

    Parameters
    ----------
    churn : pandas.DataFrame
        From :func:`analysis.survival.churn_table`.
    reference : str, optional
        The reference channel (``"organic"``; the largest channel when absent).

    Returns
    -------
    pandas.DataFrame
        covariate, hazard_ratio, ci_lower, ci_upper, p_value; ``attrs["notes"]`` says when the reference
        was replaced.
    """
    df = churn.assign(
        channel=churn["channel"].fillna("(none)"),
        month=month_label(pd.to_datetime(churn["join_day"])),
        t=churn["duration"] - churn.get("entry", 0),
    )
    df = df[df["t"] > 0]
    refs, notes = reference_levels(df, {"channel": reference})
    if not refs:
        out = pd.DataFrame(columns=["covariate", "hazard_ratio", "ci_lower", "ci_upper", "p_value"])
    else:
        fit = fit_cox(df, refs, duration="t", event="event", strata="month", ph_check=False)
        out = fit.hazard_ratios[["covariate", "hazard_ratio", "ci_lower", "ci_upper", "p_value"]].copy()
    out.attrs["notes"] = notes
    return out


@dataclass(frozen=True)
class GrowthByTier(HtmlRepr):
    """Who brings the invitees: per tier the share of invitees against the share of members."""

    table: pd.DataFrame  # tier, invitees, invitee_share, member_share, ratio
    rho: float  # Spearman: contribution score at as_of vs invitees retained at D30
    rho_ci: tuple[float, float]
    members: int


def who_grows(
    per: pd.DataFrame,
    kid_tier: pd.Series,
    tiers: dict[pd.Timestamp, pd.DataFrame],
    tiers_now: pd.DataFrame,
    alpha: float = ALPHA,
) -> GrowthByTier:
    """Invitees brought by each tier against that tier's share of members at the same dates
    (weighted by the invitees of each month), and Spearman's rank correlation between every member's
    contribution score and the number of their invitees retained at D30.

    Parameters
    ----------
    per : pandas.DataFrame
        From :func:`invite_members`.
    kid_tier : pandas.Series
        From :func:`inviter_tiers`.
    tiers : dict of pandas.Timestamp to pandas.DataFrame
        From :func:`tiers_by_month`.
    tiers_now : pandas.DataFrame
        :func:`analysis.activity.assign_tiers` at ``as_of``.
    alpha : float, optional
        1 - confidence of the intervals (0.05).

    Returns
    -------
    GrowthByTier
    """
    known = kid_tier[kid_tier != "unknown"]
    month = per.loc[known.index, "join_day"].dt.to_period("M").dt.start_time
    weights = month.value_counts(normalize=True)
    shares = [tiers[m]["tier"].value_counts(normalize=True) * w for m, w in weights.items()]
    member_share = pd.concat(shares).groupby(level=0).sum() if shares else pd.Series(dtype=float)
    counts = known.value_counts()
    out = pd.DataFrame(
        {"invitees": counts, "invitee_share": counts / counts.sum(), "member_share": member_share}
    )
    out = out.fillna({"invitees": 0, "invitee_share": 0.0}).rename_axis("tier").reset_index()
    out["invitees"] = out["invitees"].astype("int64")
    out["ratio"] = out["invitee_share"] / out["member_share"].where(out["member_share"] > 0)
    retained = per[per["invited_by"].notna() & per["retained"]].groupby("invited_by").size()
    scored = tiers_now[["member_id", "score"]].assign(kept=lambda d: d["member_id"].map(retained).fillna(0))
    rho, lo, hi = spearman(scored["score"].to_numpy(), scored["kept"].to_numpy(), alpha)
    return GrowthByTier(
        out.sort_values("invitees", ascending=False).reset_index(drop=True), rho, (lo, hi), len(scored)
    )


# --------------------------------------------------------------------------------------------------
# everything the growth section shows


@dataclass(frozen=True)
class Fission(HtmlRepr):
    """The fission analysis at ``as_of``: tidy tables (aggregated, no member IDs) plus the largest
    cascades' roots (member IDs: restricted exports only)."""

    k_factor: pd.DataFrame
    cycle_time: pd.DataFrame
    invited_share: pd.DataFrame
    cascades: pd.DataFrame
    largest_roots_by_tier: pd.DataFrame
    quality: pd.DataFrame
    growth: GrowthByTier
    largest_roots: pd.DataFrame  # member IDs
    rules: InviteRules


@accepts_dates
def fission(
    src: DataSource,
    as_of: date,
    tiers_now: pd.DataFrame,
    rules: InviteRules | None = None,
    alpha: float = ALPHA,
) -> Fission:
    """Every table of the growth (社群裂变) section. The churn hazard of invited members
    (:func:`invitee_churn_hazard`) belongs to the churn report, which builds the churn table.

    Parameters
    ----------
    src : DataSource
        The community, from :func:`analysis.open` (or ``ctx.src`` in a report).
    as_of : date, str or pandas.Timestamp
        The last complete local day included; nothing after it is read.
    tiers_now : pandas.DataFrame
        :func:`analysis.activity.assign_tiers` at ``as_of``.
    rules : InviteRules, optional
        The invite window and retention day.
    alpha : float, optional
        1 - confidence of the intervals (0.05).

    Returns
    -------
    Fission
        Tidy aggregated tables, plus the largest cascades' roots (member IDs: restricted exports only).
    """
    rules = rules or InviteRules()
    per = invite_members(src, as_of, rules)
    casc = cascades(forest(per["member_id"].to_numpy(), per["invited_by"].to_numpy()))
    monthly = tiers_by_month(src, per, as_of)
    kid_tier = inviter_tiers(per, monthly)
    top = casc[casc["size"] >= 2].nlargest(rules.largest_cascades, ["size", "depth"])
    return Fission(
        k_factor=k_factor(per, alpha=alpha),
        cycle_time=cycle_time(per),
        invited_share=invited_share(per, src.day_range()[0], alpha),
        cascades=cascade_summary(casc),
        largest_roots_by_tier=largest_cascade_roots(per, casc, monthly, rules.largest_cascades),
        quality=invitee_quality(per, kid_tier, alpha),
        growth=who_grows(per, kid_tier, monthly, tiers_now, alpha),
        largest_roots=top.rename(columns={"root": "member_id"}).reset_index(drop=True),
        rules=rules,
    )
