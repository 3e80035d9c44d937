"""The report templates (Jupyter notebooks), shipped inside the package as ``analysis.notebooks``."""
