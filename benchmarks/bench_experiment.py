"""Evaluating one experiment (metric table, raw and CUPED effects for 4 arms x 8 metrics, SRM, balance,
tier heterogeneity) at three community sizes, timed after loading the data.
Target: 1,000,000 assigned members under 60 s."""

from __future__ import annotations

from common import arguments, ensure_synth, measure

CODE = """
from analysis.data import load
from analysis import experiment as ex
src = load({path!r})
as_of = src.default_as_of()
t0 = time.perf_counter()
name = ex.experiments(src)[0]
table = ex.metric_table(src, name, as_of)
eff = ex.effects(table)
srm = ex.srm_table(table, src.table("arms").execute())
bal = ex.balance(table)
het = ex.heterogeneity(table, "contributions")
result.update(assigned=len(table), comparisons=len(eff))
"""


def main() -> None:
    args = arguments()
    print(f"{'members':>10} {'assigned':>10} {'seconds':>8} {'peak MB':>8} {'comparisons':>12}")
    for n in args.sizes:
        r = measure(CODE.format(path=str(ensure_synth(n))))
        print(
            f"{n:>10,} {r['assigned']:>10,} {r['seconds']:>8.1f} {r['peak_rss_mb']:>8.0f} {r['comparisons']:>12,}"
        )


if __name__ == "__main__":
    main()
