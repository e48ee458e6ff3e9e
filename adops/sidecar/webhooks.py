"""Incoming Standard Webhooks: `POST /webhooks/{source}`, verified with the `standardwebhooks` library.

Each source has its own secret, `ADOPS_WEBHOOK_SECRET_<SOURCE>` (the source name upper-cased,
`-` as `_`), falling back to `ADOPS_WEBHOOK_SECRET`; a variable may hold several `whsec_…`
secrets separated by spaces while one is rotated out, and a delivery may carry several
signatures. The headers and the secret are checked before the body is read, the body is capped
at 1 MB as it streams in, the timestamp must be within 5 minutes of now, and the receipt
(webhook-id, source, body) and its `webhook.received` event are stored in one transaction before
the 2xx. A webhook-id is processed once whatever the source: the same delivery again answers 200
`{"duplicate": true}`, the same id sent to another source is refused (409).

A source configured in `[[webhooks.sources]]` may have its own secret there, and rules whose
matching deliveries start jobs (`adops.jobs.triggers`), once per delivery, after the receipt is
stored and before the 2xx: the answer lists the jobs started (`"jobs"`).
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import re
import threading
import time
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from standardwebhooks.webhooks import EmptyWebhookSecretError, Webhook, WebhookVerificationError
from starlette.requests import Request
from starlette.responses import JSONResponse

from adops import clock, store
from adops.errors import ConfigError, Conflict, NotFound
from adops.jobs import triggers
from adops.sidecar.hub import Hub
from adops.sidecar.limits import Unauthorized, parse_json, read_body, utf8
from adops.store.models import Event, WebhookReceipt

TOLERANCE_S = 300  # what standardwebhooks enforces; checked here first so a stale replay is refused unread
_SOURCE = re.compile(r"[a-z0-9][a-z0-9_\-]{0,63}")
_ID = re.compile(r"[\x21-\x7e]{1,200}")  # printable ASCII, as the spec's msg_… ids are
_SIGNATURE = re.compile(r"v1,[A-Za-z0-9+/]{1,200}={0,2}")
_MAX_SIGNATURE_HEADER = 4096
_PARSE_IN_THREAD = 64 * 1024
_STRIPES = tuple(threading.Lock() for _ in range(64))
_INSERT_EVENT = insert(Event).returning(Event.id)
_INSERT_RECEIPT = insert(WebhookReceipt)
_LINK_RECEIPT = (
    update(WebhookReceipt)
    .where(WebhookReceipt.webhook_id == bindparam("wid"))
    .values(event_id=bindparam("event_id"))
)


def sign(secret: str, webhook_id: str, timestamp: int, body: bytes) -> str:
    """The `v1,<base64>` signature a sender puts in `webhook-signature`."""
    return Webhook(secret).sign(webhook_id, datetime.fromtimestamp(timestamp, tz=UTC), body.decode())


def secret_variable(source: str) -> str:
    """The environment variable holding a source's own secret."""
    return "ADOPS_WEBHOOK_SECRET_" + source.upper().replace("-", "_")


def secrets_for(source: str) -> tuple[str, str]:
    """(the secrets' text, where it came from) for a source; ('', …) when none is set.

    A `[[webhooks.sources]]` table's `secret` comes first (`env:NAME` read now, with no fallback:
    a source given its own secret never takes the shared one), then the environment's.
    """
    return _secrets(source, triggers.source(source))


def _secrets(source: str, configured: triggers.Source | None) -> tuple[str, str]:
    if configured is not None and configured.secret is not None:
        if configured.secret.startswith("env:"):
            name = configured.secret[4:]
            return os.environ.get(name, ""), name
        return configured.secret, f"webhooks.sources {source!r} secret"
    own = secret_variable(source)
    if os.environ.get(own, "").strip():
        return os.environ[own], own
    return os.environ.get("ADOPS_WEBHOOK_SECRET", ""), "ADOPS_WEBHOOK_SECRET"


def check_headers(headers: dict[str, str], now: float | None = None) -> tuple[str, int]:
    """The webhook-id and timestamp, from well-formed headers within the tolerance; else Unauthorized."""
    webhook_id = headers.get("webhook-id", "")
    stamp = headers.get("webhook-timestamp", "")
    signature = headers.get("webhook-signature", "")
    if not (webhook_id and stamp and signature):
        raise Unauthorized("missing webhook-id, webhook-timestamp or webhook-signature header")
    if not _ID.fullmatch(webhook_id):
        raise Unauthorized("webhook-id must be 1-200 printable ASCII characters")
    if not (stamp.isascii() and stamp.isdigit()) or len(stamp) > 12:
        raise Unauthorized("webhook-timestamp must be whole seconds since 1970")
    if len(signature) > _MAX_SIGNATURE_HEADER:
        raise Unauthorized("webhook-signature is too long")
    timestamp = int(stamp)
    if abs((time.time() if now is None else now) - timestamp) > TOLERANCE_S:
        raise Unauthorized("webhook-timestamp is more than 5 minutes away from now")
    return webhook_id, timestamp


def verify(secrets: str, variable: str, headers: dict[str, str], text: str) -> None:
    """Pass when one of the secrets signed this body (any of the listed signatures); else Unauthorized."""
    # Only well-formed v1 signatures reach the library (it fails on any other shape, the spec says skip).
    signatures = [
        s for s in headers["webhook-signature"].split() if _SIGNATURE.fullmatch(s) and (len(s) - 3) % 4 == 0
    ]
    if not signatures:
        raise Unauthorized("webhook-signature has no v1,<base64> signature")
    subset = {
        "webhook-id": headers["webhook-id"],
        "webhook-timestamp": headers["webhook-timestamp"],
        "webhook-signature": " ".join(signatures),
    }
    for secret in secrets.split():
        try:
            _webhook(secret).verify(text, subset, json_parse=False)
            return
        except WebhookVerificationError:
            continue
        except ValueError:  # base64 with bad padding (binascii.Error is a ValueError)
            raise Unauthorized("webhook-signature is malformed") from None
    raise Unauthorized("no signature matches")


@functools.lru_cache(maxsize=64)
def _webhook(secret: str) -> Webhook:
    try:
        return Webhook(secret)
    except (ValueError, EmptyWebhookSecretError):
        raise ConfigError("a webhook secret is not a whsec_ base64 key") from None


async def receive(request: Request, hub: Hub | None = None) -> JSONResponse:
    """The /webhooks/{source} endpoint; refusals are `adops.errors` kinds, answered by the app's handler."""
    source = request.path_params["source"]
    if not _SOURCE.fullmatch(source):
        raise NotFound("unknown webhook source: names are 1-64 of a-z 0-9 _ -")
    configured = triggers.source(source)  # ~3 µs: adops.toml is read again only when it changed
    secrets, variable = _secrets(source, configured)
    if not secrets.strip():
        hint = variable if variable != "ADOPS_WEBHOOK_SECRET" else f"{secret_variable(source)} or {variable}"
        raise Unauthorized(f"webhooks are disabled for {source}: set {hint}")
    for secret in secrets.split():
        _webhook(secret)  # a broken secret is a setting to fix (500 naming the kind), not the sender's fault
    headers = {k: v for k, v in request.headers.items() if k.startswith("webhook-")}
    webhook_id, _ = check_headers(headers)
    body = await read_body(request)
    text = utf8(body)
    try:
        verify(secrets, variable, headers, text)
    except ConfigError:
        raise ConfigError(f"{variable} is not a whsec_ base64 key") from None
    payload = await asyncio.to_thread(parse_json, text) if len(text) > _PARSE_IN_THREAD else parse_json(text)
    bind = hub.engine if hub is not None else None
    if configured is not None and configured.rules:
        # After the receipt, before the 2xx; a redelivery does what an earlier attempt did not get to.
        event_id, duplicate, fired = await asyncio.to_thread(
            functools.partial(record_and_fire, source, webhook_id, text, payload, bind=bind)
        )
    else:
        event_id, duplicate = await asyncio.to_thread(
            functools.partial(record, source, webhook_id, text, payload, bind=bind)
        )
        fired = triggers.Fired()
    if hub is not None and not duplicate:
        hub.offer(event_id, "webhook.received", _event_json(source, webhook_id, payload))
    if hub is not None:
        for fired_id, fired_type, data in fired.events:
            hub.offer(fired_id, fired_type, json.dumps(data))
        if fired.jobs:
            hub.nudge()  # the jobs' own `job.queued` events
    answer: dict[str, Any] = {"id": event_id}
    if fired.jobs:
        answer["jobs"] = fired.jobs
    if duplicate:
        return JSONResponse({"duplicate": True, **answer}, status_code=200)
    return JSONResponse(answer, status_code=202)


def record_and_fire(
    source: str, webhook_id: str, body: str, payload: Any, *, bind: Engine | None = None
) -> tuple[int, bool, triggers.Fired]:
    """Store the receipt, then start the jobs its source's rules ask for: (event id, duplicate, what started).

    One delivery at a time per webhook-id (a striped lock): copies sent at once wait for the first,
    then find its outcome recorded and start nothing more.
    """
    with _STRIPES[hash(webhook_id) % len(_STRIPES)]:
        event_id, duplicate = record(source, webhook_id, body, payload, bind=bind)
        fired = triggers.fire(source, webhook_id, payload, event_id, redelivery=duplicate, bind=bind)
    return event_id, duplicate, fired


def record(
    source: str, webhook_id: str, body: str, payload: Any, *, bind: Engine | None = None
) -> tuple[int, bool]:
    """Store the receipt and its event together: (event id, False), or (the first one's id, True) for a redelivery.

    The webhook-id is unique across sources (the receipts' index), so a concurrent redelivery
    fails the insert and is answered as the duplicate it is.
    """
    bind = bind or store.engine()
    try:
        with bind.begin() as conn:  # built once, run with parameters: this runs for every delivery
            # The receipt first: a known id fails here, before an event id is drawn (no gap in the ids).
            conn.execute(
                _INSERT_RECEIPT,
                {
                    "source": source,
                    "webhook_id": webhook_id,
                    "received_at": clock.now(),
                    "event_id": 0,
                    "body": body,
                },
            )
            event_id = conn.execute(
                _INSERT_EVENT,
                {
                    "type": "webhook.received",
                    "data": _event_data(source, webhook_id, payload),
                    "created_at": datetime.now(UTC),
                },
            ).scalar_one()
            conn.execute(_LINK_RECEIPT, {"wid": webhook_id, "event_id": event_id})
            return int(event_id), False
    except IntegrityError:  # the id is known: nothing was stored
        with bind.connect() as conn:
            seen = _seen(conn, webhook_id, source)
        if seen is None:
            raise
        return seen, True


def _seen(s: Any, webhook_id: str, source: str) -> int | None:
    row = s.execute(
        select(WebhookReceipt.source, WebhookReceipt.event_id).where(WebhookReceipt.webhook_id == webhook_id)
    ).first()
    if row is None:
        return None
    if row.source != source:
        raise Conflict("this webhook-id was already received from another source")
    return int(row.event_id)


def _event_data(source: str, webhook_id: str, payload: Any) -> dict[str, Any]:
    return {"source": source, "webhook_id": webhook_id, "payload": payload}


def _event_json(source: str, webhook_id: str, payload: Any) -> str:
    return json.dumps(_event_data(source, webhook_id, payload))
