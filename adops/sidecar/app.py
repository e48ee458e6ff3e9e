"""The sidecar's HTTP surface: health, the event stream, event ingress and webhooks."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from adops import store
from adops.forecast import pool as forecast_pool
from adops.jobs.worker import Worker
from adops.notify.dispatcher import Dispatcher
from adops.sidecar import logs, openapi, webhooks
from adops.sidecar.auth import is_loopback
from adops.sidecar.errors import ERROR_HANDLERS
from adops.sidecar.health import report as health_report
from adops.sidecar.hub import Hub
from adops.sidecar.metrics import endpoint as metrics_endpoint
from adops.sidecar.stream import SERVER_SEND, events_app
from adops.sidecar.writer import EventWriter


def create_app(
    worker: Worker | None = None,
    *,
    host: str = "127.0.0.1",
    hub: Hub | None = None,
    freeze_heap: bool = False,
) -> Starlette:
    """The Starlette app; with a jobs worker (`adops.jobs.worker`), DBOS starts and stops with it.

    `host` is the interface the server binds: GET /events is open on loopback only, and needs
    the API token (or an app-minted events token) anywhere else. `freeze_heap`: the process is
    the sidecar's own (`adops serve`), so what start-up loaded is left out of later garbage
    collections (not in a process that hosts the app beside other work, such as tests).
    """
    hub = hub or Hub()
    logs.quiet_polls()
    writer = EventWriter(lambda: hub.engine or store.engine())

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        store.engine()
        await hub.start()
        writer.start()
        if worker and not worker.running:  # DBOS's sync API refuses a running event loop: use a thread
            await asyncio.to_thread(worker.start)
        if worker and worker.running and app.state.dispatcher is None:  # outgoing webhooks, notifications
            app.state.dispatcher = Dispatcher()
            await app.state.dispatcher.start()
        if freeze_heap:
            _freeze_startup_heap()
        if freeze_heap and worker and worker.running:  # `adops serve`: one forecast pool for every job
            forecast_pool.keep()
        try:
            yield
        finally:
            if app.state.dispatcher is not None:
                await app.state.dispatcher.stop()
                app.state.dispatcher = None
            await writer.stop()
            await hub.stop()
            # last: DBOS's async calls made its executor this loop's default, and stopping DBOS
            # shuts that executor down, so no `asyncio.to_thread` works after this line
            if worker:
                await asyncio.to_thread(worker.stop)

    async def health(request: Request) -> JSONResponse:
        body, status = await health_report(worker, hub, app.state.dispatcher)
        return JSONResponse(body, status_code=status)

    async def metrics(request: Request) -> Response:
        async def read() -> dict[str, Any]:
            return await live_values(worker, hub)

        return await metrics_endpoint(request, read)

    async def webhook(request: Request) -> JSONResponse:
        return await webhooks.receive(request, hub)

    app = _Sidecar(
        routes=[
            Route("/health", health),
            Route("/metrics", metrics),
            Route("/events", events_app(hub, open_read=is_loopback(host), writer=writer)),
            Route("/webhooks/{source}", webhook, methods=["POST"]),
            Route("/openapi.json", openapi.endpoint),
        ],
        lifespan=lifespan,
        exception_handlers=ERROR_HANDLERS,
    )
    app.state.hub = hub
    app.state.dispatcher = None
    return app


def _freeze_startup_heap() -> None:
    """Leave what start-up loaded (modules, DBOS, SQLAlchemy) out of every later garbage collection.

    Measured with 1,000 event streams: a full collection over the start-up heap paused the
    event loop for up to 144 ms, the whole tail of the stream's latency; frozen, the
    collector scans only what was made since.
    """
    gc.collect()
    gc.freeze()


class _Sidecar(Starlette):
    """Starlette, handing /events the server's own `send` (the hub writes live batches beside it)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == "/events":
            scope[SERVER_SEND] = send
        await super().__call__(scope, receive, send)


async def live_values(worker: Worker | None, hub: Hub) -> dict[str, Any]:
    """The gauges /metrics reads when scraped."""
    from adops.sidecar.health import held_and_backlog

    status = await asyncio.to_thread(worker.status) if worker else {"running": False}
    backlog, oldest, held = await asyncio.to_thread(held_and_backlog)
    stats = hub.stats()
    return {
        "queues": status.get("queues", {}),
        "dbos": 1 if status.get("running") else 0,
        "clients": stats["clients"],
        "dropped": stats["dropped"],
        "backlog": backlog,
        "oldest_pending_s": oldest,
        "held": held,
    }
