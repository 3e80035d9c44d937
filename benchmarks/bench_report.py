"""`analysis run` on a simulated community: total and per-report seconds and peak memory.

Default: the demo community (20,000 members, seed 7; target < 180 s). ``--members 1000000`` measures the
full run at a million members (target: < 180 s and < 6 GB on 2 cores). Peak memory is given for the
runner and for the largest report kernel (its child processes). ``--lang``: the page languages
(default ``en``, one page per report as #19's target counts; ``en,zh`` renders each report twice)."""

from __future__ import annotations

import json
import tempfile

from common import ensure_synth, measure


def run_stage(data: str, out: str, lang: str = "en") -> dict:
    import resource

    from analysis.report import run_reports

    result = run_reports(data, out=out, lang=lang)
    kernel_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    meta = json.loads((result.run_dir / "run.json").read_text())
    return {
        "kernel_peak_mb": kernel_mb,
        "status": meta["status"],
        "reports": [
            (f"{r['name']} ({r.get('lang', 'en')})", r["status"], r["seconds"]) for r in meta["reports"]
        ],
    }


def main() -> None:
    import argparse

    ap = argparse.ArgumentParser()
    ap.add_argument("--members", type=int, default=20_000)
    ap.add_argument("--lang", default="en", help="page languages: en, zh or en,zh")
    args = ap.parse_args()
    data = ensure_synth(args.members, seed=7 if args.members == 20_000 else 1)
    r = measure(
        "bench_report:run_stage", data=str(data), out=tempfile.mkdtemp(prefix="bench-report-"), lang=args.lang
    )
    for name, status, seconds in r["reports"]:
        print(f"  {name:<19} {status:<7} {seconds:6.1f} s")
    print(
        f"total {r['seconds']:.1f} s for {len(r['reports'])} report(s) at {args.members:,} members "
        f"(target < 180 s); status {r['status']}; peak {r['peak_rss_mb']:.0f} MB runner, "
        f"{r['kernel_peak_mb']:.0f} MB largest kernel"
    )


if __name__ == "__main__":
    main()
