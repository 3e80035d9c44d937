"""Command line: ``analysis synth | validate | run`` (docs/definitions.md, "Command line")."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path

from analysis.definitions import DEFAULT_TZ


def _date(s: str) -> date:
    try:
        return date.fromisoformat(s)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {s!r}") from exc


def _positive(s: str) -> int:
    v = int(s)
    if v <= 0:
        raise argparse.ArgumentTypeError("must be a positive whole number")
    return v


DATA_HELP = (
    "a folder of Parquet/CSV files or a DuckDB file, or a URL: postgres://user@host:port/database, "
    "duckdb:///path/file.duckdb, pyspark:///path/to/parquet/folder"
)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="analysis", description="Community analytics for core-member operations."
    )
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("synth", help="generate a simulated community with ground truth")
    s.add_argument("--members", type=_positive, required=True, help="number of members")
    s.add_argument("--seed", type=int, default=7)
    s.add_argument("--out", type=Path, required=True, help="output folder (created)")
    s.add_argument("--days", type=_positive, default=180, help="complete local days of event log")
    s.add_argument("--format", choices=["parquet", "csv"], default="parquet")
    s.add_argument(
        "--design",
        choices=["member", "community", "saturation"],
        default="member",
        help="the experiment's randomisation: each member, whole communities, or a share of each community",
    )
    s.add_argument(
        "--spillover",
        type=float,
        default=1.0,
        help="saturation design: contribution multiplier for every assigned member of a treated community",
    )
    s.add_argument("--communities", type=int, default=0, help="number of communities (0: five named ones)")
    s.add_argument("--community-sd", type=float, default=0.0, help="sd of each community's activity level")

    v = sub.add_parser("validate", help="check a data source against the input contract")
    v.add_argument("--data", required=True, help=DATA_HELP)
    v.add_argument("--as-of", type=_date, default=None)
    v.add_argument("--tz", default=DEFAULT_TZ)

    r = sub.add_parser("run", help="run the report notebooks and render HTML")
    r.add_argument("--data", required=True, help=DATA_HELP)
    r.add_argument(
        "--as-of", type=_date, default=None, help="last complete local day (default: from the data)"
    )
    r.add_argument("--report", action="append", default=None, help="report name (repeatable; default all)")
    r.add_argument("--params", type=Path, default=None, help="YAML file of parameters")
    r.add_argument("--out", type=Path, default=Path("reports"), help="reports folder (default ./reports)")
    r.add_argument("--tz", default=None)
    r.add_argument(
        "--lang",
        default=None,
        help="page languages: en, zh or en,zh (default both; also 'lang' in the parameter file)",
    )
    return p


def _cmd_synth(args: argparse.Namespace) -> int:
    from analysis.synth import SynthConfig, generate

    if args.days < 90:
        print("analysis synth: --days must be at least 90 (the experiment needs 75 days)", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    cfg = SynthConfig(
        members=args.members,
        seed=args.seed,
        days=args.days,
        file_format=args.format,
        design=args.design,
        communities=args.communities,
        community_sd=args.community_sd,
        spillover=args.spillover,
    )
    truth = generate(cfg, args.out)
    print(
        f"wrote {args.members:,} members to {args.out} ({truth['log_start']} .. {truth['as_of']}, "
        f"seed {args.seed}) in {time.perf_counter() - t0:.1f} s"
    )
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    from analysis.data import validate
    from analysis.parameters import ParameterError, check
    from analysis.report import EXIT_BAD_INPUT

    try:
        check("tz", args.tz)
    except ParameterError as exc:
        print(f"analysis validate: parameter 'tz' {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    from analysis.backends import shown

    report = validate(args.data, as_of=args.as_of, tz=args.tz)
    data = shown(args.data)
    for issue in report.issues:
        print(str(issue), file=sys.stderr if issue.severity == "error" else sys.stdout)
    if not report.ok:
        print(
            f"{data}: {len(report.errors)} error(s); the data does not meet the input contract",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    sizes = ", ".join(f"{k} {v:,}" for k, v in report.rows.items())
    print(f"{data}: OK ({sizes}; local days {report.first_day} .. {report.last_day})")
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    from analysis.report import (
        EXIT_BAD_INPUT,
        EXIT_INTERRUPTED,
        EXIT_OK,
        EXIT_REPORT_FAILED,
        RunError,
        RunInterrupted,
        run_reports,
    )

    try:
        result = run_reports(
            data=args.data,
            as_of=args.as_of,
            reports=args.report,
            params_file=args.params,
            out=args.out,
            tz=args.tz,
            lang=args.lang,
            progress=lambda msg: print(msg, flush=True),
        )
    except RunError as exc:
        print(f"analysis run: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except (RunInterrupted, KeyboardInterrupt) as exc:
        print(f"analysis run: {exc or 'interrupted before the run started'}", file=sys.stderr)
        return EXIT_INTERRUPTED
    print(result.summary())
    return EXIT_OK if result.ok else EXIT_REPORT_FAILED


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handlers = {"synth": _cmd_synth, "validate": _cmd_validate, "run": _cmd_run}
    return handlers[args.command](args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
