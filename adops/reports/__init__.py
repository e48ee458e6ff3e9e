"""Performance reports: built from the warehouse, rendered as HTML, PDF or CSV, sent by e-mail or chat.

    from adops import reports
    r = reports.build(start, end, platforms=("meta", "tiktok"))
    reports.html(r); reports.pdf(r); reports.csv_text(r)
    reports.deliver(r, "email", ["pdf", "csv"])

The `performance-report` and `scheduled-report` workflows run these steps (adops.reports.workflows).
"""

from __future__ import annotations

from adops.reports.deliver import FORMATS, Delivered, deliver, message
from adops.reports.performance import Report, build, summary
from adops.reports.render import csv_text, html, pdf, render

__all__ = [
    "FORMATS",
    "Delivered",
    "Report",
    "build",
    "csv_text",
    "deliver",
    "html",
    "message",
    "pdf",
    "render",
    "summary",
]
