"""Executed notebook -> one self-contained stakeholder HTML page, and the runs index page.

The page carries no code, no prompts, no stderr and no tracebacks; figures are embedded as data URIs;
no script, font or style sheet is loaded from anywhere. Outputs of type ``text/html`` come from this
package's own display helpers (which escape data strings) or from pandas (which escapes cell values).
"""

from __future__ import annotations

import copy
import html
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

from analysis import i18n

CSS = """
:root { --ink:#1f2933; --muted:#616e7c; --line:#e4e7eb; --accent:#2f6f9f; --bad:#b42318; --ok:#1b7f3b; }
* { box-sizing: border-box; }
body { font-family: -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", "PingFang SC",
       "Microsoft YaHei", sans-serif; color: var(--ink); margin: 0; background: #f7f8fa; line-height: 1.5; }
main { max-width: 1080px; margin: 0 auto; padding: 24px 32px 48px; background: #fff; }
nav.site { display: flex; flex-wrap: wrap; gap: 6px 16px; font-size: 0.9em; margin-bottom: 10px; }
nav.site a { color: var(--accent); text-decoration: none; } nav.site a:hover { text-decoration: underline; }
nav.site .here { font-weight: 600; } nav.site .lang { margin-left: auto; }
a { color: var(--accent); }
.table-wrap { max-width: 100%; overflow-x: auto; }
details > summary { cursor: pointer; color: var(--accent); margin: -12px 0 16px; }
.summary-grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(220px, 1fr)); gap: 12px; }
.summary-grid .kpi p { margin: 4px 0 0; font-size: 0.9em; color: var(--muted); }
.summary-grid a.kpi { display: block; color: inherit; text-decoration: none; }
.summary-grid a.kpi:hover { border-color: var(--accent); }
dl.glossary dt { font-weight: 600; margin-top: 8px; } dl.glossary dd { margin: 0 0 0 1em; }
@media (max-width: 640px) {
  main { padding: 12px 12px 32px; }
  header.report h1 { font-size: 1.4em; }
  .kpi { min-width: 0; flex: 1 1 40%; }
  table { font-size: 0.85em; }
}
header.report { border-bottom: 3px solid var(--accent); margin-bottom: 24px; padding-bottom: 12px; }
header.report h1 { margin: 0 0 4px; font-size: 1.8em; }
header.report .meta { color: var(--muted); font-size: 0.92em; }
h1, h2, h3 { line-height: 1.25; }
h2 { margin-top: 2em; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
table { border-collapse: collapse; margin: 12px 0 20px; font-size: 0.92em; }
th, td { padding: 5px 10px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
th { background: #f0f3f6; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td:first-child, td.num { white-space: nowrap; }
caption { caption-side: top; text-align: left; color: var(--muted); padding-bottom: 4px; }
img { max-width: 100%; height: auto; display: block; margin: 8px 0 16px; }
pre { background: #f5f7fa; padding: 8px 12px; overflow-x: auto; font-size: 0.88em; }
.callout { border-left: 4px solid var(--accent); background: #eef5fb; padding: 10px 14px; margin: 12px 0; }
.callout.warn { border-color: #b54708; background: #fffaeb; }
.callout.bad { border-color: var(--bad); background: #fef3f2; }
.kpis { display: flex; flex-wrap: wrap; gap: 12px; margin: 12px 0 20px; }
.kpi { border: 1px solid var(--line); border-radius: 6px; padding: 10px 14px; min-width: 150px; }
.kpi .label { color: var(--muted); font-size: 0.85em; }
.kpi .value { font-size: 1.5em; font-weight: 600; }
.kpi .delta.up { color: var(--ok); } .kpi .delta.down { color: var(--bad); }
.status-ok { color: var(--ok); font-weight: 600; } .status-failed { color: var(--bad); font-weight: 600; }
.status-interrupted, .status-running { color: #b54708; font-weight: 600; }
footer.details { margin-top: 3em; border-top: 1px solid var(--line); color: var(--muted); font-size: 0.9em; }
"""


TEMPLATES = Path(__file__).resolve().parent / "templates"
_HIDDEN_TAGS = {"parameters", "injected-parameters", "remove"}


def _esc(v: Any) -> str:
    return html.escape(str(v), quote=True)


def clean_for_readers(nb: nbformat.NotebookNode, lang: str = "en") -> nbformat.NotebookNode:
    """A copy without parameter cells, stderr, errors, and bare ``repr`` results of a cell's last line;
    markdown cells in the page language (the template's English text is the catalogue's message id)."""
    nb = copy.deepcopy(nb)
    cells = []
    for cell in nb.cells:
        if _HIDDEN_TAGS & set(cell.get("metadata", {}).get("tags", [])):
            continue
        if cell.cell_type == "markdown":
            cell.source = i18n.lookup(cell.source.strip(), lang)
        if cell.cell_type == "code":
            cell.outputs = [
                o
                for o in cell.get("outputs", [])
                if not (o.get("output_type") == "stream" and o.get("name") == "stderr")
                and o.get("output_type") != "error"
                and not (
                    o.get("output_type") == "execute_result" and set(o.get("data", {})) <= {"text/plain"}
                )
            ]
        cells.append(cell)
    nb.cells = cells
    return nb


@dataclass(frozen=True)
class Nav:
    """A page's header links: the run index, the run's pages in this language (report name, title, file)
    and this page in every language (language, file)."""

    lang: str = "en"
    here: str = ""
    pages: list[tuple[str, str, str]] = field(default_factory=list)
    languages: list[tuple[str, str]] = field(default_factory=list)
    index: str = "../../index.html"  # a page lives in runs/<run>/

    def html(self) -> str:
        t = i18n.translator(self.lang)
        index = (
            self.index if self.lang == "en" else self.index.replace("index.html", f"index.{self.lang}.html")
        )
        links = [f'<a href="{_esc(index)}">{_esc(t("All runs"))}</a>']
        for name, title, file in self.pages:
            cls = ' class="here"' if name == self.here else ""
            links.append(f'<a{cls} href="{_esc(file)}">{_esc(title)}</a>')
        others = [
            f'<a hreflang="{i18n.HTML_LANG[lang]}" href="{_esc(file)}">{_esc(i18n.LANG_NAME[lang])}</a>'
            for lang, file in self.languages
            if lang != self.lang
        ]
        if others:
            links.append(f'<span class="lang">{" ".join(others)}</span>')
        return f'<nav class="site">{"".join(links)}</nav>'


_GLOSSARY_ITEM = re.compile(r'<li id="(term-\d+)"><strong>([^<]+)</strong>')
_TAG = re.compile(r"(<[^>]+>)")
_LINKABLE = {"p", "caption"}  # words are linked in paragraphs and table captions, never in headings
_NOT_LINKED = {"core", "active", "novice", "lurker", "核心", "活跃", "新手", "潜水"}  # tier names: everywhere


def _keys(term: str) -> list[str]:
    """The words a glossary term is found by: ``Relative churn rate (hazard ratio)`` → both names."""
    term = html.unescape(term)
    parts = re.split(r"\s*[(（]", term, maxsplit=1)
    keys = [parts[0]] + ([parts[1].rstrip(")）")] if len(parts) > 1 else [])
    return [
        k for k in keys if k.lower() not in _NOT_LINKED and (len(k) >= 3 or any(ord(c) > 0x2E80 for c in k))
    ]


def link_glossary(body: str) -> str:
    """Link the first use of each glossary term (the page's definitions list) in the text above it to
    its definition. Text only: tags, attributes and headings are never touched."""
    items = _GLOSSARY_ITEM.findall(body)
    if not items:
        return body
    end = body.index('<ul class="glossary">')
    pending = {key.lower(): anchor for anchor, term in items for key in _keys(term)}
    pieces, open_tags = _TAG.split(body[:end]), []
    for i, piece in enumerate(pieces):
        if piece.startswith("<"):
            name = re.match(r"</?\s*([a-zA-Z0-9]+)", piece)
            if name and not piece.endswith("/>"):
                tag = name.group(1).lower()
                if piece.startswith("</"):
                    if tag in open_tags:
                        open_tags.remove(tag)
                else:
                    open_tags.append(tag)
            continue
        if not pending or "a" in open_tags or not (_LINKABLE & set(open_tags)):
            continue
        pieces[i] = _link_text(piece, pending)
    return "".join(pieces) + body[end:]


def _link_text(text: str, pending: dict[str, str]) -> str:
    """``text`` (escaped HTML text) with the earliest use of each pending term linked, longest first
    where two start together; linked terms leave ``pending``. Latin terms match whole words only."""
    out = ""
    while pending:
        best = None
        for key in sorted(pending, key=len, reverse=True):
            escaped = html.escape(key, quote=True)
            edge = r"(?<![\w-])" if escaped.isascii() else ""
            tail = r"(?![\w-])" if escaped.isascii() else ""
            m = re.search(edge + re.escape(escaped) + tail, text.lower())
            if m and (best is None or m.start() < best[0].start()):
                best = (m, key)
        if best is None:
            break
        m, key = best
        anchor = pending[key]
        for k in [k for k, a in pending.items() if a == anchor]:
            del pending[k]
        out += f'{text[: m.start()]}<a href="#{anchor}">{text[m.start() : m.end()]}</a>'
        text = text[m.end() :]
    return out + text


def notebook_html(
    nb: nbformat.NotebookNode, title: str, meta_line: str, footer: str, nav: Nav | None = None
) -> str:
    """Render with nbconvert's HTMLExporter and the ``report`` template shipped in this package."""
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(
        template_name="report",
        extra_template_basedirs=[str(TEMPLATES)],
        anchor_link_text="",
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    nav = nav or Nav()
    resources = {
        "report": {
            "title": title,
            "meta_line": meta_line,
            "footer": footer,
            "css": CSS,
            "nav": nav.html(),
            "html_lang": i18n.HTML_LANG[nav.lang],
        }
    }
    body, _ = exporter.from_notebook_node(clean_for_readers(nb, nav.lang), resources=resources)
    return link_glossary(body)


def details_table(rows: Iterable[tuple[str, Any]]) -> str:
    body = "".join(f"<tr><th>{_esc(k)}</th><td>{_esc(v)}</td></tr>" for k, v in rows)
    return f"<table>{body}</table>"


def page(title: str, meta_line: str, body: str, footer: str = "", lang: str = "en", nav: str = "") -> str:
    """A whole self-contained page."""
    return (
        f'<!DOCTYPE html>\n<html lang="{i18n.HTML_LANG[lang]}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_esc(title)}</title><style>{CSS}</style></head><body><main>{nav}"
        f'<header class="report"><h1>{_esc(title)}</h1><div class="meta">{meta_line}</div></header>'
        f"{body}{footer}</main></body></html>\n"
    )


def _key(key: Any, t: i18n.Translator) -> str:
    """A run-details key in the page language: ``("parameter", name)`` or a message id."""
    if isinstance(key, tuple):
        return f"{t(key[0])} {key[1]}"
    return t(str(key))


def report_page(
    nb: nbformat.NotebookNode,
    title: str,
    meta: Mapping[str, Any],
    definitions: Mapping[Any, Any],
    nav: Nav | None = None,
) -> str:
    """Stakeholder page for one executed report notebook, in the language of ``nav``."""
    nav = nav or Nav()
    t = i18n.translator(nav.lang)
    meta_line = " &middot; ".join(f"{_esc(t(k))}: {_esc(v)}" for k, v in meta.items())
    footer = (
        f'<footer class="details"><h2>{_esc(t("Run details"))}</h2>'
        + details_table((_key(k, t), v) for k, v in definitions.items())
        + "</footer>"
    )
    return notebook_html(nb, title, meta_line, footer, nav)


def _run_links(r: Mapping[str, Any], lang: str, t: i18n.Translator) -> list[str]:
    """The index entry's links to a run's pages in ``lang``, and for a failed report its error."""
    links = []
    folder = _esc(r["folder"])
    for rep in r.get("reports", []):
        if rep.get("lang", "en") != lang:
            continue
        if rep.get("status") == "ok" and rep.get("html"):
            links.append(f'<a href="runs/{folder}/{_esc(rep["html"])}">{_esc(rep["title"])}</a>')
            continue
        where = t(" at cell {cell}", cell=rep["failed_cell"]) if rep.get("failed_cell") else ""
        why = ": ".join(str(x) for x in (rep.get("error"), rep.get("message")) if x)
        err = f" ({_esc(why)})" if why else ""
        nb = rep.get("notebook")
        nb_link = (
            f' &mdash; <a href="runs/{folder}/{_esc(nb)}">{_esc(t("executed notebook"))}</a>' if nb else ""
        )
        links.append(
            f"{_esc(rep['title'])}: <span "
            f'class="status-failed">{_esc(t("failed"))}{_esc(where)}</span>{err}{nb_link}'
        )
    if r.get("note"):
        links.append(f"<em>{_esc(r['note'])}</em>")
    return links


def index_file(lang: str) -> str:
    """``index.html`` (English) or ``index.zh.html``."""
    return "index.html" if lang == "en" else f"index.{lang}.html"


def index_page(runs: list[Mapping[str, Any]], lang: str = "en", summary: str = "") -> str:
    """The runs index in ``lang``: the weekly summary of the newest good run (``summary``, HTML made by
    :mod:`analysis.summary`), then every run, newest first, with status, duration and links."""
    t = i18n.translator(lang)
    rows = []
    for r in runs:
        status = r.get("status", "unknown")
        rows.append(
            "<tr>"
            f"<td>{_esc(r.get('started', ''))}</td><td>{_esc(r.get('as_of', ''))}</td>"
            f'<td class="status-{_esc(status)}">{_esc(t(status))}</td>'
            f'<td class="num">{float(r.get("seconds", 0)):.0f} s</td>'
            f"<td>{'<br>'.join(_run_links(r, lang, t))}</td><td>{_esc(r.get('data_name', ''))}</td>"
            "</tr>"
        )
    head = "".join(
        f"<th{cls}>{_esc(t(h))}</th>"
        for h, cls in (
            ("started (UTC)", ""),
            ("as of", ""),
            ("status", ""),
            ("duration", ' class="num"'),
            ("reports", ""),
            ("data", ""),
        )
    )
    table = (
        f"<h2>{_esc(t('Runs'))}</h2>"
        f'<div class="table-wrap"><table><tr>{head}</tr>{"".join(rows)}</table></div>'
        if rows
        else f"<p>{_esc(t('No runs yet.'))}</p>"
    )
    others = " ".join(
        f'<a hreflang="{i18n.HTML_LANG[o]}" href="{index_file(o)}">{_esc(i18n.LANG_NAME[o])}</a>'
        for o in i18n.LANGS
        if o != lang
    )
    nav = f'<nav class="site"><span class="lang">{others}</span></nav>'
    meta = _esc(t("{n} run(s), newest first", n=len(runs)))
    return page(t("Community analytics reports"), meta, summary + table, lang=lang, nav=nav)
