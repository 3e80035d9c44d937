"""Compare two run folders: every table byte for byte, every page with its run-specific details masked.

Used before and after a change that must not move a number (a re-layout of the code):

    python tools/compare_runs.py reports_before/latest reports_after/latest

or the same data read from two places (``--other-source``: a Parquet folder and a PostgreSQL copy of
it, whose fingerprints are computed differently):

    python tools/compare_runs.py --other-source reports_files/latest reports_postgres/latest

Exit 0 when both runs hold the same tables and pages and each is identical; 1 otherwise, listing what
differs.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

# what legitimately differs between two runs of the same code on the same data
# (pages in English and in Chinese)
RUN_SPECIFIC = [
    re.compile(r"(run|运行): \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC"),
    re.compile(
        r"<tr><th>(git commit|run id|package version|git 提交|运行编号|软件包版本)</th><td>[^<]*</td></tr>"
    ),
]


# what differs when the same data are read from another source
SOURCE_SPECIFIC = [
    re.compile(r"<tr><th>(data fingerprint \(sha256\)|数据指纹（sha256）)</th><td>[^<]*</td></tr>"),
]


def _masked(html: str, other_source: bool = False) -> str:
    for pattern in RUN_SPECIFIC + (SOURCE_SPECIFIC if other_source else []):
        html = pattern.sub("<masked>", html)
    return html


def compare(a: Path, b: Path, other_source: bool = False) -> list[str]:
    """Differences between run folders ``a`` and ``b`` (empty when identical)."""
    problems = []
    for pattern, read in (
        ("tables/*.csv", Path.read_bytes),
        ("restricted/*.csv", Path.read_bytes),
        ("*.html", lambda p: _masked(p.read_text(encoding="utf-8"), other_source)),
    ):
        names_a = {p.relative_to(a) for p in a.glob(pattern)}
        names_b = {p.relative_to(b) for p in b.glob(pattern)}
        problems += [f"only in {a}: {n}" for n in sorted(names_a - names_b)]
        problems += [f"only in {b}: {n}" for n in sorted(names_b - names_a)]
        problems += [f"differs: {n}" for n in sorted(names_a & names_b) if read(a / n) != read(b / n)]
    return problems


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("before", type=Path)
    p.add_argument("after", type=Path)
    p.add_argument(
        "--other-source", action="store_true", help="the same data from another source: mask the fingerprint"
    )
    args = p.parse_args(argv)
    problems = compare(args.before.resolve(), args.after.resolve(), args.other_source)
    print("\n".join(problems) if problems else "identical: every table and page")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
