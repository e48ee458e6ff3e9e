"""Routing: which event types a subscription names, how severe an event is, which channels a rule picks,
and when a channel is quiet.

Subscriptions (`events = [...]` of an endpoint or a rule) list exact types, prefixes written with a
trailing `*` (`sync.*`), or `"*"` for everything. Severities are ordered info < warning < critical;
an event's own `data.severity` sets it (default info).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from adops import config

SEVERITIES = ("info", "warning", "critical")
RANK = {name: i for i, name in enumerate(SEVERITIES)}


def matches(patterns: Iterable[str], event_type: str) -> bool:
    """True when one pattern names the type: `*`, an exact type, or a `prefix*`."""
    for p in patterns:
        if p == "*" or p == event_type or (p.endswith("*") and event_type.startswith(p[:-1])):
            return True
    return False


def severity_of(data: Any) -> str:
    """The event's severity (`data.severity` when it is one of the three), else info."""
    value = data.get("severity") if isinstance(data, dict) else None
    return value if isinstance(value, str) and value in RANK else "info"


def at_least(severity: str, minimum: str) -> bool:
    return RANK.get(severity, 0) >= RANK.get(minimum, 0)


def channels_for(cfg: config.Config, event_type: str, severity: str) -> list[str]:
    """The configured channels the rules send this event to (each once, in rule order)."""
    notes = cfg.notifications
    if notes is None:
        return []
    out: list[str] = []
    for rule in notes.rules:
        if matches(rule.events, event_type) and at_least(severity, rule.min_severity):
            out.extend(c for c in rule.channels if c not in out and getattr(notes, c, None) is not None)
    return out


def quiet(cfg: config.Config, now: datetime, severity: str = "info") -> bool:
    """True when `[notifications.quiet_hours]` holds back an event of this severity at `now`."""
    hours = cfg.notifications.quiet_hours if cfg.notifications else None
    if hours is None or at_least(severity, hours.min_severity):
        return False
    local = now.astimezone(ZoneInfo(hours.timezone)).time()
    start, end = _hm(hours.start), _hm(hours.end)
    if start == end:
        return False
    if start < end:
        return start <= local < end
    return local >= start or local < end  # across midnight


def _hm(text: str) -> time:
    hour, minute = text.split(":")
    return time(int(hour), int(minute))
