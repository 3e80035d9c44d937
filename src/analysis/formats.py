"""Numbers as people read them: thousands separators, percentages with one decimal, p-values, dates,
and "n/a" for a value that cannot be observed yet (never 0). Plain strings, no HTML."""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any

import pandas as pd

NA = "n/a"


def fmt(value: Any, kind: str = "auto") -> str:
    """Format one value: kind in auto, int, float1, float2, pct, pct0, signed_pct, p, date, text."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return NA
    if isinstance(value, float) and math.isinf(value) and kind not in ("text", "date"):
        return "∞" if value > 0 else "−∞"
    if kind == "auto":
        if isinstance(value, bool):
            kind = "text"
        elif isinstance(value, int) or (
            isinstance(value, float) and value.is_integer() and abs(value) >= 1000
        ):
            kind = "int"
        elif isinstance(value, float):
            kind = "float2"
        elif isinstance(value, date | datetime | pd.Timestamp):
            kind = "date"
        else:
            kind = "text"
    return _FORMATS.get(kind, str)(value)


def _p(value: Any) -> str:
    v = float(value)
    return "<0.001" if v < 0.001 else f"{v:.3f}"


NUMERIC_FORMATS = {
    "int": lambda v: f"{round(float(v)):,}",
    "float1": lambda v: f"{float(v):,.1f}",
    "float2": lambda v: f"{float(v):,.2f}",
    "pct": lambda v: f"{100 * float(v):.1f}%",
    "pct0": lambda v: f"{100 * float(v):.0f}%",
    "signed_pct": lambda v: f"{100 * float(v):+.1f}%",
    "p": _p,
}
_FORMATS = {**NUMERIC_FORMATS, "date": lambda v: pd.Timestamp(v).strftime("%Y-%m-%d"), "text": str}


def is_number(kind: str, value: Any) -> bool:
    """Whether a cell of format ``kind`` holding ``value`` is a number (right-aligned in tables)."""
    return kind in NUMERIC_FORMATS or (
        kind == "auto" and isinstance(value, int | float) and not isinstance(value, bool)
    )
