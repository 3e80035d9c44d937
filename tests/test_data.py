"""Input contract: loading, normalising and every validation rule (docs/definitions.md, "Input data")."""

from __future__ import annotations

import os
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import duckdb
import ibis
import pandas as pd
import pytest

from analysis.cli import main as cli_main
from analysis.data import DataContractError, load, to_local, utc_offsets, validate

from conftest import events_frame, members_frame, write_source


def _rules(report):
    return [(i.severity, os.path.basename(i.file), i.column, i.rule) for i in report.issues]


def test_valid_source_has_no_issues(tmp_path, valid_tables):
    src = write_source(tmp_path / "d", **valid_tables)
    report = validate(src)
    assert report.ok and report.issues == ()
    assert report.rows == {"members": 3, "events": 4, "assignments": 2, "arms": 2}
    assert (report.first_day, report.last_day) == (date(2026, 1, 1), date(2026, 1, 5))


def test_missing_required_table(tmp_path, valid_tables):
    del valid_tables["events"]
    report = validate(write_source(tmp_path / "d", **valid_tables))
    assert not report.ok
    (issue,) = report.errors
    assert "events" in issue.file and "required table 'events' is missing" in issue.rule


def test_missing_column(tmp_path, valid_tables):
    valid_tables["members"] = valid_tables["members"].drop(columns=["joined_at"])
    report = validate(write_source(tmp_path / "d", **valid_tables))
    (issue,) = report.errors
    assert issue.file.endswith("members.csv") and issue.column == "joined_at" and "missing" in issue.rule


def test_optional_columns_may_be_absent(tmp_path, valid_tables):
    valid_tables["members"] = valid_tables["members"][["member_id", "joined_at"]]
    src = load(write_source(tmp_path / "d", **valid_tables))
    assert src.members.execute()["community"].isna().all()


def test_wrong_type_in_parquet(tmp_path, valid_tables):
    valid_tables["members"]["member_id"] = [1, 2, 3]
    valid_tables["events"]["member_id"] = [1, 1, 2, 3]
    report = validate(write_source(tmp_path / "d", fmt="parquet", **valid_tables))
    cols = {(os.path.basename(i.file), i.column) for i in report.errors}
    assert ("members.parquet", "member_id") in cols and ("events.parquet", "member_id") in cols
    assert all(
        "wrong type: expected text, found int64" in i.rule for i in report.errors if i.column == "member_id"
    )


@pytest.mark.parametrize(
    ("table", "column", "value", "rule"),
    [
        ("arms", "weight", "heavy", "values are not numbers"),
        ("arms", "is_control", "maybe", "values are not true/false"),
        ("events", "ts", "yesterday", "unparseable timestamps"),
        ("members", "joined_at", "2026-13-45", "unparseable timestamps"),
    ],
)
def test_unparseable_values_name_file_column_and_examples(tmp_path, valid_tables, table, column, value, rule):
    valid_tables[table][column] = valid_tables[table][column].astype(object)
    valid_tables[table].loc[0, column] = value
    report = validate(write_source(tmp_path / "d", **valid_tables))
    (issue,) = [i for i in report.errors if i.column == column and i.rule == rule]
    assert (os.path.basename(issue.file), issue.column, issue.rule) == (f"{table}.csv", column, rule)
    assert issue.examples == (value,) and issue.count == 1


def test_null_and_duplicate_member_id(tmp_path, valid_tables):
    valid_tables["members"] = pd.concat([members_frame(3), members_frame(2)], ignore_index=True)
    valid_tables["members"].loc[4, "member_id"] = None
    report = validate(write_source(tmp_path / "d", **valid_tables))
    rules = {(i.column, i.rule, i.count) for i in report.errors}
    assert ("member_id", "null values are not allowed", 1) in rules
    dup = next(i for i in report.errors if "unique" in i.rule)
    assert dup.examples == ("u1",) and dup.count == 1


def test_unknown_event_type(tmp_path, valid_tables):
    valid_tables["events"].loc[1, "event_type"] = "upvote"
    valid_tables["events"].loc[2, "event_type"] = "upvote"
    report = validate(write_source(tmp_path / "d", **valid_tables))
    (issue,) = report.errors
    assert issue.column == "event_type" and issue.examples == ("upvote",) and issue.count == 2
    assert "visit, post, comment, share, like, checkin, invite" in issue.rule


def test_events_and_assignments_for_unknown_members(tmp_path, valid_tables):
    valid_tables["events"].loc[0, "member_id"] = "ghost"
    valid_tables["assignments"].loc[1, "member_id"] = "phantom"
    report = validate(write_source(tmp_path / "d", **valid_tables))
    got = {(os.path.basename(i.file), i.examples) for i in report.errors}
    assert got == {("events.csv", ("ghost",)), ("assignments.csv", ("phantom",))}


def test_invited_by_must_refer_to_a_member(tmp_path, valid_tables):
    valid_tables["members"].loc[2, "invited_by"] = "nobody"
    report = validate(write_source(tmp_path / "d", **valid_tables))
    (issue,) = report.errors
    assert issue.column == "invited_by" and issue.examples == ("nobody",)


def test_member_in_two_arms_is_a_warning_with_counts(tmp_path, valid_tables):
    extra = pd.DataFrame(
        {
            "experiment": ["e1"],
            "member_id": ["u1"],
            "arm": ["points"],
            "assigned_at": ["2026-01-03T00:00:00Z"],
        }
    )
    valid_tables["assignments"] = pd.concat([valid_tables["assignments"], extra], ignore_index=True)
    report = validate(write_source(tmp_path / "d", **valid_tables))
    assert report.ok
    (w,) = report.warnings
    assert w.count == 1 and w.examples == ("u1",) and "multiple exposure" in w.rule and "'e1'" in w.rule


def test_arms_rules(tmp_path, valid_tables):
    valid_tables["arms"].loc[1, "is_control"] = True
    valid_tables["arms"].loc[0, "weight"] = -1
    valid_tables["assignments"].loc[1, "arm"] = "cash"
    report = validate(write_source(tmp_path / "d", **valid_tables))
    rules = {i.rule for i in report.errors}
    assert "each experiment needs exactly one control arm" in rules
    assert "planned weights must be positive finite numbers" in rules
    assert "assignment arms are not listed in arms" in rules


def test_as_of_outside_the_data(tmp_path, valid_tables):
    src = write_source(tmp_path / "d", **valid_tables)
    assert validate(src, as_of=date(2026, 1, 5)).ok
    for bad in (date(2025, 12, 31), date(2026, 1, 6)):
        (issue,) = validate(src, as_of=bad).errors
        assert f"as_of {bad} is outside the data: local days 2026-01-01 .. 2026-01-05" in issue.rule


def test_load_raises_with_every_error(tmp_path, valid_tables):
    valid_tables["events"].loc[0, "event_type"] = "upvote"
    valid_tables["events"].loc[1, "member_id"] = "ghost"
    with pytest.raises(DataContractError) as exc:
        load(write_source(tmp_path / "d", **valid_tables))
    assert len(exc.value.issues) == 2
    assert "events.csv, column 'event_type'" in str(exc.value)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_encodings_load_the_same(tmp_path, valid_tables, encoding):
    before = {}
    folder = write_source(tmp_path / "d", encoding=encoding, **valid_tables)
    for f in folder.iterdir():
        before[f.name] = (f.stat().st_mtime_ns, f.read_bytes())
    src = load(folder)
    members = src.members.order_by("member_id").execute()
    assert members["community"].tolist() == ["摄影"] * 3
    assert members.columns[0] == "member_id"  # a BOM does not leak into the first column name
    assert src.events.count().execute() == 4
    after = {f.name: (f.stat().st_mtime_ns, f.read_bytes()) for f in folder.iterdir()}
    assert after == before  # nothing under the data folder is written


def test_parquet_and_csv_give_identical_tables(tmp_path, valid_tables):
    a = load(write_source(tmp_path / "csv", **valid_tables))
    b = load(
        write_source(tmp_path / "pq", fmt="parquet", **{k: _typed(k, v) for k, v in valid_tables.items()})
    )
    for name in valid_tables:
        x = a.tables[name].execute().sort_values(list(a.tables[name].columns)).reset_index(drop=True)
        y = b.tables[name].execute().sort_values(list(b.tables[name].columns)).reset_index(drop=True)
        pd.testing.assert_frame_equal(x, y, check_dtype=False)


def _typed(name: str, df: pd.DataFrame) -> pd.DataFrame:
    df = df.copy()
    for c in ("joined_at", "ts", "assigned_at"):
        if c in df:
            df[c] = pd.to_datetime(df[c], utc=True)
    return df


def test_duckdb_database_source_is_opened_read_only(tmp_path, valid_tables):
    db = tmp_path / "community.duckdb"
    con = duckdb.connect(str(db))
    for name, df in valid_tables.items():
        con.register("tmp_df", _typed(name, df))
        con.execute(f"create table {name} as select * from tmp_df")
        con.unregister("tmp_df")
    con.close()
    mtime = db.stat().st_mtime_ns
    src = load(db)
    assert src.events.count().execute() == 4
    assert db.stat().st_mtime_ns == mtime


def test_timestamps_with_offsets_are_converted_to_utc(tmp_path, valid_tables):
    valid_tables["events"] = events_frame(
        [
            ("u1", "2026-01-01T23:59:00+08:00", "visit"),  # local 23:59 on Jan 1
            ("u1", "2026-01-01T16:01:00Z", "visit"),  # local 00:01 on Jan 2
            ("u2", "2026-01-01 15:59:00", "visit"),  # naive = UTC: local 23:59 on Jan 1
        ]
    )
    src = load(write_source(tmp_path / "d", **valid_tables))
    e = src.events_local().order_by(["member_id", "ts"]).execute()
    assert e["ts"].dt.strftime("%Y-%m-%d %H:%M").tolist() == [
        "2026-01-01 15:59",
        "2026-01-01 16:01",
        "2026-01-01 15:59",
    ]
    assert [str(pd.Timestamp(d).date()) for d in e["day"]] == ["2026-01-01", "2026-01-02", "2026-01-01"]


def test_default_as_of_is_the_day_before_the_latest_event(tmp_path, valid_tables):
    src = load(write_source(tmp_path / "d", **valid_tables))
    assert src.default_as_of() == date(2026, 1, 4)


@pytest.mark.parametrize("tz", ["America/New_York", "Europe/Berlin", "Australia/Lord_Howe", "Asia/Shanghai"])
def test_local_time_matches_zoneinfo_across_dst(tz):
    start, end = datetime(2024, 11, 1), datetime(2026, 11, 1)  # two years, none after the time of the run
    offsets = utc_offsets(tz, start, end)
    if tz != "Asia/Shanghai":
        assert len(offsets) >= 5
    probes = []
    for since in [start] + [t for t, _ in offsets[1:]]:
        for delta in (-3601, -1, 0, 1, 3600, 86400 * 40):
            t = since + timedelta(seconds=delta)
            if start <= t <= end:
                probes.append(t)
    t = ibis.memtable({"ts": probes}).mutate(local=lambda x: to_local(x.ts, tz, start, end))
    got = [x.to_pydatetime() for x in t.execute()["local"]]
    want = [p.replace(tzinfo=ZoneInfo("UTC")).astimezone(ZoneInfo(tz)).replace(tzinfo=None) for p in probes]
    assert got == want


@pytest.mark.parametrize("tz", ["America/Santiago", "Asia/Beirut", "America/New_York", "Asia/Shanghai"])
def test_day_limits_on_utc_timestamps_match_local_days(tmp_path, tz):
    """events_local(as_of, since) filters on UTC instants where local days are in time order; the kept
    events are exactly those whose zoneinfo local day lies in [since, as_of], also across DST changes at
    midnight (Santiago and Beirut fall back at 24:00) and through the local-day filter used where the
    clock would step back across midnight (forced here: no current zone does)."""
    start, end = datetime(2024, 11, 1), datetime(2026, 11, 1)  # two years, none after the time of the run
    probes = {start, end}
    for since in [t for t, _ in utc_offsets(tz, start, end)[1:]]:
        for h in range(-30, 31):
            for s in (-1, 0, 1):
                probes.add(since + timedelta(hours=h, seconds=s))
    t = start
    while t < end:  # every local midnight and its neighbours
        local = t.replace(tzinfo=ZoneInfo("UTC")).astimezone(ZoneInfo(tz))
        probes.update(t + timedelta(seconds=s) for s in (-1, 0, 1, 3 * 3600))
        t = t + timedelta(hours=6) if local.hour else t + timedelta(hours=23)
    probes = sorted(probes)
    local_day = {p: p.replace(tzinfo=ZoneInfo("UTC")).astimezone(ZoneInfo(tz)).date() for p in probes}
    events = events_frame([("u1", p.strftime("%Y-%m-%dT%H:%M:%SZ"), "visit") for p in probes])
    src = load(
        write_source(
            tmp_path / "d",
            fmt="parquet",
            members=members_frame(1, joined_at=["2024-10-01T00:00:00Z"]),
            events=events,
        ),
        tz=tz,
    )
    days = sorted(set(local_day.values()))
    assert all(src.day_start(d) is not None for d in days)
    zone = ZoneInfo(tz)
    near_changes = {
        (t.replace(tzinfo=ZoneInfo("UTC")).astimezone(zone) + timedelta(days=k)).date()
        for t, _ in utc_offsets(tz, start, end)[1:]
        for k in (-1, 0, 1)
    }
    checked = [d for d in days[1:-1] if d in near_changes or (d - days[0]).days % 121 == 0]
    src_by_day = load(src.files["events"].rsplit("/", 1)[0], tz=tz)
    src_by_day.day_start = lambda d: None
    for s in (src, src_by_day):
        for d in checked:
            for since, as_of in ((d, None), (None, d)):
                got = s.events_local(as_of, since=since).select("ts").execute()["ts"]
                got = sorted(x.to_pydatetime() for x in got)
                want = [
                    p
                    for p in probes
                    if (since is None or local_day[p] >= since) and (as_of is None or local_day[p] <= as_of)
                ]
                assert got == want, (d, since, as_of)


def test_cli_validate_exit_codes(tmp_path, valid_tables, capsys):
    good = write_source(tmp_path / "good", **valid_tables)
    assert cli_main(["validate", "--data", str(good)]) == 0
    assert "OK" in capsys.readouterr().out
    valid_tables["events"].loc[0, "event_type"] = "upvote"
    bad = write_source(tmp_path / "bad", **valid_tables)
    assert cli_main(["validate", "--data", str(bad)]) == 2  # bad input: 2, as for analysis run
    err = capsys.readouterr().err
    assert "events.csv, column 'event_type'" in err and "'upvote'" in err
    assert cli_main(["validate", "--data", str(tmp_path / "nowhere")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert cli_main(["validate", "--data", str(good), "--as-of", "2030-01-01"]) == 2
    assert "outside the data" in capsys.readouterr().err
    assert cli_main(["validate", "--data", str(good), "--tz", "Mars/Olympus"]) == 2
    assert "IANA time zone" in capsys.readouterr().err


def test_synthetic_community_meets_the_contract(synth_small):
    folder, truth = synth_small
    report = validate(folder, as_of=date.fromisoformat(truth["as_of"]))
    assert report.ok, report.errors
    assert [w.rule.split(":")[0] for w in report.warnings] == ["multiple exposure"]
