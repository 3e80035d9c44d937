"""House rules that keep the project installable and its notebooks clean."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
# pip name -> conda-forge name where they differ
CONDA_NAME = {
    "ibis-framework[duckdb]": "ibis-duckdb",
    "ibis-framework[postgres]": "ibis-postgres",
    "ibis-framework[pyspark]": "ibis-pyspark",
    "psycopg[binary]": "psycopg",
    "duckdb": "python-duckdb",
}
PIP_ONLY = {"noto-cjk-sans-otc"}  # not on conda-forge: environment.yml installs it with pip


def _split(spec: str) -> tuple[str, str]:
    spec = spec.split("#")[0].strip()
    m = re.match(r"^([A-Za-z0-9_.\-\[\]]+)\s*(.*)$", spec)
    assert m, spec
    return m.group(1).lower(), m.group(2).replace(" ", "")


def test_environment_yml_mirrors_pyproject():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    pip_specs = pyproject["project"]["dependencies"] + pyproject["project"]["optional-dependencies"]["dev"]
    want = {}
    for spec in pip_specs:
        name, bound = _split(spec)
        if name not in PIP_ONLY:
            want[CONDA_NAME.get(name, name)] = bound
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = {}
    pip_section = None
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            pip_section = dep["pip"]
            continue
        name, bound = _split(dep)
        if name not in ("python", "pip"):
            conda[name] = bound
    assert conda == want
    pip_only = {spec for spec in pip_specs if _split(spec)[0] in PIP_ONLY}
    assert set(pip_section[:-1]) == pip_only and pip_section[-1] == "-e ."
    assert "conda-forge" in env["channels"]


def test_notebook_templates_are_stripped_and_parameterised():
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    for f in notebooks:
        nb = json.loads(f.read_text(encoding="utf-8"))
        assert nb["metadata"]["kernelspec"]["name"] == "python3", f
        code = [c for c in nb["cells"] if c["cell_type"] == "code"]
        assert all(not c.get("outputs") and not c.get("execution_count") for c in code), f"{f} has outputs"
        tagged = [c for c in code if "parameters" in c.get("metadata", {}).get("tags", [])]
        assert len(tagged) == 1, f"{f} needs exactly one parameters cell"
        assert not any(re.search(r"^\s*(def|class) ", "".join(c["source"]), re.M) for c in code), (
            f"{f} defines functions; they belong in the package"
        )


def test_ci_runs_the_readme_test_command():
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    readme = (ROOT / "README.md").read_text()
    assert "make test" in readme and "make report" in readme


def test_every_notebook_parameter_is_parsed_with_a_type():
    """papermill must parse each parameter line (an '=' in a comment breaks it silently)."""
    from analysis.report import _TYPE_CHECKS, notebook_parameters

    for f in sorted((ROOT / "notebooks").glob("*.ipynb")):
        nb = json.loads(f.read_text(encoding="utf-8"))
        cell = next(c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", []))
        names = {line.split("=")[0].strip() for line in "".join(cell["source"]).splitlines() if "=" in line}
        declared = notebook_parameters(f)
        assert set(declared) == names, f
        assert all(t in _TYPE_CHECKS for t in declared.values()), (f, declared)


# --------------------------------------------------------------------------------------------------
# the layout: one home for every definition, analyses as siblings, short functions, thin notebooks

SRC = ROOT / "src" / "analysis"
ANALYSES = {"kpi", "segments", "survival", "experiment", "growth"}
COMPUTATION = ANALYSES | {"activity", "cox", "stats", "data", "definitions", "synth"}


def _imports(module: str) -> set[str]:
    """Modules of ``analysis`` that ``module`` imports (at any depth of its code)."""
    import ast

    tree = ast.parse((SRC / f"{module}.py").read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "analysis":
                found |= {a.name for a in node.names}
            elif node.module.startswith("analysis."):
                found.add(node.module.split(".")[1])
            else:
                found.add(node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            found |= {a.name.split(".")[0] for a in node.names}
    return found


def test_analyses_are_siblings_and_computation_never_formats_html():
    for name in ANALYSES:
        assert not (_imports(name) & (ANALYSES - {name})), (name, _imports(name) & ANALYSES)
    assert not (_imports("report") & ANALYSES)
    for name in COMPUTATION:
        assert not (_imports(name) & {"tables", "render", "narrative", "IPython", "plots"}), name


def test_every_definition_has_one_home():
    from analysis import definitions as d

    assert d.EVENT_COLUMNS["post"] == "posts" and d.RETENTION_WINDOWS["8-14"] == (8, 14)
    assert d.ChurnRules().tiers == d.TierRules() and not hasattr(d.ChurnRules(), "core_share")
    code = {p.name: p.read_text(encoding="utf-8") for p in SRC.glob("*.py") if p.name != "definitions.py"}
    second_copies = {
        r'"post":\s*"posts"': "event type -> column",
        r"\(8,\s*14\)": "retention windows",
        r'"Asia/Shanghai"': "the default time zone",
        r'control: str = "control"': "the control arm",
        r"alpha: float = 0\.05": "the significance level",
        r"^(class TierRules|class ChurnRules|TIERS\s*[:=])": "tier and churn rules",
    }
    for pattern, what in second_copies.items():
        hits = [name for name, text in code.items() if re.search(pattern, text, re.M)]
        assert not hits, (what, hits)
    for nb in (ROOT / "notebooks").glob("*.ipynb"):
        assert "Asia/Shanghai" not in nb.read_text(encoding="utf-8"), nb.name


def test_functions_are_short_outside_plotting():
    """At most 60 lines of code per function (signature and body; the docstring's numpydoc sections
    are documentation, not code, and do not count)."""
    import ast

    long = []
    for path in SRC.glob("*.py"):
        if path.name == "plots.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            first = node.body[0]
            has_doc = isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
            doc_lines = first.end_lineno - first.lineno + 1 if has_doc and len(node.body) > 1 else 0
            if node.end_lineno - node.lineno - doc_lines >= 60:
                long.append(f"{path.name}:{node.lineno} {node.name}")
    assert not long, long


def test_notebooks_hold_no_logic():
    for f in sorted((ROOT / "notebooks").glob("*.ipynb")):
        nb = json.loads(f.read_text(encoding="utf-8"))
        code = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
        for pattern in (
            r"\blambda\b",
            r"\.groupby\(",
            r"\.agg\(",
            r"\.apply\(",
            r"\.merge\(",
            r"^\s*(def|class) ",
        ):
            assert not re.search(pattern, code, re.M), (f.name, pattern)


def test_ruff_runs_without_blanket_ignores():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["ruff"]
    assert "ignore" not in config.get("lint", {}) and "E" in config["lint"]["select"]
    skips = sum(
        p.read_text(encoding="utf-8").count("fmt: skip")
        for p in ROOT.glob("*/**/*.py")
        if ".venv" not in p.parts
    )
    assert skips <= 5, skips
