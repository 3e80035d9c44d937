"""The run-and-render path: pages people can trust, failures that never hide, parameters checked early."""

from __future__ import annotations

import html
import json
import re
import shutil
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from analysis import i18n, report
from analysis.cli import main as cli_main
from analysis.report import RunError, run_reports
from analysis.synth import SynthConfig, generate

MEMBER_ID = re.compile(r"\bm\d{7}\b")
EVIL = '<script>alert("x")</script> & Co'
EVIL_EXPERIMENT = "spring <b>push</b>"


@pytest.fixture(scope="module")
def evil_data(tmp_path_factory) -> Path:
    """A small community whose largest community is named with markup."""
    out = tmp_path_factory.mktemp("evil")
    generate(SynthConfig(members=1500, seed=5), out)
    m = pd.read_parquet(out / "members.parquet")
    m.loc[m["community"] == "Photography", "community"] = EVIL
    m.to_parquet(out / "members.parquet", index=False)
    # a second experiment, named with markup: the experiment report runs once per experiment
    a = pd.read_parquet(out / "assignments.parquet")
    arms = pd.read_parquet(out / "arms.parquet")
    second = a[a["arm"].isin(["control", "points"])].assign(experiment=EVIL_EXPERIMENT)
    pd.concat([a, second]).to_parquet(out / "assignments.parquet", index=False)
    extra = arms[arms["arm"].isin(["control", "points"])].assign(
        experiment=EVIL_EXPERIMENT, weight=[0.5, 0.5]
    )
    pd.concat([arms, extra]).to_parquet(out / "arms.parquet", index=False)
    return out


@pytest.fixture(scope="module")
def good_run(evil_data, tmp_path_factory):
    out = tmp_path_factory.mktemp("reports")
    result = run_reports(evil_data, out=out)
    return out, result


def _pages(run_dir: Path) -> list[Path]:
    return sorted(run_dir.glob("*.html"))


def test_every_report_renders_a_clean_self_contained_page(good_run):
    out, result = good_run
    assert result.ok and result.outcomes
    names = {o.name for o in result.outcomes}
    assert names == {
        "kpi",
        "core_members",
        "churn",
        report.page_name("experiment", "incentives_2026q2"),
        report.page_name("experiment", EVIL_EXPERIMENT),
    }
    assert {r.name for r in report.available_reports()} == {"kpi", "core_members", "churn", "experiment"}
    for page in _pages(result.run_dir):
        html = page.read_text(encoding="utf-8")
        assert "Traceback" not in html and "Error" not in re.sub(r"<[^>]+>", "", html).split("Definitions")[0]
        assert 'class="input' not in html and "In&nbsp;[" not in html and "In [" not in html
        assert "import " not in html  # no code
        assert not MEMBER_ID.search(html), MEMBER_ID.search(html)
        assert "<script" not in html.lower()
        imgs = re.findall(r"<img [^>]*src=\"([^\"]*)\"", html)
        assert imgs and all(src.startswith("data:image/") for src in imgs)
        assert not re.search(r"(src|href)=[\"']?(https?:)?//", html)
        zh = page.name.endswith(".zh.html")
        assert (
            ("运行详情" in html and "数据指纹" in html)
            if zh
            else ("Run details" in html and "data fingerprint" in html)
        )
        assert f'<html lang="{"zh-Hans" if zh else "en"}">' in html
    page = (result.run_dir / f"{report.page_name('experiment', EVIL_EXPERIMENT)}.html").read_text(
        encoding="utf-8"
    )
    assert "spring &lt;b&gt;push&lt;/b&gt;" in page and "<b>push" not in page
    assert "spring &lt;b&gt;push&lt;/b&gt;" in (result.run_dir.parent.parent / "index.html").read_text()


def test_a_run_writes_exactly_the_declared_tables_and_the_readme_lists_them(good_run):
    out, result = good_run
    meta = json.loads((result.run_dir / "run.json").read_text())
    specs = {s.name: s for s in report.REPORTS}
    declared = set()
    for name, params in meta["parameters"].items():
        spec = specs[name] if name in specs else specs["experiment"]
        declared |= spec.outputs(params)
    written = {str(p.relative_to(result.run_dir)) for p in result.run_dir.glob("*/*.csv")}
    assert written == declared
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    for spec in report.REPORTS:
        for name in (*spec.tables, *spec.restricted):
            shown = re.sub(r"{(\w+)}", r"<\1>", name)  # kpi_daily_by_{breakdown} -> kpi_daily_by_<breakdown>
            assert f"`{shown}.csv`" in readme, name


def test_data_strings_are_escaped(good_run):
    _, result = good_run
    html = (result.run_dir / "kpi.html").read_text(encoding="utf-8")
    # the markup arrives as text (a quote inside text needs no escaping, and nbconvert writes it plain)
    assert re.search(r"&lt;script&gt;alert\((&quot;|\")x(&quot;|\")\)&lt;/script&gt; &amp; Co", html)
    assert "<script" not in html.lower()


def test_run_folder_contents_and_index(good_run):
    out, result = good_run
    meta = json.loads((result.run_dir / "run.json").read_text())
    assert meta["status"] == "ok" and meta["as_of"] == result.as_of and len(meta["data_fingerprint"]) == 16
    for name in ("kpi_daily", "retention_new_members", "retention_two_week", "retention_monthly"):
        assert (result.run_dir / "tables" / f"{name}.csv").exists()
    daily = pd.read_csv(result.run_dir / "tables" / "kpi_daily.csv")
    assert list(daily.columns[:12]) == [
        "date",
        "uv",
        "dau",
        "wau",
        "mau",
        "dau_mau",
        "posts",
        "comments",
        "shares",
        "likes",
        "contributions",
        "contributors",
    ]
    assert (result.run_dir / "run.log").exists()
    assert (out / "latest").resolve() == result.run_dir.resolve()
    index = (out / "index.html").read_text()
    assert result.run_dir.name in index and "ok" in index
    assert not list((out / "runs").glob(".tmp-*"))


def test_failing_notebook_keeps_latest_and_is_shown_failed(
    good_run, evil_data, tmp_path, monkeypatch, capsys
):
    out, good = good_run
    nbdir = tmp_path / "notebooks"
    shutil.copytree(report.notebooks_dir(), nbdir)
    nb = nbformat.read(nbdir / "kpi_report.ipynb", as_version=4)
    nb.cells.insert(3, nbformat.v4.new_code_cell('raise RuntimeError("boom")'))
    nbformat.write(nb, nbdir / "kpi_report.ipynb")
    monkeypatch.setenv("ANALYSIS_NOTEBOOKS", str(nbdir))
    code = cli_main(["run", "--data", str(evil_data), "--out", str(out), "--report", "kpi"])
    assert code == 1
    printed = capsys.readouterr().out
    assert "FAILED" in printed and "kpi: failed at cell 4: RuntimeError: boom" in printed
    assert (out / "latest").resolve() == good.run_dir.resolve()
    runs = json.loads(json.dumps([json.loads(p.read_text()) for p in (out / "runs").glob("*/run.json")]))
    failed = [r for r in runs if r["status"] == "failed"]
    assert len(failed) == 1 and failed[0]["reports"][0]["error"] == "RuntimeError"
    folder = next(
        p.parent for p in (out / "runs").glob("*/run.json") if json.loads(p.read_text())["status"] == "failed"
    )
    executed = nbformat.read(folder / "notebooks" / "kpi.ipynb", as_version=4)
    assert any(o.get("output_type") == "error" for c in executed.cells for o in c.get("outputs", []))
    assert not (folder / "kpi.html").exists()
    index = (out / "index.html").read_text()
    # the message is shown (no traceback), and the cell is counted among the template's own cells
    assert "failed at cell 4" in index and "RuntimeError: boom" in index and "Traceback" not in index
    assert failed[0]["reports"][0]["failed_cell"] == 4 and failed[0]["reports"][0]["message"] == "boom"


def test_unknown_and_wrong_typed_parameters_fail_before_any_kernel(evil_data, tmp_path):
    with pytest.raises(RunError, match="unknown parameter"):
        run_reports(evil_data, out=tmp_path / "r", params={"nonsense": 1})
    with pytest.raises(RunError, match="'weeks' must be a whole number"):
        run_reports(evil_data, out=tmp_path / "r", params={"weeks": "twelve"})
    with pytest.raises(RunError, match="must be a date"):
        run_reports(
            evil_data,
            out=tmp_path / "r",
            reports=["kpi"],
            params_file=_yaml(tmp_path, "as_of: soon\n"),
        )
    with pytest.raises(RunError, match="must be the same for every report"):
        run_reports(
            evil_data, out=tmp_path / "r", params_file=_yaml(tmp_path, "reports:\n  kpi:\n    tz: UTC\n")
        )
    with pytest.raises(RunError, match="set by the runner"):
        run_reports(evil_data, out=tmp_path / "r", params={"output_dir": "/tmp"})
    with pytest.raises(RunError, match="unknown report"):
        run_reports(evil_data, out=tmp_path / "r", reports=["nope"])
    assert not (tmp_path / "r").exists()


def _yaml(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "params.yaml"
    p.write_text(text)
    return p


def test_cli_reports_parameter_errors_with_exit_code_2(evil_data, tmp_path, capsys):
    code = cli_main(
        [
            "run",
            "--data",
            str(evil_data),
            "--out",
            str(tmp_path / "r"),
            "--params",
            str(_yaml(tmp_path, "weeks: many\n")),
        ]
    )
    assert code == 2 and "'weeks' must be a whole number" in capsys.readouterr().err


def test_bad_data_stops_the_run_before_anything_is_written(tmp_path, valid_tables):
    from conftest import write_source

    valid_tables["events"].loc[0, "event_type"] = "upvote"
    bad = write_source(tmp_path / "bad", **valid_tables)
    with pytest.raises(RunError, match="event_type"):
        run_reports(bad, out=tmp_path / "r")
    assert not (tmp_path / "r").exists()


def test_second_concurrent_run_is_refused(evil_data, tmp_path):
    out = tmp_path / "r"
    with report._lock(out, []), pytest.raises(RunError, match="another 'analysis run' is writing"):
        run_reports(evil_data, out=out, reports=["kpi"])


def test_rerun_of_the_same_as_of_creates_a_new_run(evil_data, tmp_path):
    out = tmp_path / "r"
    a = run_reports(evil_data, out=out, reports=["kpi"], lang="en")
    b = run_reports(evil_data, out=out, reports=["kpi"], lang="en")
    assert a.as_of == b.as_of and a.run_dir != b.run_dir
    assert a.run_dir.exists() and b.run_dir.exists()
    assert not (out / "latest").exists()  # a run of some reports only never becomes ``latest``
    assert sorted(p.name for p in (a.run_dir / "tables").iterdir()) == sorted(
        p.name for p in (b.run_dir / "tables").iterdir()
    )
    index = (out / "index.html").read_text()
    assert index.index(b.run_dir.name) < index.index(a.run_dir.name)  # newest first


def test_fmt_kinds():
    from datetime import date as _date

    from analysis.tables import fmt

    assert [fmt(1234), fmt(1.5), fmt(True), fmt("x"), fmt(_date(2026, 1, 2))] == [
        "1,234",
        "1.50",
        "True",
        "x",
        "2026-01-02",
    ]
    assert [fmt(0.1234, "pct"), fmt(0.5, "pct0"), fmt(-0.05, "signed_pct"), fmt(2.25, "float1")] == [
        "12.3%",
        "50%",
        "-5.0%",
        "2.2",
    ]
    assert [fmt(0.0004, "p"), fmt(0.5, "p"), fmt(float("nan"), "pct"), fmt(None)] == [
        "<0.001",
        "0.500",
        "n/a",
        "n/a",
    ]


def test_reports_of_a_run_do_not_validate_the_data_again(tmp_path, valid_tables, monkeypatch):
    """The runner validates once and hands each report the fingerprint it validated; a report whose data
    still have it skips validation, and one whose data changed since validates them (and refuses them
    when they are now bad)."""
    from analysis import session
    from analysis.data import DataContractError, load, open_source

    from conftest import write_source

    data = write_source(tmp_path / "d", **valid_tables)
    fingerprint = open_source(data).fingerprint()
    calls = []
    monkeypatch.setattr(session, "load", lambda *a, **k: calls.append(a) or load(*a, **k))
    ctx = session.open_report(str(data), validated=fingerprint)
    assert calls == [] and ctx.as_of == load(data).default_as_of()
    session.open_report(str(data), validated="0" * 16)  # not what the run validated: validate here
    assert len(calls) == 1
    bad = valid_tables["events"].copy()
    bad.loc[0, "event_type"] = "upvote"
    write_source(data, events=bad)  # the data changed after the run validated them
    with pytest.raises(DataContractError, match="upvote"):
        session.open_report(str(data), validated=fingerprint)


def test_reports_of_a_run_share_the_member_days_the_first_one_built(tmp_path, valid_tables):
    """With the run's ``shared`` folder, the first report writes the member-day table it builds there and
    a later report reads it (the same rows) instead of aggregating the events again; without the folder,
    or for data that are not what the run validated, nothing is shared."""
    import duckdb

    from analysis import session
    from analysis.activity import member_days
    from analysis.data import open_source

    from conftest import write_source

    data = write_source(tmp_path / "d", **valid_tables)
    fingerprint = open_source(data).fingerprint()
    shared = tmp_path / "shared"
    shared.mkdir()
    first = session.open_report(str(data), validated=fingerprint, shared=str(shared))
    built = member_days(first.src, first.as_of).to_pandas()
    files = list(shared.glob("member_days_*.parquet"))
    assert len(files) == 1 and not list(shared.glob(".*"))  # written whole, no temporary file left
    later = session.open_report(str(data), validated=fingerprint, shared=str(shared))
    read = member_days(later.src, later.as_of)
    cols = list(built.columns)
    pd.testing.assert_frame_equal(
        read.to_pandas().sort_values(cols).reset_index(drop=True),
        built.sort_values(cols).reset_index(drop=True),
    )
    files[0].write_bytes(b"not parquet")  # a later report must be reading the file, so it now fails
    with pytest.raises(duckdb.Error):
        member_days(
            session.open_report(str(data), validated=fingerprint, shared=str(shared)).src, later.as_of
        )
    alone = session.open_report(str(data), validated="0" * 16, shared=str(tmp_path / "other"))
    member_days(alone.src, alone.as_of)
    assert not (tmp_path / "other").exists()  # data not as the run validated them: nothing shared


def test_index_opens_with_this_weeks_summary_in_both_languages(good_run):
    """本周摘要: the newest good run's headline numbers, each with its change, linking into its pages."""
    out, result = good_run
    cmp = pd.read_csv(result.run_dir / "tables" / "kpi_compare.csv").set_index("metric")
    tiers = pd.read_csv(result.run_dir / "tables" / "tiers.csv").set_index("tier")
    folder = result.run_dir.name
    for lang, heading in (("en", "This week"), ("zh", "本周摘要")):
        t = i18n.translator(lang)
        page = (out / ("index.html" if lang == "en" else "index.zh.html")).read_text(encoding="utf-8")
        assert f"<h2>{heading}</h2>" in page and page.index(heading) < page.index("<table")
        section = page[page.index(heading) : page.index("<table")]
        assert html.escape(t.count(cmp.loc["uv", "current"])) in section
        assert (
            html.escape(t("{change} vs previous", change=f"{cmp.loc['uv', 'change_vs_previous']:+.1%}"))
            in section
        )
        assert f">{html.escape(t.count(tiers.loc['core', 'members']))}<" in section
        suffix = "" if lang == "en" else ".zh"
        assert f'href="runs/{folder}/kpi{suffix}.html"' in section
        assert f'href="runs/{folder}/core_members{suffix}.html"' in section
        assert "nan" not in re.sub(r"<[^>]+>", " ", section)
        assert html.escape(t("Core members likely to leave")) in section
        assert f'href="runs/{folder}/churn{suffix}.html"' in section


def test_csv_cells_are_neutralised_like_the_rule_cell_by_cell():
    """The vectorised neutralisation of a column equals OWASP's rule applied to each cell, for text,
    numbers and missing values mixed in one column."""
    import numpy as np

    from analysis import tables

    cells = ["=1+1", "+86 138", "-3", "@SUM(A1)", "\tx", "ok", "", "会员=1", 7, -2.5, None, np.nan]
    cells += [np.str_("=np"), "\rcr"]
    column = pd.Series(cells * 3, dtype=object)
    got = tables._neutralised_column(column)
    want = column.map(tables.neutralise)
    assert got.tolist()[:8] == want.tolist()[:8] and len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        assert (g is w) or (g == w) or (pd.isna(g) and pd.isna(w)), (g, w)
    assert got[0] == "'=1+1" and got[4] == "'\tx" and got[7] == "会员=1" and got[8] == 7
    assert got[12] == "'=np" and got[13] == "'\rcr"
