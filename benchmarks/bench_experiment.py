"""Evaluating one experiment as the experiment report does, timed after loading the data: the metric
table (4 arms, 8 metrics and their pre-periods), SRM overall and by tier, pre-period balance, raw and
CUPED effects with Holm/BH, power, tier heterogeneity for three metrics, churn hazard ratios after
assignment (overall and by tier), novelty, composition, cost-effectiveness and
the verdicts. Target: 1,000,000 assigned members under 60 s.

The simulated community assigns about 42% of its members, so the default sizes end at a 2,400,000-member
community (about 1,015,000 singly-assigned members; generated once, about 4 minutes)."""

from __future__ import annotations

from common import arguments, ensure_synth, measure


def experiment_stage(path: str) -> dict:
    """The experiment report's computation, timed stage by stage after loading the data."""
    import time

    from analysis import experiment as ex
    from analysis.data import load

    src = load(path)
    as_of = src.default_as_of()
    laps, start = {}, time.perf_counter()
    t0 = start

    def lap(name: str) -> None:
        nonlocal t0
        t = time.perf_counter()
        laps[name] = round(t - t0, 1)
        t0 = t

    name = ex.experiments(src)[0]
    table = ex.metric_table(src, name, as_of)
    lap("metric table")
    plan = ex.planned_split(src, name)
    srm = ex.srm_table(table, plan)
    ex.srm_table(table, plan, by="tier")
    ex.balance(table)
    eff = ex.effects(table)
    ex.power(eff)
    lap("diagnostics + effects")
    het = {m: ex.heterogeneity(table, m) for m in ("contributions", "checkins", "retained_d30")}
    lap("heterogeneity")
    ex.churn_hazard(src, table, as_of)
    lap("churn hazard")
    ex.novelty(table)
    ex.composition(table)
    ex.cost_effectiveness(table)
    ex.verdicts(eff, het["retained_d30"][0], ["contributions", "retained_d30"], bool(srm["flagged"].any()))
    lap("rest")
    return {
        "seconds": time.perf_counter() - start,
        "assigned": len(table),
        "comparisons": len(eff),
        "stages": laps,
    }


def main() -> None:
    args = arguments(sizes=(20_000, 200_000, 2_400_000))
    print(f"{'members':>10} {'assigned':>10} {'seconds':>8} {'peak MB':>8} {'comparisons':>12}  stages (s)")
    for n in args.sizes:
        r = measure("bench_experiment:experiment_stage", path=str(ensure_synth(n)))
        stages = ", ".join(f"{k} {v}" for k, v in r["stages"].items())
        print(
            f"{n:>10,} {r['assigned']:>10,} {r['seconds']:>8.1f} {r['peak_rss_mb']:>8.0f} "
            f"{r['comparisons']:>12,}"
            f"  {stages}"
        )


if __name__ == "__main__":
    main()
