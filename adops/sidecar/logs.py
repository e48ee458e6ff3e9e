"""The sidecar's logs: one JSON object per line (python-json-logger), and no line per health poll.

Every record carries `time`, `level`, `logger` and `message`; uvicorn's access lines also carry
`client`, `method`, `path` and `status` as fields. `GET /health` and `GET /metrics` are polled by
supervisors and Prometheus every few seconds, so their access lines are dropped (a failing one
still shows: only 2xx/3xx answers are dropped).
"""

from __future__ import annotations

import logging
import sys
from typing import Any

POLLED = ("/health", "/metrics")


class QuietPolls(logging.Filter):
    """Drop uvicorn's access line for a successful health or metrics poll."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 5:
            path, status = str(args[2]).split("?", 1)[0], args[4]
            if path in POLLED and isinstance(status, int) and status < 400:
                return False
        return True


class AccessFields(logging.Filter):
    """Give uvicorn's access records structured fields (client, method, path, status)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 5:
            record.client, record.method, record.path, _, record.status = args[:5]
        return True


def formatter() -> logging.Formatter:
    from pythonjsonlogger.json import JsonFormatter

    return JsonFormatter(
        "%(asctime)s %(levelname)s %(name)s %(message)s",
        rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        datefmt="%Y-%m-%dT%H:%M:%S%z",
    )


def configure(level: int = logging.INFO, stream: Any = None) -> logging.Handler:
    """Send every log record of the process to `stream` (stderr) as JSON lines; returns the handler."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(formatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    logging.getLogger("alembic").setLevel(logging.WARNING)  # not a line per migration plugin
    quiet_polls()
    return handler


def quiet_polls() -> None:
    """Attach the access-log filters once (idempotent)."""
    access = logging.getLogger("uvicorn.access")
    for kind in (QuietPolls, AccessFields):
        if not any(isinstance(f, kind) for f in access.filters):
            access.addFilter(kind())
