"""Fission (analysis.growth) at scale: the per-member invite counts (Ibis), the invite forest and
cascades (numpy), tiers at each join month and every table of the growth section, at up to 1,000,000
members (target: under 20 s at 1M). What the section reads from the rest of the report is built first
and timed apart: the tiers at as_of and the member-days table (the core-members report
builds it for its other sections; the growth section reuses it)."""

from __future__ import annotations

from common import arguments, ensure_synth, measure


def growth_stage(path: str) -> dict:
    import time

    from analysis import activity, growth
    from analysis.data import load

    src = load(path)
    as_of = src.default_as_of()
    t0 = time.perf_counter()
    tiers = activity.assign_tiers(src, as_of)
    activity.cache_member_days(src, as_of)
    inputs = time.perf_counter() - t0
    t1 = time.perf_counter()
    fis = growth.fission(src, as_of, tiers)
    seconds = time.perf_counter() - t1
    k = fis.k_factor.set_index("cohort").loc["all"]
    return {"seconds": seconds, "inputs": inputs, "k": float(k["k_factor"]), "eligible": int(k["eligible"])}


def main() -> None:
    args = arguments(sizes=(20_000, 200_000, 1_000_000))
    print(f"{'members':>10} {'seconds':>9} {'peak MB':>9}   target: < 20 s at 1,000,000")
    for n in args.sizes:
        r = measure("bench_growth:growth_stage", path=str(ensure_synth(n)))
        print(
            f"{n:>10,} {r['seconds']:>9.1f} {r['peak_rss_mb']:>9.0f}   K {r['k']:.3f} over {r['eligible']:,} "
            f"eligible; inputs (tiers, member-days; not included) {r['inputs']:.1f} s"
        )


if __name__ == "__main__":
    main()
