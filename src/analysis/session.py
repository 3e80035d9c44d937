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
        """``tables/NAME.csv`` in the run folder (nothing when run interactively without output_dir);
        ``key=(column, value)``: the file keeps other values' rows (see :func:`analysis.tables.save`)."""
        return tables.save(df, name, self.output_dir, key)

    def save_restricted(self, df: pd.DataFrame, name: str) -> Path | None:
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
    """Load and validate ``data_dir``, a path or a URL (raises on contract errors); ``as_of`` empty =
    last complete day, ``tz`` empty = the package default (:data:`analysis.definitions.DEFAULT_TZ`).

    ``validated``: the fingerprint of the data as the run validated them (set by the runner). When the
    source still has that fingerprint it is not validated again; when it changed, it is. ``lang``: the
    page language (``en`` or ``zh``) of the report's words. ``shared``: the run's private folder where its
    reports share tables they would each build (set by the runner; used only with ``validated`` data)."""
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
