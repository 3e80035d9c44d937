"""Where a data source lives: a local path, a URL of a database server or a Spark session, or an Ibis
connection a researcher already holds (docs/definitions.md, "Where the data can live").

- A path (a folder of Parquet/CSV files, or a DuckDB database file) opens on the embedded DuckDB
  (:mod:`analysis.data`); ``duckdb:///path/file.duckdb`` is the same as the path.
- ``postgres://user@host:port/database`` (or ``postgresql://``) opens through Ibis; the contract's tables
  are read from the database (``?schema=NAME`` for another schema than ``public``). Give the password in
  ``PGPASSWORD`` or ``~/.pgpass``, never in the URL: a run records where its data came from.
- ``pyspark:///path/to/folder`` starts (or reuses) a Spark session (master ``$ANALYSIS_SPARK_MASTER``,
  default ``local[*]``) and reads the folder's Parquet tables; ``pyspark://`` alone reads the contract's
  tables from the session's current catalog database (``pyspark://?database=NAME`` for another).
- Other Ibis URLs are passed to ``ibis.connect``; they are not tested here (see the README).

Every backend runs the same Ibis expressions. Backends differ in what Ibis compiles for a few operations;
:func:`make_portable` closes the gaps that matter to this package (exact distinct counts, ``bit_or``).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit, urlunsplit

import ibis

TESTED_BACKENDS = ("duckdb", "postgres", "pyspark")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")


def is_url(data: object) -> bool:
    """True for ``scheme://...`` (a Windows drive letter such as ``C:\\`` has no ``//``)."""
    return isinstance(data, str) and bool(_SCHEME.match(data))


def scheme(url: str) -> str:
    """The URL's scheme, lower case, with ``postgresql`` spelled ``postgres``."""
    s = _SCHEME.match(url).group(1).lower()
    return "postgres" if s == "postgresql" else s


def has_password(url: str) -> bool:
    return urlsplit(url).password is not None


def redact(url: str) -> str:
    """The URL with any password replaced by ``***`` (for messages, logs and run records)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}{port}"))


def shown(data: str | Path) -> str:
    """A data source as messages show it: a path as given, a URL without its password."""
    return redact(data) if is_url(data) else str(data)


def display_name(url: str) -> str:
    """A short name for pages: the Parquet folder or database file name, else the database in the URL,
    else the kind of backend (``postgres``)."""
    kind = scheme(url)
    if kind == "duckdb":
        return duckdb_file(url).name
    if kind == "pyspark":
        folder, database = spark_location(url)
        return folder.name if folder else (database or "spark")
    parts = urlsplit(url)
    return unquote(parts.path.strip("/")) or parts.hostname or kind


def duckdb_file(url: str) -> Path:
    """The path of ``duckdb:///path/file.duckdb`` (``duckdb://relative.duckdb`` is relative)."""
    parts = urlsplit(url)
    return Path(unquote(parts.netloc + parts.path))


def spark_location(url: str) -> tuple[Path | None, str | None]:
    """(Parquet folder, catalog database) of a ``pyspark://`` URL; either may be None."""
    parts = urlsplit(url)
    folder = unquote(parts.netloc + parts.path)
    database = parse_qs(parts.query).get("database", [None])[0]
    return (Path(folder) if folder else None), database


def connect(url: str) -> tuple[ibis.BaseBackend, str | None]:
    """A connection for a server or Spark URL, and the database/schema holding the tables (None: the
    connection's default). Raises ValueError for a URL that cannot be opened."""
    kind = scheme(url)
    if kind == "pyspark":
        from pyspark.sql import SparkSession

        master = os.environ.get("ANALYSIS_SPARK_MASTER", "local[*]")
        session = SparkSession.builder.master(master).appName("community-analysis").getOrCreate()
        _, database = spark_location(url)
        return make_portable(ibis.pyspark.connect(session)), database
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    database = query.pop("schema", [None])[0]
    plain = urlunsplit(parts._replace(query="&".join(f"{k}={v[0]}" for k, v in query.items())))
    try:
        con = ibis.connect(plain)
    except Exception as exc:  # the driver's message says what failed (host, auth, database)
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ValueError(f"cannot connect to {redact(url)}: {first}") from exc
    return make_portable(con), database


def make_portable(con: ibis.BaseBackend) -> ibis.BaseBackend:
    """Teach the connection's SQL compiler what this package needs and Ibis 12 compiles differently:

    - PySpark has no compile rule for ``bit_or`` (Spark SQL has the aggregate); one is added.
    - ClickHouse compiles ``nunique`` to ``uniq``, an approximation; it becomes ``uniqExact``: UV and
      DAU are never approximate.
    """
    compiler = type(con.compiler)
    if con.name == "pyspark" and "visit_BitOr" not in compiler.__dict__:
        compiler.visit_BitOr = _bit_or
    if con.name == "clickhouse":
        _exact_distinct_clickhouse(compiler)
    return con


def _bit_or(self, _op, *, arg, where, **_kw):
    return self.agg.bit_or(arg, where=where)


def _exact_distinct_clickhouse(compiler: type) -> None:
    def visit_count_distinct(self, _op, *, arg, where, **_kw):
        return self.agg.uniqExact(arg, where=where)

    compiler.visit_CountDistinct = visit_count_distinct
