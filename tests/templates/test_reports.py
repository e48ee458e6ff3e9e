"""Performance reports on the demo workspace: HTML with its charts, PDF, rounded CSV, delivery."""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from adops import reports
from adops.errors import ConfigError, InputError
from adops.notify import channels

START, END = date(2026, 11, 10), date(2026, 11, 23)


@pytest.fixture(scope="module")
def report(demo_home: Path) -> reports.Report:
    import os

    from adops import store

    old = os.environ.get("ADOPS_HOME")
    os.environ["ADOPS_HOME"] = str(demo_home)
    store.reset()
    try:
        return reports.build(START, END)
    finally:
        if old is not None:
            os.environ["ADOPS_HOME"] = old
        store.reset()


def test_html_holds_every_chart_title_inline_and_no_script(report: reports.Report) -> None:
    page = reports.html(report)
    for title in (
        "Daily spend by platform (USD)",
        "Conversions by platform",
        "Cost per acquisition by platform (USD)",
    ):
        assert f'<svg role="img" aria-label="{title}"' in page
    assert "Google Ads" in page and "TikTok" in page  # platform names, not keys
    assert "<script" not in page and not re.search(r"(src|href|url)\s*[=(]\s*[\"']?(https?:)?//", page)


def test_pdf_is_a_pdf(report: reports.Report) -> None:
    data = reports.pdf(report)
    assert data.startswith(b"%PDF") and len(data) > 20_000  # three chart images


def test_an_html_only_drawing_has_the_same_svgs_and_no_png(report: reports.Report) -> None:
    from adops.reports.render import draw

    full, html_only = draw(report), draw(report, png=False)
    assert [c.svg for c in html_only] == [c.svg for c in full]
    assert all(c.png.startswith(b"\x89PNG") for c in full) and all(c.png == b"" for c in html_only)
    assert reports.html(report, html_only) == reports.html(report, full)
    # a PDF handed SVG-only charts draws its own images rather than printing none
    assert len(reports.pdf(report, html_only)) > 20_000


def test_csv_is_rounded_and_matches_the_totals(report: reports.Report) -> None:
    rows = list(csv.DictReader(io.StringIO(reports.csv_text(report))))
    platforms = [r for r in rows if r["section"] == "platform" and r["platform"] != "All platforms"]
    assert len(platforms) == 6
    for r in rows:
        assert len(r["spend"].partition(".")[2]) <= 2 and "." not in r["impressions"]
        assert len(r["ctr"].partition(".")[2]) <= 4
    total = sum(float(r["spend"]) for r in platforms)
    assert total == pytest.approx(report.totals["spend"], abs=0.05)


def test_hostile_campaign_names_are_escaped_and_not_formulas(report: reports.Report) -> None:
    top = report.top_campaigns.copy()
    top.loc[0, "campaign_name"] = "<img src=x onerror=alert(1)>"
    top.loc[1, "campaign_name"] = '=HYPERLINK("http://evil")'
    hostile = reports.Report(
        report.title,
        report.start,
        report.end,
        report.currency,
        report.totals,
        report.by_platform,
        report.daily,
        top,
    )
    assert "<img src=x" not in reports.html(hostile) and "&lt;img src=x" in reports.html(hostile)
    assert "'=HYPERLINK" in reports.csv_text(hostile)
    assert reports.pdf(hostile).startswith(b"%PDF")


def test_an_empty_period_says_so(demo: Path) -> None:
    empty = reports.build(date(2020, 1, 1), date(2020, 1, 7))
    assert empty.empty and "No data for this period" in reports.html(empty)
    assert reports.pdf(empty).startswith(b"%PDF")
    assert reports.csv_text(empty).startswith("section,platform,campaign")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"start": date(2024, 1, 1), "end": date(2026, 1, 1)}, "at most 366 days"),
        ({"start": date(2026, 2, 1), "end": date(2026, 1, 1)}, "after the end"),
        ({"platforms": ["myspace"]}, "unknown platform"),
        ({"title": "x" * 500}, "title"),
        ({"title": "   "}, "title"),
    ],
)
def test_bad_report_requests_are_refused(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(InputError, match=match):
        reports.build(**kwargs)


def test_email_carries_the_chosen_formats_as_attachments(
    report: reports.Report, monkeypatch: pytest.MonkeyPatch, workspace: Path
) -> None:
    workspace.mkdir(parents=True, exist_ok=True)
    (workspace / "adops.toml").write_text(
        '[notifications.email]\nhost = "127.0.0.1"\nport = 2525\nstarttls = false\n'
        'from = "adops@example.com"\nto = ["team@example.com"]\n'
    )
    sent: list[EmailMessage] = []

    async def fake_send(message: EmailMessage, **_: Any) -> None:
        sent.append(message)

    import aiosmtplib

    monkeypatch.setattr(aiosmtplib, "send", fake_send)
    done = reports.deliver(report, "email", ["pdf", "csv", "pdf"])
    assert done.ok and done.formats == ("pdf", "csv")
    names = [part.get_filename() for part in sent[0].iter_attachments()]
    assert names == [f"performance-{START}-{END}.pdf", f"performance-{START}-{END}.csv"]
    assert "Performance report" in sent[0]["Subject"]


def test_slack_gets_the_headline_numbers(report: reports.Report, monkeypatch: pytest.MonkeyPatch) -> None:
    got: list[Any] = []

    async def fake(cfg: Any, channel: str, message: Any) -> channels.Sent:
        got.append((channel, message))
        return channels.Sent(True, 200)

    monkeypatch.setattr(channels, "send", fake)
    assert reports.deliver(report, "slack").ok
    channel, message = got[0]
    assert channel == "slack" and message.fields["Spend"].startswith("USD ")


def test_delivery_refuses_unknown_channels_formats_and_missing_settings(report: reports.Report) -> None:
    with pytest.raises(InputError, match="channel"):
        reports.deliver(report, "fax")
    with pytest.raises(InputError, match="formats"):
        reports.deliver(report, "email", ["docx"])
    with pytest.raises(ConfigError, match="notifications.email"):
        reports.deliver(report, "email", ["csv"])
