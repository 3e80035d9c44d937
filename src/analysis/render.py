"""Executed notebook -> one self-contained stakeholder HTML page, and the runs index page.

The page carries no code, no prompts, no stderr and no tracebacks; figures are embedded as data URIs;
no script, font or style sheet is loaded from anywhere. Outputs of type ``text/html`` come from this
package's own display helpers (which escape data strings) or from pandas (which escapes cell values).
"""

from __future__ import annotations

import copy
import html
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import nbformat

CSS = """
:root { --ink:#1f2933; --muted:#616e7c; --line:#e4e7eb; --accent:#2f6f9f; --bad:#b42318; --ok:#1b7f3b; }
* { box-sizing: border-box; }
body { font-family: -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", "PingFang SC",
       "Microsoft YaHei", sans-serif; color: var(--ink); margin: 0; background: #f7f8fa; line-height: 1.5; }
main { max-width: 1080px; margin: 0 auto; padding: 24px 32px 48px; background: #fff; }
header.report { border-bottom: 3px solid var(--accent); margin-bottom: 24px; padding-bottom: 12px; }
header.report h1 { margin: 0 0 4px; font-size: 1.8em; }
header.report .meta { color: var(--muted); font-size: 0.92em; }
h1, h2, h3 { line-height: 1.25; }
h2 { margin-top: 2em; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
table { border-collapse: collapse; margin: 12px 0 20px; font-size: 0.92em; }
th, td { padding: 5px 10px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
th { background: #f0f3f6; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
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


def clean_for_readers(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy without parameter cells, stderr, errors, and bare ``repr`` results of a cell's last line."""
    nb = copy.deepcopy(nb)
    cells = []
    for cell in nb.cells:
        if _HIDDEN_TAGS & set(cell.get("metadata", {}).get("tags", [])):
            continue
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


def notebook_html(nb: nbformat.NotebookNode, title: str, meta_line: str, footer: str) -> str:
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
    resources = {"report": {"title": title, "meta_line": meta_line, "footer": footer, "css": CSS}}
    body, _ = exporter.from_notebook_node(clean_for_readers(nb), resources=resources)
    return body


def details_table(rows: Iterable[tuple[str, Any]]) -> str:
    body = "".join(f"<tr><th>{_esc(k)}</th><td>{_esc(v)}</td></tr>" for k, v in rows)
    return f"<table>{body}</table>"


def page(title: str, meta_line: str, body: str, footer: str = "") -> str:
    """A whole self-contained page."""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_esc(title)}</title><style>{CSS}</style></head><body><main>"
        f'<header class="report"><h1>{_esc(title)}</h1><div class="meta">{meta_line}</div></header>'
        f"{body}{footer}</main></body></html>\n"
    )


def report_page(
    nb: nbformat.NotebookNode, title: str, meta: Mapping[str, Any], definitions: Mapping[str, Any]
) -> str:
    """Stakeholder page for one executed report notebook."""
    meta_line = " &middot; ".join(f"{_esc(k)}: {_esc(v)}" for k, v in meta.items())
    footer = (
        '<footer class="details"><h2>Definitions and run details</h2>'
        + details_table(definitions.items())
        + "</footer>"
    )
    return notebook_html(nb, title, meta_line, footer)


def index_page(runs: list[Mapping[str, Any]]) -> str:
    """The runs index: newest first, status, duration and links."""
    rows = []
    for r in runs:
        status = r.get("status", "unknown")
        links = []
        for rep in r.get("reports", []):
            if rep.get("status") == "ok" and rep.get("html"):
                links.append(
                    f'<a href="runs/{_esc(r["folder"])}/{_esc(rep["html"])}">{_esc(rep["title"])}</a>'
                )
            else:
                where = f" at cell {rep['failed_cell']}" if rep.get("failed_cell") else ""
                why = ": ".join(str(x) for x in (rep.get("error"), rep.get("message")) if x)
                err = f" ({_esc(why)})" if why else ""
                nb = rep.get("notebook")
                nb_link = (
                    f' &mdash; <a href="runs/{_esc(r["folder"])}/{_esc(nb)}">executed notebook</a>'
                    if nb
                    else ""
                )
                links.append(
                    f"{_esc(rep['title'])}: <span "
                    f'class="status-failed">failed{_esc(where)}</span>{err}{nb_link}'
                )
        if r.get("note"):
            links.append(f"<em>{_esc(r['note'])}</em>")
        rows.append(
            "<tr>"
            f"<td>{_esc(r.get('started', ''))}</td><td>{_esc(r.get('as_of', ''))}</td>"
            f'<td class="status-{_esc(status)}">{_esc(status)}</td>'
            f'<td class="num">{float(r.get("seconds", 0)):.0f} s</td>'
            f"<td>{'<br>'.join(links)}</td><td>{_esc(r.get('data_name', ''))}</td>"
            "</tr>"
        )
    table = (
        '<table><tr><th>started (UTC)</th><th>as of</th><th>status</th><th class="num">duration</th>'
        "<th>reports</th><th>data</th></tr>" + "".join(rows) + "</table>"
        if rows
        else "<p>No runs yet.</p>"
    )
    return page("Community analytics reports", f"{len(runs)} run(s), newest first", table)
