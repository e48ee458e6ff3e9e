"""The sidecar's side of the error vocabulary: a domain error becomes a JSON `{"error": ...}` reply.

Starlette calls `adops_error` for any `adops.errors.AdopsError` a route lets through, with the
kind's `http_status` (400 bad input, 404 not found, 409 conflict, 500 settings, 502 a platform).
The message is the one written for people, except for a 500 (the sidecar's own settings): that one
goes to the log, and the client reads only that the settings need attention, so that nothing about
the server's files reaches it.
"""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import JSONResponse

from adops.errors import AdopsError

__all__ = ["ERROR_HANDLERS", "adops_error"]

log = logging.getLogger("adops.sidecar")

_SERVER_SIDE = "the sidecar's settings need attention (see its log)"


async def adops_error(request: Request, exc: Exception) -> JSONResponse:
    """The reply for a domain error: its kind's status and one line that says what is wrong."""
    assert isinstance(exc, AdopsError)
    status = exc.http_status
    if status == 500:
        log.warning("%s %s: %s: %s", request.method, request.url.path, type(exc).__name__, exc)
        message = _SERVER_SIDE
    else:
        message = " ".join(str(exc).split()) or type(exc).__name__
    return JSONResponse({"error": message, "kind": _kind(exc)}, status_code=status)


def _kind(exc: AdopsError) -> str:
    """The error's kind in the vocabulary (`input`, `config`, `not_found`, `conflict`, `external`)."""
    from adops import errors

    for kind, name in (
        (errors.NotFound, "not_found"),
        (errors.InputError, "input"),
        (errors.ConfigError, "config"),
        (errors.Conflict, "conflict"),
        (errors.ExternalError, "external"),
    ):
        if isinstance(exc, kind):
            return name
    return "error"


#: pass to `Starlette(exception_handlers=...)`
ERROR_HANDLERS = {AdopsError: adops_error}
