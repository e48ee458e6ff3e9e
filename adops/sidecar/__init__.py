"""The sidecar (`adops serve`): the one long-running worker next to the app.

Serves /health, the SSE event stream with Last-Event-ID replay, event ingress and Standard
Webhooks; hosts the scheduler that runs configured syncs and queued jobs.
"""

from __future__ import annotations

import logging

from adops.sidecar.app import create_app


def run(host: str = "127.0.0.1", port: int = 8765) -> None:
    import uvicorn

    from adops.scheduler import Scheduler

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # not a line per worker poll
    from adops.sidecar.server import Server

    app = create_app(Scheduler(), host=host)
    config = uvicorn.Config(app, host=host, port=port, log_level="info", timeout_graceful_shutdown=5)
    Server(config, app).run()


__all__ = ["create_app", "run"]
