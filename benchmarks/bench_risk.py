"""Who is about to leave (analysis.risk) at scale: the backtest (training landmark, features and
outcomes at the fit date, two models, scores) and the risk now (four stacked training landmarks, the
prediction for every active member), at up to 1,000,000 members (target: the risk model under 30 s at
1M). The member-days table, which the churn report builds for its other sections, is built first and
timed apart."""

from __future__ import annotations

from common import arguments, ensure_synth, measure


def risk_stage(path: str) -> dict:
    import time

    from analysis import activity, risk
    from analysis.data import load

    src = load(path)
    as_of = src.default_as_of()
    t0 = time.perf_counter()
    activity.cache_member_days(src, as_of)
    inputs = time.perf_counter() - t0
    t1 = time.perf_counter()
    bt = risk.backtest(src, as_of)
    backtest = time.perf_counter() - t1
    t2 = time.perf_counter()
    now = risk.risk_now(src, as_of)
    current = time.perf_counter() - t2
    m = bt.table.set_index("model").loc["risk model"]
    return {
        "seconds": backtest + current,
        "backtest": backtest,
        "now": current,
        "inputs": inputs,
        "members": len(now.members),
        "train": now.model.members,
        "slope": float(m["calibration_slope"]),
        "ici": float(m["ici"]),
        "auc": float(m["auc"]),
    }


def main() -> None:
    args = arguments(sizes=(20_000, 200_000, 1_000_000))
    print(f"{'members':>10} {'seconds':>9} {'peak MB':>9}   target: < 30 s at 1,000,000")
    for n in args.sizes:
        r = measure("bench_risk:risk_stage", path=str(ensure_synth(n)))
        print(
            f"{n:>10,} {r['seconds']:>9.1f} {r['peak_rss_mb']:>9.0f}   backtest {r['backtest']:.1f} s, "
            f"risk now "
            f"{r['now']:.1f} s for {r['members']:,} active members ({r['train']:,} training rows); backtest "
            f"slope {r['slope']:.2f}, ICI {r['ici']:.3f}, AUC {r['auc']:.3f}; member-days (not included) "
            f"{r['inputs']:.1f} s"
        )


if __name__ == "__main__":
    main()
