"""Send a report through the workspace's notification channels (adops.notify.channels).

E-mail carries the report as attachments (any of HTML, PDF, CSV); Slack and Discord webhooks cannot
carry files, so they get the headline numbers and the period. Secrets stay in the channels module.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from adops import config
from adops.analytics.kpis import format_value, label
from adops.errors import ConfigError, ExternalError, InputError
from adops.notify import channels
from adops.notify.templates import Message
from adops.reports.performance import Report, summary
from adops.reports.render import draw, render

FORMATS = ("html", "pdf", "csv")


@dataclass(frozen=True)
class Delivered:
    channel: str
    formats: tuple[str, ...]
    ok: bool
    detail: str = ""


def message(report: Report) -> Message:
    """The text every channel sends: title, period and the headline numbers."""
    numbers = {label(k): format_value(k, v, report.currency) for k, v in summary(report).items()}
    text = f"{report.start} to {report.end}" + ("" if not report.empty else " - no data for this period")
    return Message(title=report.title, text=text, fields=numbers, event_type="report.performance")


def deliver(
    report: Report,
    channel: str,
    formats: Sequence[str] = ("html",),
    rendered: Sequence[tuple[str, bytes, str]] | None = None,
) -> Delivered:
    """Send `report` to `channel` (email, slack or discord); ExternalError when the channel refuses.
    `rendered`: the files of `formats` as (name, content, MIME type) when the caller rendered them
    already (a workflow run's `render` step): attached as they are, not drawn a second time."""
    if channel not in channels.CHANNELS:
        raise InputError(f"report channel {channel!r}: use {', '.join(channels.CHANNELS)}")
    bad = [f for f in formats if f not in FORMATS]
    if bad or not formats:
        raise InputError(f"report formats: choose among {', '.join(FORMATS)}")
    cfg = config.load()
    msg = message(report)
    if channel == "email":
        table = cfg.notifications.email if cfg.notifications is not None else None
        if table is None:
            raise ConfigError("notifications.email is not configured in adops.toml")
        if rendered is not None:
            files = tuple(rendered)
        else:
            drawn = draw(report) if {"html", "pdf"} & set(formats) else []
            files = tuple(render(report, f, drawn) for f in dict.fromkeys(formats))
        sent = asyncio.run(channels.email(table, msg, files))
        sent_formats = tuple(dict.fromkeys(formats))
    else:
        sent = asyncio.run(channels.send(cfg, channel, msg))
        sent_formats = ()
    if not sent.ok:
        raise ExternalError(f"the report could not be sent by {channel}: {sent.error or sent.status_code}")
    return Delivered(channel, sent_formats, True, f"status {sent.status_code}")
