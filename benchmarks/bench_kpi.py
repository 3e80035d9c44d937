"""The whole KPI computation on DuckDB/Ibis against a straightforward pandas implementation.

Both sides start the clock after their imports and include reading the data (the package also
validates it). Ratio = pandas seconds / package seconds on a size pandas can hold; then the package
alone at three sizes up to 1,000,000 members (targets: < 60 s and < 6 GB peak at 1M)."""

from __future__ import annotations

from common import arguments, ensure_synth, measure

PACKAGE = """
from datetime import date, timedelta
from analysis import kpi
from analysis.data import load
t0 = time.perf_counter()  # timing starts after imports
src = load({path!r})
as_of = src.default_as_of()
period = kpi.Period(as_of - timedelta(days=6), as_of)
daily = kpi.daily_kpis(src, as_of)
nm = kpi.new_member_retention(src, as_of)
br = kpi.new_member_bracket_retention(src, as_of)
tw = kpi.two_week_retention(src, as_of)
mo = kpi.monthly_retention(src, as_of)
lc = kpi.weekly_lifecycle(src, as_of)
cmp = kpi.compare_periods(src, period, as_of)
result['rows'] = int(daily['dau'].sum())
"""

PANDAS = """
import pandas as pd
import pandas_kpi as ref
t0 = time.perf_counter()  # timing starts after imports
events = pd.read_parquet({path!r} + '/events.parquet')
members = pd.read_parquet({path!r} + '/members.parquet')
as_of = (ref.local_days(events['ts'], 'Asia/Shanghai').max() - pd.Timedelta(days=1))
daily = ref.daily(events, 'Asia/Shanghai', as_of)
nm = ref.new_member_retention(members, events, 'Asia/Shanghai', as_of)
tw = ref.two_week_retention(events, 'Asia/Shanghai', as_of)
mo = ref.monthly_retention(events, 'Asia/Shanghai', as_of)
result['rows'] = int(daily['dau'].sum())
"""


def main() -> None:
    args = arguments(baseline_members=100_000)
    base = ensure_synth(args.baseline_members)
    ours = measure(PACKAGE.format(path=str(base)))
    theirs = measure(PANDAS.format(path=str(base)))
    assert ours["rows"] == theirs["rows"], (ours, theirs)  # same daily actives, summed
    print(f"baseline at {args.baseline_members:,} members: package {ours['seconds']:.1f} s, "
          f"pandas {theirs['seconds']:.1f} s -> {theirs['seconds'] / ours['seconds']:.1f}x faster "
          f"(target >= 10x); peak {ours['peak_rss_mb']:.0f} MB vs {theirs['peak_rss_mb']:.0f} MB")  # fmt: skip
    print(f"{'members':>10} {'seconds':>9} {'peak MB':>9}   target: < 60 s and < 6144 MB at 1,000,000")
    for n in args.sizes:
        r = measure(PACKAGE.format(path=str(ensure_synth(n))))
        print(f"{n:>10,} {r['seconds']:>9.1f} {r['peak_rss_mb']:>9.0f}")


if __name__ == "__main__":
    main()
