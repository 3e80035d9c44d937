"""Community-randomised experiments end to end (analysis.randomisation): ``analysis synth --design
community`` gives whole communities one arm; the unit is detected, the split is checked in communities,
and every effect, verdict and daily view of the experiment page uses community-level standard errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis import experiment as ex
from analysis import randomisation
from analysis.data import load
from analysis.synth import SynthConfig, generate

from conftest import run_cli


@pytest.fixture(scope="module")
def community_design(tmp_path_factory):
    folder = tmp_path_factory.mktemp("community_design")
    truth = generate(
        SynthConfig(members=20_000, seed=5, design="community", communities=40, community_sd=0.4), folder
    )
    src = load(folder)
    name = truth["experiments"][0]["name"]
    table = ex.metric_table(src, name, src.default_as_of())
    return folder, truth, src, table, ex.planned_split(src, name)


def test_the_unit_is_detected_and_the_split_is_checked_in_communities(community_design, synth_small):
    folder, truth, src, table, plan = community_design
    d = randomisation.design(src, table, plan)
    assert d.unit == "community" and d.detected
    planted = pd.Series(truth["experiments"][0]["community_arms"]).value_counts()
    assert d.per_arm == {a: int(planted.get(a, 0)) for a in plan.weights}
    assert d.srm_p_value > 0.05 and 0 < d.icc < 0.5 and d.design_effect > 2
    assert (d.row_clusters == d.community).all()
    # member randomisation (the small simulated community) is detected as such, and a declared unit wins
    small = load(synth_small[0])
    name = ex.experiments(small)[0]
    t_small = ex.metric_table(small, name, small.default_as_of())
    member = randomisation.design(small, t_small, ex.planned_split(small, name))
    assert member.unit == "member" and member.row_clusters is None
    declared = randomisation.design(src, table, plan, unit="member")
    assert declared.unit == "member" and not declared.detected
    with pytest.raises(ValueError, match="unit must be"):
        randomisation.design(src, table, plan, unit="city")


def test_community_effects_cover_the_planted_effects_where_member_level_intervals_are_too_narrow(
    community_design,
):
    _, truth, src, table, plan = community_design
    d = randomisation.design(src, table, plan)
    eff = ex.effects(
        table,
        ["contributions", "checkins"],
        primary=["contributions"],
        cap_quantile=None,
        community=d.row_clusters,
    )
    assert set(eff["unit"]) == {"community"}
    cup = eff[eff["method"] == "cuped"].set_index(["metric", "arm"])
    naive = ex.effects(table, ["contributions", "checkins"], cap_quantile=None)
    naive = naive[naive["method"] == "cuped"].set_index(["metric", "arm"])
    planted = {
        (e["metric"], e["arm"]): e["effect"]
        for e in truth["experiments"][0]["effects"]
        if e["group"] == "all"
    }
    for key, row in cup.iterrows():
        assert row["clusters"] == d.per_arm[key[1]] + d.per_arm["control"]
        assert row["se"] > 1.3 * naive.loc[key, "se"]  # the design effect the naive analysis misses
        assert row["ci_lower"] <= planted[key] <= row["ci_upper"], (key, row, planted[key])
    cash = cup.loc[("checkins", "cash")]
    assert cash["ci_lower"] > 0  # cash buys check-ins, visible even with 24 communities


def test_the_experiment_page_uses_the_community_analysis(community_design, tmp_path):
    folder = community_design[0]
    out = tmp_path / "reports"
    proc = run_cli("run", "--data", str(folder), "--report", "experiment", "--lang", "en", "--out", str(out))
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    run = next((out / "runs").iterdir())  # a run of one report does not move "latest"
    eff = pd.read_csv(run / "tables" / "experiment_effects.csv")
    assert set(eff["unit"]) == {"community"} and eff["clusters"].notna().all()
    mon = pd.read_csv(run / "tables" / "experiment_monitoring.csv")
    assert len(mon) and np.isfinite(mon["cs_lower"]).all()
    page = next(run.glob("experiment_*.html")).read_text(encoding="utf-8")
    assert "Whole communities were randomised" in page and "design effect" in page


def test_no_member_level_invite_test_when_communities_were_randomised(community_design):
    """The invite spillover test re-draws members' arms; with whole communities randomised that is not
    the experiment's randomisation, so it is not reported (the saturation rows need pure controls)."""
    from analysis import spillover

    _, _, src, table, plan = community_design
    d = randomisation.design(src, table, plan)
    spill = spillover.from_table(table, d.community, "control", edges=spillover.invite_edges(src))
    assert "invite_spillover" not in set(spill["effect_type"])
