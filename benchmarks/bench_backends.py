"""What moving costs on one machine: the whole KPI computation of bench_kpi (loading and validation
included) on the embedded DuckDB, on a local PostgreSQL server and on PySpark, as ratios to DuckDB.

PostgreSQL runs from a temporary folder (tests/servers.py) with the community copied in by COPY; Spark
reads the same Parquet folder with ``local[*]`` (its JVM start is timed apart from the computation).
Needs Debian's postgresql and default-jre-headless. Default size 200,000 members."""

from __future__ import annotations

from pathlib import Path

from bench_kpi import package_stage

from common import arguments, ensure_synth, measure, use_test_helpers


def spark_stage(path: str) -> dict:
    """The KPI computation on Spark; ``seconds`` excludes the session start, reported as ``start``."""
    import time

    from analysis.backends import connect

    t0 = time.perf_counter()
    connect("pyspark://")  # starts the session every later pyspark:// URL reuses
    start = time.perf_counter() - t0
    t1 = time.perf_counter()
    result = package_stage(f"pyspark://{path}")
    return {**result, "seconds": time.perf_counter() - t1, "start": start}


def load_postgres(base_url: str, path: str, name: str) -> dict:
    """Stage: a new database holding the community (timed: what a copy into a warehouse costs here)."""
    import servers

    url = servers.create_database(base_url, name)
    servers.load_into_postgres(url, Path(path))
    return {"url": url}


def main() -> None:
    use_test_helpers()
    import servers

    args = arguments(sizes=(200_000,))
    print(f"{'members':>10} {'backend':>9} {'seconds':>9} {'x DuckDB':>9} {'peak MB':>9}   notes")
    with servers.postgres_server() as base:
        for n in args.sizes:
            path = str(ensure_synth(n))
            duck = measure("bench_kpi:package_stage", path=path)
            print(f"{n:>10,} {'duckdb':>9} {duck['seconds']:>9.1f} {1.0:>9.1f} {duck['peak_rss_mb']:>9.0f}")
            loaded = measure("bench_backends:load_postgres", base_url=base, path=path, name=f"synth_{n}")
            pg = measure("bench_kpi:package_stage", path=loaded["url"])
            assert pg["rows"] == duck["rows"], (pg, duck)
            print(
                f"{n:>10,} {'postgres':>9} {pg['seconds']:>9.1f} {pg['seconds'] / duck['seconds']:>9.1f} "
                f"{pg['peak_rss_mb']:>9.0f}   copying the data in took {loaded['seconds']:.1f} s"
            )
            spark = measure("bench_backends:spark_stage", path=path)
            assert spark["rows"] == duck["rows"], (spark, duck)
            print(
                f"{n:>10,} {'pyspark':>9} {spark['seconds']:>9.1f} "
                f"{spark['seconds'] / duck['seconds']:>9.1f} "
                f"{spark['peak_rss_mb']:>9.0f}   session start {spark['start']:.1f} s (not included); "
                "peak MB is the Python process, not the JVM"
            )


if __name__ == "__main__":
    main()
