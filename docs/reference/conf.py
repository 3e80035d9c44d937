"""Sphinx configuration of the API reference: ``make docs`` builds it into ``docs/_build/reference``."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))

project = "community-analysis"
author = "community-analysis contributors"
extensions = ["sphinx.ext.autodoc", "sphinx.ext.napoleon", "sphinx.ext.viewcode"]
# numpydoc sections (Parameters, Returns, Examples, References), the way lifelines and pingouin write them
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False
napoleon_use_ivar = True  # Attributes sections as fields: no second description of a dataclass field
autodoc_member_order = "bysource"
autodoc_preserve_defaults = True  # defaults as written: TRAILING_WINDOWS, not its value
autodoc_typehints = "none"  # the Parameters sections say the types in words
autodoc_default_options = {"members": True, "undoc-members": False, "show-inheritance": False}
html_theme = "alabaster"
html_title = "community-analysis API reference"
exclude_patterns = ["_build"]
