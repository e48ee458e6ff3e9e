"""Who may read and write the sidecar's events.

POST /events always needs `Authorization: Bearer $ADOPS_API_TOKEN`. GET /events is open when the
sidecar listens on loopback only (everything on the machine is trusted as the app is); bound to
any other interface it needs the same bearer token, or a short-lived token in `?token=` that the
app mints for its browser's EventSource (which cannot send headers): `<expiry>.<HMAC-SHA256 of
"adops-events:<expiry>" keyed by the API token>`, valid until the expiry, at most a day ahead.
This module is plain standard library so the app can import it without the server.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import os
import time

from adops.errors import ConfigError

EVENTS_TOKEN_TTL_S = 600
_MAX_TTL_S = 86_400
_PURPOSE = b"adops-events:"


def api_token() -> str:
    """The configured API token ('' when unset: then nothing that needs it is allowed)."""
    return os.environ.get("ADOPS_API_TOKEN", "").strip()


def bearer_ok(header: str | None, token: str | None = None) -> bool:
    """True when `Authorization` carries exactly `Bearer <token>` and a token is configured."""
    token = api_token() if token is None else token
    if not token or not header:
        return False
    return hmac.compare_digest(header.encode(), f"Bearer {token}".encode())


def mint_events_token(ttl_s: int = EVENTS_TOKEN_TTL_S, now: float | None = None) -> str:
    """A token for `GET /events?token=…`, valid `ttl_s` seconds; needs ADOPS_API_TOKEN."""
    token = api_token()
    if not token:
        raise ConfigError("ADOPS_API_TOKEN is not set: no events token can be minted")
    expiry = int((time.time() if now is None else now) + min(max(ttl_s, 1), _MAX_TTL_S))
    return f"{expiry}.{_mac(token, expiry)}"


def events_token_ok(value: str | None, now: float | None = None, token: str | None = None) -> bool:
    """True for an unexpired token minted with the configured API token."""
    token = api_token() if token is None else token
    if not token or not value or len(value) > 100:
        return False
    expiry_text, _, mac = value.partition(".")
    if not (expiry_text.isascii() and expiry_text.isdigit()) or len(expiry_text) > 12:
        return False
    expiry = int(expiry_text)
    current = time.time() if now is None else now
    if not current <= expiry <= current + _MAX_TTL_S:
        return False
    return hmac.compare_digest(mac.encode(), _mac(token, expiry).encode())


def is_loopback(host: str) -> bool:
    """True when a bind address reaches this machine only (127.0.0.0/8, ::1, localhost)."""
    host = host.strip().strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _mac(token: str, expiry: int) -> str:
    return hmac.new(token.encode(), _PURPOSE + str(expiry).encode(), hashlib.sha256).hexdigest()
