"""`/events`: GET streams events (Server-Sent Events through the hub), POST stores one.

GET: `Last-Event-ID` (or `?since=ID`) replays the stored events after that id, filtered in SQL,
then continues live; without either it starts live. `?types=a,b.*` keeps those types (a trailing
`*` is a prefix). A comment line every 15 s at most keeps proxies and browsers from timing out.
CORS answers the app's own origins (ADOPS_APP_ORIGIN, comma-separated; default the Streamlit
app on 127.0.0.1:8501 and localhost:8501) so its browser EventSource may connect.
POST: the bearer token is checked before a byte of the body is read; the body is capped at 1 MB.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import os
import re
from functools import partial
from typing import Any, cast

from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from adops.errors import AdopsError, InputError
from adops.sidecar import auth
from adops.sidecar.errors import adops_error
from adops.sidecar.hub import Hub, Subscriber, TypeFilter, encode
from adops.sidecar.limits import Unauthorized, parse_json, read_body, utf8
from adops.sidecar.writer import EventWriter
from adops.store import events as event_log

DEFAULT_APP_ORIGINS = ("http://127.0.0.1:8501", "http://localhost:8501")
REPLAY_PAGE = 500
RETRY_MS = 3000
_TYPE = re.compile(r"[A-Za-z0-9_.:\-]{1,100}")
_PARSE_IN_THREAD = 64 * 1024
log = logging.getLogger(__name__)


def app_origins() -> list[str]:
    """The origins whose browsers may read /events: ADOPS_APP_ORIGIN, else the local Streamlit app."""
    raw = os.environ.get("ADOPS_APP_ORIGIN", "")
    given = [o.strip().rstrip("/") for o in raw.split(",") if o.strip()]
    return given or list(DEFAULT_APP_ORIGINS)


def events_app(hub: Hub, *, open_read: bool, writer: EventWriter | None = None) -> ASGIApp:
    """The /events endpoint (GET and POST) with CORS for the app's origins on GET.

    `open_read`: GET needs no credential (the sidecar listens on loopback only). `writer`
    stores POSTed events in batches (else each is stored on its own).
    """

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        response: Response
        try:
            if request.method == "GET":
                response = await _open_stream(request, hub, open_read)
            elif request.method == "POST":
                response = await _post(request, hub, writer)
            else:
                response = JSONResponse(
                    {"error": "use GET or POST"}, status_code=405, headers={"Allow": "GET, POST"}
                )
        except AdopsError as exc:  # the sidecar's one error reply, plus when to come back for a 503
            response = await adops_error(request, exc)
            if exc.http_status == 503:
                response.headers["Retry-After"] = "5"
        await response(scope, receive, send)

    return CORSMiddleware(
        app,
        allow_origins=app_origins(),
        allow_methods=["GET"],
        allow_headers=["Last-Event-ID", "Authorization", "Cache-Control"],
    )


async def _open_stream(request: Request, hub: Hub, open_read: bool) -> Response:
    if not open_read and not (
        auth.bearer_ok(request.headers.get("authorization"))
        or auth.events_token_ok(request.query_params.get("token"))
    ):
        raise Unauthorized(
            "GET /events needs Authorization: Bearer <ADOPS_API_TOKEN> or a ?token= minted by the app"
        )
    types = TypeFilter.parse(request.query_params.get("types"))
    after = _event_id(
        request.headers.get("last-event-id")
        or request.query_params.get("since")
        or request.query_params.get("after")
    )
    return EventStream(hub, hub.subscribe(types), after)


def _event_id(value: str | None) -> int | None:
    if value is None or not value.strip():
        return None
    value = value.strip()
    if not (value.isascii() and value.isdigit()) or len(value) > 18:
        raise InputError("Last-Event-ID (or since) must be a non-negative integer event id")
    return int(value)


async def _post(request: Request, hub: Hub, writer: EventWriter | None) -> JSONResponse:
    if not auth.bearer_ok(request.headers.get("authorization")):
        raise Unauthorized("missing or bad bearer token")
    body = await read_body(request)
    text = utf8(body)
    payload = await asyncio.to_thread(parse_json, text) if len(text) > _PARSE_IN_THREAD else parse_json(text)
    if not isinstance(payload, dict) or not isinstance(payload.get("type"), str):
        raise InputError('body must be JSON {"type": str, "data": object}')
    event_type = payload["type"]
    if not _TYPE.fullmatch(event_type):
        raise InputError("type: 1-100 letters, digits and _ . : -")
    data = payload.get("data", {})
    if not isinstance(data, dict):
        raise InputError("data must be a JSON object")
    if writer is not None:
        event_id = await writer.publish(event_type, data)
    else:
        event_id = await asyncio.to_thread(partial(event_log.publish, event_type, data, bind=hub.engine))
    hub.offer(event_id, event_type, json.dumps(data))
    return JSONResponse({"id": event_id}, status_code=201)


class EventStream(Response):
    """A text/event-stream response fed by one hub subscription, after an optional replay."""

    media_type = "text/event-stream"

    def __init__(self, hub: Hub, subscriber: Subscriber, after: int | None) -> None:
        # No Content-Length (Response would declare 0): the body is chunked and never-ending.
        self.status_code = 200
        self.background = None
        self.raw_headers = [
            (b"content-type", b"text/event-stream; charset=utf-8"),
            (b"cache-control", b"no-cache"),
            (b"x-accel-buffering", b"no"),
        ]
        self.hub, self.sub, self.after = hub, subscriber, after

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        sub = self.sub
        sub.writer = asyncio.current_task()
        watcher = asyncio.create_task(_watch_disconnect(receive, sub))
        try:
            await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
            await self._write(send, f"retry: {RETRY_MS}\n: connected\n\n".encode())
            if self.after is not None:
                await self._replay(send)
            transport = server_transport(scope)
            if transport is not None and sub.attach(transport):
                await sub.wait_closed()  # the hub writes to the socket meanwhile
            else:
                while (chunk := await sub.take()) is not None:
                    await self._write(send, chunk)
            if sub.dropped:  # its socket may be full: a last write could wait forever
                _dropped_here.set(True)
                return
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        except asyncio.CancelledError:
            if not sub.dropped:
                raise
            # Dropped while its socket was full: leave the response unfinished, uvicorn closes it.
            asyncio.current_task().uncancel()  # type: ignore[union-attr]
            _dropped_here.set(True)
            log.info("event stream dropped: the client did not keep up")
        except OSError:
            pass  # the client went away mid-write: nothing to send it any more
        finally:
            self.hub.unsubscribe(sub)
            watcher.cancel()

    async def _write(self, send: Send, body: bytes) -> None:
        self.sub.writing = True
        try:
            await send({"type": "http.response.body", "body": body, "more_body": True})
        finally:
            self.sub.writing = False

    async def _replay(self, send: Send) -> None:
        """The stored events in (after, the hub's id when this client joined], in pages."""
        cursor, floor = self.after or 0, self.sub.floor
        exact, prefixes = self.sub.types.sql() if self.sub.types else ((), ())
        while cursor < floor and not self.sub.closed:
            rows = await asyncio.to_thread(
                partial(event_log.feed, cursor, REPLAY_PAGE, exact, prefixes, bind=self.hub.engine)
            )
            rows = [r for r in rows if r[0] <= floor]
            if not rows:
                return
            await self._write(send, b"".join(encode(r) for r in rows))
            cursor = rows[-1][0]


SERVER_SEND = "adops.server_send"  # scope key: the server's own `send`, before any middleware wrapped it


def server_transport(scope: Scope) -> asyncio.WriteTransport | None:
    """The connection's transport, when the hub may write chunked frames straight to it.

    Only under uvicorn's httptools protocol with a chunked response body, whose `send` writes
    each body message to the transport as one chunk and keeps no other framing state: chunks
    written beside it keep the stream valid, and the final `send` still ends it. Anything else
    (another server, h11, HTTP/1.0) gets None and is served through `send`.
    """
    cycle = getattr(scope.get(SERVER_SEND), "__self__", None)
    if type(cycle).__module__ != "uvicorn.protocols.http.httptools_impl":
        return None
    if getattr(cycle, "chunked_encoding", None) is not True or getattr(cycle, "disconnected", True):
        return None
    transport = getattr(cycle, "transport", None)  # uvloop's transports are not asyncio subclasses
    if not all(callable(getattr(transport, m, None)) for m in _TRANSPORT_METHODS):
        return None
    return cast(asyncio.WriteTransport, transport)


_TRANSPORT_METHODS = ("write", "is_closing", "get_write_buffer_size", "abort")


class _ExpectedIncomplete(logging.Filter):
    """Hide uvicorn's "returned without completing response" for a stream dropped on purpose.

    The flag is set in the response's own task, which is the task uvicorn logs from.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return not (_dropped_here.get() and "without completing response" in record.getMessage())


class _RedactToken(logging.Filter):
    """Keep the events token of `GET /events?token=…` out of the access log (it grants reading)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(isinstance(a, str) and "token=" in a for a in record.args):
            record.args = tuple(
                _TOKEN_PARAM.sub(r"\1***", a) if isinstance(a, str) else a for a in record.args
            )
        path = getattr(record, "path", None)  # the structured field the JSON log adds (adops.sidecar.logs)
        if isinstance(path, str) and "token=" in path:
            record.path = _TOKEN_PARAM.sub(r"\1***", path)
        return True


_TOKEN_PARAM = re.compile(r"((?:^|[?&])token=)[^&\s]*")
_access_log = logging.getLogger("uvicorn.access")
if not any(isinstance(f, _RedactToken) for f in _access_log.filters):
    _access_log.addFilter(_RedactToken())

_dropped_here: contextvars.ContextVar[bool] = contextvars.ContextVar("adops_sse_dropped", default=False)
_uvicorn_log = logging.getLogger("uvicorn.error")
if not any(isinstance(f, _ExpectedIncomplete) for f in _uvicorn_log.filters):
    _uvicorn_log.addFilter(_ExpectedIncomplete())


async def _watch_disconnect(receive: Receive, sub: Subscriber) -> None:
    """End the stream as soon as the client disconnects (mid-replay too)."""
    while True:
        message: dict[str, Any] = dict(await receive())
        if message["type"] == "http.disconnect":
            sub.close("client went away")
            return
