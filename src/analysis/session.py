"""What a report notebook opens first: the data source, the resolved ``as_of`` and where to save."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import matplotlib
import pandas as pd
from matplotlib.figure import Figure

from analysis import i18n, tables
from analysis.data import DataSource, load, open_source
from analysis.definitions import DEFAULT_TZ

__all__ = [
    "ReportContext",
    "register_figure_display",
    "open_report",
]


@dataclass(frozen=True)
class ReportContext:
    """The validated source, the last complete local day included, and the run's output folder."""

    src: DataSource
    as_of: date
    output_dir: str
    lang: str = "en"

    @property
    def t(self) -> i18n.Translator:
        """The page language's translator: ``ctx.t("Are they staying?")``."""
        return i18n.translator(self.lang)

    def save(self, df: pd.DataFrame, name: str, key: tuple[str, str] | None = None) -> Path | None:
        """Save a public table as ``tables/NAME.csv`` in the run folder (formula-like cells
        neutralised); nothing when run interactively without ``output_dir``.

        Parameters
        ----------
        df : pandas.DataFrame
            The table.
        name : str
            The file name without ``.csv``.
        key : (str, str), optional
            ``(column, value)``: the file keeps other values' rows (one experiment's rows among several; see
            :func:`analysis.tables.save`).

        Returns
        -------
        pathlib.Path or None
            The file written.
        """
        return tables.save(df, name, self.output_dir, key)

    def save_restricted(self, df: pd.DataFrame, name: str) -> Path | None:
        """Save a member-level table under ``restricted/`` (owner-readable only), never
        linked from a page.

        Parameters
        ----------
        df : pandas.DataFrame
            The table.
        name : str
            The file name without ``.csv``.

        Returns
        -------
        pathlib.Path or None
            The file written; None without ``output_dir``.
        """
        return tables.save_restricted(df, name, self.output_dir)


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    return buf.getvalue()


def register_figure_display() -> None:
    """Show matplotlib ``Figure`` objects as embedded PNG in IPython whatever the backend."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover
        return
    ip = get_ipython()
    if ip is not None:
        ip.display_formatter.formatters["image/png"].for_type(Figure, _png)


def open_report(
    data_dir: str,
    as_of: str = "",
    tz: str = "",
    output_dir: str = "",
    validated: str = "",
    lang: str = "en",
    shared: str = "",
) -> ReportContext:
    """What a report notebook opens first: the validated source, the resolved ``as_of`` and
    where to save.

    Parameters
    ----------
    data_dir : str
        A folder, a DuckDB file or a database URL.
    as_of : str, optional
        The last complete local day (ISO); empty = the source's last complete day.
    tz : str, optional
        The community's time zone; empty = :data:`analysis.definitions.DEFAULT_TZ`.
    output_dir : str, optional
        The run folder (set by the runner); empty = nothing is saved.
    validated : str, optional
        The fingerprint of the data as the run validated them (set by the runner). When the source still
        has that fingerprint it is not validated again; when it changed, it is.
    lang : {"en", "zh"}, optional
        The page language of the report's words.
    shared : str, optional
        The run's private folder where its reports share tables they would each build (set by the
        runner; used only with ``validated`` data).

    Returns
    -------
    ReportContext

    Raises
    ------
    analysis.DataContractError
        When the data do not meet the input contract.
    """
    i18n.check_lang(lang)
    matplotlib.rcParams.update({"figure.dpi": 100, "savefig.dpi": 100, "font.size": 9})
    register_figure_display()
    wanted = date.fromisoformat(as_of) if as_of else None
    src = None
    if validated:
        src = open_source(data_dir, tz=tz or DEFAULT_TZ)
        src = src if src.fingerprint() == validated else None
        if src is not None and shared:
            src.shared = Path(shared)  # tables this run's reports share (data as the run validated them)
    if src is None:
        src = load(data_dir, as_of=wanted, tz=tz or DEFAULT_TZ)
    return ReportContext(src=src, as_of=wanted or src.default_as_of(), output_dir=output_dir, lang=lang)
