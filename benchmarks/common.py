"""Helpers for the benchmarks: each measurement runs in a fresh process that reports its own wall time
and peak resident memory (which includes DuckDB's native memory)."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "benchmarks" / "data"


def measure(stage: str, **kwargs: object) -> dict:
    """Run ``stage`` ("module:function" of a benchmark module, which returns a dict) in a child Python
    with ``kwargs``. The clock starts after the module's imports; a stage that times only part of its
    work returns its own ``seconds``. Adds peak_rss_mb."""
    module, function = stage.split(":")
    wrapper = f"""
import importlib, json, resource, sys, time
sys.path[:0] = [{str(ROOT / "benchmarks")!r}, {str(ROOT / "tests")!r}]
stage = getattr(importlib.import_module({module!r}), {function!r})
t0 = time.perf_counter()
result = stage(**json.loads({json.dumps(kwargs)!r}))
result.setdefault("seconds", time.perf_counter() - t0)
result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print("RESULT " + json.dumps(result, default=str))
"""
    out = subprocess.run([sys.executable, "-c", wrapper], capture_output=True, text=True, check=False)
    for line in out.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    raise RuntimeError(f"benchmark child failed:\n{out.stdout[-2000:]}\n{out.stderr[-4000:]}")


def use_test_helpers() -> None:
    """Make tests/ importable in this process (the PostgreSQL server and Spark session helpers of
    tests/servers.py), as it is in every measured child."""
    if str(ROOT / "tests") not in sys.path:
        sys.path.append(str(ROOT / "tests"))


def generate_synth(path: str, members: int, seed: int) -> dict:
    """Stage: a simulated community (:func:`ensure_synth`)."""
    from analysis.synth import SynthConfig, generate

    generate(SynthConfig(members=members, seed=seed), path)
    return {}


def ensure_synth(members: int, seed: int = 1) -> Path:
    """A simulated community of ``members`` under benchmarks/data (generated once)."""
    path = DATA / f"synth_{members}"
    if not (path / "ground_truth.json").exists():
        measure("common:generate_synth", path=str(path), members=members, seed=seed)
    return path


def arguments(sizes: tuple[int, ...] = (20_000, 200_000, 1_000_000), **extra: int) -> argparse.Namespace:
    """``--sizes`` (community sizes, default ``sizes``) plus any integer options given as defaults."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=list(sizes))
    for name, default in extra.items():
        ap.add_argument(f"--{name.replace('_', '-')}", type=int, default=default)
    return ap.parse_args()
