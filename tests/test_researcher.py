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
    from analysis import (
        activity,
        bgnbd,
        clusters,
        cox,
        definitions,
        experiment,
        growth,
        randomisation,
        risk,
        sequential,
        spillover,
        stats,
        survival,
    )
    from analysis.data import validate

    src = __import__("analysis").open(DEMO)
    name = experiment.experiments(src)[0]
    section = risk.section(src, "2026-06-29")
    table = experiment.metric_table(src, name, "2026-06-29")
    cells = pd.DataFrame({"cluster": [1, 2, 3, 4], "cell": ["a", "a", "b", "b"], "n": [5, 6, 4, 7]})
    cells["sum_y"] = [5.0, 9, 8, 12]
    signal = experiment.Signal(0.8, 0.6, 1.1, 0.2, 120, ratio=True)
    extra = [
        validate(DEMO),
        definitions.InviteRules(),
        definitions.ExperimentRules(),
        cox.fit(
            pd.DataFrame({"x": [1, 1, 1, 0, 0, 0]}),
            np.array([1, 1, 6, 6, 8, 9]),
            np.array([1, 0, 1, 1, 0, 1]),
        ),
        clusters.cell_contrast(cells, {"a": -1.0, "b": 1.0}),
        signal,
        experiment.SchemeStory("cash", "ship", signal, signal, True, signal, signal),
        growth.fission(src, "2026-06-29", activity.assign_tiers(src, "2026-06-29")),
        randomisation.design(src, table, experiment.planned_split(src, name)),
        section,
        section.now,
        section.now.model,
        section.backtest,
        survival.rmst(np.array([1.0, 2, 3]), np.array([1, 0, 1]), 3),
    ]
    extra.append(extra[7].growth)
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
        *extra,
    ]


def test_every_result_type_displays_as_an_escaped_html_table():
    import inspect
    import pkgutil

    from analysis.display import HtmlRepr

    results = _results()
    types = set()
    for mod in pkgutil.iter_modules([str(DEMO.parents[1] / "src" / "analysis")]):
        module = importlib.import_module(f"analysis.{mod.name}")
        types |= {c for _, c in inspect.getmembers(module, inspect.isclass) if issubclass(c, HtmlRepr)}
    types.discard(HtmlRepr)
    missing = {t.__name__ for t in types} - {type(obj).__name__ for obj in results}
    assert not missing, f"no instance of {sorted(missing)} is checked"
    for obj in results:
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


# every public function that takes a day, called with ISO strings from another directory; the values of
# its other required parameters come from this table (a new public function needs an entry here)
AS_OF, EARLIER = "2026-06-29", "2026-05-01"


def _arguments(src):
    from analysis import activity, experiment, growth, kpi, monitoring, risk, survival
    from analysis.definitions import TierRules

    tiers = activity.assign_tiers(src, AS_OF)
    table = experiment.metric_table(src, experiment.experiments(src)[0], AS_OF)
    feats = risk.features(src, EARLIER, AS_OF)
    per = growth.invite_members(src, AS_OF)
    return {
        "src": src,
        "experiment": experiment.experiments(src)[0],
        "table": table,
        "tiers": tiers,
        "tiers_now": tiers,
        "rules": TierRules(),
        "churn": survival.churn_table(src, AS_OF),
        "thresholds": (14, 30),
        "period": kpi.Period.of(None, AS_OF),
        "frame": kpi.daily_kpis(src, AS_OF),
        "weeks": 2,
        "per": per,
        "feats": feats,
        "members": feats["member_id"],
        "starts": tiers.loc[tiers["tier"] == "core", ["member_id"]].assign(start_day=pd.Timestamp(EARLIER)),
        "mon": monitoring.monitoring(table),
        "source": os.path.relpath(DEMO),  # from the temporary directory the test works in
        "data_dir": os.path.relpath(DEMO),
    }


def test_every_public_function_that_takes_a_day_accepts_iso_strings_from_another_directory(
    tmp_path, monkeypatch
):
    """From a temporary directory (the demo opened by a relative path), each public function of the
    reference with a day parameter (as_of, ref, landmark, day, first, end, between) computes its result
    from ISO strings, and a result equals the one computed from ``date`` objects."""
    import inspect

    import analysis as ca
    from analysis import kpi
    from test_docs import _documented_modules

    days = {"as_of": AS_OF, "ref": AS_OF, "landmark": EARLIER, "day": EARLIER, "first": "2026-01-01"}
    days |= {"end": AS_OF, "between": (EARLIER, AS_OF)}
    monkeypatch.chdir(tmp_path)
    src = ca.open(os.path.relpath(DEMO, tmp_path))
    args = _arguments(src)
    called = []
    for modname in _documented_modules():
        mod = importlib.import_module(modname)
        for name in mod.__all__:
            fn = getattr(mod, name)
            params = inspect.signature(fn).parameters if inspect.isfunction(fn) else {}
            if not set(params) & set(days):
                continue
            kwargs = {}
            for p, spec in params.items():
                if p in days:
                    kwargs[p] = days[p]
                elif spec.default is inspect.Parameter.empty:
                    assert p in args, f"{modname}.{name}: add a value for {p!r} to _arguments"
                    kwargs[p] = args[p]
            result = fn(**kwargs)
            assert result is not None, f"{modname}.{name}"
            called.append(f"{modname}.{name}")
    assert len(called) >= 40, called
    by_string = kpi.weekly_lifecycle(src, AS_OF)
    by_date = kpi.weekly_lifecycle(src, pd.Timestamp(AS_OF).date())
    pd.testing.assert_frame_equal(by_string, by_date)
