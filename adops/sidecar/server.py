"""uvicorn, told to end the event streams first when it stops.

uvicorn waits for open responses before it runs the app's shutdown, and an SSE response never
ends by itself: without this every stop would wait out the graceful timeout and cancel the
streams mid-write. Ending them first lets each client get a clean end of stream (its browser
reconnects to the next sidecar with Last-Event-ID).
"""

from __future__ import annotations

import socket

import uvicorn
from starlette.applications import Starlette


class Server(uvicorn.Server):
    """A uvicorn server over the sidecar app that closes the app's hub as shutdown begins."""

    def __init__(self, config: uvicorn.Config, app: Starlette) -> None:
        super().__init__(config)
        self._app = app

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        hub = getattr(self._app.state, "hub", None)
        if hub is not None:
            hub.close_all("the sidecar is shutting down")
        await super().shutdown(sockets)
