"""Community analytics for core-member operations.

Start with ``import analysis as ca; src = ca.open("data/demo")`` (a folder, a file set or a database
URL, from any directory; :func:`analysis.data.load`), or :func:`analysis.session.open_report` in a
report notebook. In IPython a chart that a cell returns shows as a picture (the plotting functions
return a matplotlib ``Figure``).
"""

from analysis.data import DataContractError, DataSource, load, validate
from analysis.session import open_report, register_figure_display

open = load  # ``ca.open(path)``: the researcher's entry point, the same as ``load``
register_figure_display()  # a Figure returned by a cell shows as PNG whatever the matplotlib backend

__all__ = ["DataContractError", "DataSource", "load", "open", "open_report", "validate"]
