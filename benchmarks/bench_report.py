"""`make report` on the demo community (20,000 members): total and per-report seconds (target < 180 s)."""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

from analysis.report import run_reports

from common import ensure_synth


def main() -> None:
    data = ensure_synth(20_000, seed=7)
    out = Path(tempfile.mkdtemp(prefix="bench-report-"))
    t0 = time.perf_counter()
    result = run_reports(data, out=out)
    total = time.perf_counter() - t0
    meta = json.loads((result.run_dir / "run.json").read_text())
    for r in meta["reports"]:
        print(f"  {r['name']:<14} {r['status']:<7} {r['seconds']:6.1f} s")
    print(
        f"total {total:.1f} s for {len(meta['reports'])} report(s) (target < 180 s); status {meta['status']}"
    )


if __name__ == "__main__":
    main()
