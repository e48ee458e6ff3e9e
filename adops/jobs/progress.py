"""Progress of a running job: coalesced, stored as the workflow's `progress` event and published.

A sync reports after every account and a fit after every bootstrap curve: hundreds of calls. The
reporter writes at most one update per `interval` seconds (and always the last one, and the first),
so the event log and the DBOS database see a few writes a second at most, never one per call.

It may be called from a thread the step started (a pool of account fetchers): DBOS finds the
running step through a context variable, so the reporter keeps a copy of the step's context and
writes inside a fresh copy of it, whatever thread calls.
"""

from __future__ import annotations

import contextvars
import threading
import time
from typing import Any

#: at most this many seconds between two stored progress updates (about two a second)
INTERVAL_S = 0.5
EVENT = "progress"


class Reporter:
    """`report(fraction, message)` for one job's running step."""

    def __init__(self, job_id: str, kind: str, interval: float = INTERVAL_S) -> None:
        self.job_id = job_id
        self.kind = kind
        self.interval = interval
        self.writes = 0
        self._context = contextvars.copy_context()
        self._lock = threading.Lock()
        self._last_write = float("-inf")
        self._pending: tuple[float, str] | None = None

    def __call__(self, fraction: float, message: str = "") -> None:
        fraction = min(max(float(fraction), 0.0), 1.0)
        with self._lock:
            self._pending = (fraction, str(message)[:300])
            now = time.monotonic()
            if now - self._last_write < self.interval and fraction < 1.0:
                return  # coalesced: the next due call (or flush) writes the latest value
            self._last_write = now
            update, self._pending = self._pending, None
        self._write(*update)

    def flush(self) -> None:
        """Write the latest update if one is still held back (the step is about to end)."""
        with self._lock:
            update, self._pending = self._pending, None
        if update is not None:
            self._write(*update)

    def _write(self, fraction: float, message: str) -> None:
        from dbos import DBOS

        from adops.store import events

        value: dict[str, Any] = {"fraction": round(fraction, 4), "message": message}
        self._context.copy().run(DBOS.set_event, EVENT, value)
        events.publish(
            "job.progress",
            {"job_id": self.job_id, "kind": self.kind, "progress": value["fraction"], "message": message},
        )
        self.writes += 1
