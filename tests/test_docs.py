"""The API reference: every module a researcher uses is in it, every public function documents its
Parameters and Returns (numpydoc, checked against the signature), and Sphinx builds it without a warning.
The Examples sections run as doctests in ``make test`` (``--doctest-modules`` on ``src/analysis``)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
import subprocess
import sys
from functools import cached_property
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "docs" / "reference"
# the report machinery: prose, pages, the runner and the command line; not an API for researchers
REPORT_MACHINERY = {
    "backends",
    "catalogue",
    "cli",
    "display",
    "fonts",
    "formats",
    "i18n",
    "narrative",
    "parameters",
    "render",
    "report",
    "sections",
    "summary",
    "tables",
}


def _documented_modules() -> list[str]:
    names = []
    for rst in sorted(REFERENCE.glob("*.rst")):
        names += re.findall(r"^\.\. automodule:: (analysis(?:\.\w+)?)\s*$", rst.read_text(), re.M)
    return names


def _sections(doc: str) -> dict[str, list[str]]:
    """numpydoc sections of a cleaned docstring: title -> its lines."""
    lines = doc.splitlines()
    out: dict[str, list[str]] = {}
    current = None
    for i, line in enumerate(lines):
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if (
            line.strip()
            and nxt.strip()
            and set(nxt.strip()) == {"-"}
            and len(nxt.strip()) == len(line.strip())
        ):
            current = line.strip()
            out[current] = []
        elif current and not (set(line.strip()) == {"-"}):
            out[current].append(line)
    return out


def _documented_parameters(lines: list[str]) -> list[str]:
    names = []
    for line in lines:
        if line and not line[0].isspace():
            for part in line.split(" : ")[0].split(","):
                names.append(part.strip())
    return names


def _public_callables():
    for modname in _documented_modules():
        mod = importlib.import_module(modname)
        for name in getattr(mod, "__all__", []):
            obj = getattr(mod, name)
            if inspect.isfunction(obj):
                yield f"{modname}.{name}", obj
            elif inspect.isclass(obj):
                yield f"{modname}.{name}", obj
                for mname, member in vars(obj).items():
                    if mname.startswith("_"):
                        continue
                    if isinstance(member, classmethod | staticmethod):
                        member = member.__func__
                    if inspect.isfunction(member) or isinstance(member, property | cached_property):
                        yield f"{modname}.{name}.{mname}", member


def _problems(qualname: str, obj) -> list[str]:
    doc = inspect.getdoc(obj) or ""
    if not doc.strip():
        return [f"{qualname}: no docstring"]
    if inspect.isclass(obj) or isinstance(obj, property | cached_property):
        return []  # a class or an attribute: a docstring that says what it holds
    sections = _sections(doc)
    sig = inspect.signature(obj)
    wanted = []
    for p in sig.parameters.values():
        if p.name in ("self", "cls"):
            continue
        prefix = {p.VAR_POSITIONAL: "*", p.VAR_KEYWORD: "**"}.get(p.kind, "")
        wanted.append(prefix + p.name)
    out = []
    if wanted:
        got = _documented_parameters(sections.get("Parameters", []))
        if got != wanted:
            out.append(f"{qualname}: Parameters {got} != signature {wanted}")
    returns_none = sig.return_annotation in (None, "None")
    if not returns_none and not any(s in sections for s in ("Returns", "Yields")):
        out.append(f"{qualname}: no Returns section")
    return out


def test_every_research_module_is_in_the_reference_with_an_explicit_public_list():
    package = [m.name for m in pkgutil.iter_modules([str(ROOT / "src" / "analysis")])]
    documented = {m.split(".")[-1] for m in _documented_modules()}
    assert "analysis" in _documented_modules()
    missing = sorted(set(package) - documented - REPORT_MACHINERY)
    assert not missing, f"modules neither in docs/reference nor report machinery: {missing}"
    for modname in _documented_modules():
        mod = importlib.import_module(modname)
        assert getattr(mod, "__all__", None), f"{modname} has no __all__"
        for name in mod.__all__:
            assert hasattr(mod, name), f"{modname}.__all__ names {name}, which does not exist"


def test_every_public_function_has_numpydoc_parameters_and_returns():
    problems = [p for qualname, obj in _public_callables() for p in _problems(qualname, obj)]
    assert not problems, "\n".join(problems)


def test_the_checker_catches_a_missing_or_misnamed_parameter():
    def good(src, as_of=None):
        """One line.

        Parameters
        ----------
        src : DataSource
            The data.
        as_of : date, optional
            The day.

        Returns
        -------
        int
        """

    def bad(src, as_of):
        """One line.

        Parameters
        ----------
        source : DataSource
            The data.
        """

    assert _problems("good", good) == []
    assert len(_problems("bad", bad)) == 2  # a misnamed parameter and no Returns


def test_the_reference_builds_without_a_warning(tmp_path):
    out = tmp_path / "html"
    run = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html", str(REFERENCE), str(out)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert run.returncode == 0, run.stderr[-4000:]
    assert (out / "index.html").exists()
    kpi = (out / "kpi.html").read_text()
    assert "analysis.kpi.daily_kpis" in kpi and "Parameters" in kpi
