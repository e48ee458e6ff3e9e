"""The sidecar (`adops serve`): the one long-running worker next to the app.

Serves /health, the SSE event stream with Last-Event-ID replay, event ingress and Standard
Webhooks; runs the durable jobs and cron schedules (DBOS, `adops.jobs.worker`).

Start order matters: the port is bound first, then the workspace's sidecar lock is taken and DBOS
launched (recovering jobs a killed sidecar left), and only then does uvicorn serve. A second
`adops serve` whose port is taken stops at the first step, one on another port at the second:
neither ever launches DBOS, so neither can claim or re-run the live sidecar's jobs.
"""

from __future__ import annotations

import logging
import socket

from adops.errors import Conflict
from adops.sidecar.app import create_app


def run(host: str = "127.0.0.1", port: int = 8765) -> None:
    import uvicorn

    from adops.jobs.worker import Worker
    from adops.sidecar import logs

    logs.configure()  # JSON lines; no access line per /health or /metrics poll
    logging.getLogger("dbos").setLevel(logging.WARNING)  # not a line per launch detail
    from adops.sidecar.server import Server

    sock = bind(host, port)
    worker = Worker()
    try:
        worker.start()
        app = create_app(worker, host=host, freeze_heap=True)
        config = uvicorn.Config(
            app, host=host, port=port, log_level="info", log_config=None, timeout_graceful_shutdown=5
        )
        logging.getLogger("adops.sidecar").info("sidecar on http://%s:%d", host, sock.getsockname()[1])
        Server(config, app).run(sockets=[sock])
    finally:
        worker.stop()
        sock.close()


def bind(host: str, port: int) -> socket.socket:
    """The sidecar's listening socket, bound before anything else starts (see the module)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family=family)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise Conflict(
            f"cannot listen on {host}:{port} ({exc.strerror or exc}): another sidecar may be running; "
            "choose another port with --port"
        ) from None
    sock.set_inheritable(True)
    return sock


__all__ = ["bind", "create_app", "run"]
