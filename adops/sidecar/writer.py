"""The sidecar's event writer: one thread stores the events POSTed to it, many per transaction.

Under a burst of POST /events, one insert and commit per request (each on its own worker thread)
costs more than the request itself; queued to one writer they are stored together (group commit)
and each request still gets its own id once its event is stored, before its 201. Like datasette's
write queue: one writer, many readers.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, insert

from adops.store.models import Event

MAX_BATCH = 500

_Item = tuple[str, dict[str, Any], asyncio.Future[int]]


class EventWriter:
    """Stores events in batches on one thread; `await publish(type, data)` returns the stored id."""

    def __init__(self, engine: Callable[[], Engine]) -> None:
        self._engine = engine
        self._queue: queue.SimpleQueue[_Item | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._thread = threading.Thread(target=self._run, name="adops-event-writer", daemon=True)
        self._thread.start()

    async def stop(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            await asyncio.to_thread(self._thread.join, 10)
            self._thread = None

    async def publish(self, event_type: str, data: dict[str, Any]) -> int:
        if self._thread is None:
            raise RuntimeError("the event writer is not running")
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._queue.put((event_type, data, future))
        return await future

    def _run(self) -> None:
        assert self._loop is not None
        while (item := self._queue.get()) is not None:
            batch = [item]
            stop = False
            while len(batch) < MAX_BATCH:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stop = True
                    break
                batch.append(more)
            try:
                ids: list[int] | BaseException = self._store(batch)
            except Exception as exc:  # every waiting request gets the error (500 JSON), none is lost silently
                ids = exc
            self._loop.call_soon_threadsafe(_resolve, [f for _, _, f in batch], ids)
            if stop:
                return

    def _store(self, batch: list[_Item]) -> list[int]:
        now = datetime.now(UTC)
        rows = [{"type": t, "data": d, "created_at": now} for t, d, _ in batch]
        with self._engine().begin() as conn:
            result = conn.execute(insert(Event).returning(Event.id, sort_by_parameter_order=True), rows)
            return [int(i) for i in result.scalars()]


def _resolve(futures: list[asyncio.Future[int]], ids: list[int] | BaseException) -> None:
    for i, future in enumerate(futures):
        if future.done():  # the request went away meanwhile; its event is stored all the same
            continue
        if isinstance(ids, BaseException):
            future.set_exception(ids)
        else:
            future.set_result(ids[i])
