"""Run report notebooks with Papermill, render them, and keep the runs folder and its index.

One code path for the CLI, ``make report``, schedulers and tests:

- parameters are checked against each notebook's ``parameters`` cell before a kernel starts
  (unknown names and wrong types are errors; ``as_of`` must be a date);
- the data source is validated first; a bad source stops the run before anything is written;
- a run is written to ``runs/.tmp-<id>/`` and moved to ``runs/<as_of>_<id>/`` when it ends, whether it
  succeeded, failed or was interrupted (Ctrl-C, SIGTERM); ``latest`` points to the newest good run of
  every report only; ``index.html`` lists all runs;
- a lock file makes a second concurrent run into the same folder fail with a clear message; a run
  killed outright (SIGKILL) leaves its temporary folder, which the next run records as interrupted.
"""

from __future__ import annotations

import ast
import contextlib
import fcntl
import functools
import hashlib
import json
import logging
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, date, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import nbformat
import yaml

from analysis import backends, i18n, parameters, render, summary
from analysis.data import DataContractError, experiments, open_source, validate
from analysis.definitions import DEFAULT_TZ

log = logging.getLogger("analysis.report")


@dataclass(frozen=True)
class ReportSpec:
    """One report template and the tables it writes: ``tables`` under ``tables/``, ``restricted`` under
    ``restricted/`` (member-level). A name may hold a ``{parameter}`` of the report (no table is
    written when that parameter is empty)."""

    name: str
    notebook: str
    title: str
    per_experiment: bool = False  # run once per experiment in the data
    tables: tuple[str, ...] = ()
    restricted: tuple[str, ...] = ()

    def outputs(self, params: Mapping[str, Any]) -> set[str]:
        """``tables/NAME.csv`` and ``restricted/NAME.csv`` paths a run with ``params`` writes."""
        out = set()
        for folder, names in (("tables", self.tables), ("restricted", self.restricted)):
            for name in names:
                fields = re.findall(r"{(\w+)}", name)
                if all(params.get(f) for f in fields):
                    out.add(f"{folder}/{name.format(**{f: params[f] for f in fields})}.csv")
        return out


_KPI_TABLES = (
    "kpi_daily",
    "kpi_compare",
    "stickiness_monthly",
    "retention_new_members",
    "retention_new_members_by_{cohort_grain}",
    "retention_curves_monthly",
    "retention_new_members_pooled",
    "retention_new_brackets",
    "retention_new_brackets_pooled",
    "retention_two_week",
    "retention_monthly",
    "lifecycle_weekly",
    "kpi_daily_by_{breakdown}",
    "kpi_period_by_{breakdown}",
)
_CORE_TABLES = (
    "tiers",
    "tiers_previous",
    "tier_trend",
    "tier_migration",
    "lorenz_curve",
    "concentration",
    "tiers_by_community",
    "at_risk_core_by_community",
    "connectors",
    "invite_k_factor",
    "invite_cascades",
    "invitee_quality",
    "invite_cycle_time",
    "invited_share",
    "invite_largest_cascade_roots",
    "invite_growth_by_tier",
)
_CHURN_TABLES = (
    "survival_km",
    "cox_hazard_ratios",
    "survival_summary",
    "logrank_pairwise",
    "cox_ph_periods",
    "rmst",
    "reactivation",
    "churn_sensitivity",
    "churn_risk_by_tier_community",
    "churn_risk_backtest",
    "churn_risk_reliability",
    "churn_risk_drivers",
    "invitee_churn_hazard",
)
_EXPERIMENT_TABLES = (
    "experiment_srm",
    "experiment_effects",
    "experiment_srm_by_tier",
    "experiment_balance",
    "experiment_power",
    *(
        f"experiment_tier_{kind}_{m}"
        for kind in ("effects", "interaction")
        for m in ("contributions", "checkins", "retained_d30")
    ),
    "experiment_churn_hazard_ratios",
    "experiment_novelty",
    "experiment_composition",
    "experiment_cost_effectiveness",
    "experiment_verdicts",
    "experiment_outcome_spread",
    "experiment_monitoring",
    "experiment_spillover",
)
REPORTS: tuple[ReportSpec, ...] = (
    ReportSpec("kpi", "kpi_report.ipynb", "Community KPIs", tables=_KPI_TABLES),
    ReportSpec(
        "core_members",
        "core_members.ipynb",
        "Core members",
        tables=_CORE_TABLES,
        restricted=("at_risk_core_members", "invite_largest_cascade_roots_members"),
    ),
    ReportSpec(
        "churn",
        "churn_survival.ipynb",
        "Member churn",
        tables=_CHURN_TABLES,
        restricted=("churn_risk_members",),
    ),
    ReportSpec(
        "experiment",
        "incentive_experiment.ipynb",
        "Incentive experiment",
        per_experiment=True,
        tables=_EXPERIMENT_TABLES,
    ),
)
# Parameters every notebook receives from the runner (and that users may not set in YAML).
# ``validated`` is the fingerprint of the data the runner validated: a report whose data still have it
# does not validate them again (validation once per run).
# ``lang`` is the page language: a run renders every report once per language it is asked for.
# ``shared`` is the run's private temporary folder (0700, removed when the run ends) where a report leaves
# the member-day table it built for the run's later reports to read instead of building it again.
RUNNER_PARAMETERS = ("data_dir", "output_dir", "validated", "lang", "shared")


EXIT_OK, EXIT_REPORT_FAILED, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130  # documented in the README


class RunError(Exception):
    """A run could not start: bad parameters, invalid data, unknown report, unusable output folder, or
    a run already going. Exit code 2 on the command line, like every other bad input."""


class RunInterrupted(Exception):
    """The run was stopped by Ctrl-C or SIGTERM; it is recorded as interrupted, never as ``latest``."""

    def __init__(self, result: RunResult):
        self.result = result
        super().__init__(f"interrupted: the run is recorded as interrupted in {result.run_dir}")


def notebooks_dir() -> Path:
    """Folder of the report templates: ``$ANALYSIS_NOTEBOOKS``, or the templates shipped with the
    package (``analysis.notebooks``; in a source checkout that is the repository's ``notebooks/``)."""
    env = os.environ.get("ANALYSIS_NOTEBOOKS")
    if env:
        return Path(env)
    from importlib import resources

    return Path(str(resources.files("analysis.notebooks")))


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


def notebook_defaults(path: Path) -> dict[str, Any]:
    """Parameter name -> default value (the literal in the ``parameters`` cell)."""
    return {
        name: ast.literal_eval(default) for name, (_, default) in _inspect(str(path), path.stat().st_mtime_ns)
    }


@functools.lru_cache(maxsize=32)
def _parameters(path: str, _mtime_ns: int) -> tuple[tuple[str, str], ...]:
    return tuple((name, t) for name, (t, _) in _inspect(path, _mtime_ns))


@functools.lru_cache(maxsize=32)
def _inspect(path: str, _mtime_ns: int) -> tuple[tuple[str, tuple[str, str]], ...]:
    import papermill

    found = papermill.inspect_notebook(path)
    out = {}
    for name, info in found.items():
        t = (info.get("inferred_type_name") or "None").strip().lower()
        t = t.split("[")[0].replace("optional", "").strip() or "None"
        out[name] = (t, info.get("default") or "None")
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
        if name in parameters.RULES or name.endswith("_date"):
            try:
                value = (
                    parameters.check(name, value)
                    if name in parameters.RULES
                    else parameters.check("as_of", value)
                )
            except parameters.ParameterError as exc:
                raise RunError(f"report '{spec.name}': parameter '{name}' {exc}") from exc
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
    failed_cell: int | None = None  # the cell's number in the template (1 = its first cell)
    message: str | None = None  # the exception's message (first line)
    lang: str = "en"  # the page language


@dataclass
class RunResult:
    run_dir: Path
    index: Path
    as_of: str
    outcomes: list[ReportOutcome] = field(default_factory=list)
    seconds: float = 0.0

    notes: list[str] = field(default_factory=list)  # what the run found and did (stale runs, ...)

    @property
    def ok(self) -> bool:
        return all(o.status == "ok" for o in self.outcomes)

    def summary(self) -> str:
        n_ok = sum(o.status == "ok" for o in self.outcomes)
        state = "OK" if self.ok else "FAILED"
        failures = "".join(
            f"\n  {o.name}: failed{f' at cell {o.failed_cell}' if o.failed_cell else ''}: {o.error}"
            f"{f': {o.message}' if o.message else ''}"
            for o in self.outcomes
            if o.status != "ok"
        )
        return (
            f"{state}: {n_ok}/{len(self.outcomes)} reports for as_of {self.as_of} in {self.seconds:.0f} s "
            f"-> {self.run_dir}; index: {self.index}{failures}"
        )


def check_output_folder(out: Path) -> None:
    """``--out`` must be a folder (or one that can be created) where this user can write, and so must
    ``runs/`` inside it: a run that could be saved but not indexed is refused before it starts. Nothing
    is left behind by the check."""
    if out.exists() and not out.is_dir():
        raise RunError(f"output folder {out} is a file, not a folder")
    existing = next(p for p in (out, *out.absolute().parents) if p.exists())
    if not existing.is_dir():
        raise RunError(f"output folder {out} cannot be created: {existing} is a file")
    folders = [existing] + ([out / "runs"] if existing == out and (out / "runs").is_dir() else [])
    for folder in folders:
        try:
            probe = Path(tempfile.mkdtemp(prefix=".write-test-", dir=folder))
            probe.rmdir()
        except OSError as exc:
            raise RunError(f"output folder {out} is not writable ({folder}: {exc.strerror or exc})") from exc


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextlib.contextmanager
def _lock(out: Path, notes: list[str]) -> Iterator[None]:
    """Hold ``out/.run.lock`` (an advisory lock the kernel releases when the process dies) and write
    this process's id into it; a lock file left by a process that is gone is reported as stale."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / ".run.lock"
    fh = open(path, "a+", encoding="utf-8")
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError as exc:
        fh.close()
        raise RunError(
            f"another 'analysis run' is writing to {out} (lock {path} is held); wait for it to finish"
        ) from exc
    fh.seek(0)
    previous = fh.read().strip()
    if previous.isdigit() and int(previous) != os.getpid() and not _pid_alive(int(previous)):
        notes.append(f"stale lock: the run of process {previous} ended without releasing {path}; taken over")
    fh.seek(0)
    fh.truncate()
    fh.write(str(os.getpid()))
    fh.flush()
    try:
        yield
    finally:
        fh.seek(0)
        fh.truncate()
        fcntl.flock(fh, fcntl.LOCK_UN)
        fh.close()


def shared_prefix(run_id: str) -> str:
    """Name start of the run's private temporary folder (the ``shared`` runner parameter)."""
    return f"analysis-shared-{run_id}-"


def _recover_stale_runs(runs: Path, notes: list[str]) -> None:
    """Temporary folders of runs that were killed (SIGKILL, power loss): with the lock held no other
    run is writing them. Each is recorded as interrupted (or removed when it holds no record), and the
    killed run's private folder of shared tables (member-level) is removed."""
    for tmp in sorted(runs.glob(".tmp-*")):
        for shared in Path(tempfile.gettempdir()).glob(f"{shared_prefix(tmp.name.removeprefix('.tmp-'))}*"):
            shutil.rmtree(shared, ignore_errors=True)
        meta_path = tmp / "run.json"
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            shutil.rmtree(tmp, ignore_errors=True)
            notes.append(
                f"removed {tmp.name}: the temporary folder of a run that was killed before it started"
            )
            continue
        meta["status"] = "interrupted"
        meta["note"] = "the run's process ended without finishing (killed); recorded by a later run"
        _write_meta(tmp, meta)
        folder = f"{meta.get('as_of', 'unknown')}_{tmp.name.removeprefix('.tmp-')}"
        os.replace(tmp, runs / folder)
        notes.append(f"recorded {folder} as interrupted: its process ended without finishing")


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
    """Rewrite ``index.html`` (English) and ``index.zh.html`` from the runs' ``run.json`` files
    (atomically), with the weekly summary of the newest complete good run on top; returns the English
    one."""
    runs = _read_runs(out)
    good = next((r for r in runs if r.get("status") == "ok" and r.get("complete")), None)
    for lang in i18n.LANGS:
        path = out / render.index_file(lang)
        tmp = out / f".index-{uuid.uuid4().hex[:8]}.html"
        this_week = ""
        if good is not None:
            pages = {
                str(p["experiment"]): f"{page_stem(name, lang)}.html"
                for name, p in good.get("parameters", {}).items()
                if p.get("experiment")
            }
            kpi_params = good.get("parameters", {}).get("kpi")
            this_week = summary.weekly_summary(out / "runs" / good["folder"], lang, pages, kpi_params)
        tmp.write_text(render.index_page(runs, lang, this_week), encoding="utf-8")
        os.replace(tmp, path)
    return out / render.index_file("en")


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


def page_stem(report: str, lang: str) -> str:
    """File name (without extension) of one report's page and notebook in one language: English
    ``kpi``, Chinese ``kpi.zh``."""
    return report if lang == "en" else f"{report}.{lang}"


def _execute(spec: ReportSpec, params: dict[str, Any], run_tmp: Path, timeout: int) -> ReportOutcome:
    import papermill
    from papermill.exceptions import PapermillExecutionError

    lang = params.get("lang", "en")
    stem = page_stem(spec.name, lang)
    title = report_title(spec, lang)
    nb_out = run_tmp / "notebooks" / f"{stem}.ipynb"
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
        message = _first_line(exc.evalue)
        log.error(
            "report %s failed at template cell %s: %s: %s",
            spec.name,
            _template_cell(nb_out, exc.cell_index),
            exc.ename,
            message,
        )
        return ReportOutcome(
            spec.name,
            title,
            "failed",
            time.perf_counter() - t0,
            notebook=f"notebooks/{stem}.ipynb",
            error=exc.ename,
            failed_cell=_template_cell(nb_out, exc.cell_index),
            message=message,
            lang=lang,
        )
    except Exception as exc:  # kernel died, timeout, ...
        log.exception("report %s failed", spec.name)
        return ReportOutcome(
            spec.name,
            title,
            "failed",
            time.perf_counter() - t0,
            notebook=f"notebooks/{stem}.ipynb" if nb_out.exists() else None,
            error=type(exc).__name__,
            message=_first_line(str(exc)),
            lang=lang,
        )
    return ReportOutcome(
        spec.name, title, "ok", time.perf_counter() - t0, notebook=f"notebooks/{stem}.ipynb", lang=lang
    )


def report_title(spec: ReportSpec, lang: str) -> str:
    """The page title in ``lang``: the report's title, and for an experiment page its name."""
    t = i18n.translator(lang)
    base = next((r.title for r in REPORTS if spec.name == r.name or spec.name.startswith(f"{r.name}_")), "")
    base = base or spec.title
    rest = spec.title[len(base) :] if spec.title.startswith(base) else ""
    return t(base) + rest


def _first_line(text: str | None, limit: int = 300) -> str:
    line = next((x.strip() for x in str(text or "").splitlines() if x.strip()), "")
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _template_cell(executed: Path, cell_index: int | None) -> int | None:
    """1-based number, among the template's own cells, of the executed notebook's cell ``cell_index``
    (papermill inserts a cell of injected parameters that the template does not have)."""
    if cell_index is None:
        return None
    try:
        nb = nbformat.read(executed, as_version=4)
    except (OSError, ValueError):
        return cell_index + 1
    injected = [
        i for i, c in enumerate(nb.cells) if "injected-parameters" in c.get("metadata", {}).get("tags", [])
    ]
    return cell_index + 1 - sum(1 for i in injected if i < cell_index)


def page_name(report: str, experiment: str) -> str:
    """A stable, unique file name for one experiment's page, safe for any Unicode name: the ASCII
    letters and digits of the name (if any) and a short hash of the whole name."""
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", experiment).strip("-")[:40]
    digest = hashlib.sha256(experiment.encode("utf-8")).hexdigest()[:8]
    return f"{report}_{slug}-{digest}" if slug else f"{report}_{digest}"


def _render(
    spec: ReportSpec, outcome: ReportOutcome, run_tmp: Path, meta: dict, definitions: dict, nav: render.Nav
) -> None:
    stem = page_stem(spec.name, outcome.lang)
    nb = nbformat.read(run_tmp / "notebooks" / f"{stem}.ipynb", as_version=4)
    html_name = f"{stem}.html"
    page = render.report_page(nb, outcome.title, meta, definitions, nav)
    (run_tmp / html_name).write_text(page, encoding="utf-8")
    outcome.html = html_name


@dataclass(frozen=True)
class _Prepared:
    """Everything a run needs once its inputs are checked: the reports to run with their parameters."""

    data: str  # what each report opens: an absolute path, or the URL
    data_given: str  # as given (a URL never holds a password)
    data_name: str  # shown on pages: the folder or file name, or the URL's database
    as_of: date
    tz: str
    fingerprint: str
    plan: tuple[tuple[ReportSpec, dict[str, Any]], ...]
    langs: tuple[str, ...]  # page languages, each report rendered in each
    complete: bool  # every available report (a run of some reports does not move ``latest``)


def run_reports(
    data: str | Path,
    as_of: date | str | None = None,
    reports: list[str] | None = None,
    params_file: Path | None = None,
    out: str | Path = "reports",
    tz: str | None = None,
    params: Mapping[str, Any] | None = None,
    progress: Callable[[str], None] | None = None,
    timeout: int = 1800,
    lang: str | list[str] | tuple[str, ...] | None = None,
) -> RunResult:
    """Run the named reports (default all) on ``data`` and render them into a new run folder, one page
    per report and language (``lang``: ``en``, ``zh`` or both, the default).

    Raises RunError before anything is written when the output folder, a parameter or the data is
    bad, and RunInterrupted (after recording the run as interrupted) on Ctrl-C or SIGTERM."""
    say = progress or (lambda _msg: None)
    t_start = time.perf_counter()
    out = Path(out)
    check_output_folder(out)
    prepared = _prepare(data, as_of, reports, params_file, tz, params, lang)
    return _run_plan(prepared, out, say, timeout, t_start)


def _prepare(
    data: str | Path,
    as_of: date | str | None,
    reports: list[str] | None,
    params_file: Path | None,
    tz: str | None,
    params: Mapping[str, Any] | None,
    lang: str | list[str] | tuple[str, ...] | None = None,
) -> _Prepared:
    """Check the reports, parameters and data (in that order, cheapest first) and plan the run."""
    known = {r.name: r for r in available_reports()}
    names = reports or list(known)
    unknown = [n for n in names if n not in known]
    if unknown:
        raise RunError(f"unknown report(s) {', '.join(unknown)}; available: {', '.join(known) or 'none'}")
    common, per_report = load_params_file(params_file)
    common = {**common, **(params or {})}
    file_lang = common.pop("lang", None)  # run-level: the languages every report is rendered in
    langs = _languages(lang if lang is not None else file_lang)
    _check_sections(common, per_report, known)
    tz = _run_level("tz", tz or common.get("tz") or DEFAULT_TZ)
    wanted = as_of if as_of is not None else common.get("as_of")
    requested = date.fromisoformat(_run_level("as_of", wanted)) if wanted not in (None, "") else None
    declared = {n: notebook_parameters(notebooks_dir() / known[n].notebook) for n in names}
    stray = [k for k in common if not any(k in d for d in declared.values())]
    if stray:
        raise RunError(f"unknown parameter(s) {', '.join(stray)}: no selected report declares them")
    given = {}
    for name in names:  # every value checked before the data are opened
        g = {k: v for k, v in common.items() if k in declared[name]}
        g.update(per_report.get(name) or {})
        given[name] = check_parameters(known[name], {k: v for k, v in g.items() if k not in ("as_of", "tz")})

    target, shown_name = _data_location(data)
    run_as_of, in_data, fingerprint = _checked_data(data, target, requested, tz)

    plan: list[tuple[ReportSpec, dict[str, Any]]] = []
    for name in names:
        run_level = {"as_of": run_as_of.isoformat(), "tz": tz}
        g = {**given[name], **{k: v for k, v in run_level.items() if k in declared[name]}}
        plan += _instances(known[name], g, in_data, must_run=bool(reports))
    return _Prepared(
        target,
        str(data),
        shown_name,
        run_as_of,
        tz,
        fingerprint,
        tuple(plan),
        langs,
        set(names) == set(known),
    )


def _languages(lang: str | list[str] | tuple[str, ...] | None) -> tuple[str, ...]:
    """The run's page languages: ``None`` = both; ``"zh"``, ``"en,zh"`` or a list."""
    if lang is None or lang == "":
        return i18n.DEFAULT_LANGS
    items = lang.split(",") if isinstance(lang, str) else list(lang)
    out: list[str] = []
    for item in items:
        try:
            code = i18n.check_lang(str(item).strip())
        except ValueError as exc:
            raise RunError(f"parameter 'lang': {exc}") from exc
        if code not in out:
            out.append(code)
    return tuple(out)


def _data_location(data: str | Path) -> tuple[str, str]:
    """(what each report opens, the name pages show) for a path or a URL; a URL with a password is
    refused: the run folder records the data source (its notebooks, run.json), and must not hold it."""
    if not backends.is_url(data):
        path = Path(data).resolve()
        return str(path), path.name
    if backends.has_password(str(data)):
        raise RunError(
            f"data source {backends.redact(str(data))}: give the password in the environment (for "
            "PostgreSQL: PGPASSWORD or ~/.pgpass), not in the URL; a run records its data source"
        )
    return str(data), backends.display_name(str(data))


def _instances(spec: ReportSpec, given: dict[str, Any], in_data: list[str],
               must_run: bool) -> list[tuple[ReportSpec, dict[str, Any]]]:  # fmt: skip
    """The runs of one report with every effective parameter (the template's defaults overlaid with
    the given values): one, or one per experiment (all in the data, or the one asked for)."""
    effective = {**notebook_defaults(notebooks_dir() / spec.notebook), **given}
    for k in RUNNER_PARAMETERS:
        effective.pop(k, None)
    if not spec.per_experiment:
        return [(spec, effective)]
    wanted = [given["experiment"]] if given.get("experiment") else in_data
    missing = [e for e in wanted if e not in in_data]
    if missing:
        known = ", ".join(map(repr, in_data)) or "none (no assignments table)"
        raise RunError(
            f"report '{spec.name}': experiment {missing[0]!r} is not in the data; experiments: {known}"
        )
    if not wanted and must_run:
        raise RunError(f"report '{spec.name}' needs experiments, and the data have no assignments")
    return [
        (replace(spec, name=page_name(spec.name, str(e)), title=f"{spec.title}: {e}", per_experiment=False),
         {**effective, "experiment": e})
        for e in wanted
    ]  # fmt: skip


def _checked_data(data: str | Path, target: str, as_of: date | None, tz: str) -> tuple[date, list[str], str]:
    """Validate the data (RunError listing every problem); the run's as_of, experiments and fingerprint."""
    try:
        source = open_source(target, tz=tz)
    except DataContractError as exc:
        raise RunError(f"data source {data} does not meet the input contract:\n{exc}") from exc
    report = validate(source, as_of=as_of, tz=tz)
    if not report.ok:
        errors = "\n".join(map(str, report.errors))
        raise RunError(f"data source {data} does not meet the input contract:\n{errors}")
    return as_of or source.default_as_of(), experiments(source), source.fingerprint()


def _run_level(name: str, value: Any) -> Any:
    try:
        return parameters.check(name, value)
    except parameters.ParameterError as exc:
        raise RunError(f"parameter '{name}' {exc}") from exc


def _check_sections(
    common: Mapping[str, Any], per_report: Mapping[str, Any], known: Mapping[str, ReportSpec]
) -> None:
    bad_sections = [n for n in per_report if n not in known]
    if bad_sections:
        raise RunError(f"parameter file names unknown report(s): {', '.join(bad_sections)}")
    for key in RUNNER_PARAMETERS:
        if key in common or any(key in (v or {}) for v in per_report.values()):
            raise RunError(f"parameter '{key}' is set by the runner and cannot be given")
    for section, values in per_report.items():
        shared = set(parameters.RUN_LEVEL) & set(values or {})
        if shared:
            raise RunError(
                f"parameter file: {', '.join(sorted(shared))} must be the same for every report; set "
                f"them at the top level, not in reports: {section}"
            )


class _Signals:
    """While a run executes, Ctrl-C (SIGINT) and SIGTERM stop it through KeyboardInterrupt and are
    remembered, so the run is recorded as interrupted (only in the main thread, where handlers work)."""

    def __init__(self) -> None:
        self.received: str | None = None
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> _Signals:
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._previous[sig] = signal.signal(sig, self._on_signal)
        return self

    def _on_signal(self, signum: int, _frame: Any) -> None:
        self.received = signal.Signals(signum).name
        raise KeyboardInterrupt

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)


def _run_plan(p: _Prepared, out: Path, say: Callable[[str], None], timeout: int, t_start: float) -> RunResult:
    notes: list[str] = []
    with _lock(out, notes):
        runs = out / "runs"
        _recover_stale_runs(runs, notes)
        for n in notes:
            say(n)
        started = datetime.now(UTC)
        run_id = f"{started:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"
        folder = f"{p.as_of.isoformat()}_{run_id}"
        run_tmp = runs / f".tmp-{run_id}"
        (run_tmp / "tables").mkdir(parents=True)
        result = RunResult(
            run_dir=runs / folder, index=out / "index.html", as_of=p.as_of.isoformat(), notes=notes
        )
        _write_meta(run_tmp, _run_meta(p, started, result, "running"))
        handler = logging.FileHandler(run_tmp / "run.log", encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root = logging.getLogger()
        root.addHandler(handler)
        prev_level = root.level
        root.setLevel(logging.INFO)
        status = "failed"
        try:
            with _Signals() as signals:
                try:
                    _execute_all(p, run_tmp, run_id, started, result, say, timeout, signals)
                    status = "ok" if result.outcomes and result.ok else "failed"
                except KeyboardInterrupt:
                    status = "interrupted"
                    log.warning("run interrupted (%s)", signals.received or "KeyboardInterrupt")
        finally:
            root.removeHandler(handler)
            root.setLevel(prev_level)
            handler.close()
            result.seconds = time.perf_counter() - t_start
            _write_meta(run_tmp, _run_meta(p, started, result, status))
            os.replace(run_tmp, runs / folder)
            if status == "ok" and p.complete:
                _point_latest(out, folder)
            write_index(out)
    if status == "interrupted":
        raise RunInterrupted(result)
    return result


def _write_meta(run_dir: Path, meta: dict[str, Any]) -> None:
    tmp = run_dir / ".run.json.tmp"
    tmp.write_text(json.dumps(meta, indent=2, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, run_dir / "run.json")


def _run_meta(p: _Prepared, started: datetime, result: RunResult, status: str) -> dict[str, Any]:
    """``run.json``: the data as given (not this machine's layout), its fingerprint, every effective
    parameter of every report (defaults included), timings and outcomes."""
    return {
        "status": status,
        "as_of": p.as_of.isoformat(),
        "started": started.strftime("%Y-%m-%d %H:%M:%S"),
        "seconds": round(result.seconds, 2),
        "data": p.data_given,
        "data_name": p.data_name,
        "data_fingerprint": p.fingerprint,
        "tz": p.tz,
        "languages": list(p.langs),
        "package_version": package_version(),
        "git_commit": _git_commit(),
        "complete": p.complete,
        "parameters": {spec.name: params for spec, params in p.plan},
        "reports": [asdict(o) for o in result.outcomes],
        "notes": list(result.notes),
    }


def _execute_all(
    p: _Prepared,
    run_tmp: Path,
    run_id: str,
    started: datetime,
    result: RunResult,
    say: Callable[[str], None],
    timeout: int,
    signals: _Signals,
) -> None:
    """Execute every report in every language, then render the pages that succeeded (each page's
    header links the run's other pages in its language and the same page in the other languages)."""
    meta_common = {
        "as of": p.as_of.isoformat(),
        "data": p.data_name,
        "run": started.strftime("%Y-%m-%d %H:%M UTC"),
    }
    jobs = [(spec, params, lang) for spec, params in p.plan for lang in p.langs]
    done: list[tuple[ReportSpec, dict[str, Any], ReportOutcome]] = []
    with tempfile.TemporaryDirectory(prefix=shared_prefix(run_id)) as shared:  # 0700
        for i, (spec, params, lang) in enumerate(jobs, start=1):
            label = spec.name if len(p.langs) == 1 else f"{spec.name} ({lang})"
            say(f"[{i}/{len(jobs)}] {label} ...")
            runner = {
                "data_dir": p.data,
                "output_dir": str(run_tmp.resolve()),
                "validated": p.fingerprint,
                "lang": lang,
                "shared": shared,
            }
            outcome = _execute(spec, {**params, **runner}, run_tmp.resolve(), timeout)
            if signals.received or outcome.error == "KeyboardInterrupt":
                raise KeyboardInterrupt
            result.outcomes.append(outcome)
            done.append((spec, params, outcome))
            _write_meta(run_tmp, _run_meta(p, started, result, "running"))  # a killed run keeps what it did
            where = f" at cell {outcome.failed_cell}" if outcome.failed_cell else ""
            why = f": {outcome.error}: {outcome.message}" if outcome.status != "ok" else ""
            say(f"[{i}/{len(jobs)}] {label} {outcome.status}{where}{why} ({outcome.seconds:.1f} s)")
            log.info("report %s (%s) %s in %.1f s", spec.name, lang, outcome.status, outcome.seconds)
    _render_pages(p, done, run_tmp, run_id, meta_common)
    _write_meta(run_tmp, _run_meta(p, started, result, "running"))


def _render_pages(
    p: _Prepared,
    done: list[tuple[ReportSpec, dict[str, Any], ReportOutcome]],
    run_tmp: Path,
    run_id: str,
    meta_common: dict[str, str],
) -> None:
    """Render every report that succeeded, each page's header linking the run's other pages in its
    language and the same page in the other languages."""
    pages = {
        (o.lang, spec.name): (o.title, f"{page_stem(spec.name, o.lang)}.html")
        for spec, _, o in done
        if o.status == "ok"
    }
    for spec, params, outcome in done:
        if outcome.status != "ok":
            continue
        definitions = {
            **{("parameter", k): v for k, v in params.items()},
            "data fingerprint (sha256)": p.fingerprint,
            "package version": package_version(),
            "git commit": _git_commit(),
            "run id": run_id,
        }
        nav = render.Nav(
            lang=outcome.lang,
            here=spec.name,
            pages=[(name, *page) for (lang, name), page in pages.items() if lang == outcome.lang],
            languages=[(lang, page[1]) for (lang, name), page in pages.items() if name == spec.name],
        )
        meta = {**meta_common, "as of": i18n.translator(outcome.lang).day(p.as_of)}
        _render(spec, outcome, run_tmp, meta, definitions, nav)
