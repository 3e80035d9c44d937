"""Real engines for the backend tests and benchmarks: a throwaway PostgreSQL server (Debian's
``postgresql``: ``initdb`` in a temporary folder, a free local port, trust authentication on loopback)
and one local PySpark session (PyPI ``pyspark`` on Debian's ``default-jre-headless``).

PostgreSQL refuses to run as root; as root the server runs as the ``postgres`` user the Debian package
creates. Nothing is downloaded: a missing engine is a skip on a developer machine and a failure in CI
(``CI`` set), where ``.ci/run`` installs both.
"""

from __future__ import annotations

import contextlib
import glob
import io
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pyarrow.csv as pacsv
import pyarrow.parquet as pq

TABLES = ("members", "events", "assignments", "arms", "rewards")


def missing(what: str) -> None:
    """Skip (a developer machine) or fail (CI) for an engine that is not installed."""
    import pytest

    if os.environ.get("CI"):
        pytest.fail(f"{what} is not installed; .ci/run installs it")
    pytest.skip(f"{what} is not installed")


def postgres_bin() -> Path | None:
    """The folder of PostgreSQL's server programs (initdb, pg_ctl), newest version first."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    if found:
        return Path(found[0]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).resolve().parent if initdb else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def postgres_server() -> Iterator[str]:
    """Start a PostgreSQL server for the duration of the block; yields its base URL
    ``postgresql://postgres@127.0.0.1:PORT`` (append ``/database``)."""
    bindir = postgres_bin()
    if bindir is None:
        missing("PostgreSQL (Debian package postgresql)")
    folder = Path(tempfile.mkdtemp(prefix="analysis-pg-"))
    data = folder / "data"
    as_user: list[str] = []
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        os.chown(folder, user.pw_uid, user.pw_gid)
        runuser = shutil.which("runuser") or "/usr/sbin/runuser"  # sbin is not on every PATH
        as_user = [runuser, "-u", "postgres", "--"]
    port = free_port()

    def run(*cmd: str) -> None:
        subprocess.run([*as_user, *cmd], check=True, capture_output=True, text=True)

    try:
        run(str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8")
        options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        run(str(bindir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(folder / "log"), "-w", "start")
        yield f"postgresql://postgres@127.0.0.1:{port}"
    finally:
        with contextlib.suppress(subprocess.CalledProcessError, FileNotFoundError):
            run(str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop")
        shutil.rmtree(folder, ignore_errors=True)


def create_database(base_url: str, name: str) -> str:
    """A new database on the server; its URL."""
    import psycopg

    with psycopg.connect(base_url + "/postgres", autocommit=True) as con:
        con.execute(f'CREATE DATABASE "{name}"')
    return f"{base_url}/{name}"


def load_into_postgres(url: str, folder: Path) -> None:
    """Copy the contract's Parquet tables of ``folder`` into the database at ``url`` with their types
    (timestamps with time zone, doubles, booleans), as a warehouse would hold them; rows travel by
    ``COPY`` in CSV batches (millions of events in a minute, where INSERTs would take an hour)."""
    import ibis
    import psycopg

    con = ibis.connect(url)
    try:
        for name in TABLES:
            f = folder / f"{name}.parquet"
            if f.exists():
                con.create_table(name, schema=ibis.Schema.from_pyarrow(pq.read_schema(f)))
    finally:
        con.disconnect()
    with psycopg.connect(url) as pg, pg.cursor() as cur:
        for name in TABLES:
            f = folder / f"{name}.parquet"
            if not f.exists():
                continue
            with cur.copy(f'COPY "{name}" FROM STDIN (FORMAT csv)') as copy:
                for batch in pq.ParquetFile(f).iter_batches(batch_size=200_000):
                    buf = io.BytesIO()
                    pacsv.write_csv(batch, buf, pacsv.WriteOptions(include_header=False))
                    copy.write(buf.getvalue())
        pg.commit()


_SPARK = {}


def spark_session():
    """One local[2] Spark session for the whole test run (starting the JVM takes about 30 s)."""
    if "session" not in _SPARK:
        if shutil.which("java") is None:
            missing("Java (Debian package default-jre-headless)")
        try:
            from pyspark.sql import SparkSession
        except ImportError:
            missing("pyspark (the dev extras)")
        t0 = time.perf_counter()
        _SPARK["session"] = (
            SparkSession.builder.master("local[2]")
            .appName("analysis-tests")
            .config("spark.ui.enabled", "false")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.sql.shuffle.partitions", "2")
            .config("spark.driver.memory", "2g")
            .getOrCreate()
        )
        _SPARK["seconds"] = time.perf_counter() - t0
    return _SPARK["session"]
