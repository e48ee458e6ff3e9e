"""Microsoft Advertising reports: the request for a daily performance report, and reading its CSV.

The Reporting service runs a report asynchronously (`GenerateReport/Submit` -> `GenerateReport/Poll`
until `Success`), then the file is a ZIP holding one CSV, downloaded from `ReportDownloadUrl` (the
shared layer, `ApiClient.await_report` and `download`, does those steps). Reports run in the
account's own time zone (`ReportTimeZone`), so dates are local dates; CSV cells hold `--` for "not
applicable" and percentages such as `5.26%`.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from typing import Any

from adops.connectors.errors import TransientError
from adops.connectors.reports import unzip_text

#: Days per report: no hard limit, but smaller reports finish sooner and repeat less on failure.
REPORT_DAYS = 90
CAMPAIGN_REPORT_COLUMNS = [
    "TimePeriod", "AccountId", "CampaignId", "CampaignName", "CampaignStatus", "CurrencyCode",
    "Impressions", "Clicks", "Ctr", "Spend", "Conversions", "Revenue",
]  # fmt: skip
AD_REPORT_COLUMNS = [
    "TimePeriod", "AccountId", "CampaignId", "AdGroupId", "AdId", "AdTitle", "AdType", "CurrencyCode",
    "Impressions", "Clicks", "Ctr", "Spend", "Conversions", "Revenue",
]  # fmt: skip
#: Microsoft's TimeZone / ReportTimeZone values and the IANA zone each stands for.


def cell(value: str | None) -> str | None:
    """A CSV cell with Microsoft's "not applicable" markers (`--`, empty) as None."""
    text = (value or "").strip()
    return None if text in ("", "--", "N/A") else text


def number(value: str | None) -> float:
    """A numeric CSV cell: `1,234.5` -> 1234.5, `5.26%` -> 0.0526, `--` -> 0."""
    text = cell(value)
    if text is None:
        return 0.0
    text = text.replace(",", "")
    try:
        return float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        raise TransientError(f"microsoft_ads: unreadable number '{text[:40]}' in a report") from None


def report_date(value: str) -> date:
    for fmt in ("%Y-%m-%d", "%m/%d/%Y", "%Y/%m/%d"):
        try:
            return datetime.strptime(value.strip(), fmt).date()
        except ValueError:
            continue
    raise TransientError(f"microsoft_ads: unreadable report date '{value[:40]}'")


def read_report(content: bytes) -> list[dict[str, str]]:
    """Rows of the CSV inside a report ZIP, skipping any report header and copyright footer."""
    text = unzip_text(content, "microsoft_ads")
    header: list[str] | None = None
    rows: list[dict[str, str]] = []
    try:
        for record in csv.reader(io.StringIO(text)):
            if header is None:
                if "TimePeriod" in record:
                    header = record
                continue
            if not record or not any(record) or record[0].startswith("\u00a9"):
                break  # a blank line or "©2026 Microsoft Corporation" ends the data
            rows.append(dict(zip(header, record, strict=False)))
    except csv.Error as exc:
        raise TransientError(f"microsoft_ads: the report CSV is malformed ({exc})") from None
    return rows


def report_request(
    kind: str, columns: list[str], account_id: str, start: date, end: date, zone: str
) -> dict[str, Any]:
    """A daily report of `kind` (e.g. CampaignPerformanceReportRequest) for one account and window."""
    return {
        "Type": kind,
        "ReportName": f"adops {kind} {start}..{end}",
        "Format": "Csv",
        "FormatVersion": "2.0",
        "ExcludeColumnHeaders": False,
        "ExcludeReportHeader": True,
        "ExcludeReportFooter": True,
        "ReturnOnlyCompleteData": False,
        "Aggregation": "Daily",
        "Columns": columns,
        "Scope": {"AccountIds": [int(account_id)]},
        "Time": {
            "CustomDateRangeStart": _day(start),
            "CustomDateRangeEnd": _day(end),
            "ReportTimeZone": zone,
        },
    }


def _day(d: date) -> dict[str, int]:
    return {"Day": d.day, "Month": d.month, "Year": d.year}
