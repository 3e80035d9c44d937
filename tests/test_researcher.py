"""What a researcher meets in JupyterLab: one entry point from any directory with dates as strings,
results that display as small HTML tables, and plots that draw grouped frames or say why they cannot."""

from __future__ import annotations

import dataclasses
import importlib
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

DEMO = Path(__file__).resolve().parents[1] / "data" / "demo"


def test_open_from_another_directory_with_string_dates(tmp_path, monkeypatch):
    import analysis as ca
    from analysis import kpi

    monkeypatch.chdir(tmp_path)
    src = ca.open(os.path.relpath(DEMO, tmp_path))
    daily = kpi.daily_kpis(src, "2026-06-29")
    assert str(daily["date"].max())[:10] == "2026-06-29"


def _results():
    """One instance of each result type, from the demo where it is cheap and built directly otherwise."""
    from analysis import bgnbd, clusters, definitions, experiment, sequential, spillover, stats

    src = __import__("analysis").open(DEMO)
    name = experiment.experiments(src)[0]
    m = stats.Moments.of(np.array([1.0, 2, 3, 4]), np.array([0.0, 1, 1, 2]))
    e = stats.welch(m, stats.Moments.of(np.array([2.0, 3, 5, 4])))
    sums = pd.DataFrame({"n": [10, 12, 9, 11], "sum_y": [5.0, 7, 4, 9], "sum_y2": [9.0, 11, 6, 12]})
    return [
        definitions.TierRules(),
        definitions.ChurnRules(),
        experiment.planned_split(src, name),
        m,
        e,
        stats.srm([100, 120], [1, 1]),
        bgnbd.BGNBD(0.243, 4.414, 0.793, 2.426),
        clusters.effect(sums.iloc[:2], sums.iloc[2:]),
        clusters.plan(0.1, 1.0, 50, 0.05),
        sequential.effect(m, m),
        spillover.NeighbourTest("contributions", 10, 4, 0.5, 0.3, 99),
        experiment.Verdict("cash", "ship", "all_improved", (("contributions", 0.1, 0.01),)),
    ]


def test_every_result_type_displays_as_an_escaped_html_table():
    for obj in _results():
        html = obj._repr_html_()
        assert html.startswith("<table><caption>" + type(obj).__name__)
        for f in dataclasses.fields(obj):
            assert f"<th style='text-align:left'>{f.name}</th>" in html, (type(obj).__name__, f.name)
        assert "nan" not in html.replace("n/a", "")
    from analysis import experiment

    evil = experiment.SplitPlan("<script>x</script>", {"a": 1.0}, True)
    assert "<script>" not in evil._repr_html_() and "&lt;script&gt;" in evil._repr_html_()


def test_grouped_trend_draws_one_line_per_group_and_refuses_a_frame_it_cannot_draw():
    from analysis import kpi, plots
    from analysis.data import load

    src = load(DEMO)
    by = kpi.daily_kpis(src, src.default_as_of(), by="channel")
    for frame, group in ((by, None), (by.rename(columns={"group": "channel"}), "channel")):
        fig = plots.daily_trend(frame, columns=["dau"], group=group)
        lines = fig.axes[0].get_lines()
        assert len(lines) == by["group"].nunique()
        assert {line.get_label() for line in lines} == set(map(str, by["group"].unique()))
    with pytest.raises(ValueError, match="several rows per date; pass group="):
        plots.daily_trend(by.rename(columns={"group": "channel"}), columns=["dau"])
    with pytest.raises(ValueError, match="no column wau_typo"):
        plots.daily_trend(by, columns=["wau_typo"])


def test_a_chart_a_cell_returns_shows_as_a_picture_after_import():
    """The plotting functions build a matplotlib ``Figure`` without pyplot; importing the package in
    IPython registers a PNG formatter, so ``plots.daily_trend(...)`` as a cell's value is a chart."""
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    try:
        importlib.reload(importlib.import_module("analysis"))
        from analysis import plots

        daily = pd.DataFrame({"date": pd.date_range("2026-01-01", periods=3).date, "dau": [1, 2, 3]})
        data, _ = shell.display_formatter.format(plots.daily_trend(daily, columns=["dau"]))
        assert data["image/png"][:4] == b"\x89PNG"
    finally:
        InteractiveShell.clear_instance()
