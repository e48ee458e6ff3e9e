"""What the sidecar accepts from a request body: a size cap read as a stream, UTF-8 JSON, bounded nesting.

Every refusal is an `adops.errors` kind with its HTTP status, so a hostile or broken request
gets a 4xx JSON error and never a 500, and nothing larger than the cap is ever held in memory.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import ClientDisconnect, Request

from adops.errors import InputError

MAX_BODY_BYTES = 1024 * 1024
MAX_DEPTH = 64


class PayloadTooLarge(InputError):
    """The body is above the cap (or says so in Content-Length)."""

    http_status = 413


class Unauthorized(InputError):
    """A missing or wrong credential or signature."""

    http_status = 401


def declared_length(request: Request, limit: int = MAX_BODY_BYTES) -> int | None:
    """Content-Length checked before a byte is read: malformed → 400, above the cap → 413."""
    raw = request.headers.get("content-length")
    if raw is None:
        return None
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 15:
        raise InputError("Content-Length is not a number")
    size = int(raw)
    if size > limit:
        raise PayloadTooLarge(f"body of {size} bytes is above the limit of {limit} bytes")
    return size


async def read_body(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    """The body, read chunk by chunk and refused (413) as soon as it passes `limit` bytes."""
    declared_length(request, limit)
    body = bytearray()
    try:
        async for chunk in request.stream():
            body += chunk
            if len(body) > limit:
                raise PayloadTooLarge(f"body is above the limit of {limit} bytes")
    except ClientDisconnect:
        raise InputError("the client went away before sending the whole body") from None
    return bytes(body)


def utf8(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError("body is not UTF-8 text") from None


def parse_json(text: str, max_depth: int = MAX_DEPTH) -> Any:
    """JSON with at most `max_depth` levels of nesting; anything else is an InputError."""
    if _too_deep(text, max_depth):
        raise InputError(f"JSON is nested deeper than {max_depth} levels")
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        raise InputError("body is not valid JSON") from None


def _too_deep(text: str, max_depth: int) -> bool:
    """Bracket depth outside strings, counted before parsing so a hostile body never recurses.

    Only bodies with enough brackets to be that deep are scanned character by character.
    """
    if text.count("[") + text.count("{") <= max_depth:
        return False
    depth, in_string, escaped = 0, False, False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > max_depth:
                return True
        elif ch in "]}":
            depth -= 1
    return False
