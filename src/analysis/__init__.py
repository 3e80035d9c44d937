"""Community analytics for core-member operations.

Start with :func:`analysis.session.open_report` in a notebook, or :func:`analysis.data.load` in code.
"""

from analysis.data import DataContractError, DataSource, load, validate
from analysis.session import open_report

__all__ = ["DataContractError", "DataSource", "load", "open_report", "validate"]
