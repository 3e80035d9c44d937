"""Both page languages: the catalogue covers every template's text, charts render Chinese names with
the font the package ships, and rate changes read in percentage points in both languages."""

from __future__ import annotations

import json
import warnings
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from matplotlib import font_manager

from analysis import fonts, i18n, kpi, narrative, plots, report
from analysis.catalogue import ZH

ROOT = Path(__file__).resolve().parents[1]


def test_every_markdown_cell_of_every_template_has_a_chinese_text():
    """Report templates are rendered in both languages (the researcher's tour, explore.ipynb, is not a
    page: it carries its Chinese beside the English)."""
    templates = [ROOT / "notebooks" / spec.notebook for spec in report.REPORTS]
    assert len(templates) == len(list((ROOT / "notebooks").glob("*.ipynb"))) - 1
    for nb in templates:
        for cell in json.loads(nb.read_text(encoding="utf-8"))["cells"]:
            if cell["cell_type"] == "markdown":
                text = "".join(cell["source"]).strip()
                assert text in ZH, f"{nb.name}: no Chinese text for markdown cell {text[:60]!r}"


def test_report_titles_and_plot_defaults_are_in_the_catalogue():
    import inspect

    for spec in report.REPORTS:
        assert spec.title in ZH
    for name, fn in inspect.getmembers(plots, inspect.isfunction):
        if fn.__module__ != plots.__name__ or name.startswith("_"):
            continue
        title = inspect.signature(fn).parameters.get("title")
        if title is not None and title.default:
            assert title.default in ZH, (name, title.default)


def test_translator_fills_fields_and_falls_back_to_english(tmp_path, monkeypatch):
    zh = i18n.translator("zh")
    assert zh("Active members, last {weeks} weeks", weeks=12) == "活跃成员，最近 12 周"
    missing = tmp_path / "missing.txt"
    monkeypatch.setenv(i18n.MISSING_LOG, str(missing))
    assert zh("a sentence nobody translated") == "a sentence nobody translated"
    assert missing.read_text().splitlines() == ["a sentence nobody translated"]
    assert zh.maybe("北京读书会") == "北京读书会"  # a name from the data is kept, and not logged
    assert missing.read_text().splitlines() == ["a sentence nobody translated"]
    with pytest.raises(ValueError, match="choose from en, zh"):
        i18n.translator("fr")


def test_reader_conventions_for_dates_counts_and_points():
    en, zh = i18n.translator("en"), i18n.translator("zh")
    assert zh.day(date(2026, 6, 29)) == "2026年6月29日" and en.day(date(2026, 6, 29)) == "29 Jun 2026"
    assert zh.span(date(2026, 6, 12), date(2026, 6, 18)) == "2026年6月12日至18日"
    assert en.span(date(2026, 6, 12), date(2026, 6, 18)) == "12–18 Jun 2026"
    assert zh.count(23456) == "2.3万" and zh.count(987) == "987" and zh.count(3.2e8) == "3.2亿"
    assert en.count(23456) == "23,456"
    assert en.points(0.44 - 0.40) == "+4.0 pp" and zh.points(0.44 - 0.40) == "+4.0个百分点"
    assert zh.join(["a", "b", "c"]) == "a、b和c" and en.join(["a", "b", "c"]) == "a, b and c"


def _compare(prev_rate: float, rate: float) -> pd.DataFrame:
    rows = {
        "uv": (1200, 1000),
        "mean_dau": (400, 380),
        "contributions": (900, 1000),
        "contributors": (300, 310),
        "new_members": (50, 40),
        "top10_share": (rate, prev_rate),
        "top1_share": (0.12, 0.11),
    }
    return pd.DataFrame(
        [
            {
                "metric": k,
                "current": c,
                "previous": p,
                "change_vs_previous": (c - p) / p,
                "year_earlier": float("nan"),
                "change_vs_year_earlier": float("nan"),
            }
            for k, (c, p) in rows.items()
        ]
    )


@pytest.mark.parametrize(
    ("lang", "points", "percent"), [("en", "+4.0 pp", "up 20.0%"), ("zh", "+4.0个百分点", "环比上升 20.0%")]
)
def test_kpi_headline_reports_rate_changes_in_percentage_points(lang, points, percent):
    """A share going from 40% to 44% is +4 percentage points, not +10%; a count still changes in %."""
    t = i18n.translator(lang)
    text = " ".join(narrative.headline(_compare(0.40, 0.44), t=t))
    assert points in text and "+10.0%" not in text and percent in text
    table = narrative.compare_table(_compare(0.40, 0.44), t)
    row = table[table[t("metric")] == t("share of contributions from the top 10%")].iloc[0]
    assert row[t("change")] == points
    # no year-earlier data: no year-earlier columns
    assert t("a year earlier") not in table.columns


def test_headline_says_when_the_weeks_compared_include_the_festival():
    festival = kpi.Period(date(2026, 6, 12), date(2026, 6, 18))
    after = kpi.Period(date(2026, 6, 19), date(2026, 6, 25))
    ordinary = kpi.Period(date(2026, 5, 1), date(2026, 5, 7))
    for lang, word in (("en", "festival"), ("zh", "节日活动")):
        t = i18n.translator(lang)
        label = t("festival")
        first = narrative.headline(
            _compare(0.4, 0.4), period=after, highlight=festival, highlight_label=label, t=t
        )[0]
        assert word in first and t.span(festival.start, festival.end) in first
        during = narrative.headline(
            _compare(0.4, 0.4), period=festival, highlight=festival, highlight_label=label, t=t
        )
        assert word in during[0]
        plain = narrative.headline(
            _compare(0.4, 0.4), period=ordinary, highlight=festival, highlight_label=label, t=t
        )
        assert word not in plain[0]


def test_chart_with_chinese_names_renders_every_glyph_with_the_shipped_font():
    """Fails on any "missing from font" warning: the names are drawn, not boxes."""
    summary = pd.DataFrame({"group": ["北京读书会", "上海跑团", "organic"], "mean_dau": [120.0, 80.0, 40.0]})
    fig = plots.grouped_bars(summary, "group", "mean_dau", title="按社群的平均日活", t=i18n.translator("zh"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.savefig(Path("/dev/null"), format="png")
    glyphs = [str(w.message) for w in caught if "missing from font" in str(w.message)]
    assert glyphs == []
    found = font_manager.findfont(
        font_manager.FontProperties(family=fonts.CJK_FAMILY), fallback_to_default=False
    )
    assert Path(found).resolve() == Path(fonts.cjk_font_file()).resolve()
    labels = [tick.get_text() for tick in fig.axes[0].get_yticklabels()]
    assert set(labels) == {"北京读书会", "上海跑团", "organic"}


def test_glossary_terms_are_linked_where_first_used_and_nowhere_else():
    from analysis import render, tables

    glossary = tables.bullets(
        [
            ("Churn", "x"),
            ("Relative churn rate (hazard ratio)", "y"),
            ("Active", "z"),
            ("相对流失率（风险比）", "w"),
        ]
    ).data
    body = (
        "<h2>Churn and hazard ratio</h2><p>A member churned; churn is final. The hazard ratio, then the "
        "hazard ratio again, and an active member.</p><p>相对流失率为 0.8</p>"
        '<p><a href="#x">churn</a></p>' + glossary
    )
    out = render.link_glossary(body)
    head = out[: out.index('<ul class="glossary">')]
    assert "<h2>Churn and hazard ratio</h2>" in head  # headings untouched
    assert "churned" in head and '<a href="#term-1">churn</a> is final' in head  # whole words only
    assert head.count('href="#term-2"') == 1 and '<a href="#term-2">hazard ratio</a>, then' in head
    assert 'href="#term-3"' not in head  # tier names are everywhere: never linked
    assert '<a href="#term-4">相对流失率</a>为 0.8' in head
    assert out.endswith(glossary)


def test_run_languages_are_checked_before_anything_runs(tmp_path):
    assert report._languages(None) == ("en", "zh") and report._languages("zh") == ("zh",)
    assert report._languages("zh, en") == ("zh", "en") and report._languages(["en", "en"]) == ("en",)
    with pytest.raises(report.RunError, match="parameter 'lang'.*choose from en, zh"):
        report._languages("fr")
    with pytest.raises(report.RunError, match="parameter 'lang'"):
        report.run_reports(tmp_path / "nowhere", out=tmp_path / "r", lang="de")


def test_cost_sentence_names_the_currency_and_never_a_cost_for_nothing():
    ce = pd.DataFrame(
        {
            "arm": ["cash", "points", "badges", "sure"],
            "cost_per_member": [7.0, 0.4, 0.0, 2.0],
            "incremental": [0.26, -0.06, 0.46, 1.0],
            "cost_per_incremental": [27.1, float("nan"), float("nan"), 2.0],
            "ci_lower": [-42.4, float("nan"), float("nan"), 1.5],
            "ci_upper": [96.6, float("nan"), float("nan"), 2.5],
        }
    )
    for lang in i18n.LANGS:
        t = i18n.translator(lang)
        assert "7.00 CNY" in narrative.cost_text(ce, "cash", "CNY", t)
        assert "-42" not in narrative.cost_text(ce, "cash", "CNY", t)  # no negative cost interval
        assert "nan" not in narrative.cost_text(ce, "points", "CNY", t)
        assert narrative.cost_text(ce, "badges", "CNY", t) == t("The scheme paid no rewards.")
        assert "1.50 to 2.50" in narrative.cost_text(ce, "sure", "CNY", t) or lang == "zh"
