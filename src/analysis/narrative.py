"""Sentences for the report pages, written from results and from the definitions actually used.

Computation modules return numbers; the words a stakeholder reads are made here, so a page states the
values of its run (a changed weight or churn threshold shows up in the text, not only in the numbers).
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from analysis.definitions import CONTRIBUTION_TYPES

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
        ("Core", f"among members with at least 1 contribution and at least {rules.core_min_active_days} active days "
                 f"in the window, everyone scoring at least the score at rank ⌈{_num(rules.core_share)} × n⌉ "
                 f"(the top {rules.core_share:.0%}); ties at the cut are all core."),
        ("Active", f"other contributors, or {rules.active_min_days}+ active days."),
        ("Novice", "joined within the window and not core or active."),
        ("Lurker", "active without contributing. Dormant: no activity in the window."),
    ]  # fmt: skip


def experiment_scope(table: pd.DataFrame, control: str, metric_days: int) -> list[str]:
    """Who is in the experiment analysis and what is measured."""
    return [
        f"Experiment {table.attrs.get('experiment', '')}: {len(table):,} members assigned to one arm, "
        f"{table.attrs.get('multiple_exposure', 0):,} left out because they were assigned to more than one. "
        f"Every scheme is compared with the control arm, {control}. Metrics count the {metric_days} days after "
        f"each member's assignment; tiers are as of {table.attrs.get('tier_reference_date', '')}, the day before "
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
        ("Window", f"events in [assigned_at, assigned_at + {metric_days} days); the pre-period is the "
                   f"{metric_days} days before assignment."),
        ("Control arm", f"{control} (from the arms table's is_control, or the arm named control without one)."),
        ("Retained at day 14 / 30", "active on a local day 8-14 / 24-30 after the assignment day (day 0); "
                                    "counted only when that day has passed."),
        ("Effect", "treatment mean minus control mean (Welch t-test); the lift divides by the control mean. "
                   "CUPED subtracts θ × the pre-period value, θ pooled over the two arms compared; the "
                   "novelty, composition and cost sections use the same CUPED estimate."),
        ("Multiple exposure", "members assigned to more than one arm are left out. contributions_capped caps "
                              "contributions at the 99.9th percentile of non-zero values."),
        ("Pre-assignment tiers", "the tier rules below, at the day before the first assignment."),
        *tier_definitions(tier_rules),
    ]  # fmt: skip


def churn_method(churn: pd.DataFrame, lm: pd.DataFrame, cox, rules) -> list[str]:
    """How churn, censoring, the landmark and left truncation were handled, with the counts."""
    a = churn.attrs
    lt = a.get("left_truncated", 0)
    out = [
        f"How this was measured: a member churns at their last active day before {rules.churn_days} inactive "
        f"days in a row. That is only visible {rules.churn_days} days later, so follow-up ends on {a['cutoff']} "
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
            f"{lt:,} members joined before the activity log began; those active in its first {rules.churn_days} "
            f"days enter the curves late, at the log's first day. Their first {rules.landmark_days} days are "
            f"not in the log, so {unknown:,} of them have no tier at the landmark: they are in the overall "
            "curve but not in the tier groups or the Cox model."
        )
    if cox.left_out:
        out.append(f"The Cox model leaves out {cox.left_out:,} members whose covariates are unknown.")
    return out


def cox_caption(cox, references: Mapping[str, str]) -> str:
    refs = "; ".join(f"{var.replace('lm_', '')} {ref}" for var, ref in references.items())
    return (f"Cox proportional hazards (Efron ties; robust standard errors), {cox.members:,} members, "
            f"{cox.events:,} churned; reference groups: {refs or 'none'}; concordance {cox.concordance:.2f}")  # fmt: skip


def rmst_caption(rmst: pd.DataFrame, asked_tau: float) -> str:
    if rmst.empty:
        return "Restricted mean lifetime: no groups to compare"
    tau = float(rmst["tau"].iloc[0])
    cut = (f" (asked for {asked_tau:g}; lowered to the shortest follow-up among the groups, so no curve is "
           "extrapolated)") if tau < asked_tau else ""  # fmt: skip
    return (f"Mean days without churning within the first {tau:g} days after the landmark{cut} (Greenwood SE), "
            f"and the difference to {rmst['reference'].iloc[0]}")  # fmt: skip


def churn_definitions(rules, tier_rules) -> Definitions:
    return [
        ("Churn", f"the last active day before a run of {rules.churn_days} inactive days; the join day counts "
                  "as active."),
        ("Censoring", f"members not churned by as of − {rules.churn_days} days are censored there (censoring at "
                      "the last active day or at as of overstates survival)."),
        ("Landmark", f"covariates from the first {rules.landmark_days} days after joining; members churned or "
                     "censored before it are left out; time counts from it."),
        ("Landmark tier", f"the tier rules applied to those first days (core = top {rules.core_share:.0%} of "
                          "eligible contributors pooled over all members at their landmark; no novice tier)."),
        ("Left truncation", "members who joined before the log are left out (exclude) or enter late at the "
                            "log's first day (entry), at risk only after that day."),
        ("RMST", "the area under the survival curve up to τ, with the Greenwood standard error; τ is at most "
                 "the shortest of the groups' longest follow-up."),
        ("Current tiers (risk table)", "the tier rules below, at as of."),
        *tier_definitions(tier_rules),
    ]  # fmt: skip


def migration_definitions() -> Definitions:
    return [("Migration", "the same members' tiers at two reference dates; not yet joined are members who joined "
                          "in between.")]  # fmt: skip
