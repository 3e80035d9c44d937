"""Community analytics for core-member operations.

Start with ``import analysis as ca; src = ca.open("data/demo")`` (a folder, a file set or a database
URL, from any directory), or :func:`analysis.session.open_report` in a report notebook.
"""

from analysis.data import DataContractError, DataSource, load, validate
from analysis.session import open_report

open = load  # ``ca.open(path)``: the researcher's entry point, the same as ``load``

__all__ = ["DataContractError", "DataSource", "load", "open", "open_report", "validate"]
