"""Churn computation at three sizes (target at 1,000,000 members: churn table + landmark + KM by tier
+ Cox with 7 covariates under 30 s, after loading), and the Cox fit on compressed rows against plain
lifelines on the uncompressed rows of the same design (target: >= 20x faster, same estimates)."""

from __future__ import annotations

import argparse

from common import ensure_synth, measure

CHURN = """
import numpy as np
from analysis.data import load
from analysis import survival as sv
src = load({path!r})
as_of = src.default_as_of()
t0 = time.perf_counter()
churn = sv.churn_table(src, as_of)
lm = sv.landmark_table(src, churn, as_of)
km = sv.kaplan_meier(lm, group="lm_tier", duration="t")
lm["log_active_days"] = np.log1p(lm["lm_active_days"])
cox = sv.fit_cox(lm, categorical={{"lm_tier": "lurker", "channel": "organic"}}, numeric=["log_active_days"])
result.update(members=len(churn), landmark=len(lm), covariates=len(cox.hazard_ratios), rows_fitted=cox.rows_fitted)
"""

COX = """
import numpy as np
import pandas as pd
from lifelines import CoxPHFitter
from analysis.data import load
from analysis import survival as sv
src = load({path!r})
as_of = src.default_as_of()
lm = sv.landmark_table(src, sv.churn_table(src, as_of), as_of)
lm["log_active_days"] = np.log1p(lm["lm_active_days"])
cat, num = {{"lm_tier": "lurker", "channel": "organic"}}, ["log_active_days"]
t = time.perf_counter()
fast = sv.fit_cox(lm, categorical=cat, numeric=num, ph_check=False)
result["compressed_s"] = time.perf_counter() - t
x = sv.design(lm, cat, num).assign(_t=lm["t"].to_numpy(), _e=lm["event"].astype(int).to_numpy())
t = time.perf_counter()
plain = CoxPHFitter().fit(x, duration_col="_t", event_col="_e")
result["plain_s"] = time.perf_counter() - t
diff = np.abs(fast.hazard_ratios.set_index("covariate")["coef"] - plain.params_).max()
result.update(rows=len(x), rows_fitted=fast.rows_fitted, max_abs_coef_diff=float(diff))
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[20_000, 200_000, 1_000_000])
    args = ap.parse_args()
    print(f"{'members':>10} {'churn s':>8} {'peak MB':>8} {'in table':>10} {'landmark':>10} {'Cox rows':>9}")
    for n in args.sizes:
        r = measure(CHURN.format(path=str(ensure_synth(n))))
        print(f"{n:>10,} {r['seconds']:>8.1f} {r['peak_rss_mb']:>8.0f} {r['members']:>10,} {r['landmark']:>10,} "
              f"{r['rows_fitted']:>9,}")  # fmt: skip
    n = max(args.sizes)
    r = measure(COX.format(path=str(ensure_synth(n))))
    print(f"Cox at {n:,} members ({r['rows']:,} landmark rows -> {r['rows_fitted']:,} compressed): "
          f"compressed {r['compressed_s']:.2f} s, plain lifelines {r['plain_s']:.1f} s -> "
          f"{r['plain_s'] / r['compressed_s']:.0f}x faster (target >= 20x); max |coef diff| {r['max_abs_coef_diff']:.1e}")  # fmt: skip


if __name__ == "__main__":
    main()
