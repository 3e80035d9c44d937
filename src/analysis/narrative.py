"""Sentences for the report pages, written from results and from the definitions actually used.

Computation modules return numbers; the words a stakeholder reads are made here, so a page states the
values of its run (a changed weight or churn threshold shows up in the text, not only in the numbers).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import pandas as pd

from analysis.cox import CoxFit
from analysis.definitions import ALPHA, CONTRIBUTION_TYPES
from analysis.formats import fmt
from analysis.i18n import Translator

EN = Translator("en")

Definitions = list[tuple[str, str]]


def _num(v: float) -> str:
    return f"{v:g}"


def weights_text(weights: Mapping[str, float]) -> str:
    """``post × 5, comment × 3, share × 2, like × 1`` from the weights in use."""
    return ", ".join(f"{t} × {_num(float(weights.get(t, 0)))}" for t in CONTRIBUTION_TYPES)


def tier_definitions(rules) -> Definitions:
    """The tier rules of a :class:`~analysis.segments.TierRules`, in words."""
    return [
        ("Contribution score", f"over the trailing {rules.window_days} days, {weights_text(rules.weights)}."),
        (
            "Core",
            f"among members with at least 1 contribution and at least {rules.core_min_active_days} active "
            "days "
            f"in the window, everyone scoring at least the score at rank ⌈{_num(rules.core_share)} × n⌉ "
            f"(the top {rules.core_share:.0%}); ties at the cut are all core.",
        ),
        ("Active", f"other contributors, or {rules.active_min_days}+ active days."),
        ("Novice", "joined within the window and not core or active."),
        ("Lurker", "active without contributing. Dormant: no activity in the window."),
    ]


def experiment_scope(table: pd.DataFrame, control: str, metric_days: int) -> list[str]:
    """Who is in the experiment analysis and what is measured."""
    return [
        f"Experiment {table.attrs.get('experiment', '')}: {len(table):,} members assigned to one arm, "
        f"{table.attrs.get('multiple_exposure', 0):,} left out because they were assigned to more than one. "
        f"Every scheme is compared with the control arm, {control}. Metrics count the {metric_days} days "
        "after "
        f"each member's assignment; tiers are as of {table.attrs.get('tier_reference_date', '')}, the day "
        "before "
        "the first assignment."
    ]


def srm_caption(srm: pd.DataFrame, plan) -> str:
    """Caption of the split check, saying what the split was checked against."""
    against = (
        "the planned split"
        if plan.known
        else ("equal shares, because the data carry no planned split (no arms table)")
    )
    verdict = "FLAGGED, effects below are not reliable" if srm["flagged"].any() else "none detected"
    return f"Sample-ratio mismatch against {against}: {verdict}"


def srm_by_tier_sentence(srm_by_tier: pd.DataFrame) -> str:
    flag = srm_by_tier.groupby("tier")["flagged"].any()
    if flag.any():
        return "Split by pre-assignment tier: mismatch in " + ", ".join(map(str, flag[flag].index)) + "."
    return "Split by pre-assignment tier: no tier shows a mismatch."


def experiment_definitions(metric_days: int, control: str, tier_rules) -> Definitions:
    return [
        (
            "Window",
            f"events in [assigned_at, assigned_at + {metric_days} days); the pre-period is the "
            f"{metric_days} days before assignment.",
        ),
        (
            "Control arm",
            f"{control} (from the arms table's is_control, or the arm named control without one).",
        ),
        (
            "Retained at day 14 / 30",
            "active on a local day 8-14 / 24-30 after the assignment day (day 0); "
            "counted only when that day has passed.",
        ),
        (
            "Effect",
            "treatment mean minus control mean (Welch t-test); the lift divides by the control mean. "
            "CUPED subtracts θ × the pre-period value, θ pooled over the two arms compared; the "
            "novelty, composition and cost sections use the same CUPED estimate.",
        ),
        (
            "Multiple exposure",
            "members assigned to more than one arm are left out. contributions_capped caps "
            "contributions at the 99.9th percentile of non-zero values.",
        ),
        ("Pre-assignment tiers", "the tier rules below, at the day before the first assignment."),
        *tier_definitions(tier_rules),
    ]


def churn_method(churn: pd.DataFrame, lm: pd.DataFrame, cox, rules) -> list[str]:
    """How churn, censoring, the landmark and left truncation were handled, with the counts."""
    a = churn.attrs
    lt = a.get("left_truncated", 0)
    out = [
        f"How this was measured: a member churns at their last active day before {rules.churn_days} inactive "
        f"days in a row. That is only visible {rules.churn_days} days later, so follow-up ends on "
        f"{a['cutoff']} "
        "for everyone.",
        f"Tier, channel and activity are measured in each member's first {rules.landmark_days} days and the "
        "clock starts after them, so that survival time is never credited to activity that came later.",
        f"Left out: {a.get('joined_after_cutoff', 0):,} members who joined after the cutoff and "
        f"{lm.attrs.get('dropped_before_landmark', 0):,} who churned or were censored before day "
        f"{rules.landmark_days}.",
    ]
    if rules.left_truncation == "exclude":
        out.append(f"{lt:,} members who joined before the activity log began are left out.")
    else:
        unknown = lm.attrs.get("covariates_unknown", 0)
        out.append(
            f"{lt:,} members joined before the activity log began; those active in its first "
            f"{rules.churn_days} "
            f"days enter the curves late, at the log's first day. Their first {rules.landmark_days} days are "
            f"not in the log, so {unknown:,} of them have no tier at the landmark: they are in the overall "
            "curve but not in the tier groups or the Cox model."
        )
    if cox.left_out:
        out.append(f"The Cox model leaves out {cox.left_out:,} members whose covariates are unknown.")
    return out


def cox_caption(cox, references: Mapping[str, str]) -> str:
    refs = "; ".join(f"{var.replace('lm_', '')} {ref}" for var, ref in references.items())
    return (
        f"Cox proportional hazards (Efron ties; robust standard errors), {cox.members:,} members, "
        f"{cox.events:,} churned; reference groups: {refs or 'none'}; concordance {cox.concordance:.2f}"
    )


def rmst_caption(rmst: pd.DataFrame, asked_tau: float) -> str:
    if rmst.empty:
        return "Restricted mean lifetime: no groups to compare"
    tau = float(rmst["tau"].iloc[0])
    cut = (
        (
            f" (asked for {asked_tau:g}; lowered to the shortest follow-up among the groups, so no curve is "
            "extrapolated)"
        )
        if tau < asked_tau
        else ""
    )
    return (
        f"Mean days without churning within the first {tau:g} days after the landmark{cut} (Greenwood SE), "
        f"and the difference to {rmst['reference'].iloc[0]}"
    )


def churn_definitions(rules, tier_rules) -> Definitions:
    return [
        (
            "Churn",
            f"the last active day before a run of {rules.churn_days} inactive days; the join day counts "
            "as active.",
        ),
        (
            "Censoring",
            f"members not churned by as of − {rules.churn_days} days are censored there (censoring at "
            "the last active day or at as of overstates survival).",
        ),
        (
            "Landmark",
            f"covariates from the first {rules.landmark_days} days after joining; members churned or "
            "censored before it are left out; time counts from it.",
        ),
        (
            "Landmark tier",
            f"the tier rules applied to those first days (core = top {rules.tiers.core_share:.0%} of "
            "eligible contributors pooled over all members at their landmark; no novice tier).",
        ),
        (
            "Left truncation",
            "members who joined before the log are left out (exclude) or enter late at the "
            "log's first day (entry), at risk only after that day.",
        ),
        (
            "RMST",
            "the area under the survival curve up to τ, with the Greenwood standard error; τ is at most "
            "the shortest of the groups' longest follow-up.",
        ),
        ("Current tiers (risk table)", "the tier rules below, at as of."),
        *tier_definitions(tier_rules),
    ]


def migration_definitions() -> Definitions:
    return [
        (
            "Migration",
            "the same members' tiers at two reference dates; not yet joined are members who joined "
            "in between.",
        )
    ]


# --------------------------------------------------------------------------------------------------
# KPIs


def _change(x: float, t: Translator) -> str:
    """A relative change of a count against the previous period, in words."""
    if x != x:  # NaN
        return t("no earlier period to compare with")
    if not x:
        return t("unchanged on the previous period")
    word = t("up {pct} on the previous period") if x > 0 else t("down {pct} on the previous period")
    return word.format(pct=f"{abs(x):.1%}")


def _overlap(period: Any, window: Any) -> bool:
    return window is not None and period.start <= window.end and window.start <= period.end


def like_with_like(period: Any, highlight: Any, label: str, t: Translator = EN) -> str:
    """The sentence that warns when the current or the previous window overlaps a highlighted period
    (a festival, a campaign): its changes then compare unlike weeks. Empty when neither does."""
    if period is None or highlight is None:
        return ""
    name = label or t("highlighted period")
    span = t.span(highlight.start, highlight.end)
    if _overlap(period, highlight):
        return t(
            "These days include the {name} ({span}): changes against the days before compare it with "
            "ordinary days.",
            name=name,
            span=span,
        )
    if _overlap(period.previous(), highlight):
        return t(
            "The days before include the {name} ({span}): falls against them are partly the {name} "
            "ending, not a decline.",
            name=name,
            span=span,
        )
    return ""


def headline(
    cmp: pd.DataFrame,
    two_week: pd.DataFrame | None = None,
    period: Any = None,
    highlight: Any = None,
    highlight_label: str = "",
    t: Translator = EN,
) -> list[str]:
    """Plain-language sentences for stakeholders from :func:`compare_periods` output. Counts change in
    percent, rates (shares, retention) in percentage points; the first sentence warns when the period
    compared overlaps the highlighted one (``highlight``, a ``kpi.Period``)."""
    c = cmp.set_index("metric")
    when = t.span(period.start, period.end) if period is not None else cmp.attrs.get("current", "")
    out = [
        like_with_like(period, highlight, highlight_label, t),
        t(
            "In {period}, {uv} members visited (UV), {change}; on an average day {dau} were active.",
            period=when,
            uv=t.count(c.loc["uv", "current"]),
            change=_change(c.loc["uv", "change_vs_previous"], t),
            dau=t.count(c.loc["mean_dau", "current"]),
        ),
        t(
            "{contributors} members contributed {contributions} posts, comments, shares and likes "
            "({change}); the top 10% of contributors made {top10} of them ({top10_change} on the previous "
            "period) and the top 1% {top1}.",
            contributors=t.count(c.loc["contributors", "current"]),
            contributions=t.count(c.loc["contributions", "current"]),
            change=_change(c.loc["contributions", "change_vs_previous"], t),
            top10=f"{c.loc['top10_share', 'current']:.0%}",
            top10_change=t.points(c.loc["top10_share", "current"] - c.loc["top10_share", "previous"]),
            top1=f"{c.loc['top1_share', 'current']:.0%}",
        ),
        t(
            "{n} new members joined ({change}).",
            n=t.count(c.loc["new_members", "current"]),
            change=_change(c.loc["new_members", "change_vs_previous"], t),
        ),
    ]
    if c.loc["uv", "year_earlier"] == c.loc["uv", "year_earlier"]:
        out.append(
            t("Against the same days a year earlier, UV changed by {change}.",
              change=f"{c.loc['uv', 'change_vs_year_earlier']:+.1%}")
        )  # fmt: skip
    if two_week is not None and len(two_week):
        last = two_week.iloc[-1]
        before = two_week.iloc[-2]["rate"] if len(two_week) > 1 else float("nan")
        out.append(
            t(
                "Of the {n} members active in the two weeks {span}, {rate} were active again in the "
                "following two weeks ({change} on the two weeks before).",
                n=t.count(last["active"]),
                span=t.span(last["block_start"], last["block_end"]),
                rate=f"{last['rate']:.0%}",
                change=t.points(last["rate"] - before) if before == before else t("no earlier period"),
            )
        )
    return [x for x in out if x]


COMPARE_LABELS = {
    "uv": ("UV (distinct visitors)", "int"),
    "active_members": ("active members", "int"),
    "mean_dau": ("average DAU", "int"),
    "contributions": ("contributions", "int"),
    "contributors": ("contributors", "int"),
    "contributions_per_contributor": ("contributions per contributor", "float2"),
    "new_members": ("new members", "int"),
    "top1_share": ("share of contributions from the top 1%", "pct"),
    "top10_share": ("share of contributions from the top 10%", "pct"),
}


def _delta(now: float, then: float, relative: float, kind: str, t: Translator) -> str:
    """A change as read: a rate in percentage points, anything else in percent."""
    if kind == "pct":
        return t.points(now - then) if then == then else fmt(float("nan"))
    return fmt(relative, "signed_pct")


def compare_caption(cmp: pd.DataFrame, period: Any, t: Translator = EN) -> str:
    """What the comparison table compares, naming the year-earlier window only when it is shown."""
    span = t.span(period.start, period.end)
    if cmp["year_earlier"].isna().all():
        return t("{span} against the {n} days before it", span=span, n=period.days)
    return t(
        "{span} against the {n} days before it and the same days a year earlier", span=span, n=period.days
    )


def compare_table(cmp: pd.DataFrame, t: Translator = EN) -> pd.DataFrame:
    """:func:`compare_periods` with readable labels and values formatted per metric (strings); a change
    of a share is in percentage points. The year-earlier columns appear only when the data cover them."""
    rows = []
    for r in cmp.itertuples():
        label, kind = COMPARE_LABELS.get(r.metric, (r.metric, "float2"))
        rows.append(
            {
                t("metric"): t(label),
                t("current"): fmt(r.current, kind),
                t("previous period"): fmt(r.previous, kind),
                t("change"): _delta(r.current, r.previous, r.change_vs_previous, kind, t),
                t("a year earlier"): fmt(r.year_earlier, kind),
                t("change vs a year earlier"): _delta(
                    r.current, r.year_earlier, r.change_vs_year_earlier, kind, t
                ),
            }
        )
    out = pd.DataFrame(rows)
    if cmp["year_earlier"].isna().all():
        out = out.drop(columns=[t("a year earlier"), t("change vs a year earlier")])
    return out


# --------------------------------------------------------------------------------------------------
# churn


def _pct_change(hr: float) -> str:
    if hr < 1:
        return f"{1 - hr:.0%} less likely"
    return f"{hr - 1:.0%} more likely"


def churn_findings(
    cox: CoxFit,
    summary: pd.DataFrame,
    churn: pd.DataFrame,
    landmark: pd.DataFrame,
    reference_labels: Mapping[str, str],
) -> list[str]:
    """Plain-language sentences for stakeholders from a Cox fit and KM summaries."""
    out = []
    hr = cox.hazard_ratios.set_index("covariate")
    all_row = summary[summary["group"] == "all"].iloc[0]
    med = all_row["median"]
    med_txt = (
        f"half of them had churned {med:.0f} days after it"
        if med == med
        else "fewer than half had churned by the end of follow-up"
    )
    observed = [(t, all_row[f"s{t}"]) for t in (30, 90) if all_row[f"s{t}"] == all_row[f"s{t}"]]
    missing = [t for t in (30, 90) if all_row[f"s{t}"] != all_row[f"s{t}"]]
    said = " and ".join(f"{v:.0%} had not churned {t} days later" for t, v in observed)
    if missing:
        follow = int(landmark["t"].max()) if len(landmark) else 0
        gap = (
            f"{' and '.join(map(str, missing))} days later is not yet observable: follow-up after the "
            f"landmark reaches only {follow} days so far"
        )
        said = f"{said}; {gap}" if said else gap
    out.append(
        f"Of {len(landmark):,} members still around {landmark.attrs.get('landmark_days', 14)} days after "
        "joining, "
        f"{said}; {med_txt}."
    )
    for var, ref in reference_labels.items():
        rows = hr[hr.index.str.startswith(f"{var}[")]
        sig = rows[rows["p_value"] < ALPHA].sort_values("hazard_ratio")
        if sig.empty:
            continue
        parts = [
            f"{c.split('[', 1)[1].rstrip(']')} members are {_pct_change(r.hazard_ratio)} to churn in any "
            "given week"
            for c, r in sig.iterrows()
        ]
        out.append(f"Compared with {ref} ({var.replace('lm_', '')}), " + "; ".join(parts) + ".")
    churned = churn[churn["event"]]
    if len(churned):
        out.append(
            f"{churned['came_back'].mean():.0%} of the members who churned were active again later: "
            f"churn by inactivity is not always final."
        )
    return out


def summary_table(summary: pd.DataFrame, at: Sequence[int] = (30, 60, 90)) -> pd.DataFrame:
    """:func:`survival_summary` for readers: one column per quantity, each "value (CI low - high)"."""

    def ci(v, lo, hi, kind, missing="n/a"):
        return f"{fmt(v, kind)} ({fmt(lo, kind)} - {fmt(hi, kind)})" if v == v else missing

    out = pd.DataFrame(
        {
            "group": summary["group"],
            "members": summary["members"].map(lambda v: fmt(v, "int")),
            "churned": summary["events"].map(lambda v: fmt(v, "int")),
        }
    )
    out["median days (95% CI)"] = [
        ci(r["median"], r["median_ci_lower"], r["median_ci_upper"], "int", "not reached")
        for _, r in summary.iterrows()
    ]
    for t in at:
        out[f"not churned at {t} days"] = [
            ci(r[f"s{t}"], r[f"s{t}_ci_lower"], r[f"s{t}_ci_upper"], "pct") for _, r in summary.iterrows()
        ]
    return out


# --------------------------------------------------------------------------------------------------
# core members


def core_change(
    now: pd.DataFrame,
    before: pd.DataFrame,
    ref_now: date,
    ref_before: date,
    migration: pd.DataFrame,
    conc: Mapping[str, float],
    at_risk: int,
) -> str:
    """One plain-language paragraph on what changed in the core between two reference dates."""
    n_now = int((now["tier"] == "core").sum())
    n_before = int((before["tier"] == "core").sum())
    stayed = int(migration.loc["core", "core"]) if "core" in migration.index else 0
    left = n_before - stayed
    joined = n_now - stayed
    change = (n_now - n_before) / n_before if n_before else float("nan")
    trend = "grew" if n_now > n_before else "shrank" if n_now < n_before else "held steady"
    pct = f" ({change:+.0%})" if change == change else ""
    return (
        f"On {ref_now} the core had {n_now:,} members, against {n_before:,} on {ref_before}: it "
        f"{trend}{pct}. "
        f"{stayed:,} stayed core, {joined:,} rose into it and {left:,} dropped out. "
        f"The top 10% of contributors made {conc['top10_share']:.0%} of the contribution score "
        f"(Gini {conc['gini']:.2f}). {at_risk:,} core members are at risk: their active days in the last "
        f"two weeks fell below half of the two weeks before."
    )


# --------------------------------------------------------------------------------------------------
# fission


def fission_findings(fis) -> list[str]:
    """Plain paragraphs on who brings new members and whether they stay (``analysis.growth.Fission``)."""
    w = fis.rules.window_days
    k = fis.k_factor.set_index("cohort").loc["all"]
    out = []
    if k["eligible"] > 0:
        conv = (
            f" Of the invitations they sent, {fmt(k['conversion'], 'pct')} brought a member."
            if k["invites_sent"]
            else ""
        )
        out.append(
            f"Each member brings {k['k_factor']:.2f} new members through invitations in their first {w} days "
            f"(K-factor; 95% interval {k['ci_lower']:.2f} to {k['ci_upper']:.2f}), counted over the "
            f"{int(k['eligible']):,} members whose {w} days have passed. Counting everyone, including "
            f"members still inside their first {w} days, would give {k['naive_k']:.2f}.{conv}"
            + (
                " Growth by invitation alone fades out: each generation is smaller than the one before."
                if k["ci_upper"] < 1
                else ""
            )
        )
    g = fis.growth.table.set_index("tier")
    if "core" in g.index and g.loc["core", "member_share"] == g.loc["core", "member_share"]:
        core = g.loc["core"]
        out.append(
            f"Core members brought {fmt(core['invitee_share'], 'pct')} of the invited members while being "
            f"{fmt(core['member_share'], 'pct')} of the members at the time ({core['ratio']:.1f} times their "
            "share)."
        )
    q = fis.quality.set_index("group")
    if (
        {"invited", "not invited"} <= set(q.index)
        and q.loc["invited", "members"]
        and q.loc["not invited", "members"]
    ):
        inv, rest = q.loc["invited"], q.loc["not invited"]
        out.append(
            f"Invited members were active on day 30 after joining {fmt(inv['rate'], 'pct')} of the time "
            f"({fmt(inv['rate_cohort_adjusted'], 'pct')} with join months weighted alike), against "
            f"{fmt(rest['rate'], 'pct')} ({fmt(rest['rate_cohort_adjusted'], 'pct')}) for members who came "
            "on their own."
        )
    if fis.growth.rho == fis.growth.rho:
        lo, hi = fis.growth.rho_ci
        out.append(
            f"Members with a higher contribution score also keep more of the members they invite: rank "
            f"correlation {fis.growth.rho:.2f} (95% interval {lo:.2f} to {hi:.2f})."
            if lo > 0
            else f"A member's contribution score says little about how many of their invitees stay (rank "
            f"correlation {fis.growth.rho:.2f}, 95% interval {lo:.2f} to {hi:.2f})."
        )
    return out


def invite_definitions(rules) -> Definitions:
    w = rules.window_days
    return [
        (
            "Invite window",
            f"a member's join day and the {w - 1} days after it; invitations sent and invited members who "
            "joined count inside it.",
        ),
        (
            "K-factor",
            f"invited members who joined per member, over members who joined inside the data and whose {w} "
            "days have passed (members still inside their window have not finished inviting).",
        ),
        (
            "Invite cascade",
            "a member who was not invited and everyone invited by them, directly or down the chain; "
            "structural virality is the average number of invitation steps between two of its members "
            "(1 to 2 for a broadcast, higher for a chain of person-to-person invitations).",
        ),
        (
            "Tier when inviting",
            "the inviter's tier on the day before the month in which the invited member joined (unknown in "
            "the data's first month and for joins before the data).",
        ),
        (
            "Retained at day 30",
            f"active on the {rules.retention_day}th local day after joining; only members whose day "
            f"{rules.retention_day} has passed count. Adjusted rates weight every join month as among all "
            "members.",
        ),
    ]
