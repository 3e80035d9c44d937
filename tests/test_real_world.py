"""What real communities bring, and the demo never varied: each case is built from our own generator
(``analysis synth``, then reshaped the way real exports differ) and failed before its fix.

Experiments whose control is not called ``control``, no ``arms`` table, two experiments with Chinese
names; Chinese communities and channels without ``organic``; a short log with the default RMST τ;
left truncation with delayed entry; Ctrl-C, SIGTERM and SIGKILL in the middle of a run; implausible
timestamps; mixed encodings; glob-like folder names; formula-like names; bad parameters of every kind;
a read-only output folder; a DuckDB database file; and the package installed as a wheel.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis import cox, report, survival
from analysis import experiment as ex
from analysis.cli import main as cli_main
from analysis.data import DataContractError, load, open_source, validate
from analysis.report import RunError, run_reports, shared_prefix
from analysis.synth import SynthConfig, generate

from conftest import events_frame, members_frame, write_source

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
FORMULAS = ('=HYPERLINK("http://evil.example","click")', "+cmd|' /C calc'!A0", "@SUM(1+1)", "=1+1")
CHANNELS_ZH = {"organic": "自然流量", "search": "搜索", "social": "社交媒体", "invite": "邀请", "ads": "广告"}
ARMS_ZH = {"control": "对照组", "points": "积分", "badges": "徽章", "cash": "现金"}
SECOND = "春节 活动/二期"  # a second experiment: a space, a slash, Chinese, other arms, control "ctl"


def _copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    (dst / "ground_truth.json").unlink(missing_ok=True)
    return dst


def _visible_text(html: str) -> str:
    html = re.sub(r"<(style|script)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


@pytest.fixture(scope="module")
def short_log(tmp_path_factory) -> Path:
    """A 100-day log (the default RMST τ of 90 days is longer than the follow-up after the landmark)."""
    out = tmp_path_factory.mktemp("short")
    generate(SynthConfig(members=2000, seed=21, days=100), out)
    return out


@pytest.fixture(scope="module")
def chinese(short_log, tmp_path_factory) -> Path:
    """The short log as a Chinese community exports it: Chinese community, channel and arm names (no
    ``organic``, control ``对照组``), one community named like a spreadsheet formula, and a second
    experiment with other arms whose control is ``ctl``."""
    out = _copy(short_log, tmp_path_factory.mktemp("zh") / "data")
    m = pd.read_parquet(out / "members.parquet")
    names = {
        c: n
        for c, n in zip(
            sorted(m["community"].unique()), ["摄影", "旅行", "美食", "数码", FORMULAS[0]], strict=True
        )
    }
    m["community"] = m["community"].map(names)
    m["channel"] = m["channel"].map(CHANNELS_ZH)
    m.to_parquet(out / "members.parquet", index=False)
    a = pd.read_parquet(out / "assignments.parquet")
    a["arm"] = a["arm"].map(ARMS_ZH)
    first = a["experiment"].iloc[0]
    rng = np.random.default_rng(3)
    second = a.sample(frac=0.5, random_state=4).assign(experiment=SECOND)
    second["arm"] = rng.choice(["ctl", "红包"], size=len(second))
    pd.concat([a, second]).to_parquet(out / "assignments.parquet", index=False)
    arms = pd.read_parquet(out / "arms.parquet")
    arms["arm"] = arms["arm"].map(ARMS_ZH)
    extra = pd.DataFrame(
        {"experiment": SECOND, "arm": ["ctl", "红包"], "weight": [1.0, 1.0], "is_control": [True, False]}
    )
    pd.concat([arms, extra]).to_parquet(out / "arms.parquet", index=False)
    r = pd.read_parquet(out / "rewards.parquet")
    r["arm"] = r["arm"].map(ARMS_ZH)
    r.to_parquet(out / "rewards.parquet", index=False)
    assert first != SECOND
    return out


@pytest.fixture(scope="module")
def chinese_run(chinese, tmp_path_factory):
    out = tmp_path_factory.mktemp("zh_reports")
    return out, run_reports(chinese, out=out)


# --------------------------------------------------------------------------------------------------
# experiments


def test_control_arm_comes_from_arms_or_its_name(chinese, tmp_path):
    src = load(chinese)
    first = ex.experiments(src)[0]
    assert ex.control_arm(src, first) == "对照组" and ex.control_arm(src, SECOND) == "ctl"
    table = ex.metric_table(src, first, src.default_as_of())
    eff = ex.effects(table)  # the control is taken from the table, whatever its name
    assert set(eff["arm"]) == {"积分", "徽章", "现金"}
    assert (eff["n_control"] == (table["arm"] == "对照组").sum()).all() and eff["effect"].notna().any()
    with pytest.raises(ValueError, match="control arm 'control' is not among the arms"):
        ex.effects(table, control="control")
    # without an arms table the control is the arm named "control"; otherwise the data are refused
    d = _copy(chinese, tmp_path / "no_arms")
    (d / "arms.parquet").unlink()
    errors = validate(d).errors
    assert any(
        e.column == "arm" and "named 'control'" in e.rule and e.file.endswith("assignments.parquet")
        for e in errors
    ), errors
    with pytest.raises(RunError, match="named 'control'"):
        run_reports(d, out=tmp_path / "r", reports=["experiment"], lang="en")


def test_without_arms_table_split_is_checked_against_equal_shares(synth_small, tmp_path):
    d = _copy(synth_small[0], tmp_path / "d")
    (d / "arms.parquet").unlink()
    src = load(d)
    name = ex.experiments(src)[0]
    plan = ex.planned_split(src, name)
    assert not plan.known and set(plan.weights) == {"control", "points", "badges", "cash"}
    srm = ex.srm_table(ex.metric_table(src, name, src.default_as_of()), plan)
    assert np.allclose(srm["expected_share"], 0.25) and not srm["planned"].any()
    assert srm["flagged"].all()  # the real split is 40/20/20/20, so equal shares do not fit
    result = run_reports(d, out=tmp_path / "r", reports=["experiment"], lang="en")
    assert result.ok, result.summary()
    page = (result.run_dir / f"{result.outcomes[0].name}.html").read_text(encoding="utf-8")
    assert "equal shares, because the data carry no planned split" in page


def test_two_experiments_get_their_own_pages_and_share_the_tables(chinese_run, chinese):
    out, result = chinese_run
    assert result.ok, result.summary()
    first = ex.experiments(load(chinese))[0]
    pages = {o.name: o for o in result.outcomes if o.name.startswith("experiment")}
    assert set(pages) == {report.page_name("experiment", first), report.page_name("experiment", SECOND)}
    html = {n: (result.run_dir / f"{n}.html").read_text(encoding="utf-8") for n in pages}
    own = html[report.page_name("experiment", SECOND)]
    other = html[report.page_name("experiment", first)]
    assert "红包" in own and "现金" not in own and "积分" not in own
    assert "现金" in other and "红包" not in other
    for table in (
        "experiment_effects",
        "experiment_srm",
        "experiment_novelty",
        "experiment_cost_effectiveness",
    ):
        df = pd.read_csv(result.run_dir / "tables" / f"{table}.csv")
        assert set(df["experiment"]) == {first, SECOND}, table
    index = (out / "index.html").read_text(encoding="utf-8")
    for n in pages:
        assert f"{n}.html" in index


def test_every_section_uses_the_same_estimator(synth_small):
    src = load(synth_small[0])
    table = ex.metric_table(src, ex.experiments(src)[0], src.default_as_of())
    eff = ex.effects(table)
    cup = eff[(eff["method"] == "cuped") & (eff["metric"] == "contributions")].set_index("arm")
    ce = ex.cost_effectiveness(table).set_index("arm")
    assert np.allclose(ce["incremental"], cup.loc[ce.index, "effect"])
    comp = ex.composition(table)
    checkins = comp[comp["type"] == "checkins"].set_index("arm")["incremental_per_member"]
    cup_checkins = eff[(eff["method"] == "cuped") & (eff["metric"] == "checkins")].set_index("arm")["effect"]
    assert np.allclose(checkins, cup_checkins.loc[checkins.index])
    assert (ex.novelty(table)["method"] == "cuped").all()


def test_weights_and_costs_must_be_finite(tmp_path, valid_tables):
    valid_tables["arms"]["weight"] = [float("inf"), 0.5]
    valid_tables["rewards"] = pd.DataFrame(
        {"member_id": ["u1", "u2", "u3"], "ts": ["2026-01-03T00:00:00Z"] * 3, "cost": ["-1", "inf", "NaN"]}
    )
    errors = validate(write_source(tmp_path / "d", **valid_tables)).errors
    by_col = {e.column: e for e in errors}
    assert by_col["weight"].rule == "planned weights must be positive finite numbers"
    assert by_col["cost"].rule == "cost must be a finite number, 0 or more" and by_col["cost"].count == 3


# --------------------------------------------------------------------------------------------------
# churn


def test_chinese_channels_without_organic_and_a_short_log(chinese_run):
    _, result = chinese_run
    tables = result.run_dir / "tables"
    hr = pd.read_csv(tables / "cox_hazard_ratios.csv")
    channels = {c.split("[", 1)[1].rstrip("]") for c in hr["covariate"] if c.startswith("channel[")}
    assert channels and channels < set(CHANNELS_ZH.values())
    assert len(channels) == len(CHANNELS_ZH) - 1  # one of them is the reference: the largest group
    rmst = pd.read_csv(tables / "rmst.csv")
    km = pd.read_csv(tables / "survival_km.csv")
    longest = km[km["group"] != "all"].groupby("group")["timeline"].max().min()
    assert rmst["tau"].iloc[0] <= longest < 90  # never extrapolated past a group's follow-up
    page = (result.run_dir / "churn.html").read_text(encoding="utf-8")
    assert "lowered to the shortest follow-up" in page
    assert "not yet observable" in page  # S(90) cannot be estimated on a 100-day log


def test_no_page_shows_nan_or_tracebacks(chinese_run):
    _, result = chinese_run
    for page in result.run_dir.glob("*.html"):
        text = _visible_text(page.read_text(encoding="utf-8"))
        found = re.search(r".{0,60}(?<![A-Za-z])nan(?![A-Za-z]).{0,20}", text, re.I | re.S)
        assert not found, (page.name, found and found.group(0))
        assert "Traceback" not in text and "Error" not in text.split("Definitions")[0], page.name


def test_left_truncation_with_entry_follows_the_counting_process(synth_small):
    src = load(synth_small[0])
    as_of = src.default_as_of()
    rules = survival.ChurnRules(left_truncation="entry")
    churn = survival.churn_table(src, as_of, rules)
    assert churn["left_truncated"].sum() > 50
    km = survival.kaplan_meier(churn)
    # R's survfit(Surv(entry, T, E)): at risk at t when entry < t <= T; S = prod(1 - d / n)
    # rows with T <= entry have no time at risk on (entry, T] (R refuses them), so they are left out
    valid = churn[(churn["entry"] == 0) | (churn["duration"] > churn["entry"])]
    t, e, entry = valid["duration"].to_numpy(), valid["event"].to_numpy(bool), valid["entry"].to_numpy()

    # (members who joined inside the log enter at 0 and are at risk from it, as in survfit(Surv(T, E)))
    def at_risk(u: float) -> int:
        return int((((entry < u) | (entry == 0)) & (t >= u)).sum())

    for _, row in km[km["events"] > 0].iloc[::7].iterrows():
        assert row["at_risk"] == at_risk(row["timeline"])
    times = np.unique(t[e])
    s = np.cumprod([1 - ((t == u) & e).sum() / at_risk(u) for u in times])
    got = km.set_index("timeline").loc[times, "survival"].to_numpy()
    assert np.allclose(got, s, rtol=0, atol=1e-12)
    # covariates of members who joined before the log are unknown, not "dormant"
    lm = survival.landmark_table(src, churn, as_of, rules)
    lt = lm["left_truncated"]
    assert lt.any() and lm.loc[lt, "lm_tier"].isna().all() and lm.loc[~lt, "lm_tier"].notna().all()
    refs, _ = cox.reference_levels(lm, {"lm_tier": "lurker", "channel": ""})
    fit = cox.fit_cox(lm, categorical=refs, ph_check=False)
    assert fit.left_out == int(lt.sum()) and fit.members == int((~lt).sum())


def test_reference_level_is_the_largest_group_and_single_levels_are_dropped():
    df = pd.DataFrame({"channel": ["搜索"] * 5 + ["广告"] * 3, "community": ["摄影"] * 8})
    refs, notes = cox.reference_levels(df, {"channel": "", "community": ""})
    assert refs == {"channel": "搜索"} and "community is left out" in notes[0]
    refs, notes = cox.reference_levels(df, {"channel": "organic"})
    assert refs == {"channel": "搜索"} and "No member has channel organic" in notes[0]


# --------------------------------------------------------------------------------------------------
# runs and the command line


def _start_run(data: Path, out: Path) -> subprocess.Popen:
    """``analysis run`` in a process group of its own, returned while its second report executes."""
    proc = subprocess.Popen(
        [str(BIN / "analysis"), "run", "--data", str(data), "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    for line in proc.stdout:  # wait until the second report is executing
        if line.startswith("[2/"):
            time.sleep(2)
            return proc
    raise AssertionError(f"the run ended before its second report: {proc.stderr.read()}")


@pytest.mark.parametrize("how", ["ctrl-c", "sigterm"])
def test_interrupted_run_is_recorded_and_never_latest(synth_small, tmp_path, how):
    out = tmp_path / "r"
    proc = _start_run(synth_small[0], out)
    if how == "ctrl-c":  # a terminal sends SIGINT to the whole foreground group, the kernel included
        os.killpg(proc.pid, signal.SIGINT)
    else:  # a scheduler stops the process it started
        proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    (run,) = (out / "runs").glob("*/run.json")
    meta = json.loads(run.read_text())
    assert meta["status"] == "interrupted" and [r["name"] for r in meta["reports"]] == ["kpi"]
    assert not (out / "latest").exists() and not list((out / "runs").glob(".tmp-*"))
    assert "interrupted" in (out / "index.html").read_text()


def test_killed_run_is_recorded_by_the_next_one(synth_small, tmp_path):
    out = tmp_path / "r"
    proc = _start_run(synth_small[0], out)
    os.killpg(proc.pid, signal.SIGKILL)  # the run and its kernel, as the OOM killer or a power cut would
    proc.wait(timeout=60)
    (stale,) = (out / "runs").glob(".tmp-*")
    shared = Path(tempfile.gettempdir()).glob(f"{shared_prefix(stale.name.removeprefix('.tmp-'))}*")
    (shared,) = list(shared)  # the killed run's private folder of shared tables was left behind
    assert (out / ".run.lock").read_text().strip() == str(proc.pid)
    res = subprocess.run(
        [str(BIN / "analysis"), "run", "--data", str(synth_small[0]), "--out", str(out), "--report", "kpi"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert res.returncode == 0, res.stderr
    assert f"stale lock: the run of process {proc.pid}" in res.stdout and "as interrupted" in res.stdout
    assert not shared.exists()  # the next run removed it
    assert not list((out / "runs").glob(".tmp-*"))
    metas = [json.loads(p.read_text()) for p in (out / "runs").glob("*/run.json")]
    assert sorted(m["status"] for m in metas) == ["interrupted", "ok"]
    index = (out / "index.html").read_text()
    assert "killed" in index and index.count('class="status-interrupted"') == 1


def test_implausible_timestamps_are_errors_naming_the_rows(tmp_path, valid_tables):
    ev = valid_tables["events"]
    valid_tables["events"] = pd.concat(
        [ev, events_frame([("u2", "2100-01-01T00:00:00Z", "visit"), ("u3", "1970-01-01T00:00:00Z", "post")])]
    )
    valid_tables["members"].loc[2, "joined_at"] = "1970-01-01T00:00:00Z"
    errors = validate(write_source(tmp_path / "d", **valid_tables)).errors
    text = "\n".join(map(str, errors))
    assert (
        "events.csv, column 'ts': timestamps after the time of this run" in text and "u2 @ 2100-01-01" in text
    )
    assert "members.csv, column 'joined_at': joined before 1990" in text and "u3 @ 1970-01-01" in text
    # with the member's join fixed, the 1970 event is before the first member joined
    valid_tables["members"].loc[2, "joined_at"] = "2026-01-01T02:00:00Z"
    text = "\n".join(map(str, validate(write_source(tmp_path / "e", **valid_tables)).errors))
    assert "timestamps before the first member joined (2026-01-01)" in text and "u3 @ 1970-01-01" in text
    later = validate(write_source(tmp_path / "f", **valid_tables), now=datetime(2200, 1, 1)).errors
    assert later and not any("after the time of this run" in e.rule for e in later)  # "now" is the run's time


def test_mixed_encodings_are_refused_naming_the_line(tmp_path, valid_tables):
    d = write_source(tmp_path / "d", **valid_tables)
    lines = (d / "members.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    body = (
        lines[0].encode("utf-8")
        + lines[1].encode("utf-8")
        + lines[2].encode("gb18030")
        + lines[3].encode("gb18030")
    )
    (d / "members.csv").write_bytes(body)
    (err,) = validate(d).errors
    assert err.file.endswith("members.csv") and "line 3 is not UTF-8 while line 2 is" in err.rule
    (d / "members.csv").write_bytes("".join(lines).encode("gb18030"))  # all GB18030 is fine
    assert validate(d).ok and set(load(d).members.community.execute()) == {"摄影"}


def test_paths_are_paths_and_a_table_is_given_once(tmp_path, valid_tables):
    d = write_source(tmp_path / "export*", fmt="parquet", **valid_tables)
    more = valid_tables | {"members": members_frame(5).assign(member_id=[f"x{i}" for i in range(5)])}
    write_source(tmp_path / "export2", fmt="parquet", **more)
    parts = tmp_path / "export[1]" / "events"
    parts.mkdir(parents=True)
    valid_tables["events"].to_parquet(parts / "part-0.parquet")
    assert load(d).members.count().execute() == 3  # not the sibling's 5 as well
    shutil.copy(d / "members.parquet", tmp_path / "export[1]" / "members.parquet")
    assert load(tmp_path / "export[1]").events.count().execute() == 4
    valid_tables["members"].to_csv(d / "members.csv", index=False)
    with pytest.raises(DataContractError, match="table 'members' is given more than once"):
        open_source(d)


def test_formula_like_names_are_neutralised_and_restricted_is_private(chinese_run):
    _, result = chinese_run
    seen = 0
    for f in [*(result.run_dir / "tables").glob("*.csv"), *(result.run_dir / "restricted").glob("*.csv")]:
        with open(f, encoding="utf-8", newline="") as fh:
            for row in csv.reader(fh):
                for cell in row:
                    seen += cell.startswith("'=")
                    assert not cell.startswith(("=", "+", "@")), (f.name, cell)
                    assert not (cell.startswith("-") and not re.fullmatch(r"-[\d.e+-]+|-inf", cell)), (
                        f.name,
                        cell,
                    )
    assert seen > 0
    restricted = result.run_dir / "restricted"
    assert stat.S_IMODE(restricted.stat().st_mode) == 0o700
    files = list(restricted.glob("*.csv"))
    assert files and all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)


BAD_PARAMETERS = [
    ({"churn_days": 0}, "'churn_days' must be a whole number from 1"),
    ({"cohort_grain": "year"}, "'cohort_grain' must be one of day, week, month"),
    ({"tz": "Mars/Olympus"}, "'tz' must be an IANA time zone"),
    ({"compare_window": ["2026-06-12", "2026-02-30"]}, "must be a date YYYY-MM-DD, got '2026-02-30'"),
    ({"weights": {"post": 5, "upvote": 1}}, "unknown contribution types \\['upvote'\\]"),
    ({"core_share": 0}, "'core_share' must be a number in \\(0, 1\\]"),
    ({"alpha": 1.5}, "'alpha' must be a number in \\(0, 0.5\\]"),
    ({"primary_metrics": ["revenue"]}, "unknown metrics \\['revenue'\\]"),
    ({"experiment": "no such test"}, "experiment 'no such test' is not in the data"),
    ({"as_of": "2026-13-01"}, "'as_of' must be a date"),
    ({"left_truncation": "drop"}, "'left_truncation' must be one of exclude, entry"),
]


@pytest.mark.parametrize(("params", "message"), BAD_PARAMETERS)
def test_bad_parameters_stop_the_run_before_any_kernel(synth_small, tmp_path, params, message):
    with pytest.raises(RunError, match=message):
        run_reports(synth_small[0], out=tmp_path / "r", params=params)
    assert not (tmp_path / "r").exists()  # nothing written


def test_bad_input_has_one_exit_code_and_one_line(synth_small, tmp_path, capsys):
    (tmp_path / "p.yaml").write_text("churn_days: 0\n", encoding="utf-8")
    runs = [
        ["--params", str(tmp_path / "p.yaml")],
        ["--tz", "Nowhere/City"],
        ["--out", str(tmp_path / "p.yaml")],  # a file, not a folder
    ]
    for extra in runs:
        args = ["run", "--data", str(synth_small[0]), "--out", str(tmp_path / "r"), *extra]
        assert cli_main(args) == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith("analysis run: ") and "\n" not in err and "Traceback" not in err, err
    (tmp_path / "params_per_report.yaml").write_text("reports:\n  churn:\n    weights: {post: 1}\n")
    assert (
        cli_main(
            [
                "run",
                "--data",
                str(synth_small[0]),
                "--out",
                str(tmp_path / "r"),
                "--params",
                str(tmp_path / "params_per_report.yaml"),
            ]
        )
        == 2
    )
    assert "must be the same for every report" in capsys.readouterr().err


def _immutable(folder: Path) -> bool:
    """Make ``folder`` unwritable even for root (chattr +i); False where the file system cannot."""
    if os.geteuid() != 0:
        folder.chmod(0o555)
        return True
    return subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode == 0


def test_read_only_output_folder_is_refused_first(synth_small, tmp_path):
    out = tmp_path / "r"
    (out / "runs").mkdir(parents=True)
    if not _immutable(out):
        pytest.skip("this file system cannot make a folder read-only for root")
    try:
        with pytest.raises(RunError, match="is not writable"):
            run_reports(synth_small[0], out=out, reports=["kpi"], lang="en")
        assert not list((out / "runs").iterdir())
    finally:
        subprocess.run(["chattr", "-i", str(out)], capture_output=True)
        out.chmod(0o755)


def test_duckdb_file_is_read_and_fingerprinted(tmp_path, valid_tables):
    import duckdb

    db = tmp_path / "community.duckdb"
    con = duckdb.connect(str(db))
    for name, df in valid_tables.items():
        frame = df.copy()
        for c in ("joined_at", "ts", "assigned_at"):
            if c in frame:
                frame[c] = pd.to_datetime(frame[c], utc=True).dt.tz_localize(None)
        con.register("frame", frame)
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM frame")
        con.unregister("frame")
    con.close()
    src = load(db)
    fp = src.fingerprint()
    assert fp != "e3b0c44298fc1c14" and src.members.count().execute() == 3  # not the hash of no bytes
    src.con.disconnect()
    with duckdb.connect(str(db)) as c:
        c.execute("UPDATE members SET community = '旅行' WHERE member_id = 'u1'")
    assert load(db).fingerprint() != fp


def test_run_records_the_data_as_given_and_every_effective_parameter(synth_small, tmp_path):
    (tmp_path / "p.yaml").write_text("weights: {post: 7, comment: 3, share: 2, like: 1}\n", encoding="utf-8")
    given = os.path.relpath(synth_small[0], Path.cwd())
    result = run_reports(
        given,
        out=tmp_path / "r",
        reports=["core_members", "churn"],
        params_file=tmp_path / "p.yaml",
        lang="en",
    )
    assert result.ok, result.summary()
    meta = json.loads((result.run_dir / "run.json").read_text())
    assert meta["data"] == given
    for name in ("core_members", "churn"):
        p = meta["parameters"][name]
        assert p["weights"]["post"] == 7 and p["core_share"] == 0.05 and "window_days" in p  # defaults too
    for page in ("core_members.html", "churn.html"):
        html = (result.run_dir / page).read_text(encoding="utf-8")
        assert "post × 7" in html and "post × 5" not in html
    # each report received the fingerprint the run validated (so it does not validate again)
    executed = (result.run_dir / "notebooks" / "churn.ipynb").read_text(encoding="utf-8")
    assert f'validated = \\"{meta["data_fingerprint"]}\\"' in executed
    # and the run's private shared folder, which is gone once the run has ended
    shared = re.search(r'shared = \\"([^"\\]+)\\"', executed).group(1)
    assert Path(shared).name.startswith("analysis-shared-") and not Path(shared).exists()


def test_api_accepts_iso_strings_for_days(synth_small):
    from analysis import kpi, segments

    src = load(synth_small[0], as_of="2026-06-29")
    a = kpi.daily_kpis(src, "2026-06-29")
    b = kpi.daily_kpis(src, date(2026, 6, 29))
    pd.testing.assert_frame_equal(a, b)
    assert len(segments.assign_tiers(src, pd.Timestamp("2026-06-01"))) > 0
    with pytest.raises(ValueError, match="not a date"):
        kpi.daily_kpis(src, "29/06/2026")


# --------------------------------------------------------------------------------------------------
# packaging


def test_installed_wheel_runs_a_report_outside_the_checkout(synth_small, tmp_path):
    """``pip install`` (not editable) into a fresh venv: the templates ship inside the package."""
    source = tmp_path / "source"  # built from a copy: an in-tree build would write into the checkout
    skip = shutil.ignore_patterns("*.egg-info", "__pycache__", ".ipynb_checkpoints")
    for part in ("src", "notebooks"):
        shutil.copytree(ROOT / part, source / part, ignore=skip)
    for part in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / part, source / part)
    wheels = tmp_path / "wheels"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(wheels),
            str(source),
        ],
        check=True,
        capture_output=True,
    )
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    site = next((venv / "lib").glob("python3*/site-packages"))
    deps = next(p for p in map(Path, sys.path) if p.name == "site-packages" and (p / "pandas").exists())
    (site / "deps.pth").write_text(str(deps) + "\n")  # the dependencies, without the editable install
    (venv / "share" / "jupyter").mkdir(parents=True)  # and nbconvert's templates, as its install puts them
    (venv / "share" / "jupyter" / "nbconvert").symlink_to(
        Path(sys.prefix) / "share" / "jupyter" / "nbconvert"
    )
    py = venv / "bin" / "python"
    subprocess.run(
        [str(py), "-m", "pip", "install", "-q", "--no-deps", str(next(wheels.glob("*.whl")))], check=True
    )
    subprocess.run(
        [str(py), "-m", "ipykernel", "install", "--sys-prefix", "--name", "python3"],
        check=True,
        capture_output=True,
    )
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("ANALYSIS_NOTEBOOKS", "PYTHONPATH")}
    env["PATH"] = f"{venv / 'bin'}:{env['PATH']}"
    res = subprocess.run(
        [
            str(venv / "bin" / "analysis"),
            "run",
            "--data",
            str(synth_small[0]),
            "--out",
            "reports",
            "--report",
            "kpi",
        ],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert res.returncode == 0, res.stdout + res.stderr
    where = subprocess.run(
        [str(py), "-c", "import analysis.report as r; print(r.notebooks_dir())"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert where.startswith(str(site)) and (Path(where) / "kpi_report.ipynb").exists()
    assert list((work / "reports" / "runs").glob("*/kpi.html"))
    kernel = json.loads((venv / "share" / "jupyter" / "kernels" / "python3" / "kernel.json").read_text())
    assert kernel["argv"][0].startswith(str(venv))  # the report ran on the wheel, not on the checkout
