"""Doctests (the Examples sections of ``src/analysis``) run from the project root, so that they open
``data/demo`` as a reader of the reference would after ``make demo``."""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent


@pytest.fixture(autouse=True)
def _doctests_from_the_project_root(request, monkeypatch):
    if isinstance(request.node, pytest.DoctestItem):
        monkeypatch.chdir(ROOT)
