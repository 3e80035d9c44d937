"""Open a data source as Ibis tables and validate it against the input contract (docs/definitions.md,
"Input data").

A data source is a folder holding ``members``, ``events`` and optionally ``assignments``, ``arms`` and
``rewards`` as ``NAME.parquet``, ``NAME.csv`` or a folder ``NAME/`` of Parquet parts, or a DuckDB
database file with tables of those names; these open on an embedded DuckDB. It can also be a database
server or a Spark session, named by a URL or handed over as an Ibis connection (:mod:`analysis.backends`).
Tables are exposed *normalised*: contract columns with contract types, timestamps as naive UTC, optional
columns present (null when the source lacks them). Nothing under the data folder is written: DuckDB
files are opened read-only, and a GB18030 CSV is transcoded into a temporary folder.
"""

from __future__ import annotations

import codecs
import contextlib
import functools
import hashlib
import inspect
import os
import re
import shutil
import tempfile
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir
import pandas as pd

from analysis import backends
from analysis.definitions import CONTROL_ARM, DEFAULT_TZ, EVENT_TYPES
from analysis.display import HtmlRepr

__all__ = [
    "Issue",
    "DataContractError",
    "DataSource",
    "fetch",
    "open_source",
    "ValidationReport",
    "validate",
    "experiments",
    "to_date",
    "load",
]

# column -> (kind, required); kinds: string, timestamp, float, bool
CONTRACT: dict[str, dict[str, tuple[str, bool]]] = {
    "members": {
        "member_id": ("string", True),
        "joined_at": ("timestamp", True),
        "community": ("string", False),
        "channel": ("string", False),
        "invited_by": ("string", False),
    },
    "events": {
        "member_id": ("string", True),
        "ts": ("timestamp", True),
        "event_type": ("string", True),
        "community": ("string", False),
    },
    "assignments": {
        "experiment": ("string", True),
        "member_id": ("string", True),
        "arm": ("string", True),
        "assigned_at": ("timestamp", True),
    },
    "arms": {
        "experiment": ("string", True),
        "arm": ("string", True),
        "weight": ("float", True),
        "is_control": ("bool", True),
    },
    "rewards": {
        "member_id": ("string", True),
        "ts": ("timestamp", True),
        "experiment": ("string", False),
        "arm": ("string", False),
        "cost": ("float", True),
    },
}
REQUIRED_TABLES = ("members", "events")
OPTIONAL_TABLES = ("assignments", "arms", "rewards")
MAX_EXAMPLES = 5
_TRUE = ("true", "t", "1", "yes", "y")
_FALSE = ("false", "f", "0", "no", "n")


@dataclass(frozen=True)
class Issue:
    """One violation of the input contract."""

    severity: str  # "error" or "warning"
    file: str
    column: str | None
    rule: str
    examples: tuple[str, ...] = ()
    count: int | None = None

    def __str__(self) -> str:
        where = self.file + (f", column '{self.column}'" if self.column else "")
        rows = f" ({self.count:,} rows)" if self.count is not None else ""
        ex = f"; e.g. {', '.join(repr(e) for e in self.examples)}" if self.examples else ""
        return f"{self.severity.upper()}: {where}: {self.rule}{rows}{ex}"


class DataContractError(ValueError):
    """The data source does not meet the input contract; ``issues`` lists every error found."""

    def __init__(self, issues: Iterable[Issue]):
        self.issues = tuple(issues)
        super().__init__("\n".join(str(i) for i in self.issues))


@dataclass
class DataSource:
    """Normalised contract tables of one data source on one Ibis connection; ``location`` says where
    they are (a path, or a URL without its password)."""

    location: str
    con: ibis.BaseBackend
    tables: dict[str, ir.Table]
    files: dict[str, str]
    tz: str = DEFAULT_TZ
    raw: dict[str, ir.Table] = field(default_factory=dict, repr=False)
    columns: dict[str, dict[str, ir.Value]] = field(default_factory=dict, repr=False)
    warnings: tuple[Issue, ...] = ()
    cache: dict = field(default_factory=dict, repr=False)  # backend tables reused within a session
    shared: Path | None = field(default=None, repr=False)  # a run's folder of tables its reports share
    _range: tuple[datetime, datetime] | None = field(default=None, repr=False)

    @property
    def members(self) -> ir.Table:
        """The ``members`` table, normalised (member_id as text, joined_at as naive UTC)."""
        return self.tables["members"]

    @property
    def events(self) -> ir.Table:
        """The ``events`` table, normalised (member_id as text, ts as naive UTC)."""
        return self.tables["events"]

    def table(self, name: str) -> ir.Table | None:
        """An optional contract table (``assignments``, ``rewards``, ``arms``) normalised, or None
        when the source does not have it.

        Parameters
        ----------
        name : str
            The table's name.

        Returns
        -------
        ibis Table or None
        """
        return self.tables.get(name)

    def materialize(self, expr: ir.Table, share_as: str | None = None) -> ir.Table:
        """``expr`` computed once and kept on the backend while it is referenced (a temporary
        table on DuckDB and PostgreSQL, a cached DataFrame on Spark): later queries read it, not its inputs.

        Parameters
        ----------
        expr : ibis Table
            The expression to compute.
        share_as : str or None, optional
            A name that identifies ``expr`` within a run. With a :attr:`shared` folder (set for the reports
            of one run of validated data) on the embedded DuckDB, the first report to build it writes it
            there as Parquet and the run's later reports read it instead of building it again.

        Returns
        -------
        ibis Table
            A table reading the computed rows.
        """
        path = self.shared_file(share_as)
        if path is None:
            return expr.cache()
        if path.exists():
            return self.con.read_parquet(path).cache()
        table = expr.cache()
        tmp = path.with_name(f".{path.name}.tmp")
        self.con.to_parquet(table, tmp)
        os.replace(tmp, path)  # a report killed while writing leaves no half-written file behind
        return table

    def shared_file(self, name: str | None) -> Path | None:
        """Where the table ``name`` is shared between the reports of a run (it may not exist
        yet).

        Parameters
        ----------
        name : str or None
            The ``share_as`` name.

        Returns
        -------
        pathlib.Path or None
            None when nothing is shared (no run folder, or not the embedded DuckDB).
        """
        if name is None or self.shared is None or self.con.name != "duckdb":
            return None
        return self.shared / f"{name}.parquet"

    def upload(self, frame: pd.DataFrame) -> ir.Table:
        """A pandas frame as a table that joins with this source's tables (Ibis registers it on
        the backend the first time a query uses it: a temporary table, a Spark view, an Arrow scan).

        Parameters
        ----------
        frame : pandas.DataFrame
            The rows to upload.

        Returns
        -------
        ibis Table
        """
        return ibis.memtable(frame)

    def ts_range(self) -> tuple[datetime, datetime]:
        """First and last event timestamp.


        Returns
        -------
        tuple of (datetime, datetime)
            Naive UTC.
        """
        if self._range is None:
            e = self.events
            row = e.aggregate(lo=e.ts.min(), hi=e.ts.max()).execute().iloc[0]
            if row["lo"] is None or str(row["lo"]) == "NaT":
                raise DataContractError(
                    [Issue("error", self.files["events"], "ts", "the events table is empty")]
                )
            self._range = (row["lo"].to_pydatetime(), row["hi"].to_pydatetime())
        return self._range

    def local(self, ts: ir.TimestampValue) -> ir.TimestampValue:
        """Local wall-clock time in ``tz`` of a naive-UTC timestamp expression.

        Parameters
        ----------
        ts : ibis timestamp expression
            Naive UTC.

        Returns
        -------
        ibis timestamp expression
            Local wall-clock time (a CASE over the zone's UTC offsets in the data's time range).
        """
        lo, hi = self.ts_range()
        return to_local(ts, self.tz, lo - timedelta(days=400), hi + timedelta(days=2))

    def day_range(self) -> tuple[date, date]:
        """First and last local day with events.


        Returns
        -------
        tuple of (date, date)
        """
        lo, hi = self.ts_range()
        return local_date(lo, self.tz), local_date(hi, self.tz)

    def default_as_of(self) -> date:
        """The last complete local day: the day before the local day of the latest event.
        An export is taken during a day, so the latest day is treated as partial.


        Returns
        -------
        date

        Examples
        --------
        >>> import analysis as ca
        >>> ca.open("data/demo").default_as_of()
        datetime.date(2026, 6, 29)
        """
        first, last = self.day_range()
        return max(first, last - timedelta(days=1))

    def day_start(self, d: date) -> datetime | None:
        """The naive-UTC instant at which local day ``d`` starts: every instant before it is on
        an earlier local day and every one from it on ``d`` or later.

        Parameters
        ----------
        d : date
            A local day.

        Returns
        -------
        datetime or None
            None when the zone's clock steps back across that midnight (local days are then not in time
            order).
        """
        lo, hi = self.ts_range()
        pieces = utc_offsets(self.tz, lo - timedelta(days=400), hi + timedelta(days=2))
        ends = [frm for frm, _ in pieces[1:]] + [None]
        midnight = datetime.combine(d, datetime.min.time())
        start = None
        for (frm, off), end in zip(pieces, ends, strict=True):  # the first piece reaching midnight
            cand = midnight - timedelta(seconds=off)
            cand = cand if frm is None else max(cand, frm)
            if end is None or cand < end:
                start = cand
                break
        later = [frm + timedelta(seconds=off) for frm, off in pieces if frm is not None and frm > start]
        return None if any(t < midnight for t in later) else start

    def events_local(self, as_of: date | None = None, since: date | None = None) -> ir.Table:
        """Events with ``local_ts`` and local ``day``.

        The day limits are applied to the UTC timestamps (one comparison per event, before any local time is
        computed) wherever the local days are in time order.

        Parameters
        ----------
        as_of : date, optional
            The last local day kept (default: all).
        since : date, optional
            The first local day kept (default: all).

        Returns
        -------
        ibis Table
            The events table with ``local_ts`` and ``day`` columns.
        """
        e = self.events
        by_day = []
        for d, keep in (
            (since, lambda t, b: t >= b),
            (as_of and as_of + timedelta(days=1), lambda t, b: t < b),
        ):
            if d is None:
                continue
            bound = self.day_start(d)
            if bound is None:
                by_day.append((d, keep))
            else:
                e = e.filter(keep(e.ts, ibis.timestamp(bound)))
        e = e.mutate(local_ts=self.local(e.ts))
        e = e.mutate(day=e.local_ts.date())
        for d, keep in by_day:
            e = e.filter(keep(e.day, ibis.date(d)))
        return e

    def members_local(self, as_of: date | None = None) -> ir.Table:
        """Members with local ``join_day``.

        Parameters
        ----------
        as_of : date, optional
            Keep only members joined by this local day (default: all).

        Returns
        -------
        ibis Table
        """
        m = self.members
        m = m.mutate(join_day=self.local(m.joined_at).date())
        if as_of is not None:
            m = m.filter(m.join_day <= as_of)
        return m

    def fingerprint(self) -> str:
        """A fingerprint of the data: SHA-256 (first 16 hex digits) over the source files'
        names and bytes, a DuckDB database file hashed whole; for tables on a server, over one aggregate query
        per table: its columns and types, row count, and per column the non-null count, smallest and largest
        value, and the total length of text or sum of numbers.

        That sees added or removed rows, a moved time range and most edits, not every edit (two values swapped
        between rows keep it).


        Returns
        -------
        str
            16 hex digits.
        """
        if not all(_source_files(where) for where in self.files.values()):
            return _server_fingerprint(self.raw)
        h = hashlib.sha256()
        seen: set[Path] = set()
        for name in sorted(self.files):
            for f in _source_files(self.files[name]):
                if f in seen:
                    continue
                seen.add(f)
                h.update(f.name.encode())
                with open(f, "rb") as fh:
                    for block in iter(lambda fh=fh: fh.read(1 << 20), b""):
                        h.update(block)
        return h.hexdigest()[:16]


def _server_fingerprint(raw: dict[str, ir.Table]) -> str:
    h = hashlib.sha256()
    for name in sorted(raw):
        t = raw[name]
        aggs: dict[str, ir.Value] = {"__rows": t.count()}
        for i, c in enumerate(t.columns):
            col, typ = t[c], t[c].type()
            aggs[f"n{i}"] = col.count()
            if typ.is_timestamp() or typ.is_string() or typ.is_numeric():
                aggs[f"lo{i}"], aggs[f"hi{i}"] = col.min(), col.max()
            if typ.is_string():
                aggs[f"len{i}"] = col.length().cast("int64").sum()
            elif typ.is_numeric():
                aggs[f"sum{i}"] = col.cast("float64").sum()
        row = t.aggregate(**aggs).execute().iloc[0]
        h.update(f"{name}|{t.schema()!r}|".encode())
        h.update("|".join(str(row[k]) for k in aggs).encode())
    return h.hexdigest()[:16]


def _source_files(where: str) -> list[Path]:
    """The files behind a table: ``file.duckdb::table`` is the database file, a folder its parts."""
    p = Path(where.rsplit("::", 1)[0]) if "::" in where else Path(where)
    if p.is_dir():
        return _parts(p)
    return [p] if p.exists() else []


def _parts(folder: Path) -> list[Path]:
    """The Parquet parts of a table folder, sorted."""
    return sorted(f for f in folder.iterdir() if f.suffix == ".parquet" and f.is_file())


def _literal(path: Path) -> str:
    """``path`` for DuckDB's readers with glob characters escaped: a folder named ``export*`` is read
    as itself, never as a pattern that also matches its siblings."""
    return re.sub(r"([*?\[])", r"[\1]", str(path))


def fetch(expr: ir.Table, **arrow_options) -> pd.DataFrame:
    """Run ``expr`` on the backend and convert the result through Arrow (much faster than
    ``execute()`` on results with many rows or string columns).

    Parameters
    ----------
    expr : ibis Table
        The query.
    **arrow_options
        Passed to ``pyarrow.Table.to_pandas``.

    Returns
    -------
    pandas.DataFrame
    """
    return expr.to_pyarrow().to_pandas(**arrow_options)


# --------------------------------------------------------------------------------------------------
# time zones


def local_date(ts_utc: datetime, tz: str) -> date:
    return ts_utc.replace(tzinfo=UTC).astimezone(ZoneInfo(tz)).date()


@functools.lru_cache(maxsize=64)
def utc_offsets(tz: str, start: datetime, end: datetime) -> tuple[tuple[datetime | None, int], ...]:
    """UTC offset (seconds) of ``tz`` over [start, end] (naive UTC): ((valid_from_utc, offset), ...)."""
    z = ZoneInfo(tz)

    def off(t: datetime) -> int:
        return int(t.replace(tzinfo=UTC).astimezone(z).utcoffset().total_seconds())

    out: list[tuple[datetime | None, int]] = [(None, off(start))]
    t = start
    while t < end:
        nxt = min(t + timedelta(days=1), end)
        if off(nxt) != off(t):
            lo, hi = t, nxt  # bisect to the second
            while (hi - lo) > timedelta(seconds=1):
                mid = lo + (hi - lo) / 2
                if off(mid) == off(lo):
                    lo = mid
                else:
                    hi = mid
            out.append((hi.replace(microsecond=0), off(nxt)))
        t = nxt
    return tuple(out)


def to_local(ts: ir.TimestampValue, tz: str, start: datetime, end: datetime) -> ir.TimestampValue:
    """Backend-portable UTC -> local conversion: a CASE over the zone's offsets in [start, end]."""
    offsets = utc_offsets(tz, start, end)
    if len(offsets) == 1:
        return ts + ibis.interval(seconds=offsets[0][1])
    branches = []
    for (_, offset), (nxt, _) in zip(offsets[:-1], offsets[1:], strict=True):
        branches.append((ts < ibis.timestamp(nxt), ts + ibis.interval(seconds=offset)))
    return ibis.cases(*branches, else_=ts + ibis.interval(seconds=offsets[-1][1]))


# --------------------------------------------------------------------------------------------------
# opening


class _TempDir:
    def __init__(self) -> None:
        self.path = Path(tempfile.mkdtemp(prefix="analysis-"))
        self._fin = weakref.finalize(self, shutil.rmtree, self.path, True)


def _default_memory_cap() -> str:
    """5 GB, or 40% of the machine's memory when that is less. At a million members the member-day table
    alone takes 2 GB inside DuckDB; under a 3 GB cap the joins and aggregates after it ran a third slower
    (external algorithms), while the run's peak memory was the same (4.8 GB) under 3 and 5 GB."""
    try:
        physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # not POSIX: DuckDB's own default is 80%
        return "5GB"
    return f"{min(5 * 1024, int(0.4 * physical / 2**20))}MB"


DUCKDB_MEMORY_LIMIT = os.environ.get("ANALYSIS_DUCKDB_MEMORY") or _default_memory_cap()


def _duckdb_connection(database: str = ":memory:", read_only: bool = False) -> ibis.BaseBackend:
    """In-process DuckDB with a memory cap (``$ANALYSIS_DUCKDB_MEMORY``, default 5 GB or 40% of the
    machine's memory if less) that spills to a private temporary folder, and without insertion-order
    bookkeeping (big aggregates need less memory)."""
    con = ibis.duckdb.connect(database, read_only=read_only)
    tmp = _TempDir()
    con._analysis_spill = tmp
    con.raw_sql(f"SET memory_limit='{DUCKDB_MEMORY_LIMIT}'")
    con.raw_sql(f"SET temp_directory='{tmp.path}'")
    con.raw_sql("SET preserve_insertion_order=false")
    with contextlib.suppress(Exception):  # inside Jupyter DuckDB refuses the setting (no ipywidgets)
        con.raw_sql("SET enable_progress_bar=false")
    return con


def _detect_encoding(path: Path) -> str:
    """'utf-8' (with or without BOM) or 'gb18030'; raises DataContractError otherwise, and for a file
    that mixes the two (some lines UTF-8 text, others not), which no single decoding reads right."""
    if _decodes(path, "utf-8"):
        return "utf-8"
    first_utf8 = first_other = None
    with open(path, "rb") as fh:
        for i, line in enumerate(fh, start=1):
            if line.isascii():
                continue
            try:
                line.decode("utf-8")
                first_utf8 = first_utf8 or i
            except UnicodeDecodeError:
                first_other = first_other or i
            if first_utf8 and first_other:
                raise DataContractError(
                    [
                        Issue(
                            "error",
                            str(path),
                            None,
                            f"mixed text encodings: line {first_other} is not UTF-8 while line "
                            f"{first_utf8} is; "
                            "export the whole file in one encoding (UTF-8 or GB18030)",
                        )
                    ]
                )
    if _decodes(path, "gb18030"):
        return "gb18030"
    raise DataContractError([Issue("error", str(path), None, "file is neither UTF-8 nor GB18030 text")])


def _decodes(path: Path, encoding: str) -> bool:
    dec = codecs.getincrementaldecoder(encoding)()
    try:
        with open(path, "rb") as fh:
            for block in iter(lambda fh=fh: fh.read(1 << 22), b""):
                dec.decode(block)
            dec.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _find(folder: Path, name: str) -> Path | None:
    """The one file or folder holding table ``name``; two of them are an error (which one is meant?)."""
    found = [
        cand
        for cand in (folder / f"{name}.parquet", folder / f"{name}.csv", folder / name)
        if cand.is_file() or (cand.is_dir() and _parts(cand))
    ]
    if len(found) > 1:
        raise DataContractError(
            [
                Issue(
                    "error",
                    str(found[0]),
                    None,
                    f"table '{name}' is given more than once ({', '.join(f.name for f in found)}); "
                    "keep one of them",
                )
            ]
        )
    return found[0] if found else None


def open_source(
    source: str | Path | ibis.BaseBackend, tz: str = DEFAULT_TZ, database: str | None = None
) -> DataSource:
    """Open a data source and check that its tables and columns exist; types are normalised
    lazily and :func:`validate` checks the values.

    Parameters
    ----------
    source : str, pathlib.Path or ibis backend
        A folder of Parquet/CSV files or a DuckDB file (the embedded DuckDB), a URL (``postgres://``,
        ``duckdb://``, ``pyspark://``; :mod:`analysis.backends`), or an Ibis connection holding the
        contract's tables.
    tz : str, optional
        The community's IANA time zone: local days are calendar days in it (default Asia/Shanghai).
    database : str or None, optional
        The schema or database holding the tables on a connection (default the connection's own).

    Returns
    -------
    DataSource

    Raises
    ------
    DataContractError
        Naming the missing table or column.
    """
    ZoneInfo(tz)  # raises for an unknown zone
    if isinstance(source, ibis.BaseBackend):
        con = backends.make_portable(source)
        location = f"{con.name} connection" + (f" ({database})" if database else "")
        raw, files, issues = _backend_tables(con, location, database)
    elif backends.is_url(source):
        return _open_url(str(source), tz)
    else:
        return _open_local(Path(source), tz)
    return _opened(location, con, raw, files, issues, tz)


def _open_url(url: str, tz: str) -> DataSource:
    kind = backends.scheme(url)
    if kind == "duckdb":
        return _open_local(backends.duckdb_file(url), tz)
    location = backends.redact(url)
    try:
        con, database = backends.connect(url)
    except (ValueError, ImportError) as exc:
        raise DataContractError([Issue("error", location, None, str(exc))]) from exc
    folder = backends.spark_location(url)[0] if kind == "pyspark" else None
    if folder is not None:
        if not folder.is_dir():
            raise DataContractError([Issue("error", str(folder), None, "data folder does not exist")])
        raw, files, issues = _folder_tables(con, folder)
    else:
        raw, files, issues = _backend_tables(con, location, database)
    return _opened(location, con, raw, files, issues, tz)


def _open_local(path: Path, tz: str) -> DataSource:
    """The embedded opener: a folder or a DuckDB file on an in-process DuckDB, tuned for this machine."""
    if not path.exists():
        raise DataContractError([Issue("error", str(path), None, "data source does not exist")])
    if path.is_file():
        con = _duckdb_connection(str(path), read_only=True)
        raw, files, issues = _database_tables(con, path)
    else:
        con = _duckdb_connection()
        raw, files, issues = _folder_tables(con, path)
    return _opened(str(path), con, raw, files, issues, tz)


def _opened(
    location: str,
    con: ibis.BaseBackend,
    raw: dict[str, ir.Table],
    files: dict[str, str],
    issues: list[Issue],
    tz: str,
) -> DataSource:
    """The normalised source, or DataContractError listing every missing table, column and type."""
    for name in REQUIRED_TABLES:
        if name not in raw and not any(i.file == files.get(name) for i in issues):
            where = f"{location}/{name}.parquet" if Path(location).is_dir() else f"{location}::{name}"
            rule = f"required table '{name}' is missing (expected {name}.parquet, {name}.csv or {name}/)"
            issues.append(Issue("error", where, None, rule))
    tables: dict[str, ir.Table] = {}
    columns: dict[str, dict[str, ir.Value]] = {}
    embedded = con.name == "duckdb"
    for name, t in raw.items():
        missing = [c for c, (_, req) in CONTRACT[name].items() if req and c not in t.columns]
        for c in missing:
            issues.append(
                Issue("error", files[name], c, f"required column '{c}' is missing; found {list(t.columns)}")
            )
        if missing:
            continue
        columns[name], type_issues = _normalise(t, name, files[name], embedded)
        tables[name] = t.select(**columns[name])
        issues.extend(type_issues)
    if issues:
        raise DataContractError(issues)
    return DataSource(location=location, con=con, tables=tables, files=files, tz=tz, raw=raw, columns=columns)


_Opened = tuple[dict[str, ir.Table], dict[str, str], list[Issue]]  # raw tables, where each is, problems


def _database_tables(con: ibis.BaseBackend, path: Path) -> _Opened:
    """The contract's tables in a DuckDB database file (``file::table``)."""
    names = set(con.list_tables())
    found = [n for n in (*REQUIRED_TABLES, *OPTIONAL_TABLES) if n in names]
    return {n: con.table(n) for n in found}, {n: f"{path}::{n}" for n in found}, []


def _backend_tables(con: ibis.BaseBackend, location: str, database: str | None) -> _Opened:
    """The contract's tables on a connection (``location::table``), from ``database`` when given."""
    kw = {"database": database} if database else {}
    try:
        names = set(con.list_tables(**kw))
    except Exception as exc:  # e.g. a schema that does not exist
        raise DataContractError([Issue("error", location, None, f"cannot list tables: {exc}")]) from exc
    found = [n for n in (*REQUIRED_TABLES, *OPTIONAL_TABLES) if n in names]
    return {n: con.table(n, **kw) for n in found}, {n: f"{location}::{n}" for n in found}, []


def _folder_tables(con: ibis.BaseBackend, path: Path) -> _Opened:
    """The contract's tables in a folder: Parquet files, folders of Parquet parts, or CSV files (UTF-8,
    or GB18030 transcoded into a temporary folder that lives as long as the connection). On Spark,
    Parquet only (its readers take a file or a folder as it is)."""
    raw: dict[str, ir.Table] = {}
    files: dict[str, str] = {}
    issues: list[Issue] = []
    for name in (*REQUIRED_TABLES, *OPTIONAL_TABLES):
        f = _find(path, name)
        if f is None:
            continue
        files[name] = str(f)
        if con.name != "duckdb":
            if f.suffix == ".csv":
                rule = f"CSV is read by the embedded DuckDB only; on {con.name} give {name} as Parquet"
                issues.append(Issue("error", str(f), None, rule))
            else:
                raw[name] = con.read_parquet(str(f), table_name=f"raw_{name}")
        elif f.is_dir():
            raw[name] = con.read_parquet([_literal(x) for x in _parts(f)], table_name=f"raw_{name}")
        elif f.suffix == ".parquet":
            raw[name] = con.read_parquet(_literal(f), table_name=f"raw_{name}")
        else:
            try:
                read_from = _utf8_copy(con, f)
                raw[name] = con.read_csv(
                    _literal(read_from), table_name=f"raw_{name}", all_varchar=True, header=True
                )
            except DataContractError:
                raise
            except Exception as exc:  # duckdb's sniffer message names the problem
                issues.append(
                    Issue("error", str(f), None, f"cannot be read as CSV: {str(exc).splitlines()[0]}")
                )
    return raw, files, issues


def _utf8_copy(con: ibis.BaseBackend, f: Path) -> Path:
    """``f`` itself when it is UTF-8; a UTF-8 copy in the connection's temporary folder when GB18030."""
    if _detect_encoding(f) != "gb18030":
        return f
    tmp = getattr(con, "_analysis_tmp", None) or _TempDir()
    con._analysis_tmp = tmp  # keep the transcoded files alive with the connection
    target = tmp.path / f.name
    with open(f, encoding="gb18030") as src_fh, open(target, "w", encoding="utf-8") as dst:
        shutil.copyfileobj(src_fh, dst, 1 << 22)
    return target


def _normalise(t: ir.Table, name: str, file: str, embedded: bool) -> tuple[dict[str, ir.Value], list[Issue]]:
    """Contract columns with contract types, as expressions on the raw table; wrong types are errors.
    Text timestamps and numbers are parsed on DuckDB only (``embedded``): elsewhere Ibis compiles the
    parse to a plain cast, which would fail on the first bad value instead of reporting it."""
    cols = {}
    issues = []
    for c, (kind, _) in CONTRACT[name].items():
        if c not in t.columns:
            cols[c] = ibis.null().cast(_IBIS_TYPE[kind])
            continue
        col = t[c]
        typ = col.type()
        all_null = typ.is_null() or (typ.is_unknown() and "NULL" in str(typ).upper())
        if not all_null and not _kind_accepts(kind, typ):
            all_null = int(col.count().execute()) == 0  # e.g. an empty column that Parquet typed int32
        if all_null:
            cols[c] = ibis.null().cast(_IBIS_TYPE[kind])
            continue
        typed = _TYPED[kind](col, typ, embedded)
        if isinstance(typed, str):
            issues.append(Issue("error", file, c, typed))
        else:
            cols[c] = typed
    return cols, issues


def _as_string(col: ir.Value, typ: dt.DataType, _embedded: bool) -> ir.Value | str:
    return col if typ.is_string() else f"wrong type: expected text, found {typ}"


def _as_timestamp(col: ir.Value, typ: dt.DataType, embedded: bool) -> ir.Value | str:
    """Naive UTC; a timestamp without a zone is UTC already."""
    if typ.is_timestamp() and typ.timezone is None:
        return col.cast(dt.Timestamp())
    if typ.is_timestamp() or (typ.is_unknown() and "TIMESTAMP" in str(typ).upper()):
        return _utc_naive(col.cast(dt.Timestamp(timezone="UTC")), embedded)
    if typ.is_date():
        return col.cast(dt.Timestamp())
    if typ.is_string() and embedded:
        return _utc_naive(col.try_cast(dt.Timestamp(timezone="UTC")), embedded)
    if typ.is_string():
        return _TYPED_ON_SERVER.format(what="timestamp", typ=typ)
    return f"wrong type: expected a timestamp, found {typ}"


def _as_float(col: ir.Value, typ: dt.DataType, embedded: bool) -> ir.Value | str:
    if typ.is_numeric():
        return col.cast("float64")
    if typ.is_string() and embedded:
        return col.try_cast("float64")
    if typ.is_string():
        return _TYPED_ON_SERVER.format(what="number", typ=typ)
    return f"wrong type: expected a number, found {typ}"


def _as_bool(col: ir.Value, typ: dt.DataType, _embedded: bool) -> ir.Value | str:
    """true/false; text such as yes/no or t/f, and integers 1/0, are read as booleans."""
    if typ.is_boolean():
        return col
    if typ.is_string():
        low = col.strip().lower()
        return ibis.cases((low.isin(_TRUE), True), (low.isin(_FALSE), False), else_=_NULL_BOOL)
    if typ.is_integer():
        return ibis.cases((col == 1, True), (col == 0, False), else_=_NULL_BOOL)
    return f"wrong type: expected true/false, found {typ}"


_NULL_BOOL = ibis.null().cast("boolean")
# the typed expression of a raw column, or the rule it breaks
_TYPED: dict[str, Callable[[ir.Value, dt.DataType, bool], ir.Value | str]] = {
    "string": _as_string,
    "timestamp": _as_timestamp,
    "float": _as_float,
    "bool": _as_bool,
}


@ibis.udf.scalar.builtin(name="epoch_us")
def _epoch_us(x: dt.Timestamp(timezone="UTC")) -> dt.int64:  # type: ignore[empty-body]
    """DuckDB: microseconds since the epoch of a TIMESTAMPTZ."""


@ibis.udf.scalar.builtin(name="make_timestamp")
def _make_timestamp(x: dt.int64) -> dt.Timestamp():  # type: ignore[empty-body]
    """DuckDB: TIMESTAMP from microseconds since the epoch."""


def _utc_naive(ts_utc: ir.TimestampValue, duckdb: bool) -> ir.TimestampValue:
    """A tz-aware timestamp as naive UTC. On DuckDB through epoch microseconds: plain arithmetic, about
    ten times faster than its ICU cast; other backends use the cast."""
    return _make_timestamp(_epoch_us(ts_utc)) if duckdb else ts_utc.cast(dt.Timestamp())


def _kind_accepts(kind: str, typ: dt.DataType) -> bool:
    if kind == "string":
        return typ.is_string()
    if kind == "timestamp":
        return typ.is_timestamp() or typ.is_date() or typ.is_string() or "TIMESTAMP" in str(typ).upper()
    if kind == "float":
        return typ.is_numeric() or typ.is_string()
    return typ.is_boolean() or typ.is_string() or typ.is_integer()


_TYPED_ON_SERVER = (
    "wrong type: expected a {what} column, found {typ}; text is parsed only from files on the embedded "
    "DuckDB, so give this column its type in the database (or export the table to Parquet)"
)
_IBIS_TYPE = {"string": "string", "timestamp": dt.Timestamp(), "float": "float64", "bool": "boolean"}


# --------------------------------------------------------------------------------------------------
# validation


@dataclass(frozen=True)
class ValidationReport(HtmlRepr):
    """Outcome of :func:`validate`: every issue found plus table sizes and the local day range."""

    issues: tuple[Issue, ...]
    rows: dict[str, int]
    first_day: date | None
    last_day: date | None
    as_of: date | None

    @property
    def errors(self) -> tuple[Issue, ...]:
        """The issues that break the contract."""
        return tuple(i for i in self.issues if i.severity == "error")

    @property
    def warnings(self) -> tuple[Issue, ...]:
        """The issues worth knowing that do not stop a run."""
        return tuple(i for i in self.issues if i.severity == "warning")

    @property
    def ok(self) -> bool:
        """True when there is no error."""
        return not self.errors


def _examples(expr: ir.Column, limit: int = MAX_EXAMPLES) -> tuple[str, ...]:
    vals = expr.name("v").as_table().distinct().limit(limit).execute()["v"].tolist()
    return tuple("<null>" if v is None or (isinstance(v, float) and v != v) else str(v) for v in vals)


def validate(
    source: DataSource | str | Path | ibis.BaseBackend,
    as_of: date | str | None = None,
    tz: str = DEFAULT_TZ,
    now: datetime | None = None,
    database: str | None = None,
) -> ValidationReport:
    """Check every rule of the input contract; never raises for data problems (see the report).

    Timestamps must be plausible: none after ``now``, no join before 1990, and no event, assignment or
    reward before the first member joined.

    Parameters
    ----------
    source : DataSource, str, pathlib.Path or ibis backend
        An open source, or anything :func:`open_source` opens.
    as_of : date or str, optional
        Check the data up to this local day (default: all).
    tz : str, optional
        The community's time zone when ``source`` is not open yet.
    now : datetime, optional
        The time of the run, UTC (default the clock).
    database : str or None, optional
        As in :func:`open_source`.

    Returns
    -------
    ValidationReport
        Every error and warning, the table sizes and the local day range; ``ok`` is True without errors.

    Examples
    --------
    >>> from analysis.data import validate
    >>> validate("data/demo").ok
    True
    """
    as_of = to_date(as_of)
    now = (now or datetime.now(UTC)).replace(tzinfo=None)
    if not isinstance(source, DataSource):
        try:
            source = open_source(source, tz=tz, database=database)
        except DataContractError as exc:
            return ValidationReport(exc.issues, {}, None, None, as_of)
    issues, rows = _check_values(source)
    issues.extend(_check_members(source, now))
    first_join = source.members.joined_at.min().execute()
    first_join = (
        None if first_join is None or pd.isna(first_join) else pd.Timestamp(first_join).to_pydatetime()
    )
    issues.extend(_check_events(source, first_join, now))
    issues.extend(_check_experiments(source))
    issues.extend(_check_time_range(source, "assignments", "assigned_at", first_join, now))
    issues.extend(_check_time_range(source, "rewards", "ts", first_join, now))
    first = last = None
    try:
        first, last = source.day_range()
    except DataContractError as exc:
        issues.extend(exc.issues)
    if as_of is not None and first is not None and not (first <= as_of <= last):
        rule = f"as_of {as_of} is outside the data: local days {first} .. {last} in {source.tz}"
        issues.append(Issue("error", source.files["events"], "ts", rule))
    return ValidationReport(tuple(issues), rows, first, last, as_of)


_UNREADABLE = {
    "timestamp": "unparseable timestamps",
    "float": "values are not numbers",
    "bool": "values are not true/false",
}


def _check_values(source: DataSource) -> tuple[list[Issue], dict[str, int]]:
    """Nulls in required columns and values that do not read as their type, in one pass per table;
    and each table's row count."""
    issues: list[Issue] = []
    rows: dict[str, int] = {}
    for name, cols in source.columns.items():
        raw, f = source.raw[name], source.files[name]
        checks: dict[str, ir.Value] = {"n": raw.count()}
        for c, (kind, req) in CONTRACT[name].items():
            if c not in raw.columns:
                continue
            if req:
                checks[f"null_{c}"] = raw.count(where=raw[c].isnull())
            if kind != "string":
                checks[f"bad_{c}"] = raw.count(where=raw[c].notnull() & cols[c].isnull())
        agg = raw.aggregate(**checks).execute().iloc[0].to_dict()
        rows[name] = int(agg["n"])
        for c, (kind, _) in CONTRACT[name].items():
            n_null = int(agg.get(f"null_{c}", 0) or 0)
            if n_null:
                issues.append(Issue("error", f, c, "null values are not allowed", count=n_null))
            n_bad = int(agg.get(f"bad_{c}", 0) or 0)
            if n_bad:
                bad = raw.filter(raw[c].notnull() & cols[c].isnull())
                issues.append(
                    Issue("error", f, c, _UNREADABLE[kind], _examples(bad[c].cast("string")), n_bad)
                )
    return issues, rows


def _anti(left: ir.Table, key: str, right: ir.Table, right_key: str = "member_id") -> ir.Table:
    r = right.select(__k=right[right_key]).distinct()
    return left.filter(left[key].notnull()).anti_join(r, left[key] == r["__k"])


EARLIEST_PLAUSIBLE = datetime(1990, 1, 1)  # a join before this is a placeholder (e.g. the epoch)


def _stamped(t: ir.Table, col: str) -> ir.StringValue:
    """``member_id @ timestamp`` of a row, for examples."""
    return t.member_id.fill_null("<null>") + " @ " + t[col].cast("string")


def _check_time_range(
    s: DataSource, name: str, col: str, first_join: datetime | None, now: datetime
) -> list[Issue]:
    """Timestamps of ``name.col`` after ``now`` or before the first member joined."""
    t = s.table(name)
    if t is None:
        return []
    out = []
    rules = [
        (t[col] > ibis.timestamp(now), f"timestamps after the time of this run ({now:%Y-%m-%d %H:%M} UTC)")
    ]
    if first_join is not None:
        lo = first_join - timedelta(days=1)
        rules.append(
            (
                t[col] < ibis.timestamp(lo),
                f"timestamps before the first member joined ({first_join:%Y-%m-%d})",
            )
        )
    for cond, rule in rules:
        bad = t.filter(cond)
        n = int(bad.count().execute())
        if n:
            out.append(Issue("error", s.files[name], col, rule, _examples(_stamped(bad, col)), n))
    return out


def _check_members(s: DataSource, now: datetime) -> list[Issue]:
    m = s.members
    f = s.files["members"]
    out = []
    for cond, rule in (
        (m.joined_at > ibis.timestamp(now), f"joined after the time of this run ({now:%Y-%m-%d %H:%M} UTC)"),
        (
            m.joined_at < ibis.timestamp(EARLIEST_PLAUSIBLE),
            f"joined before {EARLIEST_PLAUSIBLE:%Y}: not a real date",
        ),
    ):
        bad = m.filter(cond)
        n = int(bad.count().execute())
        if n:
            out.append(Issue("error", f, "joined_at", rule, _examples(_stamped(bad, "joined_at")), n))
    dup = (
        m.filter(m.member_id.notnull())
        .group_by("member_id")
        .aggregate(k=ibis._.count())
        .filter(lambda x: x.k > 1)
    )
    n_dup = int(dup.count().execute())
    if n_dup:
        out.append(
            Issue("error", f, "member_id", "member_id must be unique", _examples(dup.member_id), n_dup)
        )
    orphans = _anti(m, "invited_by", m)
    n = int(orphans.count().execute())
    if n:
        out.append(
            Issue(
                "error",
                f,
                "invited_by",
                "invited_by must refer to a member_id in members",
                _examples(orphans.invited_by),
                n,
            )
        )
    return out


def _check_events(s: DataSource, first_join: datetime | None, now: datetime) -> list[Issue]:
    """Event types, unknown members, events before joining and implausible timestamps in one pass
    over the events (examples are fetched only for the rules that are broken)."""
    e, f, m = s.events, s.files["events"], s.members
    mj = m.select(mid=m.member_id, joined=m.joined_at)
    j = e.select("member_id", "ts", "event_type").left_join(mj, e.member_id == mj.mid)
    lo = first_join - timedelta(days=1) if first_join is not None else EARLIEST_PLAUSIBLE
    before = (
        f"timestamps before the first member joined ({first_join:%Y-%m-%d})"
        if first_join is not None
        else f"timestamps before {EARLIEST_PLAUSIBLE:%Y}: not real dates"
    )
    rules = _event_rules(e, j, now, lo, before)
    counts = {k: j.count(where=cond) for k, (cond, *_) in rules.items()}
    agg = j.aggregate(**counts, lo=j.ts.min(), hi=j.ts.max()).execute().iloc[0]
    if agg["lo"] is not None and str(agg["lo"]) != "NaT":
        s._range = (agg["lo"].to_pydatetime(), agg["hi"].to_pydatetime())
    return [
        Issue(severity, f, column, rule, examples(), int(agg[k]))
        for k, (_, severity, column, rule, examples) in rules.items()
        if agg[k]
    ]


def _event_rules(e: ir.Table, j: ir.Table, now: datetime, lo: datetime, before: str) -> dict[str, tuple]:
    """name -> (condition on the events joined to members, severity, column, rule, examples)."""
    bad_type = j.event_type.notnull() & ~j.event_type.isin(EVENT_TYPES)
    unknown = j.member_id.notnull() & j.mid.isnull()
    early = j.ts < j.joined - ibis.interval(minutes=1)
    future, ancient = e.ts > ibis.timestamp(now), e.ts < ibis.timestamp(lo)
    after = f"timestamps after the time of this run ({now:%Y-%m-%d %H:%M} UTC)"
    types = f"event_type must be one of {', '.join(EVENT_TYPES)}"
    return {
        "bad_type": (bad_type, "error", "event_type", types, lambda: _type_examples(e)),
        "unknown": (
            unknown,
            "error",
            "member_id",
            "events refer to members not in members",
            lambda: _examples(j.filter(unknown).member_id),
        ),
        "early": (
            early,
            "warning",
            "ts",
            "events before the member joined (kept as they are)",
            lambda: _examples(j.filter(early).member_id),
        ),
        "future": (
            j.ts > ibis.timestamp(now),
            "error",
            "ts",
            after,
            lambda: _examples(_stamped(e.filter(future), "ts")),
        ),
        "ancient": (
            j.ts < ibis.timestamp(lo),
            "error",
            "ts",
            before,
            lambda: _examples(_stamped(e.filter(ancient), "ts")),
        ),
    }


def _type_examples(e: ir.Table) -> tuple[str, ...]:
    """The most frequent event types outside the contract."""
    bad = e.filter(e.event_type.notnull() & ~e.event_type.isin(EVENT_TYPES))
    counts = bad.group_by("event_type").aggregate(k=ibis._.count()).order_by(ibis.desc("k")).execute()
    return tuple(counts.event_type.astype(str).head(MAX_EXAMPLES))


def _flag(severity: str, file: str, column: str, rule: str, bad: ir.Table, example: ir.Column) -> list[Issue]:
    """One issue for the rows of ``bad`` (none when there are none), with examples of ``example``."""
    n = int(bad.count().execute())
    return [Issue(severity, file, column, rule, _examples(example), n)] if n else []


def _pairs(file: str, column: str, rule: str, pairs: pd.DataFrame) -> list[Issue]:
    """One issue for (experiment, arm) pairs breaking ``rule`` (none when there are none)."""
    if not len(pairs):
        return []
    shown = tuple(f"{r.experiment}/{r.arm}" for r in pairs.head(MAX_EXAMPLES).itertuples())
    return [Issue("error", file, column, rule, shown, len(pairs))]


def _check_experiments(s: DataSource) -> list[Issue]:
    """Assignments, arms and rewards: references, multiple exposure, the control arm, weights, costs."""
    out: list[Issue] = []
    a, arms = s.table("assignments"), s.table("arms")
    if a is not None:
        out += _check_assignments(s, a, arms)
    if arms is not None:
        out += _check_arms(s, arms)
    elif a is not None:
        out += _check_named_controls(s)
    r = s.table("rewards")
    if r is not None:
        f, c = s.files["rewards"], r.cost
        bad = r.filter(c.notnull() & ((c < 0) | c.isnan() | c.isinf()))
        out += _flag(
            "error", f, "cost", "cost must be a finite number, 0 or more", bad, bad.cost.cast("string")
        )
        unknown = _anti(r, "member_id", s.members)
        out += _flag(
            "error", f, "member_id", "rewards refer to members not in members", unknown, unknown.member_id
        )
    return out


def _check_assignments(s: DataSource, a: ir.Table, arms: ir.Table | None) -> list[Issue]:
    f = s.files["assignments"]
    unknown = _anti(a, "member_id", s.members)
    out = _flag(
        "error", f, "member_id", "assignments refer to members not in members", unknown, unknown.member_id
    )
    per = a.group_by(["experiment", "member_id"]).aggregate(k=ibis._.arm.nunique())
    multi = per.filter(per.k > 1)
    res = multi.group_by("experiment").aggregate(members=ibis._.count()).execute()
    for _, r in res.iterrows():
        rule = (
            f"multiple exposure: {int(r['members']):,} members are in more than one arm of experiment "
            f"'{r['experiment']}'"
        )
        one = multi.filter(multi.experiment == r["experiment"])
        out += _flag("warning", f, "arm", rule, one, one.member_id)
    if arms is not None:
        pairs = arms.select("experiment", "arm").distinct()
        used = a.select("experiment", "arm").distinct()
        missing = used.anti_join(
            pairs, [used.experiment == pairs.experiment, used.arm == pairs.arm]
        ).execute()
        out += _pairs(f, "arm", "assignment arms are not listed in arms", missing)
    return out


def _check_arms(s: DataSource, arms: ir.Table) -> list[Issue]:
    f = s.files["arms"]
    dup = arms.group_by(["experiment", "arm"]).aggregate(k=ibis._.count()).filter(lambda x: x.k > 1).execute()
    out = _pairs(f, "arm", "each (experiment, arm) must appear once", dup)
    w = arms.weight
    bad = arms.filter(w.notnull() & ((w <= 0) | w.isnan() | w.isinf()))
    out += _flag(
        "error",
        f,
        "weight",
        "planned weights must be positive finite numbers",
        bad,
        bad.arm + " = " + bad.weight.cast("string"),
    )
    ctrl = (
        arms.group_by("experiment").aggregate(k=arms.count(where=arms.is_control)).filter(lambda x: x.k != 1)
    )
    out += _flag(
        "error", f, "is_control", "each experiment needs exactly one control arm", ctrl, ctrl.experiment
    )
    return out


def _check_named_controls(s: DataSource) -> list[Issue]:
    """Without an ``arms`` table the control arm of each experiment is the arm named ``control``."""
    a = s.tables["assignments"]
    has = a.group_by("experiment").aggregate(k=a.count(where=a.arm == CONTROL_ARM)).filter(lambda x: x.k == 0)
    bad = has.execute()
    if not len(bad):
        return []
    return [
        Issue(
            "error",
            s.files["assignments"],
            "arm",
            f"without an arms table the control arm must be named '{CONTROL_ARM}'; these experiments have "
            "none (add an arms table with is_control, or rename the control arm)",
            tuple(bad.experiment.astype(str).head(MAX_EXAMPLES)),
            len(bad),
        )
    ]


def experiments(src: DataSource) -> list[str]:
    """Experiments in the assignments table, sorted.

    Parameters
    ----------
    src : DataSource
        The community, from :func:`analysis.open` (or ``ctx.src`` in a report).

    Returns
    -------
    list of str
        Empty when the source has no assignments.
    """
    a = src.table("assignments")
    return [] if a is None else sorted(a.select("experiment").distinct().execute()["experiment"].tolist())


DATE_PARAMETERS = ("as_of", "ref", "since", "landmark", "day", "first", "end", "between")


def accepts_dates(func: Callable) -> Callable:
    """Let a public function take its day parameters (``as_of``, ``ref``, ``since``, ``landmark``,
    ``day``, ``first``, ``end``, and each end of a ``between`` pair) as a ``date``, a datetime or pandas
    Timestamp, or an ISO string (see :func:`to_date`)."""
    sig = inspect.signature(func)
    names = [n for n in sig.parameters if n in DATE_PARAMETERS]

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        bound = sig.bind(*args, **kwargs)
        for n in names:
            value = bound.arguments.get(n)
            if isinstance(value, tuple | list):
                bound.arguments[n] = tuple(to_date(v) for v in value)
            elif value is not None:
                bound.arguments[n] = to_date(value)
        return func(*bound.args, **bound.kwargs)

    return wrapper


def to_date(value: date | datetime | str | None) -> date | None:
    """A day given as a ``date``, ``datetime``, pandas Timestamp or ISO string.

    Parameters
    ----------
    value : date, datetime, pandas.Timestamp, str or None
        The day.

    Returns
    -------
    date or None
        None for None.

    Examples
    --------
    >>> from analysis.data import to_date
    >>> to_date("2026-06-29"), to_date(None)
    (datetime.date(2026, 6, 29), None)
    """
    if value is None or value == "":
        return None
    if isinstance(value, datetime):  # pandas Timestamps are datetimes
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            try:
                return datetime.fromisoformat(value.strip()).date()
            except ValueError as exc:
                raise ValueError(f"not a date (YYYY-MM-DD): {value!r}") from exc
    raise TypeError(
        f"expected a date, a datetime or an ISO date string, got {type(value).__name__} {value!r}"
    )


def load(
    source: str | Path | ibis.BaseBackend,
    as_of: date | str | None = None,
    tz: str = DEFAULT_TZ,
    database: str | None = None,
) -> DataSource:
    """Open a data source and validate it: the researcher's entry point (``analysis.open`` is the
    same function).

    Parameters
    ----------
    source : str, pathlib.Path or ibis backend
        A folder of Parquet/CSV files, a DuckDB file, a database URL or an Ibis connection (see
        :func:`open_source`); a relative path is relative to the working directory.
    as_of : date or str, optional
        Validate the data up to this local day (default: all).
    tz : str, optional
        The community's IANA time zone (default Asia/Shanghai).
    database : str or None, optional
        As in :func:`open_source`.

    Returns
    -------
    DataSource
        The validated source.

    Raises
    ------
    DataContractError
        Listing every error found, each naming the file, the column and the rule.

    Examples
    --------
    >>> import analysis as ca
    >>> src = ca.open("data/demo")
    >>> src.day_range()
    (datetime.date(2026, 1, 1), datetime.date(2026, 6, 30))
    """
    as_of = to_date(as_of)
    source = open_source(source, tz=tz, database=database)
    report = validate(source, as_of=as_of, tz=tz)
    if not report.ok:
        raise DataContractError(report.errors)
    source.warnings = report.warnings
    return source
