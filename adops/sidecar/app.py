"""The sidecar's HTTP surface: health, the event stream, event ingress and webhooks."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from adops import store, warehouse
from adops.jobs.worker import Worker
from adops.sidecar import webhooks
from adops.sidecar.auth import is_loopback
from adops.sidecar.errors import ERROR_HANDLERS
from adops.sidecar.hub import Hub
from adops.sidecar.stream import events_app
from adops.sidecar.writer import EventWriter


def create_app(worker: Worker | None = None, *, host: str = "127.0.0.1", hub: Hub | None = None) -> Starlette:
    """The Starlette app; with a jobs worker (`adops.jobs.worker`), DBOS starts and stops with it.

    `host` is the interface the server binds: GET /events is open on loopback only, and needs
    the API token (or an app-minted events token) anywhere else.
    """
    hub = hub or Hub()
    writer = EventWriter(lambda: hub.engine or store.engine())

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        store.engine()
        await hub.start()
        writer.start()
        if worker and not worker.running:  # DBOS's sync API refuses a running event loop: use a thread
            await asyncio.to_thread(worker.start)
        try:
            yield
        finally:
            if worker:
                await asyncio.to_thread(worker.stop)
            await writer.stop()
        await hub.stop()

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
        checks["jobs"] = await asyncio.to_thread(worker.status) if worker else {"running": False}
        checks["events"] = hub.stats()
        return JSONResponse({"status": "ok" if ok else "degraded", **checks}, status_code=200 if ok else 503)

    async def webhook(request: Request) -> JSONResponse:
        return await webhooks.receive(request, hub)

    app = Starlette(
        routes=[
            Route("/health", health),
            Route("/events", events_app(hub, open_read=is_loopback(host), writer=writer)),
            Route("/webhooks/{source}", webhook, methods=["POST"]),
        ],
        lifespan=lifespan,
        exception_handlers=ERROR_HANDLERS,
    )
    app.state.hub = hub
    return app
