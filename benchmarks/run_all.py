"""Run every benchmark (make bench). Generated data are cached under benchmarks/data/."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

for script in (
    "bench_synth.py",
    "bench_kpi.py",
    "bench_kpi_sql.py",
    "bench_segments.py",
    "bench_survival.py",
    "bench_experiment.py",
    "bench_report.py",
    "bench_backends.py",
    "bench_growth.py",
    "bench_risk.py",
):
    print(f"== {script}", flush=True)
    subprocess.run([sys.executable, str(HERE / script)], check=True)
