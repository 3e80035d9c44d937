"""Figures for the reports. Each function takes tidy data and returns a matplotlib ``Figure``
(object-oriented API, no pyplot state, never ``plt.show()``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, PercentFormatter

from analysis.fonts import use_report_fonts
from analysis.i18n import Translator

__all__ = [
    "daily_trend",
    "ratio_trend",
    "contribution_mix",
    "retention_heatmap",
    "retention_curves",
    "lifecycle_bars",
    "grouped_bars",
    "tier_trend",
    "migration_heatmap",
    "lorenz_curve",
    "km_curves",
    "arm_color",
    "forest",
    "ph_periods",
    "sensitivity_lines",
    "effects_forest",
    "tier_effects",
    "novelty_lines",
    "reliability",
    "monitoring_lines",
]

EN = Translator("en")

PALETTE = ["#2f6f9f", "#e07b39", "#3a9e6f", "#b5485d", "#7d5ba6", "#8c8c8c", "#c9a227"]


def _new_figure(width: float, height: float) -> Figure:
    use_report_fonts()  # every name renders, CJK included
    return Figure(figsize=(width, height), dpi=100, layout="constrained")


def _figure(width: float = 9.0, height: float = 3.6) -> tuple[Figure, object]:
    fig = _new_figure(width, height)
    ax = fig.subplots()
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="y", color="#e4e7eb", linewidth=0.8)
    ax.set_axisbelow(True)
    return fig, ax


def _thousands(ax, axis: str = "y") -> None:
    f = FuncFormatter(lambda v, _p: f"{v:,.0f}")
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(f)


def _shade(ax, window: Sequence[date] | None, label: str = "highlight") -> None:
    """Shade ``window``: [first, last] day, or any object with ``start`` and ``end`` (a ``kpi.Period``)."""
    if window is not None and hasattr(window, "start"):
        window = (window.start, window.end)
    if window and len(window) == 2:
        ax.axvspan(
            pd.Timestamp(window[0]),
            pd.Timestamp(window[1]) + pd.Timedelta(days=1),
            color="#f4d58d",
            alpha=0.45,
            label=label,
            linewidth=0,
        )


def _date_axis(ax) -> None:
    loc = mdates.AutoDateLocator(minticks=4, maxticks=10)
    ax.xaxis.set_major_locator(loc)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(loc))


def daily_trend(
    daily: pd.DataFrame,
    columns: Sequence[str] = ("dau", "wau", "mau"),
    labels: Sequence[str] | None = None,
    highlight: Sequence[date] | None = None,
    highlight_label: str = "festival",
    title: str = "",
    ylabel: str = "members",
    t: Translator = EN,
    group: str | None = None,
) -> Figure:
    """Lines of daily series (DAU/WAU/MAU) with an optional shaded window. A grouped frame (a
    ``group`` column, as ``kpi.daily_kpis(..., by=...)`` returns, or the column named by ``group``): one line
    per group of the first of ``columns``, named in the legend.

    Parameters
    ----------
    daily : pandas.DataFrame
        From :func:`analysis.kpi.daily_kpis`.
    columns : sequence of str, optional
        The series (dau, wau, mau).
    labels : sequence of str, optional
        Their legend labels (default the column names, translated).
    highlight : sequence of date, optional
        A [start, end] window to shade (a festival week).
    highlight_label : str, optional
        The shaded window's label.
    title : str, optional
        The chart's title (translated with ``t``).
    ylabel : str, optional
        The y axis label.
    t : Translator, optional
        The words' language (``analysis.i18n.translator("zh")`` for Chinese; English by default).
    group : str, optional
        The column that tells groups apart (default ``group`` when present).

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        For a column the frame does not have, or a frame with several rows per date and nothing that tells
        them apart (it would draw one zig-zag line).

    Examples
    --------
    >>> import analysis as ca
    >>> from analysis import kpi, plots
    >>> by = kpi.daily_kpis(ca.open("data/demo"), "2026-06-29", by="channel")
    >>> fig = plots.daily_trend(by, columns=["dau"])
    >>> len(fig.axes[0].get_lines()) == by["group"].nunique()
    True
    """
    group = group or ("group" if "group" in daily else None)
    missing = [c for c in ("date", *columns, *([group] if group else [])) if c not in daily]
    if missing:
        raise ValueError(f"daily_trend: the frame has no column {', '.join(missing)}")
    if group is None and daily["date"].duplicated().any():
        raise ValueError(
            "daily_trend: several rows per date; pass group= the column that tells them apart "
            f"(one of {', '.join(c for c in daily.columns if daily[c].dtype == object and c != 'date')})"
        )
    fig, ax = _figure()
    if group is not None:
        for i, (name, g) in enumerate(daily.sort_values("date").groupby(group, sort=True)):
            color = PALETTE[i % len(PALETTE)]
            ax.plot(pd.to_datetime(g["date"]), g[columns[0]], color=color, linewidth=1.6, label=str(name))
    else:
        x = pd.to_datetime(daily["date"])
        for i, c in enumerate(columns):
            label = t((labels or columns)[i])
            ax.plot(x, daily[c], color=PALETTE[i % len(PALETTE)], linewidth=1.8, label=label)
    _shade(ax, highlight, t.maybe(highlight_label))
    _date_axis(ax)
    _thousands(ax)
    ax.set_ylabel(t.maybe(ylabel))
    ax.set_title(title, loc="left")
    lines = daily[group].nunique() if group is not None else len(columns)
    ax.legend(frameon=False, ncols=min(lines + 1, 6), loc="upper left")
    return fig


def ratio_trend(
    daily: pd.DataFrame,
    column: str = "dau_mau",
    highlight: Sequence[date] | None = None,
    title: str = "Stickiness (DAU/MAU)",
    t: Translator = EN,
) -> Figure:
    """A daily ratio as a percentage line.

    Parameters
    ----------
    daily : pandas.DataFrame
        From :func:`analysis.kpi.daily_kpis`.
    column : str, optional
        The ratio (dau_mau).
    highlight : sequence of date, optional
        A [start, end] window to shade (a festival week).
    title : str, optional
        The chart's title (translated with ``t``).
    t : Translator, optional
        The words' language (``analysis.i18n.translator("zh")`` for Chinese; English by default).

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, ax = _figure(height=3.0)
    x = pd.to_datetime(daily["date"])
    ax.plot(x, daily[column], color=PALETTE[0], linewidth=1.8)
    _shade(ax, highlight)
    _date_axis(ax)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_title(t.maybe(title), loc="left")
    return fig


def contribution_mix(
    daily: pd.DataFrame,
    highlight: Sequence[date] | None = None,
    highlight_label: str = "highlight",
    title: str = "Contributions per week by type",
    t: Translator = EN,
) -> Figure:
    """Stacked bars of posts, comments, shares and likes per 7-day block ending on the last
    date.

    Parameters
    ----------
    daily : pandas.DataFrame
        From :func:`analysis.kpi.daily_kpis`.
    highlight : sequence of date, optional
        A [start, end] window to shade (a festival week).
    highlight_label : str, optional
        The highlighted block's label.
    title : str, optional
        The chart's title (translated with ``t``).
    t : Translator, optional
        The words' language (``analysis.i18n.translator("zh")`` for Chinese; English by default).

    Returns
    -------
    matplotlib.figure.Figure
    """
    d = daily.copy()
    dates = pd.to_datetime(d["date"])
    last = dates.max()
    d["week_end"] = last - pd.to_timedelta(((last - dates).dt.days // 7) * 7, unit="D")
    w = d.groupby("week_end")[["posts", "comments", "shares", "likes"]].sum()
    fig, ax = _figure()
    bottom = np.zeros(len(w))
    starts = w.index - pd.Timedelta(days=6)
    for i, c in enumerate(w.columns):
        ax.bar(starts, w[c], bottom=bottom, width=6, color=PALETTE[i], label=t(c), align="edge")
        bottom += w[c].to_numpy()
    _shade(ax, highlight, t.maybe(highlight_label))
    _date_axis(ax)
    _thousands(ax)
    ax.set_title(t.maybe(title), loc="left")
    ax.legend(frameon=False, ncols=5, loc="upper left")
    return fig


def retention_heatmap(
    cells: pd.DataFrame,
    key: str = "day",
    title: str = "New-member retention by cohort",
    t: Translator = EN,
) -> Figure:
    """Cohort triangle: rows are cohorts, columns retention days; incomplete cells are grey.

    Parameters
    ----------
    cells : pandas.DataFrame
        From :func:`analysis.kpi.new_member_retention` (or the bracket version).
    key : str, optional
        ``"day"`` or ``"window"``.
    title : str, optional
        The chart's title (translated with ``t``).
    t : Translator, optional
        The words' language (``analysis.i18n.translator("zh")`` for Chinese; English by default).

    Returns
    -------
    matplotlib.figure.Figure
    """
    piv = cells.pivot_table(index="cohort_date", columns=key, values="rate", aggfunc="first", dropna=False)
    comp = cells.pivot_table(
        index="cohort_date", columns=key, values="is_complete", aggfunc="first", dropna=False
    )
    sizes = cells.groupby("cohort_date")["cohort_size"].first()
    n = len(piv)
    fig = _new_figure(7.5, max(2.5, 0.32 * n + 1.2))
    ax = fig.subplots()
    data = np.ma.masked_invalid(piv.to_numpy(dtype=float))
    ax.set_facecolor("#d9dde3")  # incomplete (masked) cells show the grey background
    im = ax.imshow(
        data,
        aspect="auto",
        cmap="Blues",
        vmin=0,
        vmax=max(0.05, float(np.nanmax(piv.to_numpy(dtype=float), initial=0.05))),
    )
    for i in range(n):
        for j in range(piv.shape[1]):
            v = piv.iat[i, j]
            if bool(comp.iat[i, j]) and not np.isnan(v):
                ax.text(
                    j,
                    i,
                    f"{100 * v:.0f}%",
                    ha="center",
                    va="center",
                    fontsize=8,
                    color="white" if v > 0.6 * data.max() else "#1f2933",
                )
            else:
                ax.text(j, i, t("not yet"), ha="center", va="center", fontsize=7, color="#616e7c")
    ax.set_xticks(
        range(piv.shape[1]), [t("day {k}", k=c) if key == "day" else t(str(c)) for c in piv.columns]
    )
    ax.set_yticks(range(n), [f"{pd.Timestamp(c):%Y-%m-%d} (n={sizes.loc[c]:,})" for c in piv.index])
    ax.tick_params(length=0)
    for s in ax.spines.values():
        s.set_visible(False)
    fig.colorbar(im, ax=ax, format=PercentFormatter(1.0, decimals=0), shrink=0.8, label=t("retained"))
    ax.set_title(t.maybe(title), loc="left")
    return fig


def retention_curves(
    cells: pd.DataFrame, title: str = "Retention curves by join month", t: Translator = EN
) -> Figure:
    """Rate by retention day, one line per cohort (complete cells only).

    Parameters
    ----------
    cells : pandas.DataFrame
        From :func:`analysis.kpi.new_member_retention`.
    title : str, optional
        The chart's title (translated with ``t``).
    t : Translator, optional
        The words' language (``analysis.i18n.translator("zh")`` for Chinese; English by default).

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, ax = _figure(width=7.5, height=3.6)
    c = cells[cells["is_complete"]]
    for i, (cohort, g) in enumerate(c.groupby("cohort_date")):
        g = g.sort_values("day")
        ax.plot(
            g["day"],
            g["rate"],
            marker="o",
            color=PALETTE[i % len(PALETTE)],
            label=f"{pd.Timestamp(cohort):%Y-%m}",
        )
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_xlabel(t("days since joining"))
    ax.set_ylim(0, None)
    ax.set_title(t.maybe(title), loc="left")
    ax.legend(frameon=False, title=t("cohort"), fontsize=8)
    return fig


def lifecycle_bars(lc: pd.DataFrame, title: str = "Weekly lifecycle", t: Translator = EN) -> Figure:
    """New, returning and resurrecting members above zero, dormant below.

    Parameters
    ----------
    lc : pandas.DataFrame
        From :func:`analysis.kpi.weekly_lifecycle`.
    title : str, optional
        The chart's title (translated with ``t``).
    t : Translator, optional
        The words' language (``analysis.i18n.translator("zh")`` for Chinese; English by default).

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, ax = _figure()
    x = pd.to_datetime(lc["week_start"])
    bottom = np.zeros(len(lc))
    for i, c in enumerate(["returning", "new", "resurrecting"]):
        ax.bar(x, lc[c], bottom=bottom, width=6, align="edge", color=PALETTE[i], label=t(c))
        bottom += lc[c].to_numpy()
    ax.bar(x, -lc["dormant"], width=6, align="edge", color=PALETTE[3], label=t("dormant"))
    ax.axhline(0, color="#1f2933", linewidth=0.8)
    _date_axis(ax)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{abs(v):,.0f}"))
    ax.set_ylabel(t("members"))
    ax.set_title(t.maybe(title), loc="left")
    ax.legend(frameon=False, ncols=4, loc="upper left", fontsize=8)
    return fig


def grouped_bars(
    df: pd.DataFrame, category: str, value: str, title: str = "", pct: bool = False, t: Translator = EN
) -> Figure:
    """Horizontal bars of one value per category, largest on top.

    Parameters
    ----------
    df : pandas.DataFrame
        The data.
    category : str
        The category column.
    value : str
        The value column.
    title : str, optional
        The chart's title (translated with ``t``).
    pct : bool, optional
        Format values as percentages.
    t : Translator, optional
        The words' language (``analysis.i18n.translator("zh")`` for Chinese; English by default).

    Returns
    -------
    matplotlib.figure.Figure
    """
    d = df.sort_values(value)
    fig = _new_figure(7.5, 0.4 * len(d) + 1.2)
    ax = fig.subplots()
    ax.barh(d[category].astype(str).map(t.maybe), d[value], color=PALETTE[0])
    ax.spines[["top", "right"]].set_visible(False)
    if pct:
        ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    else:
        _thousands(ax, "x")
    ax.set_title(t.maybe(title), loc="left")
    return fig


TIER_COLORS = {
    "core": "#b5485d",
    "active": "#2f6f9f",
    "novice": "#3a9e6f",
    "lurker": "#c9a227",
    "dormant": "#b8bfc7",
}


def tier_trend(trend: pd.DataFrame, title: str = "Members by tier, weekly", t: Translator = EN) -> Figure:
    """One line per tier over the reference days (core on its own axis so it stays readable).

    Parameters
    ----------
    trend : pandas.DataFrame
        From :func:`analysis.segments.tier_trend`.
    title : str, optional
        The chart's title (translated with ``t``).
    t : Translator, optional
        The words' language (``analysis.i18n.translator("zh")`` for Chinese; English by default).

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig = _new_figure(9, 3.6)
    ax, ax_core = fig.subplots(1, 2, width_ratios=[2, 1])
    for tier, g in trend.groupby("tier", observed=True, sort=False):
        target = ax_core if tier == "core" else ax
        target.plot(
            pd.to_datetime(g["ref_date"]),
            g["members"],
            marker="o",
            markersize=3,
            color=TIER_COLORS.get(str(tier), "#555"),
            label=t(str(tier)),
        )
    for a, text in ((ax, title), (ax_core, "Core members")):
        a.spines[["top", "right"]].set_visible(False)
        a.grid(axis="y", color="#e4e7eb")
        _date_axis(a)
        _thousands(a)
        a.set_title(t.maybe(text), loc="left")
    ax.legend(frameon=False, ncols=4, fontsize=8, loc="upper left")
    ax_core.set_ylim(0, None)
    return fig


def migration_heatmap(matrix: pd.DataFrame, title: str = "Tier migration", t: Translator = EN) -> Figure:
    """Counts of members by tier before (rows) and after (columns).

    Parameters
    ----------
    matrix : pandas.DataFrame
        From :func:`analysis.segments.tier_migration`.
    title : str, optional
        The chart's title (translated with ``t``).
    t : Translator, optional
        The words' language (``analysis.i18n.translator("zh")`` for Chinese; English by default).

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig = _new_figure(7, 4)
    ax = fig.subplots()
    data = matrix.to_numpy(dtype=float)
    share = data / np.maximum(data.sum(axis=1, keepdims=True), 1)
    im = ax.imshow(share, cmap="Blues", vmin=0, vmax=1, aspect="auto")
    for i in range(data.shape[0]):
        for j in range(data.shape[1]):
            ax.text(
                j,
                i,
                f"{int(data[i, j]):,}",
                ha="center",
                va="center",
                fontsize=8,
                color="white" if share[i, j] > 0.6 else "#1f2933",
            )
    ax.set_xticks(range(data.shape[1]), [t(str(c)) for c in matrix.columns])
    ax.set_yticks(range(data.shape[0]), [t(str(r)) for r in matrix.index])
    ax.set_xlabel(t(matrix.columns.name or "after"))
    ax.set_ylabel(t(matrix.index.name or "before"))
    ax.tick_params(length=0)
    fig.colorbar(im, ax=ax, format=PercentFormatter(1.0, decimals=0), shrink=0.8, label=t("share of row"))
    ax.set_title(t.maybe(title), loc="left")
    return fig


def lorenz_curve(
    curve: pd.DataFrame, gini: float, title: str = "Concentration of contribution", t: Translator = EN
) -> Figure:
    """Lorenz curve with the line of equality.

    Parameters
    ----------
    curve : pandas.DataFrame
        From :func:`analysis.stats.lorenz`.
    gini : float
        The Gini coefficient, written on the chart.
    title : str, optional
        The chart's title (translated with ``t``).
    t : Translator, optional
        The words' language (``analysis.i18n.translator("zh")`` for Chinese; English by default).

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, ax = _figure(width=5.5, height=4.2)
    ax.plot([0, 1], [0, 1], color="#8c8c8c", linestyle="--", linewidth=1, label=t("equal shares"))
    ax.plot(
        curve["share_of_members"],
        curve["share_of_total"],
        color=PALETTE[0],
        linewidth=2,
        label=t("contributors (Gini {gini})", gini=f"{gini:.2f}"),
    )
    ax.fill_between(curve["share_of_members"], curve["share_of_total"], curve["share_of_members"], alpha=0.12)
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_xlabel(t("contributors, fewest first"))
    ax.set_ylabel(t("share of contribution score"))
    ax.set_title(t.maybe(title), loc="left")
    ax.legend(frameon=False, loc="upper left")
    return fig


def km_curves(
    km: pd.DataFrame,
    title: str = "Share of members not yet churned",
    max_days: float | None = None,
    risk_times: Sequence[int] | None = None,
    xlabel: str = "days",
    t: Translator = EN,
) -> Figure:
    """Kaplan–Meier step curves with 95% bands per group and an at-risk table underneath.

    Parameters
    ----------
    km : pandas.DataFrame
        From :func:`analysis.survival.kaplan_meier`.
    title : str, optional
        The chart's title (translated with ``t``).
    max_days : float, optional
        Cut the x axis here.
    risk_times : sequence of int, optional
        The days of the at-risk table.
    xlabel : str, optional
        The x axis label.
    t : Translator, optional
        The words' language (``analysis.i18n.translator("zh")`` for Chinese; English by default).

    Returns
    -------
    matplotlib.figure.Figure
    """
    groups = list(dict.fromkeys(km["group"]))
    fig = _new_figure(9, 4.6 + 0.22 * len(groups))
    ax, tab = fig.subplots(2, 1, height_ratios=[4, 0.45 + 0.22 * len(groups)], sharex=True)
    tmax = max_days or float(km["timeline"].max())
    for i, g in enumerate(groups):
        k = km[(km["group"] == g) & (km["timeline"] <= tmax)]
        color = "#1f2933" if g == "all" else PALETTE[i % len(PALETTE)]
        ax.step(
            k["timeline"],
            k["survival"],
            where="post",
            color=color,
            linewidth=2 if g == "all" else 1.6,
            label=t.maybe(g),
        )
        ax.fill_between(
            k["timeline"], k["ci_lower"], k["ci_upper"], step="post", color=color, alpha=0.12, linewidth=0
        )
    ax.set_ylim(0, 1.02)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="y", color="#e4e7eb")
    ax.set_title(t.maybe(title), loc="left")
    ax.legend(frameon=False, fontsize=8, ncols=min(len(groups), 5), loc="lower left")
    times = list(risk_times or np.linspace(0, tmax, 7).round().astype(int))
    for i, g in enumerate(groups):
        k = km[km["group"] == g]
        for when in times:
            at = k.loc[k["timeline"] >= when, "at_risk"]
            tab.text(
                when, i, f"{int(at.iloc[0]):,}" if len(at) else "0", ha="center", va="center", fontsize=7
            )
    tab.set_yticks(range(len(groups)), [t.maybe(g) for g in groups], fontsize=8)
    tab.set_ylim(len(groups) - 0.5, -0.5)
    tab.set_xlabel(t(xlabel))
    tab.set_title(t("members at risk"), loc="left", fontsize=8)
    for s in tab.spines.values():
        s.set_visible(False)
    tab.tick_params(length=0)
    return fig


def _ci_series(ax, x, d: pd.DataFrame, estimate: str, i: int, label: str, **style) -> None:
    """One series of ``d[estimate]`` at ``x`` with vertical bars to ``ci_lower`` .. ``ci_upper``, in the
    ``i``-th palette colour unless ``color`` is given."""
    est = d[estimate]
    style.setdefault("color", PALETTE[i % len(PALETTE)])
    ax.errorbar(x, est, yerr=[est - d["ci_lower"], d["ci_upper"] - est], label=label, **style)


def arm_color(arm: str, arms: Sequence[str] | pd.Series) -> str:
    """The colour of an experiment arm, the same in every chart of a page: arms in sorted order take
    the palette in turn.

    Parameters
    ----------
    arm : str
        The arm.
    arms : sequence of str or pandas.Series
        Every arm of the experiment.

    Returns
    -------
    str
        A hex colour.
    """
    order = sorted({str(a) for a in arms})
    return PALETTE[order.index(str(arm)) % len(PALETTE)] if str(arm) in order else "#555555"


def _plain_log_axis(axis) -> None:
    """Tick labels of a log axis as plain numbers (0.5, 2), never 2×10⁻¹."""
    plain = FuncFormatter(lambda v, _p: f"{v:g}")
    axis.set_major_formatter(plain)
    axis.set_minor_formatter(plain)


def forest(
    hr: pd.DataFrame,
    title: str = "Relative churn rates (95% CI)",
    label: str = "covariate",
    t: Translator = EN,
) -> Figure:
    """Forest plot of hazard ratios on a log axis; 1 = no difference.

    Parameters
    ----------
    hr : pandas.DataFrame
        hazard_ratio, ci_lower, ci_upper and a label column (:meth:`analysis.cox.CoxFit.hazard_ratios`).
    title : str, optional
        The chart's title (translated with ``t``).
    label : str, optional
        The label column (covariate).
    t : Translator, optional
        The words' language (``analysis.i18n.translator("zh")`` for Chinese; English by default).

    Returns
    -------
    matplotlib.figure.Figure
    """
    d = hr.iloc[::-1]
    fig = _new_figure(7.5, 0.42 * len(d) + 1.3)
    ax = fig.subplots()
    y = np.arange(len(d))
    ax.errorbar(
        d["hazard_ratio"],
        y,
        xerr=[d["hazard_ratio"] - d["ci_lower"], d["ci_upper"] - d["hazard_ratio"]],
        fmt="o",
        color=PALETTE[0],
        ecolor="#8c8c8c",
        capsize=3,
    )
    ax.axvline(1, color="#b5485d", linewidth=1, linestyle="--")
    ax.set_xscale("log")
    ax.set_yticks(y, d[label].astype(str))
    _plain_log_axis(ax.xaxis)
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_xlabel(t("relative churn rate (hazard ratio; below 1: churns less)"))
    ax.set_title(t.maybe(title), loc="left")
    return fig


def ph_periods(
    ph: pd.DataFrame,
    title: str = "Relative churn rate by follow-up period (flat = the same all along)",
    label: str = "covariate",
    t: Translator = EN,
) -> Figure:
    """Hazard ratio of each covariate per follow-up period, with CIs.

    Parameters
    ----------
    ph : pandas.DataFrame
        ``CoxFit.ph_test`` of :func:`analysis.cox.fit_cox`.
    title : str, optional
        The chart's title (translated with ``t``).
    label : str, optional
        The label column (covariate).
    t : Translator, optional
        The words' language (``analysis.i18n.translator("zh")`` for Chinese; English by default).

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, ax = _figure(width=8, height=3.8)
    covs = list(dict.fromkeys(ph[label]))
    for i, c in enumerate(covs):
        d = ph[ph[label] == c]
        x = d["period"].to_numpy() + (i - len(covs) / 2) * 0.06
        _ci_series(ax, x, d, "hazard_ratio", i, c, fmt="-o", capsize=2, markersize=4)
    ax.axhline(1, color="#8c8c8c", linewidth=1, linestyle="--")
    ax.set_yscale("log")
    _plain_log_axis(ax.yaxis)
    periods = ph.drop_duplicates("period").sort_values("period")
    ax.set_xticks(
        periods["period"],
        [
            t("days {a}-{b}", a=int(a), b=int(b))
            for a, b in zip(periods["start"], periods["end"], strict=True)
        ],
    )
    ax.set_title(t.maybe(title), loc="left")
    ax.legend(frameon=False, fontsize=7, ncols=2, loc="best")
    return fig


def sensitivity_lines(
    sweep: pd.DataFrame,
    title: str = "How the churn threshold changes the answer",
    t: Translator = EN,
) -> Figure:
    """Survival at 30/60/90 days and the come-back rate against churn_days.

    Parameters
    ----------
    sweep : pandas.DataFrame
        From :func:`analysis.survival.sensitivity`.
    title : str, optional
        The chart's title (translated with ``t``).
    t : Translator, optional
        The words' language (``analysis.i18n.translator("zh")`` for Chinese; English by default).

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, ax = _figure(width=7, height=3.4)
    for i, c in enumerate(["s30", "s60", "s90", "came_back_rate"]):
        label = {
            "s30": "not churned at 30 days",
            "s60": "at 60 days",
            "s90": "at 90 days",
            "came_back_rate": "churned who came back",
        }[c]
        ax.plot(sweep["churn_days"], sweep[c], marker="o", color=PALETTE[i], label=t(label))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_xticks(sweep["churn_days"])
    ax.set_xlabel(t("churn = this many inactive days"))
    ax.set_ylim(0, 1)
    ax.set_title(t.maybe(title), loc="left")
    ax.legend(frameon=False, fontsize=8)
    return fig


def effects_forest(
    eff: pd.DataFrame, title: str = "Effects against control (95% CI, relative)", t: Translator = EN
) -> Figure:
    """Relative lifts with CIs, one row per arm and metric; zero = no effect. A lift far larger than
    the others would squash every other row, so the axis stops at a bound that keeps most intervals whole
    and an off-scale value is written at the edge.

    Parameters
    ----------
    eff : pandas.DataFrame
        From :func:`analysis.experiment.effects`.
    title : str, optional
        The chart's title (translated with ``t``).
    t : Translator, optional
        The words' language (``analysis.i18n.translator("zh")`` for Chinese; English by default).

    Returns
    -------
    matplotlib.figure.Figure
    """
    d = eff.iloc[::-1]
    fig = _new_figure(8, 0.3 * len(d) + 1.3)
    ax = fig.subplots()
    y = np.arange(len(d))
    colors = [arm_color(a, eff["arm"]) for a in d["arm"]]
    ends = np.abs(np.r_[d["lift_ci_lower"].to_numpy(float), d["lift_ci_upper"].to_numpy(float)])
    ends = ends[np.isfinite(ends)]
    cap = max(0.25, 1.3 * float(np.percentile(ends, 80))) if len(ends) else 1.0
    lift = d["lift"].clip(-cap, cap)
    lo, hi = d["lift_ci_lower"].clip(-cap, cap), d["lift_ci_upper"].clip(-cap, cap)
    ax.errorbar(lift, y, xerr=[lift - lo, hi - lift], fmt="none", ecolor="#8c8c8c", capsize=2)
    ax.scatter(lift, y, c=colors, zorder=3, s=18)
    for yi, (value, shown) in enumerate(zip(d["lift"], lift, strict=True)):
        if value != shown:
            ax.annotate(
                f"{value:+.0%} {'→' if value > 0 else '←'}",
                (shown, yi),
                xytext=(-4 if value > 0 else 4, 6),
                textcoords="offset points",
                ha="right" if value > 0 else "left",
                fontsize=7,
            )
    for arm in sorted(set(d["arm"])):
        ax.scatter([], [], color=arm_color(arm, eff["arm"]), s=18, label=arm)
    ax.axvline(0, color="#b5485d", linewidth=1, linestyle="--")
    ax.set_xlim(-cap * 1.05, cap * 1.05)
    ax.set_yticks(y, d["label"], fontsize=8)
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_xlabel(t("change against the control arm"))
    ax.set_title(t.maybe(title), loc="left")
    ax.legend(frameon=False, fontsize=8, loc="best", title=t("arm"))
    return fig


def tier_effects(
    by_tier: pd.DataFrame,
    title: str = "Effect by tier",
    ylabel: str = "difference from control",
    t: Translator = EN,
) -> Figure:
    """Absolute effect with CI per tier (rows) and arm (colours).

    Parameters
    ----------
    by_tier : pandas.DataFrame
        The per-tier table of :func:`analysis.experiment.heterogeneity`.
    title : str, optional
        The chart's title (translated with ``t``).
    ylabel : str, optional
        The axis label.
    t : Translator, optional
        The words' language (``analysis.i18n.translator("zh")`` for Chinese; English by default).

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, ax = _figure(width=8, height=3.2)
    tiers = [x for x in ("core", "active", "novice", "lurker") if x in set(by_tier["tier"])]
    arms = sorted(by_tier["arm"].unique())
    for i, arm in enumerate(arms):
        d = by_tier[by_tier["arm"] == arm].set_index("tier").reindex(tiers)
        x = np.arange(len(tiers)) + (i - (len(arms) - 1) / 2) * 0.2
        _ci_series(ax, x, d, "effect", i, arm, fmt="o", capsize=3, color=arm_color(arm, arms))
    ax.axhline(0, color="#8c8c8c", linewidth=1, linestyle="--")
    ax.set_xticks(range(len(tiers)), [t(x) for x in tiers])
    ax.set_xlabel(t("tier before the experiment"))
    ax.set_ylabel(t.maybe(ylabel))
    ax.set_title(t.maybe(title), loc="left")
    ax.legend(frameon=False, ncols=len(arms), fontsize=8)
    return fig


def novelty_lines(
    nov: pd.DataFrame,
    title: str = "Effect on contributions by week since assignment",
    t: Translator = EN,
) -> Figure:
    """Weekly effects with CIs per arm (a falling line is a novelty effect wearing off).

    Parameters
    ----------
    nov : pandas.DataFrame
        From :func:`analysis.experiment.novelty`.
    title : str, optional
        The chart's title (translated with ``t``).
    t : Translator, optional
        The words' language (``analysis.i18n.translator("zh")`` for Chinese; English by default).

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, ax = _figure(width=7, height=3.2)
    for i, (arm, d) in enumerate(nov.groupby("arm")):
        _ci_series(
            ax,
            d["week"] + (i - 1) * 0.06,
            d,
            "effect",
            i,
            arm,
            fmt="-o",
            capsize=3,
            color=arm_color(arm, nov["arm"]),
        )
    ax.axhline(0, color="#8c8c8c", linewidth=1, linestyle="--")
    ax.set_xticks([1, 2, 3, 4], [t("week {n}", n=n) for n in (1, 2, 3, 4)])
    ax.set_ylabel(t("extra contributions per member"))
    ax.set_title(t.maybe(title), loc="left")
    ax.legend(frameon=False, fontsize=8)
    return fig


def reliability(
    rel: pd.DataFrame,
    title: str = "Predicted against actual churn, backtest",
    t: Translator = EN,
) -> Figure:
    """Reliability curve: the mean predicted risk of each group against the share that churned,
    with 95% intervals; on the diagonal the risks are right.

    Parameters
    ----------
    rel : pandas.DataFrame
        From :func:`analysis.risk.reliability`.
    title : str, optional
        The chart's title (translated with ``t``).
    t : Translator, optional
        The words' language (``analysis.i18n.translator("zh")`` for Chinese; English by default).

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, ax = _figure(width=5.5, height=4.2)
    ax.plot([0, 1], [0, 1], color="#8c8c8c", linestyle="--", linewidth=1, label=t("predicted = actual"))
    _ci_series(
        ax, rel["predicted"], rel, "observed", 0, t("groups of members by predicted risk"), fmt="o", capsize=3
    )
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel(t("predicted risk of churning"))
    ax.set_ylabel(t("share that churned"))
    ax.set_title(t.maybe(title), loc="left")
    ax.legend(frameon=False, loc="upper left", fontsize=8)
    return fig


def monitoring_lines(
    mon: pd.DataFrame,
    names: dict[str, str],
    title: str = "Each primary result as it could have been read on each day",
    t: Translator = EN,
) -> Figure:
    """One panel per metric: the lift of each arm at every look with its always-valid interval as
    a band; a band that leaves zero has settled.

    Parameters
    ----------
    mon : pandas.DataFrame
        From :func:`analysis.monitoring.monitoring`.
    names : dict of str to str
        Metric -> its words.
    title : str, optional
        The chart's title (translated with ``t``).
    t : Translator, optional
        The words' language (``analysis.i18n.translator("zh")`` for Chinese; English by default).

    Returns
    -------
    matplotlib.figure.Figure
    """
    metrics = [m for m in names if m in set(mon["metric"])]
    fig = _new_figure(9, 3.0 * max(len(metrics), 1))
    axes = np.atleast_1d(fig.subplots(max(len(metrics), 1), 1, sharex=True))
    for ax, metric in zip(axes, metrics, strict=False):
        d = mon[mon["metric"] == metric]
        for arm, g in d.groupby("arm"):
            day = pd.to_datetime(g["day"])
            color = arm_color(arm, mon["arm"])
            ax.fill_between(day, g["lift_cs_lower"], g["lift_cs_upper"], color=color, alpha=0.15, linewidth=0)
            ax.plot(day, g["lift"], color=color, marker="o", markersize=3, label=arm)
        ax.axhline(0, color="#8c8c8c", linewidth=1, linestyle="--")
        ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        ax.spines[["top", "right"]].set_visible(False)
        ax.set_ylabel(t("change against control"))
        ax.set_title(names[metric], loc="left", fontsize=10)
        ax.legend(frameon=False, fontsize=8, ncols=4, title=t("arm"), title_fontsize=8)
    _date_axis(axes[-1])
    fig.suptitle(t.maybe(title), x=0.01, ha="left")
    return fig
