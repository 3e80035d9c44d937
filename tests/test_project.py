"""House rules that keep the project installable and its notebooks clean."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
# pip name -> conda-forge name where they differ
CONDA_NAME = {"ibis-framework[duckdb]": "ibis-duckdb", "duckdb": "python-duckdb"}


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
    assert pip_section == ["-e ."]
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
