"""The whole KPI computation on DuckDB/Ibis against a straightforward pandas implementation.

Both sides start the clock after their imports and include reading the data (the package also
validates it). Ratio = pandas seconds / package seconds on a size pandas can hold; then the package
alone at three sizes up to 1,000,000 members (targets: < 60 s and < 6 GB peak at 1M)."""

from __future__ import annotations

from common import arguments, ensure_synth, measure


def package_stage(path: str) -> dict:
    """Every KPI of the report through the package, loading and validation included."""
    from datetime import timedelta

    from analysis import kpi
    from analysis.data import load

    src = load(path)
    as_of = src.default_as_of()
    period = kpi.Period(as_of - timedelta(days=6), as_of)
    daily = kpi.daily_kpis(src, as_of)
    kpi.new_member_retention(src, as_of)
    kpi.new_member_bracket_retention(src, as_of)
    kpi.two_week_retention(src, as_of)
    kpi.monthly_retention(src, as_of)
    kpi.weekly_lifecycle(src, as_of)
    kpi.compare_periods(src, period, as_of)
    return {"rows": int(daily["dau"].sum())}


def pandas_stage(path: str) -> dict:
    """The same KPIs in plain pandas (tests/reference/pandas_kpi.py) on the raw files."""
    import pandas as pd

    from reference import pandas_kpi as ref

    events = pd.read_parquet(path + "/events.parquet")
    members = pd.read_parquet(path + "/members.parquet")
    as_of = ref.local_days(events["ts"], "Asia/Shanghai").max() - pd.Timedelta(days=1)
    daily = ref.daily(events, "Asia/Shanghai", as_of)
    ref.new_member_retention(members, events, "Asia/Shanghai", as_of)
    ref.two_week_retention(events, "Asia/Shanghai", as_of)
    ref.monthly_retention(events, "Asia/Shanghai", as_of)
    return {"rows": int(daily["dau"].sum())}


def main() -> None:
    args = arguments(baseline_members=100_000)
    base = ensure_synth(args.baseline_members)
    ours = measure("bench_kpi:package_stage", path=str(base))
    theirs = measure("bench_kpi:pandas_stage", path=str(base))
    assert ours["rows"] == theirs["rows"], (ours, theirs)  # same daily actives, summed
    print(
        f"baseline at {args.baseline_members:,} members: package {ours['seconds']:.1f} s, "
        f"pandas {theirs['seconds']:.1f} s -> {theirs['seconds'] / ours['seconds']:.1f}x faster "
        f"(target >= 10x); peak {ours['peak_rss_mb']:.0f} MB vs {theirs['peak_rss_mb']:.0f} MB"
    )
    print(f"{'members':>10} {'seconds':>9} {'peak MB':>9}   target: < 60 s and < 6144 MB at 1,000,000")
    for n in args.sizes:
        r = measure("bench_kpi:package_stage", path=str(ensure_synth(n)))
        print(f"{n:>10,} {r['seconds']:>9.1f} {r['peak_rss_mb']:>9.0f}")


if __name__ == "__main__":
    main()
