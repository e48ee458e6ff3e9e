"""Standard Webhooks v1 verification: HMAC-SHA256 over "id.timestamp.body", keyed by whsec_ secret."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

TOLERANCE_S = 300


class InvalidWebhook(ValueError):
    """Missing headers, a stale timestamp, or no signature that matches."""


def sign(secret: str, webhook_id: str, timestamp: int, body: bytes) -> str:
    """The `v1,<base64>` signature a sender puts in `webhook-signature`."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    mac = hmac.new(key, f"{webhook_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def verify(secret: str, headers: dict[str, str], body: bytes, now: float | None = None) -> str:
    """Check a delivery and return its webhook id, or raise InvalidWebhook."""
    webhook_id = headers.get("webhook-id")
    stamp = headers.get("webhook-timestamp")
    signatures = headers.get("webhook-signature")
    if not (webhook_id and stamp and signatures):
        raise InvalidWebhook("missing webhook-id, webhook-timestamp or webhook-signature header")
    try:
        timestamp = int(stamp)
    except ValueError:
        raise InvalidWebhook("webhook-timestamp is not an integer") from None
    if abs((now or time.time()) - timestamp) > TOLERANCE_S:
        raise InvalidWebhook("webhook-timestamp is more than 5 minutes away from now")
    try:
        expected = sign(secret, webhook_id, timestamp, body).split(",", 1)[1]
    except (ValueError, base64.binascii.Error):  # type: ignore[attr-defined]
        raise InvalidWebhook("ADOPS_WEBHOOK_SECRET is not a valid whsec_ base64 key") from None
    for candidate in signatures.split():
        version, _, value = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(value, expected):
            return webhook_id
    raise InvalidWebhook("no signature matches")
