"""`adops webhooks` (the outgoing delivery log, replay, re-enable) and `adops notify` (test a channel,
the notification log). The CLI sends nothing by itself except `notify test`: deliveries and
notifications run in the sidecar, which starts a replay within a poll (or when it next starts).
"""

from __future__ import annotations

import asyncio
from enum import StrEnum
from typing import Annotated

import typer

from adops.cli_common import AsJson, Limit, emit_json, new_app

webhooks_app = new_app("Outgoing webhooks: the delivery log, replays, endpoints disabled by a 410.")
notify_app = new_app("Notifications (Slack, Discord, e-mail): send a test message, read the log.")


class Status(StrEnum):
    pending = "pending"
    delivered = "delivered"
    failed = "failed"
    refused = "refused"
    disabled = "disabled"


class ChannelName(StrEnum):
    slack = "slack"
    discord = "discord"
    email = "email"


@webhooks_app.command("deliveries")
def deliveries_(
    endpoint: Annotated[str | None, typer.Option(help="Only the deliveries to this endpoint URL.")] = None,
    status: Annotated[Status | None, typer.Option(help="Only deliveries in this state.")] = None,
    limit: Limit = 100,
    as_json: AsJson = False,
) -> None:
    """List outgoing deliveries, newest first: status, attempts, next attempt, last HTTP status."""
    from adops.notify import deliveries

    rows = deliveries.list_deliveries(endpoint, status.value if status else None, limit)
    if as_json:
        emit_json({"deliveries": [r.to_dict() for r in rows]})
        return
    if not rows:
        typer.echo("(no deliveries)")
    for r in rows:
        code = r.last_status_code if r.last_status_code is not None else "-"
        typer.echo(f"{r.id}  {r.status:9}  attempts={r.attempts}  last={code}  {r.event_type}  {r.endpoint}")


@webhooks_app.command("replay")
def replay(
    delivery_id: Annotated[
        str, typer.Argument(help="The delivery's id (as `adops webhooks deliveries` lists it).")
    ],
    as_json: AsJson = False,
) -> None:
    """Send a finished delivery again (same body and webhook-id); the sidecar starts it."""
    from adops.notify import deliveries

    row = deliveries.replay(delivery_id)
    if as_json:
        emit_json(row.to_dict())
    else:
        typer.echo(f"{row.id} queued for replay ({row.workflow_id})")


@webhooks_app.command("enable")
def enable(url: Annotated[str, typer.Argument(help="The endpoint URL, as in adops.toml.")]) -> None:
    """Deliver to an endpoint a 410 disabled, again (from the next event on; replay the missed ones)."""
    from adops.errors import NotFound
    from adops.notify import deliveries

    if not deliveries.enable_endpoint(url):
        raise NotFound("that endpoint is not disabled")
    typer.echo("enabled")


@notify_app.command("test")
def test(
    channel: Annotated[ChannelName, typer.Option(help="The configured channel to send through.")],
    as_json: AsJson = False,
) -> None:
    """Send a test message through a configured channel now (exit 1 when the service refuses it)."""
    from adops import config
    from adops.errors import ExternalError
    from adops.notify import channels, templates

    sent = asyncio.run(channels.send(config.load(), channel.value, templates.test_message()))
    if not sent.ok:
        raise ExternalError(
            f"{channel.value}: the test message was not accepted ({sent.error or 'no answer'})"
        )
    if as_json:
        emit_json({"channel": channel.value, "status": "sent", "status_code": sent.status_code})
    else:
        typer.echo(f"{channel.value}: test message sent")


@notify_app.command("log")
def log(
    channel: Annotated[ChannelName | None, typer.Option(help="Only this channel.")] = None,
    limit: Limit = 50,
) -> None:
    """The notification log as JSON, newest first: sent, held (for a digest), digested, failed."""
    from adops.notify import notifications

    emit_json({"notifications": notifications.recent(limit, channel.value if channel else None)})
