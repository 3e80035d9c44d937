"""The same analyses on DuckDB, a real PostgreSQL server and PySpark local[2]: every event-level function
returns exactly DuckDB's result, on a small simulated community read in a zone without daylight saving
(Asia/Shanghai) and in one whose clock steps back across midnight (America/Santiago, inside the log).

The servers are started here (tests/servers.py); ``.ci/run`` installs them. One Spark session serves the
whole run; PostgreSQL gets its tables with warehouse types (timestamptz, double precision, boolean)."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import ibis
import numpy as np
import pandas as pd
import pytest

from analysis import activity, experiment, growth, kpi, segments, survival
from analysis.data import DataSource, experiments, load, open_source, validate
from analysis.synth import SynthConfig, generate

import servers
from conftest import run_cli

ZONES = ("Asia/Shanghai", "America/Santiago")


@pytest.fixture(scope="module")
def community(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("backends") / "community"
    generate(SynthConfig(members=500, seed=11, days=150), path)
    return path


@pytest.fixture(scope="module")
def pg_url(community: Path):
    with servers.postgres_server() as base:
        url = servers.create_database(base, "community")
        servers.load_into_postgres(url, community)
        yield url
        gc.collect()  # release the cached tables while the server still runs


@pytest.fixture(scope="module")
def spark(community: Path):
    return servers.spark_session()


def event_level_results(src: DataSource) -> dict[str, pd.DataFrame]:
    """Every event-level function of the package on ``src``, as frames (dicts become one-row frames)."""
    report = validate(src)
    as_of = src.default_as_of()
    period = kpi.Period(as_of - timedelta(days=6), as_of)
    tiers = activity.assign_tiers(src, as_of)
    churn = survival.churn_table(src, as_of)
    name = experiments(src)[0]
    table = experiment.metric_table(src, name, as_of)
    starts = table[["member_id", "arm"]].assign(start_day=pd.to_datetime(table["assign_day"]))
    out = {
        "validate": pd.DataFrame([{**report.rows, "issues": len(report.issues), "first": report.first_day}]),
        "as_of": pd.DataFrame([{"as_of": as_of}]),
        "daily_kpis": kpi.daily_kpis(src, as_of),
        "daily_kpis_by_channel": kpi.daily_kpis(src, as_of, by="channel"),
        "daily_kpis_by_tier": kpi.daily_kpis(src, as_of, by=tiers[["member_id", "tier"]]),
        "period_summary": pd.DataFrame([kpi.period_summary(src, period, as_of)]),
        "concentration": pd.DataFrame([kpi.contribution_concentration(src, period, as_of)]),
        "compare_periods": kpi.compare_periods(src, period, as_of),
        "new_member_retention": kpi.new_member_retention(src, as_of, grain="week"),
        "bracket_retention": kpi.new_member_bracket_retention(src, as_of),
        "two_week_retention": kpi.two_week_retention(src, as_of, by="community"),
        "monthly_retention": kpi.monthly_retention(src, as_of),
        "weekly_lifecycle": kpi.weekly_lifecycle(src, as_of),
        "tiers": tiers,
        "tier_trend": segments.tier_trend(src, as_of, weeks=4),
        "connectors": segments.connectors(src, as_of, tiers),
        # every member counted as core, so that the per-member activity counts are all compared
        "at_risk_core": segments.at_risk_core(src, as_of, tiers.assign(tier="core")),
        "churn_table": churn,
        "landmark_table": survival.landmark_table(src, churn, as_of),
        "churn_after": activity.churn_after(src, starts, as_of),
        "planned_split": experiment.planned_split(src, name).shares().rename_axis("arm").reset_index(),
        "metric_table": table,
        "invite_members": growth.invite_members(src, as_of),
    }
    return {k: pd.DataFrame(v) for k, v in out.items()}


def canonical(df: pd.DataFrame) -> pd.DataFrame:
    """Rows in a fixed order, nulls spelled one way and numbers as float64 (the engines return int32 or
    int64, NaN or None for the same values): what is compared is the values."""
    df = df.copy().reset_index(drop=True)
    for c in df.columns:
        col = df[c]
        if pd.api.types.is_bool_dtype(col) or pd.api.types.is_numeric_dtype(col):
            df[c] = col.astype("float64")
        elif pd.api.types.is_datetime64_any_dtype(col):
            df[c] = col.astype("datetime64[us]")
        else:
            df[c] = col.map(lambda v: None if v is None or (isinstance(v, float) and np.isnan(v)) else str(v))
    return df.sort_values(list(df.columns), na_position="first", kind="stable").reset_index(drop=True)


def assert_same(got: dict[str, pd.DataFrame], want: dict[str, pd.DataFrame], backend: str) -> None:
    assert got.keys() == want.keys()
    for name in want:
        assert len(want[name]), f"{name}: the reference result is empty, nothing would be compared"
        pd.testing.assert_frame_equal(
            canonical(got[name]), canonical(want[name]), check_exact=True, obj=f"{name} on {backend}"
        )


@pytest.fixture(scope="module")
def on_duckdb(community: Path) -> dict[str, dict[str, pd.DataFrame]]:
    return {tz: event_level_results(load(community, tz=tz)) for tz in ZONES}


@pytest.mark.parametrize("tz", ZONES)
def test_postgres_matches_duckdb(pg_url: str, on_duckdb: dict, tz: str) -> None:
    src = load(pg_url, tz=tz)
    assert src.con.name == "postgres"
    assert_same(event_level_results(src), on_duckdb[tz], "postgres")


@pytest.mark.parametrize("tz", ZONES)
def test_pyspark_matches_duckdb(spark, community: Path, on_duckdb: dict, tz: str) -> None:
    src = load(f"pyspark://{community}", tz=tz)
    assert src.con.name == "pyspark"
    assert_same(event_level_results(src), on_duckdb[tz], "pyspark")


def test_a_connection_in_hand_opens_like_its_url(pg_url: str, on_duckdb: dict) -> None:
    """A researcher passes the Ibis connection they already hold (here PostgreSQL, schema ``public``)."""
    src = load(ibis.connect(pg_url), database="public", tz=ZONES[0])
    assert src.location == "postgres connection (public)"
    pd.testing.assert_frame_equal(
        canonical(kpi.daily_kpis(src, src.default_as_of())), canonical(on_duckdb[ZONES[0]]["daily_kpis"])
    )


def test_spark_masks_keep_day_offsets_32_to_61(spark, community: Path) -> None:
    """Regression: Ibis wrote ``1 << n`` untyped, Spark evaluated it in 32 bits (1 << 40 = 256), and
    every active day 32..61 days after a start landed on the wrong bit without an error."""
    src = load(f"pyspark://{community}")
    first, last = src.day_range()
    members = activity.assign_tiers(src, last).query("active_days > 20")["member_id"].head(20)
    assert len(members) > 5
    start = np.full(len(members), np.datetime64(first, "D"))
    masks = activity.active_day_masks(src, members.reset_index(drop=True), start, last)
    high = masks["days"].to_numpy(np.int64) >> 32  # the bits of offsets 32..61 in each chunk
    assert (high != 0).any(), "no active day at offsets 32..61: the test would not see the bug"
    reference = activity.active_day_masks(load(community), members.reset_index(drop=True), start, last)
    key = ["row", "chunk"]
    pd.testing.assert_frame_equal(
        masks.sort_values(key).reset_index(drop=True).astype("int64"),
        reference.sort_values(key).reset_index(drop=True).astype("int64"),
    )
    # and the expression itself: the bit of offset 40 is 2**40 on Spark
    t = src.upload(pd.DataFrame({"offset": [0, 31, 32, 40, 61, 62, 100]}))
    chunk, bit = activity.day_bit(t.offset)
    got = t.select(chunk=chunk, bit=bit).to_pandas()
    assert got["bit"].tolist() == [1, 2**31, 2**32, 2**40, 2**61, 1, 2**38]
    assert got["chunk"].tolist() == [0, 0, 0, 0, 0, 1, 1]


def test_server_text_columns_are_a_contract_error(pg_url: str) -> None:
    """On a server, timestamps given as text cannot be checked row by row (Ibis compiles the parse to a
    plain cast, which fails on the first bad value): the column is refused by name, not half read."""
    base, _ = pg_url.rsplit("/", 1)
    url = servers.create_database(base, "text_timestamps")
    con = ibis.connect(url)
    members = pd.DataFrame({"member_id": ["u1"], "joined_at": ["2026-01-01 02:00:00"]})
    events = pd.DataFrame({"member_id": ["u1"], "ts": ["not a time"], "event_type": ["visit"]})
    con.create_table("members", members)
    con.create_table("events", events)
    report = validate(url)
    assert not report.ok
    rules = {(i.file, i.column): i.rule for i in report.errors}
    assert rules.keys() == {(f"{url}::members", "joined_at"), (f"{url}::events", "ts")}
    assert all("expected a timestamp column, found string" in r for r in rules.values())


def test_server_fingerprint_follows_the_data(pg_url: str) -> None:
    """One aggregate query per table: the same on every opening, different once a row changes."""
    first = open_source(pg_url).fingerprint()
    assert open_source(pg_url).fingerprint() == first
    base, _ = pg_url.rsplit("/", 1)
    url = servers.create_database(base, "changed")
    con = ibis.connect(url)
    src = open_source(pg_url)
    for name, t in src.raw.items():
        con.create_table(name, t.to_pyarrow())
    assert open_source(url).fingerprint() == first
    con.raw_sql(
        "UPDATE events SET event_type = 'checkin' WHERE event_type <> 'checkin' "
        "AND ts = (SELECT min(ts) FROM events WHERE event_type <> 'checkin')"
    )
    assert open_source(url).fingerprint() != first


def test_run_on_postgres_matches_the_parquet_folder(pg_url: str, community: Path, tmp_path: Path) -> None:
    """``analysis run --data postgres://…`` writes the same tables and pages as the run on the files."""
    runs = {}
    for label, data in (("files", str(community)), ("postgres", pg_url)):
        out = tmp_path / label
        proc = run_cli("run", "--data", data, "--out", str(out), "--lang", "zh")
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
        runs[label] = (out / "latest").resolve()
    meta = json.loads((runs["postgres"] / "run.json").read_text(encoding="utf-8"))
    assert meta["data"] == pg_url and meta["data_name"] == "community"
    compare = Path(__file__).resolve().parents[1] / "tools" / "compare_runs.py"
    proc = subprocess.run(
        [sys.executable, str(compare), "--other-source", str(runs["files"]), str(runs["postgres"])],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "identical" in proc.stdout
    tables = sorted(p.name for p in (runs["files"] / "tables").glob("*.csv"))
    assert tables and tables == sorted(p.name for p in (runs["postgres"] / "tables").glob("*.csv"))


def test_run_refuses_a_password_in_the_url(tmp_path: Path) -> None:
    proc = run_cli("run", "--data", "postgres://me:s3cret@localhost:1/db", "--out", str(tmp_path / "out"))
    assert proc.returncode == 2
    assert "s3cret" not in proc.stdout + proc.stderr
    assert "PGPASSWORD" in proc.stderr
    assert not (tmp_path / "out" / "runs").exists() or not any((tmp_path / "out" / "runs").iterdir())


def test_unreachable_server_is_a_clear_contract_error() -> None:
    report = validate(f"postgres://nobody@127.0.0.1:{servers.free_port()}/none")
    assert not report.ok
    (issue,) = report.errors
    assert issue.file.startswith("postgres://nobody@127.0.0.1:") and "cannot connect" in issue.rule


def test_clickhouse_distinct_counts_are_exact() -> None:
    """ClickHouse's ``uniq`` is approximate; UV and DAU must not be (compiled, no server needed)."""
    from ibis.backends.sql.compilers.clickhouse import ClickHouseCompiler

    from analysis import backends

    t = ibis.table({"member_id": "string", "day": "date"}, name="t")
    expr = t.group_by("day").aggregate(uv=t.member_id.nunique())

    class Fake:
        name = "clickhouse"
        compiler = ClickHouseCompiler()

    backends.make_portable(Fake())
    sql = ibis.to_sql(expr, dialect="clickhouse")
    assert "uniqExact" in sql and "uniq(" not in sql


def test_duckdb_url_is_the_file(tmp_path: Path, community: Path) -> None:
    """``duckdb:///path/file.duckdb`` opens the database file on the embedded DuckDB."""
    path = tmp_path / "community.duckdb"
    con = ibis.duckdb.connect(str(path))
    for name in servers.TABLES:
        con.read_parquet(str(community / f"{name}.parquet"), table_name=f"v_{name}")
        con.raw_sql(f"CREATE TABLE {name} AS SELECT * FROM v_{name}")
    con.disconnect()
    src = load(f"duckdb://{path}")
    assert src.location == str(path) and src.con.name == "duckdb"
    assert src.fingerprint() == open_source(path).fingerprint()
    as_of = src.default_as_of()
    pd.testing.assert_frame_equal(kpi.daily_kpis(src, as_of), kpi.daily_kpis(load(community), as_of))
