"""The weekly summary (本周摘要) at the top of the runs index: the handful of numbers that matter this
week, each with its change and one sentence, linking into the reports.

It reads only the tidy tables of the newest good run (``tables/*.csv``), never the data, so the index
can be rewritten at any time. A number whose table the run did not write is left out.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from analysis.i18n import Translator, translator
from analysis.risk import total_leavers


@dataclass(frozen=True)
class Item:
    """One summary card: label, value as shown, change as shown (or empty), sentence, page to open."""

    label: str
    value: str
    change: str
    direction: int  # +1 up, -1 down, 0 none
    sentence: str
    page: str


def _table(run_dir: Path, name: str) -> pd.DataFrame | None:
    path = run_dir / "tables" / f"{name}.csv"
    return pd.read_csv(path) if path.exists() else None


def _page(report: str, t: Translator) -> str:
    return f"{report}.html" if t.lang == "en" else f"{report}.{t.lang}.html"


def _sign(x: float) -> int:
    return 0 if x != x or x == 0 else (1 if x > 0 else -1)


def _kpi_items(run_dir: Path, t: Translator) -> list[Item]:
    cmp = _table(run_dir, "kpi_compare")
    if cmp is None:
        return []
    c = cmp.set_index("metric")
    out = []
    for metric, label, sentence in (
        ("uv", "UV (distinct visitors)", "distinct members who visited in the last {n} days"),
        ("mean_dau", "Average DAU", "members active on an average day"),
        ("contributions", "Contributions", "posts, comments, shares and likes"),
        ("new_members", "New members", "members who joined"),
    ):
        if metric not in c.index:
            continue
        change = c.loc[metric, "change_vs_previous"]
        shown = t("{change} vs previous", change=f"{change:+.1%}") if change == change else ""
        out.append(
            Item(
                t(label),
                t.count(c.loc[metric, "current"]),
                shown,
                _sign(change),
                t(sentence, n=7),
                _page("kpi", t),
            )
        )
    two = _table(run_dir, "retention_two_week")
    if two is not None and len(two):
        last, before = two.iloc[-1], (two.iloc[-2]["rate"] if len(two) > 1 else math.nan)
        delta = last["rate"] - before
        out.append(
            Item(
                t("Two-week retention"),
                f"{last['rate']:.0%}",
                t("{change} vs previous", change=t.points(delta)) if delta == delta else "",
                _sign(delta),
                t(
                    "of the members active in the two weeks to {day} came back the next two weeks",
                    day=t.day(last["block_end"]),
                ),
                _page("kpi", t),
            )
        )
    return out


def _core_items(run_dir: Path, t: Translator) -> list[Item]:
    now, before = _table(run_dir, "tiers"), _table(run_dir, "tiers_previous")
    if now is None or before is None:
        return []
    n_now = int(now.loc[now["tier"] == "core", "members"].sum())
    n_before = int(before.loc[before["tier"] == "core", "members"].sum())
    change = (n_now - n_before) / n_before if n_before else math.nan
    risk = _table(run_dir, "at_risk_core_by_community")
    at_risk = int(risk["at_risk"].sum()) if risk is not None else 0
    return [
        Item(
            t("Core members"),
            t.count(n_now),
            t("{change} vs 4 weeks before", change=f"{change:+.1%}") if change == change else "",
            _sign(change),
            t(
                "{n} of them are at risk: active on fewer than half as many days as the two weeks before",
                n=f"{at_risk:,}",
            ),
            _page("core_members", t),
        )
    ]


def _risk_items(run_dir: Path, t: Translator) -> list[Item]:
    leavers = _table(run_dir, "churn_risk_by_tier_community")
    if leavers is None or "variance" not in leavers or leavers.empty:
        return []
    core = leavers[leavers["tier"] == "core"]
    if core.empty:
        return []
    backtest = _table(run_dir, "churn_risk_backtest")
    horizon = int(backtest["horizon_days"].iloc[0]) if backtest is not None and len(backtest) else 30
    expected, lo, hi = total_leavers(core)
    return [
        Item(
            t("Core members likely to leave"),
            f"{expected:,.0f}",
            "",
            0,
            t(
                "of {n} core members, in the next {h} days (95% interval {lo} to {hi})",
                h=horizon,
                n=f"{int(core['members'].sum()):,}",
                lo=f"{lo:,.0f}",
                hi=f"{hi:,.0f}",
            ),
            _page("churn", t),
        )
    ]


def _experiment_items(run_dir: Path, t: Translator, pages: dict[str, str]) -> list[Item]:
    verdicts = _table(run_dir, "experiment_verdicts")
    if verdicts is None or verdicts.empty:
        return []
    out = []
    for name, g in verdicts.groupby("experiment", sort=False):
        farming = [str(a) for a in g.loc[g["farming"].astype(bool), "arm"]]
        ship = [str(a) for a in g.loc[g["decision"] == "ship", "arm"]]
        parts = [t("ship: {arms}", arms=t.join(ship)) if ship else t("no scheme to ship yet")]
        if farming:
            parts.append(t("reward farming in {arms}", arms=t.join(farming)))
        out.append(
            Item(
                t("Experiment {name}", name=name),
                t("{n} schemes", n=len(g)),
                "",
                0,
                t("; ").join(parts),
                pages.get(str(name), ""),
            )
        )
    return out


def _context(kpi_params: dict | None, t: Translator) -> str:
    """The KPI headline's warning when the weeks compared include the highlighted period (a festival)."""
    if not kpi_params or not kpi_params.get("as_of"):
        return ""
    from analysis.kpi import Period
    from analysis.narrative import like_with_like

    as_of = date.fromisoformat(kpi_params["as_of"])
    period = Period.of(kpi_params.get("compare_window") or [], as_of)
    highlight = Period.of(kpi_params.get("highlight_window") or [], as_of, days=0)
    label = kpi_params.get("highlight_label") or ""
    return like_with_like(period, highlight, label and t.maybe(label), t)


def weekly_summary(
    run_dir: Path, lang: str, experiment_pages: dict[str, str] | None = None, kpi_params: dict | None = None
) -> str:
    """HTML of the summary cards for one run folder (empty when it has none of the tables), with links
    relative to the index (``runs/<folder>/<page>``); ``kpi_params`` (the KPI report's parameters in
    ``run.json``) add the festival sentence when the weeks compared include it."""
    t = translator(lang)
    items = (
        _kpi_items(run_dir, t)
        + _core_items(run_dir, t)
        + _risk_items(run_dir, t)
        + _experiment_items(run_dir, t, experiment_pages or {})
    )
    if not items:
        return ""
    cards = []
    base = f"runs/{run_dir.name}/"
    for it in items:
        cls = "up" if it.direction > 0 else "down" if it.direction < 0 else ""
        change = f'<div class="delta {cls}">{html.escape(it.change)}</div>' if it.change else ""
        link = f' href="{html.escape(base + it.page)}"' if it.page else ""
        cards.append(
            f'<a class="kpi"{link}><div class="label">{html.escape(it.label)}</div>'
            f'<div class="value">{html.escape(it.value)}</div>{change}<p>{html.escape(it.sentence)}</p></a>'
        )
    heading = html.escape(t("This week"))
    context = _context(kpi_params, t)
    note = f"<p>{html.escape(context)}</p>" if context else ""
    return f'<h2>{heading}</h2>{note}<div class="summary-grid">{"".join(cards)}</div>'
