"""A report as HTML (inline SVG charts), PDF (fpdf2, the same charts as images) or CSV (rounded)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd
from jinja2 import Environment

from adops.analytics.kpis import format_value, label
from adops.platforms import PLATFORM_NAMES
from adops.reports.charts import Chart, charts
from adops.reports.performance import Report, summary

COLUMNS = ("spend", "impressions", "clicks", "conversions", "conversion_value", "ctr", "cpc", "cpa", "roas")
#: decimals per column in the CSV (money to cents, rates to basis points, counts whole)
ROUNDING = {
    "spend": 2,
    "conversion_value": 2,
    "cpc": 2,
    "cpa": 2,
    "cpm": 2,
    "roas": 2,
    "ctr": 4,
    "conversions": 2,
    "impressions": 0,
    "clicks": 0,
}

_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ r.title }}</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:60rem;color:#111}
table{border-collapse:collapse;width:100%;margin:1rem 0;font-size:.9rem}
th,td{padding:.35rem .5rem;border-bottom:1px solid #ddd;text-align:right}
th:first-child,td:first-child,td.text{text-align:left}
.tiles{display:flex;gap:1rem;flex-wrap:wrap}.tile{border:1px solid #ddd;border-radius:.4rem;padding:.6rem 1rem}
.tile b{display:block;font-size:1.3rem}figure{margin:1.5rem 0}svg{max-width:100%;height:auto}
</style></head><body>
<h1>{{ r.title }}</h1>
<p>{{ r.start }} to {{ r.end }} &middot; money in {{ r.currency }} &middot; generated {{ generated }}</p>
{% if r.empty %}<p>No data for this period. Run a sync, or choose dates with data.</p>{% else %}
<div class="tiles">{% for name, value in tiles %}<div class="tile">{{ name }}<b>{{ value }}</b></div>{% endfor %}</div>
{% for c in charts %}<figure><figcaption><h2>{{ c.title }}</h2></figcaption>{{ c.svg | safe }}</figure>{% endfor %}
<h2>By platform</h2>
<table><thead><tr><th>Platform</th>{% for h in headers %}<th>{{ h }}</th>{% endfor %}</tr></thead><tbody>
{% for name, cells in platform_rows %}<tr><td>{{ name }}</td>{% for v in cells %}<td>{{ v }}</td>{% endfor %}</tr>{% endfor %}
</tbody></table>
<h2>Top campaigns by spend</h2>
<table><thead><tr><th>Campaign</th><th>Platform</th>{% for h in headers %}<th>{{ h }}</th>{% endfor %}</tr></thead><tbody>
{% for name, platform, cells in campaign_rows %}<tr><td class="text">{{ name }}</td><td class="text">{{ platform }}</td>{% for v in cells %}<td>{{ v }}</td>{% endfor %}</tr>{% endfor %}
</tbody></table>{% endif %}
</body></html>
"""


def html(report: Report, drawn: list[Chart] | None = None) -> str:
    """A self-contained HTML page: no script, no external resource; names are escaped.
    `drawn`: the report's charts when the caller drew them already (one drawing for HTML and PDF)."""
    env = Environment(autoescape=True)
    return env.from_string(_HTML).render(
        r=report,
        generated=report.generated_at.strftime("%Y-%m-%d %H:%M UTC"),
        tiles=_tiles(report),
        charts=drawn if drawn is not None else draw(report, png=False),
        headers=[label(c, report.currency) for c in COLUMNS],
        platform_rows=[
            (PLATFORM_NAMES.get(row["platform"], row["platform"]), _cells(row, report.currency))
            for _, row in report.by_platform.iterrows()
        ],
        campaign_rows=[
            (
                row["campaign_name"],
                PLATFORM_NAMES.get(row["platform"], row["platform"]),
                _cells(row, report.currency),
            )
            for _, row in report.top_campaigns.iterrows()
        ],
    )


def csv_text(report: Report) -> str:
    """The platform table then the top campaigns, one CSV with a `section` column, values rounded."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["section", "platform", "campaign", *COLUMNS])
    for section, frame in (("platform", report.by_platform), ("campaign", report.top_campaigns)):
        for _, row in frame.iterrows():
            name = row.get("campaign_name", "") if section == "campaign" else ""
            writer.writerow([section, row["platform"], _csv_safe(str(name or "")), *_rounded(row)])
    return out.getvalue()


def pdf(report: Report, drawn: list[Chart] | None = None) -> bytes:
    """An A4 PDF: title, headline numbers, the charts and the platform table (DejaVu: any script)."""
    from fpdf import FPDF

    doc = FPDF(orientation="portrait", unit="mm", format="A4")
    doc.set_creation_date(report.generated_at)
    doc.set_title(report.title)
    doc.add_font("DejaVu", "", _font("DejaVuSans.ttf"))
    doc.add_font("DejaVu", "B", _font("DejaVuSans-Bold.ttf"))
    doc.add_page()
    doc.set_font("DejaVu", "B", 16)
    _line(doc, 8, report.title)
    doc.set_font("DejaVu", "", 9)
    _line(doc, 5, f"{report.start} to {report.end} · money in {report.currency}")
    doc.ln(2)
    if report.empty:
        _line(doc, 6, "No data for this period. Run a sync, or choose dates with data.")
        return bytes(doc.output())
    _line(doc, 6, "   ".join(f"{name}: {value}" for name, value in _tiles(report)))
    if drawn is None or any(not c.png for c in drawn):
        drawn = draw(report)
    for chart in drawn:
        doc.set_font("DejaVu", "B", 11)
        _line(doc, 7, chart.title)
        doc.image(io.BytesIO(chart.png), w=180, alt_text=chart.title)
    doc.set_font("DejaVu", "", 7)
    headers = ["Platform", *[label(c, report.currency) for c in COLUMNS]]
    with doc.table(text_align="RIGHT", first_row_as_headings=True) as table:
        table.row(headers)
        for _, row in report.by_platform.iterrows():
            table.row([PLATFORM_NAMES.get(row["platform"], row["platform"]), *_cells(row, report.currency)])
    return bytes(doc.output())


def draw(report: Report, png: bool = True) -> list[Chart]:
    """The report's charts (drawn once, for any number of formats); `png=False`: for HTML only."""
    return charts(report.daily, report.by_platform, report.currency, png)


#: each format's MIME type
MIME = {"html": "text/html", "pdf": "application/pdf", "csv": "text/csv"}


def file_name(start: object, end: object, fmt: str) -> str:
    """The name a report of [start, end] in `fmt` is saved and attached under."""
    return f"performance-{start}-{end}.{fmt}"


def render(report: Report, fmt: str, drawn: list[Chart] | None = None) -> tuple[str, bytes, str]:
    """(file name, content, MIME type) of the report in `fmt` (html, pdf or csv)."""
    name = file_name(report.start, report.end, fmt)
    if fmt == "html":
        return name, html(report, drawn).encode(), MIME[fmt]
    if fmt == "pdf":
        return name, pdf(report, drawn), MIME[fmt]
    if fmt == "csv":
        return name, csv_text(report).encode(), MIME[fmt]
    from adops.errors import InputError

    raise InputError(f"report format {fmt!r}: use html, pdf or csv")


# ---------------------------------------------------------------------------- helpers


def _line(doc, height: float, text: str) -> None:  # type: ignore[no-untyped-def]
    """A paragraph across the page, then back to the left margin on the next line."""
    doc.multi_cell(0, height, text, new_x="LMARGIN", new_y="NEXT")


def _tiles(report: Report) -> list[tuple[str, str]]:
    return [(label(k), format_value(k, v, report.currency)) for k, v in summary(report).items()]


def _cells(row: pd.Series, currency: str) -> list[str]:
    return [format_value(c, _num(row.get(c)), currency) for c in COLUMNS]


def _rounded(row: pd.Series) -> list[float | int | str]:
    out: list[float | int | str] = []
    for c in COLUMNS:
        v = _num(row.get(c))
        out.append(
            "" if v is None else int(round(v)) if ROUNDING.get(c) == 0 else round(v, ROUNDING.get(c, 4))
        )
    return out


def _num(value: object) -> float | None:
    try:
        f = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if pd.isna(f) or f in (float("inf"), float("-inf")) else f


def _csv_safe(text: str) -> str:
    """A cell a spreadsheet will not run as a formula (campaign names come from the platforms)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _font(name: str) -> str:
    import matplotlib

    return str(Path(matplotlib.get_data_path()) / "fonts" / "ttf" / name)


__all__ = ["Chart", "csv_text", "draw", "html", "pdf", "render"]
