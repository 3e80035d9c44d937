"""Tiers at as_of at three sizes (target: 200,000 members under 10 s), timed after loading the data."""

from __future__ import annotations

from common import arguments, ensure_synth, measure


def tiers_stage(path: str) -> dict:
    """Tiers at as_of, timed after loading the data."""
    import time

    from analysis import segments
    from analysis.data import load

    src = load(path)
    as_of = src.default_as_of()
    t0 = time.perf_counter()
    tiers = segments.assign_tiers(src, as_of)
    return {
        "seconds": time.perf_counter() - t0,
        "core": int((tiers["tier"] == "core").sum()),
        "members": len(tiers),
    }


def main() -> None:
    args = arguments()
    print(f"{'members':>10} {'seconds':>8} {'peak MB':>8} {'core':>8}   target: < 10 s at 200,000")
    for n in args.sizes:
        r = measure("bench_segments:tiers_stage", path=str(ensure_synth(n)))
        print(f"{n:>10,} {r['seconds']:>8.1f} {r['peak_rss_mb']:>8.0f} {r['core']:>8,}")


if __name__ == "__main__":
    main()
