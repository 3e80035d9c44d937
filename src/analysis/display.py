"""How result objects show in a notebook: a small HTML table of their fields (the way pandas and
lifelines results display), instead of a long dataclass repr. Every value is escaped; a DataFrame field
shows its first rows."""

from __future__ import annotations

import dataclasses
import html
import math
from typing import Any

import pandas as pd

PREVIEW_ROWS = 5


def _cell(value: Any) -> str:
    if isinstance(value, pd.DataFrame):
        more = f"<br><small>{len(value):,} rows</small>" if len(value) > PREVIEW_ROWS else ""
        return value.head(PREVIEW_ROWS).to_html(index=False, border=0, escape=True) + more
    if isinstance(value, pd.Series):
        return html.escape(f"{len(value):,} values")
    if isinstance(value, float):
        return "n/a" if math.isnan(value) else html.escape(f"{value:.6g}")
    text = str(value)
    return html.escape(text if len(text) <= 200 else text[:200] + "…")


class HtmlRepr:
    """Mixin for frozen dataclasses: ``_repr_html_`` as a two-column table (field, value)."""

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><th style='text-align:left'>{html.escape(f.name)}</th>"
            f"<td>{_cell(getattr(self, f.name))}</td></tr>"
            for f in dataclasses.fields(self)  # type: ignore[arg-type]
        )
        return f"<table><caption>{html.escape(type(self).__name__)}</caption>{rows}</table>"
