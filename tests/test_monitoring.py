"""The daily view of an experiment (analysis.monitoring) on the demo community: the last look is the
fixed-horizon analysis, a planted effect settles, and the page text says whether stopping is safe."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis import experiment as ex
from analysis import i18n, monitoring, narrative
from analysis.data import load

DEMO = Path(__file__).resolve().parents[1] / "data" / "demo"


@pytest.fixture(scope="module")
def demo():
    src = load(DEMO)
    name = ex.experiments(src)[0]
    return ex.metric_table(src, name, src.default_as_of()), ex.control_arm(src, name)


def test_last_look_is_the_fixed_horizon_cuped_effect_with_a_wider_interval(demo):
    table, control = demo
    metrics = ["contributions", "retained_d30"]
    mon = monitoring.monitoring(table, metrics, control=control)
    assert list(mon.columns) == monitoring.COLUMNS
    eff = ex.effects(table, metrics, primary=metrics, control=control, cap_quantile=None)
    fixed = eff[eff["method"] == "cuped"].set_index(["metric", "arm"])
    last = mon.sort_values("day").groupby(["metric", "arm"]).tail(1).set_index(["metric", "arm"])
    for key, row in last.iterrows():
        assert row["effect"] == pytest.approx(fixed.loc[key, "effect"], rel=1e-12, abs=1e-12)
        assert row["n"] == fixed.loc[key, "n"] and row["n_control"] == fixed.loc[key, "n_control"]
        assert row["cs_lower"] < fixed.loc[key, "ci_lower"] and row["cs_upper"] > fixed.loc[key, "ci_upper"]
    for _, g in mon.groupby(["metric", "arm"]):
        assert g["n"].is_monotonic_increasing and g["day"].is_monotonic_increasing
        assert ((g["cs_lower"] <= g["effect"]) & (g["effect"] <= g["cs_upper"])).all()
    assert pd.to_datetime(mon["day"]).max() <= pd.Timestamp(table.attrs["as_of"])


def test_the_planted_check_in_effect_of_cash_settles_and_the_text_says_so(demo):
    """The demo's cash scheme multiplies check-ins (ground_truth.json): its always-valid interval leaves
    zero, and the findings name it in both languages."""
    table, control = demo
    mon = monitoring.monitoring(table, ["checkins"], control=control)
    st = monitoring.status(mon, monitoring.planned_end(table, ["checkins"]))
    cash = st.set_index("arm").loc["cash"]
    assert cash["settled"] and cash["direction"] == "up"
    as_of = pd.Timestamp(table.attrs["as_of"]).date()
    for lang in ("en", "zh"):
        t = i18n.translator(lang)
        text = " ".join(narrative.monitoring_findings(st, as_of, t))
        assert "cash" in text and narrative.metric_name("checkins", t) in text
        assert t.day(monitoring.planned_end(table, ["checkins"])) in text


def test_nothing_to_watch_yet_and_unknown_metrics(demo):
    table, control = demo
    early = table.assign(contributions=np.nan)
    mon = monitoring.monitoring(early, ["contributions"], control=control)
    assert mon.empty and list(mon.columns) == monitoring.COLUMNS
    st = monitoring.status(mon, monitoring.planned_end(table, ["contributions"]))
    assert "nothing to watch" in narrative.monitoring_findings(st, pd.Timestamp("2026-06-29").date())[0]
    with pytest.raises(ValueError, match="no window"):
        monitoring.monitoring(table, ["tier"], control=control)


def test_sequential_srm_column_in_the_split_check(demo):
    table, _ = demo
    srm = ex.srm_table(table)
    assert srm["p_sequential"].between(0, 1).all()
    # members of one arm dropped from the second half of the assignment days: the daily check flags it
    days = sorted(table["assign_day"].unique())
    late = table["assign_day"].isin(days[len(days) // 2 :]) & (table["arm"] == "cash")
    broken = ex.srm_table(table[~late.to_numpy()])
    assert broken["p_sequential"].iloc[0] < 0.001
