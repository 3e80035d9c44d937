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
from analysis.risk import RiskSection, total_leavers

EN = Translator("en")

Definitions = list[tuple[str, str]]


def _num(v: float) -> str:
    return f"{v:g}"


def weights_text(weights: Mapping[str, float], t: Translator = EN) -> str:
    """``post × 5, comment × 3, share × 2, like × 1`` from the weights in use."""
    return ", ".join(f"{t(ty)} × {_num(float(weights.get(ty, 0)))}" for ty in CONTRIBUTION_TYPES)


def tier_definitions(rules, t: Translator = EN) -> Definitions:
    """The tier rules of a :class:`~analysis.segments.TierRules`, in words."""
    return [
        (
            t("Contribution score"),
            t(
                "over the trailing {n} days, {weights}.",
                n=rules.window_days,
                weights=weights_text(rules.weights, t),
            ),
        ),
        (
            t("Core"),
            t(
                "among members with at least 1 contribution and at least {days} active days in the window, "
                "everyone scoring at least the score at rank ⌈{share} × n⌉ (the top {pct}); ties at "
                "the cut are "
                "all core.",
                days=rules.core_min_active_days,
                share=_num(rules.core_share),
                pct=f"{rules.core_share:.0%}",
            ),
        ),
        (t("Active"), t("other contributors, or {n}+ active days.", n=rules.active_min_days)),
        (t("Novice"), t("joined within the window and not core or active.")),
        (t("Lurker"), t("active without contributing. Dormant: no activity in the window.")),
    ]


def experiment_scope(table: pd.DataFrame, control: str, metric_days: int, t: Translator = EN) -> list[str]:
    """Who is in the experiment analysis and what is measured."""
    return [
        t(
            "Experiment {name}: {n} members assigned to one arm, {multi} left out because they were "
            "assigned to "
            "more than one. Every scheme is compared with the control arm, {control}. Metrics count "
            "the {d} days "
            "after each member's assignment; tiers are as of {tier_day}, the day before the first "
            "assignment.",
            name=table.attrs.get("experiment", ""),
            n=f"{len(table):,}",
            multi=f"{table.attrs.get('multiple_exposure', 0):,}",
            control=control,
            d=metric_days,
            tier_day=t.day(table.attrs["tier_reference_date"])
            if table.attrs.get("tier_reference_date")
            else "",
        )
    ]


def srm_caption(srm: pd.DataFrame, plan, t: Translator = EN) -> str:
    """Caption of the split check, saying what the split was checked against."""
    against = (
        t("the planned split")
        if plan.known
        else t("equal shares, because the data carry no planned split (no arms table)")
    )
    verdict = t("FLAGGED, effects below are not reliable") if srm["flagged"].any() else t("none detected")
    return t(
        "Split check (sample-ratio mismatch) against {against}: {verdict}", against=against, verdict=verdict
    )


def srm_by_tier_sentence(srm_by_tier: pd.DataFrame, t: Translator = EN) -> str:
    """Which pre-assignment tiers show a split mismatch ("" when there is no by-tier check)."""
    if srm_by_tier.empty:
        return ""
    flag = srm_by_tier.groupby("tier")["flagged"].any()
    if flag.any():
        return t(
            "Split by pre-assignment tier: mismatch in {tiers}.",
            tiers=t.join([t.maybe(x) for x in flag[flag].index]),
        )
    return t("Split by pre-assignment tier: no tier shows a mismatch.")


METRIC_NAMES = {
    "contributions": "contributions",
    "contributions_capped": "contributions (capped)",
    "contribution_score": "contribution score",
    "contributor": "contributors",
    "active_days": "active days",
    "visits": "visits",
    "checkins": "check-ins",
    "retained_d14": "retained at day 14",
    "retained_d30": "retained at day 30",
    "pre_contributions": "contributions before assignment",
    "pre_checkins": "check-ins before assignment",
    "pre_active_days": "active days before assignment",
    "pre_visits": "visits before assignment",
}


def metric_name(metric: str, t: Translator = EN) -> str:
    """An experiment metric as words: ``retained_d30`` → "retained at day 30" / "第 30 天留存"."""
    return t(METRIC_NAMES[metric]) if metric in METRIC_NAMES else t.maybe(metric)


def with_metric_names(df: pd.DataFrame, t: Translator = EN, column: str = "metric") -> pd.DataFrame:
    """``df`` with the metric names of ``column`` in words."""
    return df.assign(**{column: df[column].astype(str).map(lambda m: metric_name(m, t))})


def effect_rows(eff: pd.DataFrame, t: Translator = EN) -> pd.DataFrame:
    """The CUPED-adjusted effects, metrics in words, with a ``label`` "arm / metric" for the chart."""
    cup = with_metric_names(eff[eff["method"] == "cuped"], t)
    cup["label"] = cup["arm"].astype(str) + " / " + cup["metric"]
    return cup


def metric_unit(metric: str) -> str:
    """The unit of an effect on ``metric`` (a message id): percentage points of a rate, else counts."""
    return (
        "difference from control, share retained"
        if metric.startswith("retained")
        else "difference from control, per member"
    )


DECISION_WORDS = {"ship": "SHIP", "don't ship": "DON'T SHIP", "inconclusive": "INCONCLUSIVE"}
_REASONS = {
    "srm": "the traffic split does not match the plan (split check), so no effect can be trusted",
    "lowers": "it lowers {metric} by {lift} (adjusted p {p})",
    "core_hurt": "core members' {metric} falls by {lift} even though the average looks fine",
    "all_improved": "every primary metric improved: {moves}",
    "some_improved": "{metric} improved ({lift}) but the other primary metrics did not move clearly",
    "no_change": "no primary metric moved beyond chance",
}


def verdict_text(v, t: Translator = EN) -> str:
    """``arm: DECISION. Reason.`` from an :class:`analysis.experiment.Verdict`."""
    fields: dict[str, str] = {}
    if v.moves:
        metric, lift, p = v.moves[0]
        fields = {"metric": metric_name(metric, t), "lift": f"{abs(lift):.1%}", "p": f"{p:.3g}"}
        if v.reason in ("all_improved", "some_improved"):
            fields["lift"] = f"{lift:+.1%}"
        fields["moves"] = ", ".join(f"{metric_name(m, t)} {x:+.1%}" for m, x, _ in v.moves)
    reason = t(_REASONS[v.reason], **fields)
    return t(
        "{arm}: {decision}. {reason}.",
        arm=v.arm,
        decision=t(DECISION_WORDS[v.decision]),
        reason=reason[:1].upper() + reason[1:],
    )


def story_text(story, t: Translator = EN) -> list[str]:
    """Where a scheme's extra activity came from and what happened to core members, in words; a core
    effect the test could not tell from chance is said to be unknown, with its interval, never left out
    (``story``: an :class:`analysis.experiment.SchemeStory`)."""
    out = []
    low, high = f"{story.low_effort:+.2f}", f"{story.high_effort:+.2f}"
    if story.farming:
        out.append(
            t(
                "Reward farming: the extra activity is check-ins and likes ({low} per member against the "
                "control arm), not posts, comments and shares ({high}). The reward bought low-effort "
                "activity.",
                low=low,
                high=high,
            )
        )
    else:
        out.append(
            t(
                "Where the extra activity came from: posts, comments and shares {high} per member, check-ins "
                "and likes {low}, against the control arm.",
                low=low,
                high=high,
            )
        )
    churn = story.core_churn
    if churn is not None and churn.seen:
        key = (
            "Core members left faster: their relative churn rate was {hr} (95% interval {lo} to {hi})."
            if churn.estimate > 1
            else "Core members stayed longer: their relative churn rate was {hr} (95% interval {lo} to {hi})."
        )
        out.append(t(key, hr=f"{churn.estimate:.2f}", lo=f"{churn.ci_lower:.2f}", hi=f"{churn.ci_upper:.2f}"))
    elif churn is not None:
        out.append(
            t(
                "Whether core members stayed or left cannot be told from this test: with {n} core members "
                "in the comparison their relative churn rate is {hr}, anywhere from {lo} to {hi} (95% "
                "interval).",
                n=f"{churn.members:,}",
                hr=f"{churn.estimate:.2f}",
                lo=f"{churn.ci_lower:.2f}",
                hi=f"{churn.ci_upper:.2f}",
            )
        )
    else:
        out.append(t("There were too few core members in this scheme to say what it did to them."))
    return out


def cost_text(ce: pd.DataFrame, arm: str, currency: str, t: Translator = EN) -> str:
    """What the scheme cost per member and per extra contribution, in ``currency``, with the interval;
    or why there is no cost per extra contribution (nothing paid, or nothing gained)."""
    rows = ce[ce["arm"] == arm]
    if rows.empty:
        return ""
    r = rows.iloc[0]
    if not r["cost_per_member"] > 0:
        return t("The scheme paid no rewards.")
    paid = f"{r['cost_per_member']:,.2f} {currency}"
    if r["cost_per_incremental"] == r["cost_per_incremental"] and not r["ci_lower"] > 0:
        return t(
            "It paid {paid} per member: {cost} per extra contribution, but the extra contributions are "
            "within chance, so the true cost per extra contribution may be far higher.",
            paid=paid,
            cost=f"{r['cost_per_incremental']:,.2f} {currency}",
        )
    if r["cost_per_incremental"] == r["cost_per_incremental"]:
        return t(
            "It paid {paid} per member: {cost} per extra contribution (95% interval {lo} to {hi}).",
            paid=paid,
            cost=f"{r['cost_per_incremental']:,.2f} {currency}",
            lo=f"{r['ci_lower']:,.2f}",
            hi=f"{r['ci_upper']:,.2f}",
        )
    return t("It paid {paid} per member without adding contributions.", paid=paid)


def detectable_text(pw: pd.DataFrame, arm: str, primary: Sequence[str], t: Translator = EN) -> str:
    """How small an effect of each primary metric the test could have seen (80% power): a rate in
    percentage points, a count relative to the control mean."""
    rows = pw[(pw["arm"] == arm) & (pw["method"] == "cuped") & pw["metric"].isin(primary)]
    parts = []
    for _, r in rows.iterrows():
        if str(r["metric"]).startswith("retained"):
            size = t.points(r["mde"]).lstrip("+")
        else:
            size = f"{r['mde_relative']:.0%}"
        parts.append(t("{size} in {metric}", size=f"±{size}", metric=metric_name(r["metric"], t)))
    if not parts:
        return ""
    return t(
        "The test could reliably see changes of {parts} (80% power); smaller ones may have gone unseen.",
        parts=t.join(parts),
    )


def moved_text(eff: pd.DataFrame, arm: str, alpha: float, t: Translator = EN) -> str:
    """Every metric of ``arm`` that moved beyond chance (CUPED, adjusted p), or that nothing did."""
    e = eff[(eff["arm"] == arm) & (eff["method"] == "cuped") & (eff["p_adjusted"] < alpha)]
    if e.empty:
        return t("No metric moved beyond chance.")
    moves = [f"{metric_name(m, t)} {x:+.1%}" for m, x in zip(e["metric"], e["lift"], strict=True)]
    return t("What moved beyond chance: {moves}.", moves=t.join(moves))


def _experiment_terms(t: Translator) -> Definitions:
    """The statistical terms of the experiment page, each explained once."""
    return [
        (
            t("Adjusted for pre-period activity (CUPED)"),
            t(
                "each member's metric minus a multiple of the same metric before assignment, which removes "
                "noise without moving the effect; the novelty, composition and cost sections use the same "
                "estimate."
            ),
        ),
        (
            t("Split check (SRM)"),
            t(
                "whether the arms got the share of members the plan gave them; a mismatch (p < 0.001) means "
                "assignment went wrong and no effect can be trusted."
            ),
        ),
        (
            t("Adjusted p-value"),
            t(
                "a p-value corrected for looking at several metrics at once (Holm for the primary metrics, "
                "Benjamini-Hochberg for the rest); the adjusted interval matches it."
            ),
        ),
        (
            t("Multiple exposure"),
            t(
                "members assigned to more than one arm are left out. Capped contributions cap each "
                "member at the "
                "99.9th percentile of non-zero values."
            ),
        ),
    ]


def experiment_definitions(metric_days: int, control: str, tier_rules, t: Translator = EN) -> Definitions:
    return [
        (
            t("Window"),
            t(
                "events in the {d} days from each member's assignment; the pre-period is the {d} days before "
                "assignment.",
                d=metric_days,
            ),
        ),
        (
            t("Control arm"),
            t(
                "{control} (from the arms table's is_control, or the arm named control without one).",
                control=control,
            ),
        ),
        (
            t("Retained at day 14 / 30"),
            t(
                "active on a local day 8-14 / 24-30 after the assignment day (day 0); counted only "
                "when that day "
                "has passed."
            ),
        ),
        (
            t("Effect"),
            t(
                "the scheme's mean minus the control arm's mean (Welch t-test); the lift divides by "
                "the control "
                "mean."
            ),
        ),
        *_experiment_terms(t),
        (t("Pre-assignment tiers"), t("the tier rules below, at the day before the first assignment.")),
        *tier_definitions(tier_rules, t),
    ]


def churn_method(churn: pd.DataFrame, lm: pd.DataFrame, cox, rules, t: Translator = EN) -> list[str]:
    """How churn, censoring, the landmark and left truncation were handled, with the counts."""
    a = churn.attrs
    lt = a.get("left_truncated", 0)
    out = [
        t(
            "How this was measured: a member churns at their last active day before {d} inactive days in a "
            "row. That is only visible {d} days later, so follow-up ends on {cutoff} for everyone.",
            d=rules.churn_days,
            cutoff=t.day(a["cutoff"]),
        ),
        t(
            "Tier, channel and activity are measured in each member's first {n} days and the clock starts "
            "after them, so that survival time is never credited to activity that came later.",
            n=rules.landmark_days,
        ),
        t(
            "Left out: {late} members who joined after the cutoff and {early} who churned or were censored "
            "before day {n}.",
            late=f"{a.get('joined_after_cutoff', 0):,}",
            early=f"{lm.attrs.get('dropped_before_landmark', 0):,}",
            n=rules.landmark_days,
        ),
    ]
    if rules.left_truncation == "exclude":
        out.append(t("{n} members who joined before the activity log began are left out.", n=f"{lt:,}"))
    else:
        out.append(
            t(
                "{n} members joined before the activity log began; those active in its first {d} days enter "
                "the curves late, at the log's first day. Their first {lm} days are not in the log, so "
                "{unknown} of them have no tier at the landmark: they are in the overall curve but "
                "not in the "
                "tier groups or the Cox model.",
                n=f"{lt:,}",
                d=rules.churn_days,
                lm=rules.landmark_days,
                unknown=f"{lm.attrs.get('covariates_unknown', 0):,}",
            )
        )
    if cox.left_out:
        out.append(
            t("The model leaves out {n} members whose characteristics are unknown.", n=f"{cox.left_out:,}")
        )
    return out


def covariate_label(covariate: str, t: Translator = EN) -> str:
    """A model term as words: ``lm_tier[active]`` → "tier at day 14: active"."""
    if "[" not in covariate:
        return t.maybe(covariate)
    var, level = covariate.split("[", 1)
    return t("{variable}: {level}", variable=variable_label(var, t), level=t.maybe(level.rstrip("]")))


def hazard_ratio_table(hr: pd.DataFrame, t: Translator = EN) -> pd.DataFrame:
    """A frame with a ``covariate`` column, with ``label`` (the term in words) in front of it."""
    out = hr.copy()
    out.insert(0, "label", out["covariate"].map(lambda c: covariate_label(c, t)))
    return out


def variable_label(variable: str, t: Translator = EN) -> str:
    """A model variable as words: ``lm_tier`` → "tier at day 14"."""
    names = {
        "lm_tier": "tier in the first weeks",
        "channel": "sign-up channel",
        "community": "community",
        "cohort_month": "join month",
        "arm": "arm",
        "tier": "tier",
    }
    return t(names[variable]) if variable in names else t.maybe(variable)


def cox_caption(cox, references: Mapping[str, str], t: Translator = EN) -> str:
    refs = "; ".join(f"{variable_label(var, t)}: {t.maybe(ref)}" for var, ref in references.items())
    return t(
        "Relative churn rates (hazard ratios from a Cox model), {members} members, {events} "
        "churned; compared "
        "with: {refs}; the model ranks who churns first correctly {c} of the time (concordance)",
        members=f"{cox.members:,}",
        events=f"{cox.events:,}",
        refs=refs or t("none"),
        c=f"{cox.concordance:.0%}",
    )


def rmst_caption(rmst: pd.DataFrame, asked_tau: float, t: Translator = EN) -> str:
    if rmst.empty:
        return t("Average days retained: no groups to compare")
    tau = float(rmst["tau"].iloc[0])
    cut = (
        t(
            " (asked for {asked}; lowered to the shortest follow-up among the groups, so no curve is "
            "extrapolated)",
            asked=f"{asked_tau:g}",
        )
        if tau < asked_tau
        else ""
    )
    return t(
        "Average days without churning within the first {tau} days after the landmark{cut} (RMST), and the "
        "difference to {ref}",
        tau=f"{tau:g}",
        cut=cut,
        ref=t.maybe(rmst["reference"].iloc[0]),
    )


def churn_definitions(rules, tier_rules, t: Translator = EN) -> Definitions:
    return [
        (
            t("Churn"),
            t(
                "the last active day before a run of {d} inactive days; the join day counts as active.",
                d=rules.churn_days,
            ),
        ),
        (
            t("Censoring"),
            t(
                "members not churned by {d} days before the report date are counted as still staying up to "
                "there (stopping at their last active day or at the report date would overstate survival).",
                d=rules.churn_days,
            ),
        ),
        (
            t("Landmark"),
            t(
                "characteristics from the first {n} days after joining; members churned or censored "
                "before it "
                "are left out; time counts from it.",
                n=rules.landmark_days,
            ),
        ),
        (
            t("Tier in the first weeks"),
            t(
                "the tier rules applied to those first days (core = top {pct} of eligible contributors "
                "pooled over all members at their landmark; no novice tier).",
                pct=f"{rules.tiers.core_share:.0%}",
            ),
        ),
        (
            t("Left truncation"),
            t(
                "members who joined before the log are left out (exclude) or enter late at the "
                "log's first day "
                "(entry), at risk only after that day."
            ),
        ),
        (
            t("Relative churn rate (hazard ratio)"),
            t(
                "how fast a group churns in any given week compared with the reference group: 0.5 is half as "
                "fast, 2 twice as fast."
            ),
        ),
        (
            t("Average days retained (RMST)"),
            t(
                "the area under the survival curve up to τ days: the average number of days, out of "
                "the first τ, "
                "that a member stays; τ is at most the shortest of the groups' longest follow-up."
            ),
        ),
        (t("Current tiers (risk table)"), t("the tier rules below, at the report date.")),
        *tier_definitions(tier_rules, t),
    ]


def migration_definitions(t: Translator = EN) -> Definitions:
    return [
        (
            t("Migration"),
            t(
                "the same members' tiers at two reference dates; not yet joined are members who joined in "
                "between."
            ),
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
            t(
                "Against the same days a year earlier, UV changed by {change}.",
                change=f"{c.loc['uv', 'change_vs_year_earlier']:+.1%}",
            )
        )
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


RISK_FEATURES = {
    "recency": "days since last active",
    "active_7": "active days in the last 7 days",
    "active_28": "active days in the last 28 days",
    "active_56": "active days in the last 56 days",
    "posts": "posts in the last 28 days",
    "comments": "comments in the last 28 days",
    "shares": "shares in the last 28 days",
    "likes": "likes in the last 28 days",
    "checkins": "check-ins in the last 28 days",
    "visits": "visits in the last 28 days",
    "tenure": "days since joining",
    "invited": "members invited",
}


def driver_rows(drivers: pd.DataFrame, t: Translator = EN) -> pd.DataFrame:
    """:func:`analysis.risk.drivers` for readers: what is compared, and how many times the odds of
    leaving it gives."""

    def what(r) -> str:
        if r["level"] == "p10 → p90":
            return t(
                "{feature}: {high} against {low}",
                feature=t(RISK_FEATURES.get(r["feature"], r["feature"])),
                high=f"{r['high']:g}",
                low=f"{r['low']:g}",
            )
        return t("{variable}: {level}", variable=variable_label(r["feature"], t), level=t.maybe(r["level"]))

    return pd.DataFrame(
        {
            "what": drivers.apply(what, axis=1),
            "odds_ratio": drivers["odds_ratio"],
            "ci_lower": drivers["ci_lower"],
            "ci_upper": drivers["ci_upper"],
            "p_value": drivers["p_value"],
        }
    )


def _bgnbd_sentence(bg: float, auc: float, t: Translator) -> str:
    """How the BG/NBD probability-alive ranking compares with the risk model's, by AUC."""
    return (
        t(
            "A probability-alive model (BG/NBD), which needs no churn rule, ranks members less well "
            "than the risk model here (AUC {bg} against {auc}; 0.5 is chance, 1 is perfect).",
            bg=f"{bg:.2f}",
            auc=f"{auc:.2f}",
        )
        if bg < auc
        else t(
            "A probability-alive model (BG/NBD), which needs no churn rule, ranks members as well as "
            "the risk model or better here (AUC {bg} against {auc}).",
            bg=f"{bg:.2f}",
            auc=f"{auc:.2f}",
        )
    )


def risk_findings(part: RiskSection, horizon: int, churn_days: int, t: Translator = EN) -> list[str]:
    """Expected leavers overall and among core members, and the backtest in one plain paragraph, from
    a :class:`analysis.risk.RiskSection`; when the log is too short for either, how long it must be."""
    if part.now is None:
        return [
            t(
                "Churn risk needs a log that starts by {day} (the model learns from members followed for "
                "{h} days, plus {d} days to see who churned); this log starts on {start}.",
                day=t.day(part.now_needs),
                h=horizon,
                d=churn_days,
                start=t.day(part.log_start),
            )
        ]
    out = _leaver_sentences(part.leavers, horizon, churn_days, t)
    if part.backtest is None:
        return [
            *out,
            t(
                "These risks are not yet checked on the past: the backtest needs a log that starts by "
                "{day}, and this one starts on {start}.",
                day=t.day(part.backtest_needs),
                start=t.day(part.log_start),
            ),
        ]
    return out + _backtest_sentences(part.backtest, t)


def _leaver_sentences(leavers: pd.DataFrame, horizon: int, churn_days: int, t: Translator) -> list[str]:
    total, lo, hi = total_leavers(leavers)
    out = [
        t(
            "Of the {n} members active in the last {d} days, about {e} are expected to churn in the next {h} "
            "days (95% interval {lo} to {hi}).",
            n=f"{int(leavers['members'].sum()):,}",
            d=churn_days,
            e=f"{total:,.0f}",
            h=horizon,
            lo=f"{lo:,.0f}",
            hi=f"{hi:,.0f}",
        )
    ]
    core = leavers[leavers["tier"] == "core"]
    if len(core):
        c, c_lo, c_hi = total_leavers(core)
        out.append(
            t(
                "Among the {n} core members, about {e} (95% interval {lo} to {hi}); the list, "
                "riskiest first, "
                "with reasons, is in the run's restricted folder.",
                n=f"{int(core['members'].sum()):,}",
                e=f"{c:,.1f}",
                lo=f"{c_lo:,.1f}",
                hi=f"{c_hi:,.1f}",
            )
        )
    return out


def _backtest_sentences(backtest, t: Translator) -> list[str]:
    b = backtest.table.set_index("model")
    m, r = b.loc["risk model"], b.loc["recency"]
    out = [
        t(
            "Checked on the past: fitted with data up to {day} and compared with what happened by the report "
            "date, the risks were right on average (calibration slope {slope}, where 1 is exact; off by "
            "{ici} points on average), and the 10% of members it ranked riskiest held {cap} of those who "
            "churned, against {cap_r} when ranking by days since last active alone.",
            day=t.day(backtest.fit_date),
            slope=f"{m['calibration_slope']:.2f}",
            ici=f"{100 * m['ici']:.1f}",
            cap=f"{m['top10_capture']:.0%}",
            cap_r=f"{r['top10_capture']:.0%}",
        )
    ]
    if "bg/nbd" in b.index:
        out.append(_bgnbd_sentence(b.loc["bg/nbd", "auc"], m["auc"], t))
    return out


def backtest_rows(table: pd.DataFrame, t: Translator = EN) -> pd.DataFrame:
    """The backtest table with the model names in words."""
    names = {
        "risk model": "risk model",
        "recency": "days since last active only",
        "bg/nbd": "probability alive (BG/NBD)",
    }
    return table.assign(model=table["model"].map(lambda m: t(names.get(m, m))))


def sensitivity_caption(sweep: pd.DataFrame, summary: pd.DataFrame, rules, t: Translator = EN) -> str:
    """Caption of the ``churn_days`` sweep, explaining why its 30-day figure differs from the curves'."""
    here = sweep.loc[sweep["churn_days"] == rules.churn_days, "s30"]
    there = summary.loc[summary["group"] == "all", "s30"]
    text = t("The same analysis with churn at 14, 30, 60 and 90 inactive days")
    if len(here) and len(there) and here.iloc[0] == here.iloc[0] and there.iloc[0] == there.iloc[0]:
        text += t(
            ". This table counts from joining, over every member; the curves above count from day {lm} "
            "after joining, over the members still there then, so their share not churned at 30 days "
            "differs: {here} here, {there} there.",
            lm=rules.landmark_days,
            here=fmt(here.iloc[0], "pct"),
            there=fmt(there.iloc[0], "pct"),
        )
    return text


def _pct_change(hr: float, t: Translator) -> str:
    if hr < 1:
        return t("{pct} less likely", pct=f"{1 - hr:.0%}")
    return t("{pct} more likely", pct=f"{hr - 1:.0%}")


def _survival_sentence(summary: pd.DataFrame, landmark: pd.DataFrame, t: Translator) -> str:
    """How many of the members past the landmark had not churned 30 and 90 days later, and the median."""
    all_row = summary[summary["group"] == "all"].iloc[0]
    med = all_row["median"]
    med_txt = (
        t("half of them had churned {n} days after it", n=f"{med:.0f}")
        if med == med
        else t("fewer than half had churned by the end of follow-up")
    )
    observed = [(d, all_row[f"s{d}"]) for d in (30, 90) if all_row[f"s{d}"] == all_row[f"s{d}"]]
    missing = [d for d in (30, 90) if all_row[f"s{d}"] != all_row[f"s{d}"]]
    said = t.join([t("{pct} had not churned {d} days later", pct=f"{v:.0%}", d=d) for d, v in observed])
    if missing:
        follow = int(landmark["t"].max()) if len(landmark) else 0
        gap = t(
            "{days} days later is not yet observable: follow-up after the landmark reaches only {n} "
            "days so far",
            days=t.join([str(d) for d in missing]),
            n=follow,
        )
        said = f"{said}; {gap}" if said else gap
    return t(
        "Of {n} members still around {d} days after joining, {said}; {median}.",
        n=f"{len(landmark):,}",
        d=landmark.attrs.get("landmark_days", 14),
        said=said,
        median=med_txt,
    )


def churn_findings(
    cox: CoxFit,
    summary: pd.DataFrame,
    churn: pd.DataFrame,
    landmark: pd.DataFrame,
    reference_labels: Mapping[str, str],
    t: Translator = EN,
) -> list[str]:
    """Plain-language sentences for stakeholders from a Cox fit and KM summaries."""
    out = [_survival_sentence(summary, landmark, t)]
    hr = cox.hazard_ratios.set_index("covariate")
    for var, ref in reference_labels.items():
        rows = hr[hr.index.str.startswith(f"{var}[")]
        sig = rows[rows["p_value"] < ALPHA].sort_values("hazard_ratio")
        if sig.empty:
            continue
        parts = [
            t(
                "{level} members are {change} to churn in any given week",
                level=t.maybe(c.split("[", 1)[1].rstrip("]")),
                change=_pct_change(r.hazard_ratio, t),
            )
            for c, r in sig.iterrows()
        ]
        out.append(
            t("Compared with {ref} ({variable}), ", ref=t.maybe(ref), variable=variable_label(var, t))
            + t("; ").join(parts)
            + t(".")
        )
    churned = churn[churn["event"]]
    if len(churned):
        out.append(
            t(
                "{pct} of the members who churned were active again later: churn by inactivity is not always "
                "final.",
                pct=f"{churned['came_back'].mean():.0%}",
            )
        )
    return out


def summary_table(
    summary: pd.DataFrame, at: Sequence[int] = (30, 60, 90), t: Translator = EN
) -> pd.DataFrame:
    """:func:`survival_summary` for readers: one column per quantity, each "value (CI low - high)"."""

    def ci(v, lo, hi, kind, missing="n/a"):
        return f"{fmt(v, kind)} ({fmt(lo, kind)} - {fmt(hi, kind)})" if v == v else t(missing)

    out = pd.DataFrame(
        {
            t("group"): summary["group"].map(t.maybe),
            t("members"): summary["members"].map(lambda v: fmt(v, "int")),
            t("churned"): summary["events"].map(lambda v: fmt(v, "int")),
        }
    )
    out[t("median days (95% CI)")] = [
        ci(r["median"], r["median_ci_lower"], r["median_ci_upper"], "int", "not reached")
        for _, r in summary.iterrows()
    ]
    for d in at:
        out[t("not churned at {d} days", d=d)] = [
            ci(r[f"s{d}"], r[f"s{d}_ci_lower"], r[f"s{d}_ci_upper"], "pct") for _, r in summary.iterrows()
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
    t: Translator = EN,
) -> str:
    """One plain-language paragraph on what changed in the core between two reference dates."""
    n_now = int((now["tier"] == "core").sum())
    n_before = int((before["tier"] == "core").sum())
    stayed = int(migration.loc["core", "core"]) if "core" in migration.index else 0
    change = (n_now - n_before) / n_before if n_before else float("nan")
    trend = t("grew") if n_now > n_before else t("shrank") if n_now < n_before else t("held steady")
    pct = f" ({change:+.0%})" if change == change else ""
    return t(
        "On {now} the core had {n_now} members, against {n_before} on {before}: it {trend}{pct}. "
        "{stayed} stayed "
        "core, {joined} rose into it and {left} dropped out. The top 10% of contributors made {top10} of the "
        "contribution score (Gini {gini}). {at_risk} core members are at risk: their active days in "
        "the last two "
        "weeks fell below half of the two weeks before.",
        now=t.day(ref_now),
        n_now=f"{n_now:,}",
        n_before=f"{n_before:,}",
        before=t.day(ref_before),
        trend=trend,
        pct=pct,
        stayed=f"{stayed:,}",
        joined=f"{n_now - stayed:,}",
        left=f"{n_before - stayed:,}",
        top10=f"{conc['top10_share']:.0%}",
        gini=f"{conc['gini']:.2f}",
        at_risk=f"{at_risk:,}",
    )


# --------------------------------------------------------------------------------------------------
# fission


def _k_factor_sentence(fis, t: Translator) -> str:
    """The eligible-only K-factor with its interval, the naive K, and the invite conversion."""
    w = fis.rules.window_days
    k = fis.k_factor.set_index("cohort").loc["all"]
    if k["eligible"] <= 0:
        return ""
    conv = (
        t(" Of the invitations they sent, {pct} brought a member.", pct=fmt(k["conversion"], "pct"))
        if k["invites_sent"]
        else ""
    )
    fade = (
        t(" Growth by invitation alone fades out: each generation is smaller than the one before.")
        if k["ci_upper"] < 1
        else ""
    )
    return (
        t(
            "Each member brings {k} new members through invitations in their first {w} days "
            "(K-factor; 95% "
            "interval {lo} to {hi}), counted over the {n} members whose {w} days have passed. "
            "Counting everyone, "
            "including members still inside their first {w} days, would give {naive}.",
            k=f"{k['k_factor']:.2f}",
            w=w,
            lo=f"{k['ci_lower']:.2f}",
            hi=f"{k['ci_upper']:.2f}",
            n=f"{int(k['eligible']):,}",
            naive=f"{k['naive_k']:.2f}",
        )
        + conv
        + fade
    )


def fission_findings(fis, t: Translator = EN) -> list[str]:
    """Plain paragraphs on who brings new members and whether they stay (``analysis.growth.Fission``)."""
    out = [x for x in [_k_factor_sentence(fis, t)] if x]
    g = fis.growth.table.set_index("tier")
    if "core" in g.index and g.loc["core", "member_share"] == g.loc["core", "member_share"]:
        core = g.loc["core"]
        out.append(
            t(
                "Core members brought {invitees} of the invited members while being {members} of "
                "the members at "
                "the time ({ratio} times their share).",
                invitees=fmt(core["invitee_share"], "pct"),
                members=fmt(core["member_share"], "pct"),
                ratio=f"{core['ratio']:.1f}",
            )
        )
    q = fis.quality.set_index("group")
    if (
        {"invited", "not invited"} <= set(q.index)
        and q.loc["invited", "members"]
        and q.loc["not invited", "members"]
    ):
        inv, rest = q.loc["invited"], q.loc["not invited"]
        out.append(
            t(
                "Invited members were active on day 30 after joining {a} of the time ({a_adj} with "
                "join months "
                "weighted alike), against {b} ({b_adj}) for members who came on their own.",
                a=fmt(inv["rate"], "pct"),
                a_adj=fmt(inv["rate_cohort_adjusted"], "pct"),
                b=fmt(rest["rate"], "pct"),
                b_adj=fmt(rest["rate_cohort_adjusted"], "pct"),
            )
        )
    if fis.growth.rho == fis.growth.rho:
        lo, hi = fis.growth.rho_ci
        values = {"rho": f"{fis.growth.rho:.2f}", "lo": f"{lo:.2f}", "hi": f"{hi:.2f}"}
        out.append(
            t(
                "Members with a higher contribution score also keep more of the members they invite: rank "
                "correlation {rho} (95% interval {lo} to {hi}).",
                **values,
            )
            if lo > 0
            else t(
                "A member's contribution score says little about how many of their invitees stay (rank "
                "correlation {rho}, 95% interval {lo} to {hi}).",
                **values,
            )
        )
    return out


def invite_groups(quality: pd.DataFrame, t: Translator = EN) -> pd.DataFrame:
    """:func:`analysis.growth.invitee_quality` with its groups in words of the page language."""

    def label(group: str) -> str:
        if group.startswith("channel: "):
            return t("channel: {name}", name=t.maybe(group.removeprefix("channel: ")))
        if group.startswith("invited by: "):
            return t("invited by: {tier}", tier=t.maybe(group.removeprefix("invited by: ")))
        return t.maybe(group)

    return quality.assign(group=quality["group"].astype(str).map(label))


def invite_definitions(rules, t: Translator = EN) -> Definitions:
    w = rules.window_days
    return [
        (
            t("Invite window"),
            t(
                "a member's join day and the {n} days after it; invitations sent and invited "
                "members who joined "
                "count inside it.",
                n=w - 1,
            ),
        ),
        (
            t("K-factor"),
            t(
                "invited members who joined per member, over members who joined inside the data and "
                "whose {w} "
                "days have passed (members still inside their window have not finished inviting).",
                w=w,
            ),
        ),
        (
            t("Invite cascade"),
            t(
                "a member who was not invited and everyone invited by them, directly or down the "
                "chain; structural "
                "virality is the average number of invitation steps between two of its members (1 to 2 for a "
                "broadcast, higher for a chain of person-to-person invitations)."
            ),
        ),
        (
            t("Tier when inviting"),
            t(
                "the inviter's tier on the day before the month in which the invited member joined "
                "(unknown in the "
                "data's first month and for joins before the data)."
            ),
        ),
        (
            t("Retained at day 30"),
            t(
                "active on the {d}th local day after joining; only members whose day {d} has passed "
                "count. Adjusted "
                "rates weight every join month as among all members.",
                d=rules.retention_day,
            ),
        ),
    ]


def monitoring_findings(status: pd.DataFrame, as_of: date, t: Translator = EN) -> list[str]:
    """Whether stopping now is safe, from :func:`analysis.monitoring.status`: what the intervals are,
    where the planned end is, and which primary results have already settled."""
    if status.empty:
        return [t("No member's metric window has ended yet, so there is nothing to watch so far.")]
    end = status["planned_end"].iloc[0]
    out = [
        t(
            "These intervals stay valid however often the results are looked at (always-valid confidence "
            "sequences): they are wider than the fixed-horizon intervals above, in exchange for being safe "
            "to watch every day."
        )
    ]
    if as_of >= end:
        out.append(
            t(
                "The experiment reached its planned end on {day}: the verdict above, from the fixed-horizon "
                "test, is the one to act on.",
                day=t.day(end),
            )
        )
    else:
        out.append(
            t(
                "The planned end is {day}, {n} days after the report date; until then the verdict above is "
                "provisional.",
                day=t.day(end),
                n=(end - as_of).days,
            )
        )
    settled = status[status["settled"]]
    if settled.empty:
        out.append(t("No primary result has settled yet: stopping now would mean deciding on noise."))
    else:
        words = {"up": t("rose"), "down": t("fell")}
        items = [f"{r.arm}: {metric_name(r.metric, t)} {words[r.direction]}" for r in settled.itertuples()]
        out.append(t("Settled already, so safe to act on now: {items}.", items=t.join(items)))
    return out


def design_text(design, metric: str, t: Translator = EN) -> list[str]:
    """How the experiment was randomised, from :class:`analysis.randomisation.Design`, and what that
    means for the effects on the page."""
    if design.unit == "member":
        return [
            t("Members were randomised one by one (communities have members in more than one arm).")
            if design.detected
            else t("Members were randomised one by one (as declared).")
        ]
    per_arm = t.join([f"{arm} {n}" for arm, n in design.per_arm.items()])
    out = [
        t(
            "Whole communities were randomised: {g} communities ({per_arm}); their split against the plan: "
            "p = {p}.",
            g=design.clusters,
            per_arm=per_arm,
            p=f"{design.srm_p_value:.3f}",
        ),
        t(
            "Members of one community resemble each other (intraclass correlation {icc} for {metric}), so "
            "the experiment holds far less evidence than its member count suggests (design effect {deff}). "
            "Every effect, verdict and daily view on this page uses community-level standard errors; "
            "the member-level analysis would overstate the evidence.",
            icc=f"{design.icc:.3f}",
            metric=metric_name(metric, t),
            deff=f"{design.design_effect:.1f}",
        ),
        t(
            "The breakdowns by tier, week, type of activity and cost further down treat members as "
            "independent, so their intervals are too narrow here: read them as descriptions, not tests."
        ),
    ]
    return out


def unit_word(unit: str, t: Translator = EN) -> str:
    """What was randomised, as a column header: members or communities."""
    return t("communities") if unit == "community" else t("members")


def spillover_findings(spill: pd.DataFrame, t: Translator = EN) -> list[str]:
    """What rewarding some members did to the others (:func:`analysis.spillover.from_table`): by
    saturation per metric, or why it cannot be told; and through invitations."""
    invites = spill[spill["effect_type"] == "invite_spillover"]
    sat = spill[spill["effect_type"] != "invite_spillover"]
    out = []
    if sat.empty:
        out.append(
            t(
                "Spillover by community cannot be measured in this experiment: it needs communities with "
                "no one in a scheme beside communities where only some members are in one. A saturation "
                "design, which leaves some whole communities untreated and treats different shares of the "
                "others, measures what rewarding some members does to the rest."
            )
        )
    for (metric, share), g in sat.groupby(["metric", "saturation"], sort=False):
        r = g.set_index("effect_type")
        s, d = r.loc["spillover"], r.loc["direct"]
        seen = s["ci_lower"] > 0 or s["ci_upper"] < 0
        out.append(
            t(
                "Where {share} of a community's members were in a scheme, the others' {metric} changed by "
                "{s} against communities without one (95% interval {s_lo} to {s_hi}: {verdict}); members in "
                "the scheme differed from their untreated neighbours by {d} ({d_lo} to {d_hi}).",
                share=f"{share:.0%}",
                metric=metric_name(metric, t),
                s=f"{s['effect']:+.2f}",
                s_lo=f"{s['ci_lower']:+.2f}",
                s_hi=f"{s['ci_upper']:+.2f}",
                verdict=t("spillover present") if seen else t("no spillover detected"),
                d=f"{d['effect']:+.2f}",
                d_lo=f"{d['ci_lower']:+.2f}",
                d_hi=f"{d['ci_upper']:+.2f}",
            )
        )
    for r in invites.itertuples():
        out.append(
            t(
                "Through invitations: members outside the schemes whose inviter or invitee was in one "
                "differed in {metric} by {d} from those whose invite neighbours were not (randomisation "
                "test p = {p}: {verdict}).",
                metric=metric_name(r.metric, t),
                d=f"{r.effect:+.2f}",
                p=f"{r.p_value:.3f}",
                verdict=t("spillover present") if r.p_value < 0.05 else t("no spillover detected"),
            )
        )
    return out
