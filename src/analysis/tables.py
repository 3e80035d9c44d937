"""Tables for people and for machines: escaped HTML for the report pages, CSV under ``tables/``.

Every string that reaches HTML here passes through :func:`html.escape`; numbers get thousands
separators, percentages one decimal, and a value that cannot be observed yet shows as "n/a" (never 0).
"""

from __future__ import annotations

import html
import io
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from IPython.display import HTML

from analysis.formats import NA as NA  # re-exported for the notebooks
from analysis.formats import fmt as fmt
from analysis.formats import is_number
from analysis.i18n import Translator

EN = Translator("en")
PREVIEW_ROWS = 12  # a longer table shows its first rows; the rest open behind "all N rows"


def _first(df: pd.DataFrame, column: str) -> Any:
    return df[column].iloc[0] if len(df) else None


def _cell(v: Any, kind: str, t: Translator) -> str:
    if isinstance(v, bool | np.bool_):
        return t.yes_no(v)
    return t(fmt(v, kind)) if fmt(v, kind) == fmt(None) else fmt(v, kind)


def _rows_html(
    df: pd.DataFrame, formats: Mapping[str, str], labels: Mapping[str, str], caption: str, t: Translator
) -> str:
    cols = list(df.columns)
    head = "".join(
        f'<th class="{"num" if is_number(formats.get(c, "auto"), _first(df, c)) else ""}">'
        f"{html.escape(str(labels.get(c, c)))}</th>"
        for c in cols
    )
    body = []
    for row in df.itertuples(index=False):
        cells = []
        for c, v in zip(cols, row, strict=True):
            kind = formats.get(c, "auto")
            cls = ' class="num"' if is_number(kind, v) else ""
            cells.append(f"<td{cls}>{html.escape(_cell(v, kind, t))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    table = f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    return f'<div class="table-wrap">{table}</div>'


def html_table(
    df: pd.DataFrame,
    formats: Mapping[str, str] | None = None,
    labels: Mapping[str, str] | None = None,
    caption: str | None = None,
    max_rows: int | None = 60,
    preview: int | None = PREVIEW_ROWS,
    t: Translator = EN,
    words: Sequence[str] = (),
) -> HTML:
    """An escaped HTML table of ``df`` (index dropped) with per-column formats and header labels, in a
    box that scrolls sideways on a narrow screen. At most ``max_rows`` rows (the last ones); a table
    longer than ``preview`` rows shows its first rows and the rest behind "all N rows". Yes/no for
    booleans and "n/a" in the page language of ``t``; the values of the ``words`` columns (tiers,
    statuses) are translated where the catalogue has them, names from the data stay as they are."""
    if words:
        df = df.assign(**{c: df[c].astype(object).map(t.maybe) for c in words})
    formats = dict(formats or {})
    labels = dict(labels or {})
    shown = df if max_rows is None or len(df) <= max_rows else df.tail(max_rows)
    note = ""
    if max_rows is not None and len(df) > max_rows:
        note = t(" (last {n} of {total} rows; all rows in the CSV)", n=max_rows, total=f"{len(df):,}")
    caption = (caption or "") + note
    if preview is None or len(shown) <= preview + 3:
        return HTML(_rows_html(shown, formats, labels, caption, t))
    first = _rows_html(shown.head(preview), formats, labels, caption, t)
    rest = _rows_html(shown, formats, labels, "", t)
    summary = html.escape(t("all {n} rows", n=f"{len(shown):,}"))
    return HTML(f"{first}<details><summary>{summary}</summary>{rest}</details>")


def cards(items: Sequence[tuple[str, Any, str, float | None]], t: Translator = EN) -> HTML:
    """Headline numbers: (label, value, format, change or None). The change of a count is relative
    (percent); the change of a rate (format ``pct``) is a difference in percentage points. Counts read
    as the page language says them (``2.3万`` in Chinese)."""
    out = []
    for label, value, kind, delta in items:
        d = ""
        if delta is not None and not (isinstance(delta, float) and math.isnan(delta)):
            cls = "up" if delta > 0 else "down" if delta < 0 else ""
            change = t.points(delta) if kind == "pct" else fmt(delta, "signed_pct")
            d = f'<div class="delta {cls}">{html.escape(t("{change} vs previous", change=change))}</div>'
        shown = t.count(value) if kind == "int" else fmt(value, kind)
        out.append(
            f'<div class="kpi"><div class="label">{html.escape(label)}</div>'
            f'<div class="value">{html.escape(shown)}</div>{d}</div>'
        )
    return HTML('<div class="kpis">' + "".join(out) + "</div>")


def heading(text: str, level: int = 2) -> HTML:
    """A section heading made in code (escaped), for headings that hold values or come from the
    catalogue."""
    return HTML(f"<h{level}>{html.escape(text)}</h{level}>")


def callout(text: str, kind: str = "info") -> HTML:
    """A highlighted paragraph (kind: info, warn, bad); the text is escaped."""
    cls = {"info": "callout", "warn": "callout warn", "bad": "callout bad"}[kind]
    return HTML(f'<div class="{cls}">{html.escape(text)}</div>')


def paragraphs(*texts: str) -> HTML:
    """Plain paragraphs of narrative; each is escaped."""
    return HTML("".join(f"<p>{html.escape(t)}</p>" for t in texts if t))


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # OWASP: cells a spreadsheet may run as a formula
# the same characters as one class of Arrow's regular expressions ("-" is the only one to escape there)
_FORMULA_PATTERN = "^[" + "".join("\\-" if c == "-" else c for c in FORMULA_START) + "]"


def neutralise(value: Any) -> Any:
    """A text cell that a spreadsheet would read as a formula, prefixed with ``'`` (OWASP's rule for
    CSV injection); anything else unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _neutralised(df: pd.DataFrame) -> pd.DataFrame:
    text = [
        c
        for c in df.columns
        if df[c].dtype == object or isinstance(df[c].dtype, pd.StringDtype | pd.CategoricalDtype)
    ]
    if not text:
        return df
    out = df.copy()
    for c in text:
        out[c] = _neutralised_column(out[c])
    return out


def _neutralised_column(column: pd.Series) -> pd.Series:
    """:func:`neutralise` on every cell of a column, vectorised (a million member IDs in a fraction of
    a second): the text cells that start like a formula get the ``'`` prefix, every other cell (numbers,
    missing values) is kept as it is."""
    values = column.astype(object)
    cells = values.to_numpy()
    is_text = np.fromiter((isinstance(v, str) for v in cells), bool, len(cells))
    if not is_text.any():
        return values
    text = pa.array(cells[is_text], type=pa.string())
    risky = np.zeros(len(cells), bool)
    risky[is_text] = pc.match_substring_regex(text, _FORMULA_PATTERN).to_numpy(zero_copy_only=False)
    out = cells.copy()
    out[risky] = ["'" + v for v in cells[risky]]
    return pd.Series(out, index=column.index, name=column.name, dtype=object)


def bullets(items: Sequence[tuple[str, str]]) -> HTML:
    """A definitions list: (term, explanation) pairs as bullets with the term in bold; escaped. It is
    the page's glossary: each term has an anchor (``#term-N``) that the page links where the term is
    first used (see :func:`analysis.render.link_glossary`)."""
    li = "".join(
        f'<li id="term-{i}"><strong>{html.escape(t)}</strong>: {html.escape(x)}</li>'
        for i, (t, x) in enumerate(items, start=1)
    )
    return HTML(f'<ul class="glossary">{li}</ul>')


def _write_csv(
    df: pd.DataFrame,
    folder: str,
    name: str,
    output_dir: str | Path | None,
    key: tuple[str, str] | None = None,
    private: bool = False,
) -> Path | None:
    if not output_dir:
        return None
    path = Path(output_dir) / folder / f"{name}.csv"
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700 if private else 0o777)
    if private:
        path.parent.chmod(0o700)
    out = _neutralised(df)
    if key is not None:  # one file holds every value of ``key``: replace this value's rows, keep the rest
        col, value = key
        out = out.drop(columns=[col], errors="ignore")
        out.insert(0, col, neutralise(value))
        if path.exists():
            text = pd.read_csv(io.StringIO(out.to_csv(index=False)), dtype=str, keep_default_na=False)
            kept = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
            kept = kept[kept[col] != neutralise(value)] if col in kept else kept.iloc[0:0]
            out = pd.concat([kept, text], ignore_index=True)
    tmp = path.with_name(f".{path.name}.tmp")
    out.to_csv(tmp, index=False, encoding="utf-8")
    if private:
        tmp.chmod(0o600)
    tmp.replace(path)
    return path


def save(
    df: pd.DataFrame, name: str, output_dir: str | Path | None, key: tuple[str, str] | None = None
) -> Path | None:
    """Write ``df`` to ``output_dir/tables/NAME.csv`` (UTF-8, formula-like text neutralised); nothing
    when output_dir is empty. With ``key=(column, value)`` the file holds the rows of every value of
    that column: this call replaces the rows of ``value`` (e.g. one experiment of several)."""
    return _write_csv(df, "tables", name, output_dir, key)


def save_restricted(df: pd.DataFrame, name: str, output_dir: str | Path | None) -> Path | None:
    """Per-member exports go to ``output_dir/restricted/`` only (folder 0700, files 0600: readable by
    the owner only), never into a page."""
    return _write_csv(df, "restricted", name, output_dir, private=True)
