"""Message text from Jinja2 templates (`[notifications.templates]`), rendered in Jinja2's sandbox.

A template is chosen by the event's type, then `default`; a digest uses `digest`. Templates see
`event` (`id`, `type`, `severity`, `created_at`, `data`) or, in a digest, `events` (a list of those)
and `held` (how many). Templates come from the workspace's settings, so they are rendered in the
sandbox (no attribute access to Python internals) and their output is capped.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

from jinja2 import TemplateError
from jinja2.sandbox import SandboxedEnvironment

from adops.errors import ConfigError

MAX_TEXT = 3000
MAX_VALUE = 300

DEFAULT = """{{ event.type }}{% if event.data %}
{% for key, value in event.data.items() if key not in ("severity",) %}- {{ key }}: {{ value | string | truncate(200) }}
{% endfor %}{% endif %}"""

DIGEST = """{{ held }} notification{{ "s" if held != 1 else "" }} held back (quiet hours or the rate limit):
{% for e in events %}- [{{ e.severity }}] {{ e.type }} (event {{ e.id }})
{% endfor %}"""


@dataclass(frozen=True)
class Message:
    """What a channel sends: a title, the rendered text, the severity, and a few fields."""

    title: str
    text: str
    severity: str = "info"
    event_type: str = ""
    event_id: int | None = None
    fields: dict[str, str] = field(default_factory=dict)


@functools.lru_cache(maxsize=1)
def _env() -> SandboxedEnvironment:
    return SandboxedEnvironment(autoescape=False, trim_blocks=False, keep_trailing_newline=False)


def render(source: str, **context: Any) -> str:
    """Render a template in the sandbox; ConfigError (naming no value) when it fails."""
    try:
        text = _env().from_string(source).render(**context)
    except TemplateError as exc:
        raise ConfigError(f"notification template failed: {type(exc).__name__}: {str(exc)[:200]}") from None
    text = text.strip()
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


def event_context(
    event_id: int | None, event_type: str, severity: str, created_at: str, data: Any
) -> dict[str, Any]:
    return {
        "id": event_id,
        "type": event_type,
        "severity": severity,
        "created_at": created_at,
        "data": data if isinstance(data, dict) else {"value": data},
    }


def for_event(templates: dict[str, str], event: dict[str, Any]) -> Message:
    """The message for one event."""
    source = templates.get(event["type"]) or templates.get("default") or DEFAULT
    text = render(source, event=event)
    return Message(
        title=f"{event['severity'].upper()}: {event['type']}"[:150],
        text=text or event["type"],
        severity=event["severity"],
        event_type=event["type"],
        event_id=event["id"],
        fields=_fields(event["data"]),
    )


def for_digest(templates: dict[str, str], events: list[dict[str, Any]]) -> Message:
    """The digest of held notifications."""
    text = render(templates.get("digest") or DIGEST, events=events, held=len(events))
    worst = max((e["severity"] for e in events), key=("info", "warning", "critical").index, default="info")
    return Message(
        title=f"Digest: {len(events)} held notification(s)", text=text, severity=worst, event_type="digest"
    )


def test_message() -> Message:
    """What `adops notify test` sends."""
    return Message(
        title="adops test notification",
        text="This is a test message from Ad Ops Command Center: the channel is configured correctly.",
        severity="info",
        event_type="notify.test",
    )


def _fields(data: Any) -> dict[str, str]:
    if not isinstance(data, dict):
        return {}
    out: dict[str, str] = {}
    for key, value in list(data.items())[:10]:
        if key == "severity" or isinstance(value, dict | list):
            continue
        text = str(value)
        out[str(key)[:100]] = text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"
    return out
