"""Run report notebooks with Papermill, render them, and keep the runs folder and its index.

One code path for the CLI, ``make report``, schedulers and tests:

- parameters are checked against each notebook's ``parameters`` cell before a kernel starts
  (unknown names and wrong types are errors; ``as_of`` must be a date);
- the data source is validated first; a bad source stops the run before anything is written;
- a run is written to ``runs/.tmp-<id>/`` and moved to ``runs/<as_of>_<id>/`` when complete, whether
  it succeeded or failed; ``latest`` points to the newest good run only; ``index.html`` lists all runs;
- a lock file makes a second concurrent run into the same folder fail with a clear message.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import json
import logging
import os
import re
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import nbformat
import yaml

from analysis import render
from analysis.data import DataContractError, open_source, validate
from analysis.definitions import DEFAULT_TZ

log = logging.getLogger("analysis.report")


@dataclass(frozen=True)
class ReportSpec:
    """One report template."""

    name: str
    notebook: str
    title: str
    per_experiment: bool = False  # run once per experiment in the data


REPORTS: tuple[ReportSpec, ...] = (
    ReportSpec("kpi", "kpi_report.ipynb", "Community KPIs"),
    ReportSpec("core_members", "core_members.ipynb", "Core members"),
    ReportSpec("churn", "churn_survival.ipynb", "Member churn"),
    ReportSpec("experiment", "incentive_experiment.ipynb", "Incentive experiment", per_experiment=True),
)
# Parameters every notebook receives from the runner (and that users may not set in YAML).
RUNNER_PARAMETERS = ("data_dir", "output_dir")


class RunError(Exception):
    """A run could not start: bad parameters, invalid data, unknown report, or a run already going."""


def notebooks_dir() -> Path:
    """Folder of the report templates: ``$ANALYSIS_NOTEBOOKS`` or the repository's ``notebooks/``."""
    env = os.environ.get("ANALYSIS_NOTEBOOKS")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "notebooks"


def available_reports() -> list[ReportSpec]:
    """Reports whose template exists."""
    return [r for r in REPORTS if (notebooks_dir() / r.notebook).exists()]


# --------------------------------------------------------------------------------------------------
# parameters


_TYPE_CHECKS: dict[str, Callable[[Any], bool]] = {
    "str": lambda v: isinstance(v, str),
    "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "float": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "bool": lambda v: isinstance(v, bool),
    "list": lambda v: isinstance(v, list | tuple),
    "dict": lambda v: isinstance(v, dict),
}


def notebook_parameters(path: Path) -> dict[str, str]:
    """Parameter name -> declared type (from the ``# type:`` comment or the default's type)."""
    return dict(_parameters(str(path), path.stat().st_mtime_ns))


@functools.lru_cache(maxsize=32)
def _parameters(path: str, _mtime_ns: int) -> tuple[tuple[str, str], ...]:
    import papermill

    found = papermill.inspect_notebook(path)
    out = {}
    for name, info in found.items():
        t = (info.get("inferred_type_name") or "None").strip().lower()
        t = t.split("[")[0].replace("optional", "").strip() or "None"
        out[name] = t
    return tuple(out.items())


def check_parameters(spec: ReportSpec, params: Mapping[str, Any]) -> dict[str, Any]:
    """Validate ``params`` against the notebook's parameters cell; returns them normalised."""
    declared = notebook_parameters(notebooks_dir() / spec.notebook)
    out: dict[str, Any] = {}
    for name, value in params.items():
        if name not in declared:
            raise RunError(
                f"report '{spec.name}': unknown parameter '{name}' (known: {', '.join(sorted(declared))})"
            )
        t = declared[name]
        if isinstance(value, date):
            value = value.isoformat()
        if name == "as_of" or name.endswith("_date"):
            if value is not None:
                try:
                    value = date.fromisoformat(str(value)).isoformat()
                except ValueError as exc:
                    raise RunError(
                        f"report '{spec.name}': parameter '{name}' must be a date YYYY-MM-DD, got {value!r}"
                    ) from exc
        check = _TYPE_CHECKS.get(t)
        if check is not None and value is not None and not check(value):
            raise RunError(
                f"report '{spec.name}': parameter '{name}' must be {t}, got {type(value).__name__} {value!r}"
            )
        out[name] = value
    return out


def load_params_file(path: Path | None) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """A YAML parameter set: top-level names apply to every report declaring them; ``reports:``
    maps a report name to parameters for that report only."""
    if path is None:
        return {}, {}
    if not path.exists():
        raise RunError(f"parameter file {path} does not exist")
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise RunError(f"parameter file {path} is not valid YAML: {exc}") from exc
    if not isinstance(doc, dict):
        raise RunError(f"parameter file {path} must hold a mapping of parameter names to values")
    per_report = doc.pop("reports", {}) or {}
    if not isinstance(per_report, dict):
        raise RunError(f"parameter file {path}: 'reports' must map report names to parameters")
    return doc, per_report


# --------------------------------------------------------------------------------------------------
# run bookkeeping


@dataclass
class ReportOutcome:
    name: str
    title: str
    status: str  # ok | failed
    seconds: float
    html: str | None = None
    notebook: str | None = None
    error: str | None = None
    failed_cell: int | None = None


@dataclass
class RunResult:
    run_dir: Path
    index: Path
    as_of: str
    outcomes: list[ReportOutcome] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return all(o.status == "ok" for o in self.outcomes)

    def summary(self) -> str:
        n_ok = sum(o.status == "ok" for o in self.outcomes)
        state = "OK" if self.ok else "FAILED"
        return (
            f"{state}: {n_ok}/{len(self.outcomes)} reports for as_of {self.as_of} in {self.seconds:.0f} s "
            f"-> {self.run_dir}; index: {self.index}"
        )


@contextlib.contextmanager
def _lock(out: Path) -> Iterator[None]:
    out.mkdir(parents=True, exist_ok=True)
    path = out / ".run.lock"
    fh = open(path, "w")
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError as exc:
        fh.close()
        raise RunError(
            f"another 'analysis run' is writing to {out} (lock {path} is held); wait for it to finish"
        ) from exc
    try:
        yield
    finally:
        fcntl.flock(fh, fcntl.LOCK_UN)
        fh.close()


def _git_commit() -> str:
    try:
        res = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=Path(__file__).resolve().parent,
            capture_output=True,
            text=True,
            timeout=5,
        )
        return res.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def package_version() -> str:
    try:
        return metadata.version("community-analysis")
    except metadata.PackageNotFoundError:
        return "unknown"


def _read_runs(out: Path) -> list[dict[str, Any]]:
    runs = []
    for f in (out / "runs").glob("*/run.json"):
        if f.parent.name.startswith(".tmp-"):
            continue
        try:
            r = json.loads(f.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            continue
        r["folder"] = f.parent.name
        runs.append(r)
    runs.sort(key=lambda r: r.get("started", ""), reverse=True)
    return runs


def write_index(out: Path) -> Path:
    """Rewrite ``index.html`` from the runs' ``run.json`` files (atomically)."""
    path = out / "index.html"
    tmp = out / f".index-{uuid.uuid4().hex[:8]}.html"
    tmp.write_text(render.index_page(_read_runs(out)), encoding="utf-8")
    os.replace(tmp, path)
    return path


def _point_latest(out: Path, folder: str) -> None:
    link = out / "latest"
    tmp = out / f".latest-{uuid.uuid4().hex[:8]}"
    os.symlink(Path("runs") / folder, tmp)
    os.replace(tmp, link)


# --------------------------------------------------------------------------------------------------
# executing and rendering


@contextlib.contextmanager
def _stderr_to(path: Path) -> Iterator[None]:
    """Send file descriptor 2 (inherited by kernels) to ``path`` for the duration."""
    import sys

    sys.stderr.flush()
    saved = os.dup(2)
    with open(path, "ab") as fh:
        os.dup2(fh.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)


def _execute(spec: ReportSpec, params: dict[str, Any], run_tmp: Path, timeout: int) -> ReportOutcome:
    import papermill
    from papermill.exceptions import PapermillExecutionError

    nb_out = run_tmp / "notebooks" / f"{spec.name}.ipynb"
    nb_out.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    os.environ.setdefault("JUPYTER_PREFER_ENV_PATH", "1")  # the python3 kernel of this environment
    try:
        with _stderr_to(run_tmp / "run.log"):  # kernel chatter goes to the run log, not the terminal
            papermill.execute_notebook(
                str(notebooks_dir() / spec.notebook),
                str(nb_out),
                parameters=params,
                kernel_name="python3",
                cwd=str(run_tmp),
                execution_timeout=timeout,
                progress_bar=False,
                log_output=False,
                report_mode=False,
            )
    except PapermillExecutionError as exc:
        return ReportOutcome(
            spec.name,
            spec.title,
            "failed",
            time.perf_counter() - t0,
            notebook=f"notebooks/{spec.name}.ipynb",
            error=exc.ename,
            failed_cell=exc.exec_count,
        )
    except Exception as exc:  # kernel died, timeout, ...
        log.exception("report %s failed", spec.name)
        return ReportOutcome(
            spec.name,
            spec.title,
            "failed",
            time.perf_counter() - t0,
            notebook=f"notebooks/{spec.name}.ipynb" if nb_out.exists() else None,
            error=type(exc).__name__,
        )
    return ReportOutcome(
        spec.name, spec.title, "ok", time.perf_counter() - t0, notebook=f"notebooks/{spec.name}.ipynb"
    )


def _render(spec: ReportSpec, outcome: ReportOutcome, run_tmp: Path, meta: dict, definitions: dict) -> None:
    nb = nbformat.read(run_tmp / "notebooks" / f"{spec.name}.ipynb", as_version=4)
    html_name = f"{spec.name}.html"
    (run_tmp / html_name).write_text(render.report_page(nb, spec.title, meta, definitions), encoding="utf-8")
    outcome.html = html_name


def run_reports(
    data: str | Path,
    as_of: date | None = None,
    reports: list[str] | None = None,
    params_file: Path | None = None,
    out: str | Path = "reports",
    tz: str | None = None,
    params: Mapping[str, Any] | None = None,
    progress: Callable[[str], None] | None = None,
    timeout: int = 1800,
) -> RunResult:
    """Run the named reports (default all) on ``data`` and render them into a new run folder."""
    say = progress or (lambda _msg: None)
    t_start = time.perf_counter()
    out = Path(out)
    data = Path(data).resolve()
    known = {r.name: r for r in available_reports()}
    names = reports or list(known)
    unknown = [n for n in names if n not in known]
    if unknown:
        raise RunError(f"unknown report(s) {', '.join(unknown)}; available: {', '.join(known) or 'none'}")
    common, per_report = load_params_file(params_file)
    common = {**common, **(params or {})}
    bad_sections = [n for n in per_report if n not in known]
    if bad_sections:
        raise RunError(f"parameter file names unknown report(s): {', '.join(bad_sections)}")
    for key in RUNNER_PARAMETERS:
        if key in common or any(key in (v or {}) for v in per_report.values()):
            raise RunError(f"parameter '{key}' is set by the runner and cannot be given")
    tz = tz or common.get("tz") or DEFAULT_TZ

    # validate the data before any kernel starts
    try:
        source = open_source(data, tz=tz)
    except DataContractError as exc:
        raise RunError(f"data source {data} does not meet the input contract:\n{exc}") from exc
    for section, values in per_report.items():
        if {"as_of", "tz"} & set(values or {}):
            raise RunError(f"parameter file: set as_of and tz for the whole run, not in reports: {section}")
    try:
        requested_as_of = as_of or (date.fromisoformat(str(common["as_of"])) if common.get("as_of") else None)
    except ValueError as exc:
        raise RunError(f"parameter 'as_of' must be a date YYYY-MM-DD, got {common['as_of']!r}") from exc
    report = validate(source, as_of=requested_as_of, tz=tz)
    if not report.ok:
        raise RunError(
            f"data source {data} does not meet the input contract:\n"
            + "\n".join(str(i) for i in report.errors)
        )
    as_of = requested_as_of or source.default_as_of()
    fingerprint = source.fingerprint()
    from analysis.experiment import experiments

    in_data = experiments(source)
    del source

    # per-report parameters, checked before any kernel starts
    declared = {n: notebook_parameters(notebooks_dir() / known[n].notebook) for n in names}
    stray = [k for k in common if not any(k in d for d in declared.values())]
    if stray:
        raise RunError(f"unknown parameter(s) {', '.join(stray)}: no selected report declares them")
    plan: list[tuple[ReportSpec, dict[str, Any]]] = []
    for name in names:
        given = {k: v for k, v in common.items() if k in declared[name]}
        given.update(per_report.get(name) or {})
        given.update({k: v for k, v in {"as_of": as_of.isoformat(), "tz": tz}.items() if k in declared[name]})
        spec = known[name]
        if not spec.per_experiment:
            plan.append((spec, check_parameters(spec, given)))
            continue
        wanted = [given["experiment"]] if given.get("experiment") else in_data
        if not wanted and reports:
            raise RunError(f"report '{name}' needs experiments, and {data} has no assignments")
        for exp in wanted:
            slug = re.sub(r"[^A-Za-z0-9_-]+", "-", str(exp)).strip("-") or "experiment"
            inst = ReportSpec(f"{name}_{slug}", spec.notebook, f"{spec.title}: {exp}")
            plan.append((inst, check_parameters(spec, {**given, "experiment": exp})))

    with _lock(out):
        runs = out / "runs"
        runs.mkdir(parents=True, exist_ok=True)
        started = datetime.now(UTC)
        run_id = f"{started:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"
        folder = f"{as_of.isoformat()}_{run_id}"
        run_tmp = runs / f".tmp-{run_id}"
        (run_tmp / "tables").mkdir(parents=True)
        handler = logging.FileHandler(run_tmp / "run.log", encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root = logging.getLogger()
        root.addHandler(handler)
        prev_level = root.level
        root.setLevel(logging.INFO)
        result = RunResult(run_dir=runs / folder, index=out / "index.html", as_of=as_of.isoformat())
        try:
            meta_common = {
                "as of": as_of.isoformat(),
                "data": data.name,
                "run": started.strftime("%Y-%m-%d %H:%M UTC"),
            }
            for i, (spec, p) in enumerate(plan, start=1):
                say(f"[{i}/{len(plan)}] {spec.name} ...")
                full = {**p, "data_dir": str(data), "output_dir": str(run_tmp.resolve())}
                outcome = _execute(spec, full, run_tmp.resolve(), timeout)
                if outcome.status == "ok":
                    definitions = {
                        **{f"parameter {k}": v for k, v in p.items()},
                        "data fingerprint (sha256)": fingerprint,
                        "package version": package_version(),
                        "git commit": _git_commit(),
                        "run id": run_id,
                    }
                    _render(spec, outcome, run_tmp, meta_common, definitions)
                result.outcomes.append(outcome)
                where = f" at cell {outcome.failed_cell}" if outcome.failed_cell else ""
                say(f"[{i}/{len(plan)}] {spec.name} {outcome.status}{where} ({outcome.seconds:.1f} s)")
                log.info("report %s %s in %.1f s", spec.name, outcome.status, outcome.seconds)
        finally:
            root.removeHandler(handler)
            root.setLevel(prev_level)
            handler.close()
            result.seconds = time.perf_counter() - t_start
            status = "ok" if result.outcomes and result.ok else "failed"
            meta = {
                "status": status,
                "as_of": as_of.isoformat(),
                "started": started.strftime("%Y-%m-%d %H:%M:%S"),
                "seconds": round(result.seconds, 2),
                "data": str(data),
                "data_name": data.name,
                "data_fingerprint": fingerprint,
                "tz": tz,
                "package_version": package_version(),
                "git_commit": _git_commit(),
                "parameters": {spec.name: p for spec, p in plan},
                "reports": [asdict(o) for o in result.outcomes],
            }
            (run_tmp / "run.json").write_text(
                json.dumps(meta, indent=2, ensure_ascii=False), encoding="utf-8"
            )
            os.replace(run_tmp, runs / folder)
            if status == "ok":
                _point_latest(out, folder)
            write_index(out)
    return result
