"""Report sections assembled from results: the prose, tables and charts of one part of a page in display
order, so that a notebook cell is one call and a part the data cannot support says why instead of
failing the page."""

from __future__ import annotations

from typing import Any

from analysis import narrative, plots, tables
from analysis.i18n import Translator
from analysis.narrative import EN
from analysis.risk import RiskSection


def churn_risk(part: RiskSection, horizon: int, churn_days: int, t: Translator = EN) -> list[Any]:
    """Who is about to leave: findings, expected leavers by tier and community, the backtest's
    reliability curve and scores, and the drivers. Parts the log is too short for are left out (the
    findings say so)."""
    out: list[Any] = [tables.paragraphs(*narrative.risk_findings(part, horizon, churn_days, t))]
    if part.now is None:
        return out
    out.append(
        tables.html_table(
            part.leavers.drop(columns="variance"),
            words=["tier"],
            formats={
                "members": "int",
                "expected": "float1",
                "lower": "float1",
                "upper": "float1",
                "mean_risk": "pct",
            },
            labels={
                "tier": t("tier"),
                "community": t("community"),
                "members": t("members"),
                "expected": t("expected to leave"),
                "lower": t("95% low"),
                "upper": t("95% high"),
                "mean_risk": t("mean risk"),
            },
            caption=t(
                "Expected leavers in the next {n} days by tier and community, core members first", n=horizon
            ),
            t=t,
        )
    )
    if part.backtest is not None:
        out += [plots.reliability(part.reliability, t=t), _backtest_table(part, t)]
    out.append(
        tables.html_table(
            narrative.driver_rows(part.drivers, t),
            formats={"odds_ratio": "float2", "ci_lower": "float2", "ci_upper": "float2", "p_value": "p"},
            labels={
                "what": t("compared"),
                "odds_ratio": t("times the odds of leaving"),
                "ci_lower": t("95% low"),
                "ci_upper": t("95% high"),
                "p_value": t("p-value"),
            },
            caption=t(
                "What drives the risk: odds of leaving within the horizon, a high value of each measure "
                "against a low one (90th against 10th percentile), and each group against the most "
                "common one"
            ),
            t=t,
        )
    )
    return out


def _backtest_table(part: RiskSection, t: Translator) -> Any:
    shown = narrative.backtest_rows(part.backtest_table, t).drop(columns=["fit_date", "horizon_days"])
    return tables.html_table(
        shown,
        formats={
            "members": "int",
            "churned": "int",
            "auc": "float2",
            "calibration_slope": "float2",
            "calibration_intercept": "float2",
            "ici": "pct",
            "brier": "float2",
            "top10_capture": "pct",
        },
        labels={
            "model": t("model"),
            "members": t("members"),
            "churned": t("churned"),
            "auc": t("AUC"),
            "calibration_slope": t("calibration slope"),
            "calibration_intercept": t("calibration intercept"),
            "ici": t("ICI"),
            "brier": t("Brier score"),
            "top10_capture": t("churners in the riskiest 10%"),
        },
        caption=t(
            "Backtest: fitted on data up to {day}, scored on what happened by the report date",
            day=t.day(part.backtest.fit_date),
        ),
        t=t,
    )


def experiment_monitoring(mon, status, as_of, t: Translator = EN) -> list[Any]:
    """Watching it daily: whether stopping now is safe, and the primary lifts by look day with their
    always-valid intervals."""
    out: list[Any] = [tables.paragraphs(*narrative.monitoring_findings(status, as_of, t))]
    if not mon.empty:
        names = {m: narrative.metric_name(m, t) for m in dict.fromkeys(mon["metric"])}
        out.append(
            plots.monitoring_lines(
                mon, names, title=t("Each primary result as it could have been read on each day"), t=t
            )
        )
    return out


def experiment_spillover(spill, t: Translator = EN) -> list[Any]:
    """Does rewarding some members change what the others do: the findings and, when the design allows
    it, the direct / spillover / total effects by saturation."""
    out: list[Any] = [tables.paragraphs(*narrative.spillover_findings(spill, t))]
    by_saturation = spill[spill["effect_type"] != "invite_spillover"]
    if not by_saturation.empty:
        shown = narrative.with_metric_names(by_saturation, t).drop(columns=["experiment", "se", "df"])
        out.append(
            tables.html_table(
                shown.assign(effect_type=shown["effect_type"].map(t.maybe)),
                formats={
                    "saturation": "pct",
                    "effect": "float2",
                    "ci_lower": "float2",
                    "ci_upper": "float2",
                    "p_value": "p",
                },
                labels={
                    "metric": t("metric"),
                    "arm": t("arm"),
                    "saturation": t("share of the community in a scheme"),
                    "effect_type": t("effect"),
                    "effect": t("difference"),
                    "ci_lower": t("95% low"),
                    "ci_upper": t("95% high"),
                    "p_value": t("p-value"),
                },
                caption=t(
                    "Direct effect (members in a scheme against their untreated neighbours), spillover "
                    "(untreated members against communities without a scheme) and total, community-level "
                    "intervals (CR2)"
                ),
                t=t,
            )
        )
    return out
