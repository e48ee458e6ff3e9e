"""The chat and mail channels: Slack (incoming webhook, blocks), Discord (webhook, embeds), e-mail (SMTP).

Each `send` tries once and returns a `Sent` (ok, or the status/error and any wait the service asked
for: Slack's and Discord's 429 `Retry-After` / `retry_after`); the notification workflow decides on
retries. The webhook URLs and the SMTP password are secrets: they are read when sending, and no
message, error or log line here ever contains them (errors name the exception type and the
service's status, and any text is scrubbed of the secret values).
"""

from __future__ import annotations

import asyncio
import json
import os
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

import httpx

from adops import config
from adops.errors import ConfigError
from adops.notify.templates import Message

CHANNELS = ("slack", "discord", "email")
TIMEOUT_S = 15.0
_COLORS = {"info": 0x2F80ED, "warning": 0xF2C94C, "critical": 0xEB5757}
_EMOJI = {"info": ":information_source:", "warning": ":warning:", "critical": ":rotating_light:"}


@dataclass(frozen=True)
class Sent:
    """The answer to one send."""

    ok: bool
    status_code: int | None = None
    error: str | None = None
    retry_after: float | None = None
    retryable: bool = True


def resolve(value: str | None, name: str) -> str | None:
    """A setting's value, `env:NAME` read now; ConfigError naming the variable (never its value) when unset."""
    if value is None:
        return None
    if value.startswith("env:"):
        found = os.environ.get(value[4:], "").strip()
        if not found:
            raise ConfigError(f"{name}: the environment variable {value[4:]} is not set")
        return found
    return value


async def send(cfg: config.Config, channel: str, message: Message) -> Sent:
    """Send `message` through the configured `channel`; ConfigError when it is not configured."""
    notes = cfg.notifications
    table = getattr(notes, channel, None) if notes is not None and channel in CHANNELS else None
    if table is None:
        raise ConfigError(f"notifications.{channel} is not configured in adops.toml")
    if channel == "slack":
        return await slack(resolve(table.webhook_url, "notifications.slack.webhook_url") or "", message)
    if channel == "discord":
        return await discord(resolve(table.webhook_url, "notifications.discord.webhook_url") or "", message)
    return await email(table, message)


# ---------------------------------------------------------------------------- Slack


def slack_payload(message: Message) -> dict[str, Any]:
    """Slack Block Kit: a header, the text (mrkdwn), the fields, a context line; `text` is the fallback."""
    text = _slack_escape(message.text)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": message.title[:150], "emoji": True}},
        {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000] or " "}},
    ]
    if message.fields:
        blocks.append(
            {
                "type": "section",
                "fields": [
                    {"type": "mrkdwn", "text": f"*{_slack_escape(k)}*\n{_slack_escape(v)}"[:2000]}
                    for k, v in list(message.fields.items())[:10]
                ],
            }
        )
    context = f"{_EMOJI.get(message.severity, '')} {message.severity}"
    if message.event_id is not None:
        context += f" · event {message.event_id}"
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": context.strip()}]})
    return {"text": f"{message.title}: {text}"[:3000], "blocks": blocks}


async def slack(url: str, message: Message) -> Sent:
    """POST to a Slack incoming webhook with `slack_sdk`'s WebhookClient (200 `ok` is success)."""
    from slack_sdk.webhook import WebhookClient

    payload = slack_payload(message)

    def call() -> Any:
        return WebhookClient(url, timeout=int(TIMEOUT_S)).send(text=payload["text"], blocks=payload["blocks"])

    try:
        response = await asyncio.to_thread(call)
    except Exception as exc:  # urllib errors; their text may hold the URL
        return Sent(False, error=_scrub(f"slack: {type(exc).__name__}: {exc}", url))
    if response.status_code == 200:
        return Sent(True, 200)
    wait = _seconds(response.headers.get("Retry-After") or response.headers.get("retry-after"))
    body = str(response.body or "")[:100]
    retryable = response.status_code == 429 or response.status_code >= 500
    return Sent(
        False,
        response.status_code,
        _scrub(f"slack answered {response.status_code} {body}".strip(), url),
        wait,
        retryable,
    )


def _slack_escape(text: str) -> str:
    """Slack's three control characters, as its message formatting reference asks."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# ---------------------------------------------------------------------------- Discord


def discord_payload(message: Message) -> dict[str, Any]:
    """A Discord execute-webhook body: one embed within Discord's limits; mentions disabled."""
    embed: dict[str, Any] = {
        "title": message.title[:256],
        "description": message.text[:4096],
        "color": _COLORS.get(message.severity, _COLORS["info"]),
        "fields": [
            {"name": k[:256] or "-", "value": v[:1024] or "-", "inline": True}
            for k, v in list(message.fields.items())[:25]
        ],
    }
    if message.event_id is not None:
        embed["footer"] = {"text": f"event {message.event_id} · {message.severity}"}
    _fit(embed)
    return {"username": "adops", "embeds": [embed], "allowed_mentions": {"parse": []}}


def _fit(embed: dict[str, Any], limit: int = 6000) -> None:
    """Keep an embed within Discord's 6,000 characters: fields go first (from the end), then the
    description is shortened."""

    def others() -> int:
        return (
            len(embed["title"])
            + sum(len(f["name"]) + len(f["value"]) for f in embed["fields"])
            + len(embed.get("footer", {}).get("text", ""))
        )

    while embed["fields"] and others() + min(len(embed["description"]), 1000) > limit:
        embed["fields"].pop()
    room = limit - others()
    if len(embed["description"]) > room:
        embed["description"] = embed["description"][: max(0, room - 1)] + "…"


async def discord(url: str, message: Message) -> Sent:
    """POST to a Discord webhook (204 or 200 is success); a 429's JSON `retry_after` says when to retry."""
    try:
        async with httpx.AsyncClient(timeout=TIMEOUT_S, follow_redirects=False, trust_env=False) as client:
            response = await client.post(url, json=discord_payload(message))
    except httpx.HTTPError as exc:
        return Sent(False, error=_scrub(f"discord: {type(exc).__name__}", url))
    if response.status_code in (200, 204):
        return Sent(True, response.status_code)
    wait: float | None = None
    detail = ""
    try:
        body = response.json()
        if isinstance(body, dict):
            wait = _seconds(body.get("retry_after"))
            detail = str(body.get("message", ""))[:100]
    except (json.JSONDecodeError, UnicodeDecodeError):
        pass
    if wait is None:
        wait = _seconds(response.headers.get("retry-after"))
    retryable = response.status_code == 429 or response.status_code >= 500
    return Sent(
        False,
        response.status_code,
        _scrub(f"discord answered {response.status_code} {detail}".strip(), url),
        wait,
        retryable,
    )


# ---------------------------------------------------------------------------- e-mail


def email_message(
    table: Any, message: Message, attachments: tuple[tuple[str, bytes, str], ...] = ()
) -> EmailMessage:
    """The mail: subject, text, and any (file name, content, MIME type) attachments (reports)."""
    msg = EmailMessage()
    msg["Subject"] = f"[adops] {message.title}"[:200].replace("\n", " ").replace("\r", " ")
    msg["From"] = table.sender
    msg["To"] = ", ".join(table.to)
    lines = [message.text, ""]
    lines += [f"{k}: {v}" for k, v in message.fields.items()]
    msg.set_content("\n".join(lines).strip() + "\n")
    for filename, content, mime in attachments:
        maintype, _, subtype = mime.partition("/")
        msg.add_attachment(content, maintype=maintype, subtype=subtype or "octet-stream", filename=filename)
    return msg


async def email(table: Any, message: Message, attachments: tuple[tuple[str, bytes, str], ...] = ()) -> Sent:
    """Send through SMTP with `aiosmtplib`: STARTTLS when `starttls` (required then), TLS on port 465."""
    import aiosmtplib

    username = resolve(table.username, "notifications.email.username")
    password = resolve(table.password, "notifications.email.password")
    context: ssl.SSLContext | None = None
    if table.ca_file:
        try:
            context = ssl.create_default_context(cafile=table.ca_file)
        except (OSError, ssl.SSLError):
            raise ConfigError("notifications.email.ca_file cannot be read as a PEM CA file") from None
    implicit = table.port == 465 and not table.starttls
    try:
        await aiosmtplib.send(
            email_message(table, message, attachments),
            hostname=table.host,
            port=table.port,
            username=username,
            password=password,
            start_tls=bool(table.starttls),
            use_tls=implicit,
            tls_context=context,
            timeout=table.timeout_seconds,
        )
    except aiosmtplib.SMTPResponseException as exc:
        secrets = [s for s in (password, username) if s]
        return Sent(
            False,
            exc.code,
            _scrub(f"smtp answered {exc.code} {exc.message}"[:200], *secrets),
            retryable=exc.code >= 400 and exc.code < 500,
        )
    except (aiosmtplib.SMTPException, OSError) as exc:
        return Sent(
            False, error=_scrub(f"smtp: {type(exc).__name__}: {exc}"[:200], *[s for s in (password,) if s])
        )
    return Sent(True, 250)


# ---------------------------------------------------------------------------- helpers


def _seconds(value: Any) -> float | None:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return None
    if seconds != seconds or seconds < 0:  # NaN
        return None
    return min(seconds, 3600.0)


def _scrub(text: str, *secrets: str) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text
