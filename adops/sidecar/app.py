"""The sidecar's HTTP surface: health, the event stream, event ingress and webhooks."""

from __future__ import annotations

import asyncio
import hmac
import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import text, update
from sqlalchemy.exc import IntegrityError
from sse_starlette.sse import EventSourceResponse
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from adops import clock, store, warehouse
from adops.scheduler import Scheduler
from adops.sidecar.errors import ERROR_HANDLERS
from adops.sidecar.webhooks import InvalidWebhook, verify
from adops.store.models import WebhookReceipt

HEARTBEAT_S = 15
POLL_S = 0.25


def create_app(scheduler: Scheduler | None = None) -> Starlette:
    """The Starlette app; with a scheduler, it starts and stops with the app."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        store.engine()
        if scheduler:
            scheduler.start()
        yield
        if scheduler:
            scheduler.shutdown()

    async def health(request: Request) -> JSONResponse:
        checks: dict[str, Any] = {}
        ok = True
        try:
            with store.session() as s:
                s.execute(text("SELECT 1"))
            checks["store"] = "ok"
        except Exception as exc:
            ok, checks["store"] = False, f"error: {type(exc).__name__}"
        try:
            checks["warehouse"] = {"status": "ok", "tables": warehouse.snapshot().versions}
        except Exception as exc:
            ok, checks["warehouse"] = False, {"status": f"error: {type(exc).__name__}"}
        checks["scheduler"] = scheduler.status() if scheduler else {"running": False}
        return JSONResponse({"status": "ok" if ok else "degraded", **checks}, status_code=200 if ok else 503)

    async def stream(request: Request) -> EventSourceResponse:
        try:
            last = int(request.headers.get("last-event-id") or request.query_params.get("after") or 0)
        except ValueError:
            return _error(400, "Last-Event-ID must be an integer")  # type: ignore[return-value]
        types = tuple(t for t in request.query_params.get("types", "").split(",") if t)

        async def generate() -> AsyncIterator[dict[str, Any]]:
            nonlocal last
            while True:
                batch = await asyncio.to_thread(store.events.after, last, 500)
                for ev in batch:
                    last = ev.id
                    if types and not any(ev.type.startswith(t) for t in types):
                        continue
                    yield {"id": str(ev.id), "event": ev.type, "data": json.dumps(ev.data, default=str)}
                if len(batch) < 500:
                    await asyncio.sleep(POLL_S)

        return EventSourceResponse(generate(), ping=HEARTBEAT_S)

    async def post_event(request: Request) -> JSONResponse:
        token = os.environ.get("ADOPS_API_TOKEN", "")
        given = request.headers.get("authorization", "")
        if not token or not hmac.compare_digest(given, f"Bearer {token}"):
            return _error(401, "missing or bad bearer token")
        body = await _json(request)
        if not isinstance(body, dict) or not isinstance(body.get("type"), str) or not body["type"]:
            return _error(400, 'body must be JSON {"type": str, "data": object}')
        data = body.get("data", {})
        if not isinstance(data, dict):
            return _error(400, "data must be a JSON object")
        event_id = await asyncio.to_thread(store.events.publish, body["type"], data)
        return JSONResponse({"id": event_id}, status_code=201)

    async def webhook(request: Request) -> JSONResponse:
        source = request.path_params["source"]
        secret = os.environ.get("ADOPS_WEBHOOK_SECRET", "")
        body = await request.body()
        if not secret:
            return _error(401, "webhooks are disabled: ADOPS_WEBHOOK_SECRET is not set")
        try:
            webhook_id = verify(secret, {k.lower(): v for k, v in request.headers.items()}, body)
        except InvalidWebhook as exc:
            return _error(401, str(exc))
        try:
            payload: Any = json.loads(body) if body else None
        except json.JSONDecodeError:
            payload = body.decode(errors="replace")
        return await asyncio.to_thread(_receive, source, webhook_id, payload)

    return Starlette(
        routes=[
            Route("/health", health),
            Route("/events", stream, methods=["GET"]),
            Route("/events", post_event, methods=["POST"]),
            Route("/webhooks/{source}", webhook, methods=["POST"]),
        ],
        lifespan=lifespan,
        exception_handlers=ERROR_HANDLERS,
    )


def _receive(source: str, webhook_id: str, payload: Any) -> JSONResponse:
    """Record the receipt first: a redelivery (even a concurrent one) then fails the key and adds nothing."""
    try:
        with store.session() as s:
            s.add(WebhookReceipt(source=source, webhook_id=webhook_id, received_at=clock.now(), event_id=0))
    except IntegrityError:
        return JSONResponse({"duplicate": True}, status_code=200)
    event_id = store.events.publish(
        "webhook.received", {"source": source, "webhook_id": webhook_id, "payload": payload}
    )
    with store.session() as s:
        s.execute(
            update(WebhookReceipt)
            .where(WebhookReceipt.source == source, WebhookReceipt.webhook_id == webhook_id)
            .values(event_id=event_id)
        )
    return JSONResponse({"id": event_id}, status_code=202)


async def _json(request: Request) -> Any:
    try:
        return await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)
