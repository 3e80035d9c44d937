"""`analysis synth` speed and memory at three sizes (targets: 20k < 30 s; 1M < 10 min and < 8 GB)."""

from __future__ import annotations

import shutil
import tempfile

from common import arguments, measure


def synth_stage(out: str, members: int) -> dict:
    import pyarrow.parquet as pq

    from analysis.synth import SynthConfig, generate

    generate(SynthConfig(members=members, seed=1), out)
    return {"events": pq.ParquetFile(out + "/events.parquet").metadata.num_rows}


def main() -> None:
    args = arguments()
    print(f"{'members':>10} {'seconds':>9} {'peak MB':>9} {'events':>12} {'target':>22}")
    for n in args.sizes:
        out = tempfile.mkdtemp(prefix="bench-synth-")
        r = measure("bench_synth:synth_stage", out=out, members=n)
        shutil.rmtree(out, ignore_errors=True)
        target = "< 30 s" if n <= 20_000 else "< 600 s, < 8192 MB" if n >= 1_000_000 else ""
        print(f"{n:>10,} {r['seconds']:>9.1f} {r['peak_rss_mb']:>9.0f} {r['events']:>12,} {target:>22}")


if __name__ == "__main__":
    main()
