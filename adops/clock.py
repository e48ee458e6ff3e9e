"""Today's date, in a time zone; `ADOPS_TODAY=YYYY-MM-DD` freezes it for tests and demos."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo


def today(tz: str | None = None) -> date:
    frozen = os.environ.get("ADOPS_TODAY")
    if frozen:
        return date.fromisoformat(frozen)
    return datetime.now(ZoneInfo(tz) if tz else UTC).date()


def now() -> datetime:
    return datetime.now(UTC)
