"""The SSE hub: one reader of the event log fanning out to every connected client.

Events are stored first (the event log in the operational store), then sent. One task per
process reads what is new since the last id it saw, whoever wrote it (this sidecar, the CLI, a
page), and appends each batch to bounded per-client buffers; each client's response writes its
buffer out. Batches are flushed every few milliseconds (more clients, longer batches: the cost of a
flush grows with the clients, the cost of an event does not), a frame is encoded once per batch
and type filter, and a client that cannot keep up is dropped rather than slowing the others (its
browser reconnects with Last-Event-ID and misses nothing).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine

from adops import store
from adops.errors import Conflict, InputError
from adops.store import events as event_log

log = logging.getLogger(__name__)

Row = tuple[int, str, str]  # id, type, data as JSON text

HEARTBEAT_S = 15.0
MAX_CLIENTS = 2000
MAX_PENDING_BYTES = 8 * 1024 * 1024  # a client further behind than this is dropped
MAX_PENDING_CHUNKS = 2000
POLL_S = 0.02  # how often the store is read for events other processes wrote
GAP_WAIT_S = 2.0  # how long a missing id holds back the events after it (not with SQLite)
READ_LIMIT = 500  # rows per read of the store
MAX_TYPES = 20
MIN_FLUSH_S = 0.002
MAX_FLUSH_S = 0.025
FLUSH_S_PER_CLIENT = 0.000025
_TYPE_PATTERN = re.compile(r"[A-Za-z0-9_.:\-]{1,100}\*?")
PING = b": ping\n\n"


class HubFull(Conflict):
    """The sidecar already serves as many event streams as it allows."""

    http_status = 503


def flush_interval(clients: int) -> float:
    """Seconds between two flushes: 2 ms for a few clients, growing to 25 ms at a thousand and more.

    A flush costs one socket write per client (about 10-16 µs each on loopback here, so 11-15 ms
    for a thousand clients), and an event waits at most one interval plus one flush. Measured at
    1,000 clients and 1,000 events/s (benchmarks/bench_sidecar.py, load 2.5-2.8): 20 ms kept the
    sidecar busy flushing, POSTs queued behind it and p99 was 70-80 ms; 25 ms gave p99 42-43 ms;
    30 ms 44-54 ms; 40 ms let the interval itself push p99 past 60 ms.
    """
    return min(MAX_FLUSH_S, max(MIN_FLUSH_S, clients * FLUSH_S_PER_CLIENT))


@dataclass(frozen=True)
class TypeFilter:
    """Which event types a client wants: exact names, and prefixes written with a trailing `*`."""

    exact: frozenset[str] = frozenset()
    prefixes: tuple[str, ...] = ()

    @classmethod
    def parse(cls, text: str | None) -> TypeFilter | None:
        """`?types=a,b.*` → a filter; empty → None (everything). Raises InputError when malformed."""
        names = [t.strip() for t in (text or "").split(",") if t.strip()]
        if not names:
            return None
        if len(names) > MAX_TYPES:
            raise InputError(f"types: at most {MAX_TYPES} names")
        bad = next((n for n in names if not _TYPE_PATTERN.fullmatch(n)), None)
        if bad is not None:
            raise InputError("types: names are letters, digits and _ . : - (a trailing * for a prefix)")
        exact = frozenset(n for n in names if not n.endswith("*"))
        prefixes = tuple(sorted({n[:-1] for n in names if n.endswith("*")}))
        return cls(exact, prefixes)

    def matches(self, event_type: str) -> bool:
        return event_type in self.exact or any(event_type.startswith(p) for p in self.prefixes)

    def sql(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(exact names, prefixes) as `store.events.feed` takes them."""
        return tuple(sorted(self.exact)), self.prefixes


def encode(row: Row) -> bytes:
    """One SSE frame; the data is the stored JSON text (one line), the type one line."""
    event_id, event_type, data = row
    if "\n" in data or "\r" in data:
        data = json.dumps(json.loads(data))
    event_type = event_type.replace("\r", " ").replace("\n", " ")
    return f"id: {event_id}\nevent: {event_type}\ndata: {data}\n\n".encode()


def chunked(chunk: bytes) -> bytes:
    """`chunk` as one HTTP/1.1 chunk (size line, bytes, CRLF), for writing straight to a socket."""
    return b"%x\r\n%b\r\n" % (len(chunk), chunk)


@dataclass(eq=False)
class Subscriber:
    """One connected client: its filter, and the frames waiting to be written to it or its socket.

    Until it is attached to its connection's transport (after the replay), chunks queue in
    `pending` and the client's own response task writes them. Attached, the hub writes each
    batch straight to the transport, from its one task: no task wakes per client per batch.
    """

    types: TypeFilter | None
    floor: int  # the hub's last id when it joined: later events arrive live, earlier ones by replay
    max_bytes: int = MAX_PENDING_BYTES
    max_chunks: int = MAX_PENDING_CHUNKS
    pending: list[bytes] = field(default_factory=list)
    pending_bytes: int = 0
    closed: bool = False
    dropped: bool = False  # closed for being too slow: what is queued is abandoned
    reason: str = ""
    writer: asyncio.Task[Any] | None = (
        None  # the response task, cancelled if it is stuck writing when dropped
    )
    writing: bool = False
    transport: asyncio.WriteTransport | None = None  # attached: the hub writes chunked frames to it
    _wake: asyncio.Event = field(default_factory=asyncio.Event)

    def attach(self, transport: asyncio.WriteTransport) -> bool:
        """Go direct: write what is queued, then the hub writes to this socket. False once closed.

        The caller has sent the response head with chunked transfer encoding; nothing awaits
        between the queued write and the switch, so no batch can come between them.
        """
        if self.closed or transport.is_closing():
            return False
        if self.pending:
            transport.write(chunked(b"".join(self.pending)))
            self.pending.clear()
            self.pending_bytes = 0
        self.transport = transport
        return True

    def write(self, framed: bytes) -> bool:
        """Write a chunked frame to the attached socket; False (closed or dropped) when it cannot take it."""
        transport = self.transport
        assert transport is not None
        if self.closed:
            return False
        if transport.is_closing():
            self.close("client went away")
            return False
        if transport.get_write_buffer_size() + len(framed) > self.max_bytes:
            self.drop()
            return False
        transport.write(framed)
        return True

    async def wait_closed(self) -> None:
        while not self.closed:
            self._wake.clear()
            await self._wake.wait()

    def push(self, chunk: bytes) -> bool:
        """Queue a chunk; False (and the client is dropped) when it is too far behind."""
        if self.closed:
            return False
        if self.pending and (
            len(self.pending) >= self.max_chunks or self.pending_bytes + len(chunk) > self.max_bytes
        ):  # one batch is always taken, however large: a client that keeps up is never dropped
            self.drop()
            return False
        self.pending.append(chunk)
        self.pending_bytes += len(chunk)
        self._wake.set()
        return True

    def drop(self) -> None:
        """Give up on a client that does not read: free its buffer and stop a write stuck on its socket."""
        if self.closed:
            return
        self.close("too slow: dropped, reconnect with Last-Event-ID")
        self.dropped = True
        self.pending.clear()
        self.pending_bytes = 0
        if self.transport is not None:  # its unsent bytes are freed now, not when TCP gives up
            self.transport.abort()
        elif self.writing and self.writer is not None:
            self.writer.cancel()

    def close(self, reason: str = "closed") -> None:
        if not self.closed:
            self.closed, self.reason = True, reason
            self._wake.set()

    async def take(self) -> bytes | None:
        """Everything queued so far as one chunk (waiting for some), or None once closed."""
        while not self.pending:
            if self.closed:
                return None
            self._wake.clear()
            await self._wake.wait()
        if self.dropped:
            return None
        chunk = self.pending[0] if len(self.pending) == 1 else b"".join(self.pending)
        self.pending.clear()
        self.pending_bytes = 0
        return chunk


class Hub:
    """The one reader of new events in this process, and the fan-out to its SSE clients."""

    def __init__(
        self,
        *,
        reader: Callable[[int, int], list[Row]] | None = None,
        last_id: Callable[[], int] | None = None,
        poll_s: float = POLL_S,
        heartbeat_s: float = HEARTBEAT_S,
        max_clients: int = MAX_CLIENTS,
        max_pending_bytes: int = MAX_PENDING_BYTES,
        hold_gaps: bool | None = None,
        gap_wait_s: float = GAP_WAIT_S,
    ) -> None:
        self.engine: Engine | None = None  # the workspace's store, resolved once at start
        self._read = reader or (lambda after, limit: event_log.feed(after, limit, bind=self.engine))
        self._last_id = last_id or (lambda: event_log.last_id(bind=self.engine))
        self.poll_s = poll_s
        self.heartbeat_s = heartbeat_s
        self.max_clients = max_clients
        self.max_pending_bytes = max_pending_bytes
        self.hold_gaps = hold_gaps  # None: decided at start, by the store (not SQLite: hold)
        self.gap_wait_s = gap_wait_s
        self._gaps: dict[int, float] = {}  # missing id -> when first seen missing
        self.last = 0  # the highest id fanned out (every lower one too)
        self.clients: set[Subscriber] = set()
        self.dropped = 0
        self.sent_events = 0
        self.flushes = 0  # batches (and pings) handed to every client, and the time that took
        self.flush_seconds = 0.0
        self.flush_max_s = 0.0
        self._rows: list[Row] = []  # read or offered, not yet flushed
        self._wake = asyncio.Event()  # rows are waiting to be flushed
        self._nudge = asyncio.Event()  # the store has something the reader should fetch now
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False

    async def start(self) -> None:
        """Begin at the newest stored event: clients ask for history by Last-Event-ID."""
        self.engine = await asyncio.to_thread(store.engine)
        if self.hold_gaps is None:  # SQLite commits one writer at a time: ids appear in order
            self.hold_gaps = self.engine.dialect.name != "sqlite"
        self.last = await asyncio.to_thread(self._last_id)
        self._stopping = False
        self._tasks = [
            asyncio.create_task(self._read_loop(), name="adops-sse-hub-reader"),
            asyncio.create_task(self._flush_loop(), name="adops-sse-hub-flusher"),
        ]

    async def stop(self) -> None:
        """End every stream (clients reconnect to the next sidecar) and the reader task."""
        self._stopping = True
        self.close_all("the sidecar is shutting down")
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    def close_all(self, reason: str) -> None:
        """End every stream and accept no new one (the server is stopping)."""
        self._stopping = True
        for sub in list(self.clients):
            sub.close(reason)
        self.clients.clear()

    def subscribe(self, types: TypeFilter | None) -> Subscriber:
        """A new client, live from now; raises HubFull beyond the cap."""
        if self._stopping:
            raise HubFull("the sidecar is shutting down; reconnect shortly")
        if len(self.clients) >= self.max_clients:
            raise HubFull(f"too many event streams (at most {self.max_clients}); retry later")
        sub = Subscriber(types, self.last, max_bytes=self.max_pending_bytes)
        self.clients.add(sub)
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        sub.close()
        self.clients.discard(sub)

    def offer(self, event_id: int, event_type: str, data_json: str) -> None:
        """An event this process has just stored: queue it without reading it back when it is next in line."""
        if event_id == self._next_id():
            self._rows.append((event_id, event_type, data_json))
            self._wake.set()
        elif event_id > self._next_id():
            self._nudge.set()  # out of line (another writer got the id before): the reader fetches the gap

    def nudge(self) -> None:
        """Something was stored: read the store now rather than at the next poll."""
        self._nudge.set()

    def stats(self) -> dict[str, int | float]:
        """Clients, the last id sent, clients dropped, and how long handing out batches took."""
        return {
            "clients": len(self.clients),
            "last_id": self.last,
            "dropped": self.dropped,
            "flushes": self.flushes,
            "flush_ms_total": round(self.flush_seconds * 1000, 1),
            "flush_ms_max": round(self.flush_max_s * 1000, 2),
        }

    def _next_id(self) -> int:
        return (self._rows[-1][0] if self._rows else self.last) + 1

    async def _read_loop(self) -> None:
        """Fetch what other writers stored: every `poll_s`, or at once when nudged.

        Events this process stored are offered in line and flushed without waiting for a read,
        so the read never delays them; it finds the rest (another process's events, a gap).
        """
        while True:
            try:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._nudge.wait(), self.poll_s)
                self._nudge.clear()
                after = self._rows[-1][0] if self._rows else self.last
                rows = await asyncio.to_thread(self._read, after, READ_LIMIT)
                now = time.monotonic()
                fresh = [r for r in rows if r[0] > (self._rows[-1][0] if self._rows else self.last)]
                ready = self._in_order(fresh, now) if self.hold_gaps else fresh
                if ready:
                    self._rows.extend(ready)
                    self._wake.set()
                if len(rows) >= READ_LIMIT:
                    self._nudge.set()  # more to read (a gap is looked at again at the next poll)
            except asyncio.CancelledError:
                raise
            except Exception:  # the store may be briefly unavailable: keep serving, read again later
                log.exception("event hub: reading new events failed")
                await asyncio.sleep(1.0)

    async def _flush_loop(self) -> None:
        """Flush the waiting rows at most once per `flush_interval`, and ping idle streams."""
        next_ping = time.monotonic() + self.heartbeat_s
        last_flush = 0.0
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), max(0.0, next_ping - time.monotonic()))
            # Batch: wait out the rest of the flush interval, collecting rows meanwhile.
            pause = last_flush + flush_interval(len(self.clients)) - time.monotonic()
            if pause > 0:
                await asyncio.sleep(pause)
            self._wake.clear()
            now = time.monotonic()
            if not self._rows and now < next_ping:
                continue
            try:
                if self._rows:
                    rows, self._rows = self._rows, []
                    self._flush(rows)
                    last_flush = now
                if now >= next_ping:
                    self._broadcast(PING)
                    next_ping = now + self.heartbeat_s
            except Exception:  # one client's broken socket must not stop the others' stream
                log.exception("event hub: a flush failed")
            took = time.monotonic() - now
            self.flushes += 1
            self.flush_seconds += took
            self.flush_max_s = max(self.flush_max_s, took)

    def _in_order(self, rows: list[Row], now: float) -> list[Row]:
        """The rows up to the first gap in the ids, unless that gap is older than `gap_wait_s`.

        With PostgreSQL two transactions can commit out of id order: a missing id is usually an
        event still being stored. Holding back what follows it for a moment keeps every client's
        stream in id order, so Last-Event-ID never skips it. A gap that stays (a rolled-back
        insert) is passed after the wait.
        """
        expected = (self._rows[-1][0] if self._rows else self.last) + 1
        for i, row in enumerate(rows):
            if row[0] != expected:
                since = self._gaps.setdefault(expected, now)
                if now - since < self.gap_wait_s:
                    return rows[:i]
            expected = row[0] + 1
        self._gaps = {k: v for k, v in self._gaps.items() if k >= expected}
        return rows

    def _flush(self, rows: Sequence[Row]) -> None:
        """Hand a batch to every client: encoded once, joined once per distinct filter.

        Every client with the same filter gets the same bytes object (and the same chunked
        frame, when it is attached to its socket), so a batch costs one write per client.
        """
        frames = [encode(r) for r in rows]
        self.last = rows[-1][0]
        self.sent_events += len(rows)
        chunks: dict[TypeFilter | None, bytes] = {None: b"".join(frames)}
        framed: dict[TypeFilter | None, bytes] = {}
        for sub in list(self.clients):
            key = sub.types
            chunk = chunks.get(key)
            if chunk is None:
                chunk = chunks[key] = _select(key, rows, frames)  # type: ignore[arg-type]
            if not chunk:
                continue
            if sub.transport is None:
                ok = sub.push(chunk)
            else:
                out = framed.get(key)
                if out is None:
                    out = framed[key] = chunked(chunk)
                ok = sub.write(out)
            if not ok:
                self._forget(sub)

    def _broadcast(self, chunk: bytes) -> None:
        out = chunked(chunk)
        for sub in list(self.clients):
            if not (sub.push(chunk) if sub.transport is None else sub.write(out)):
                self._forget(sub)

    def _forget(self, sub: Subscriber) -> None:
        if sub.dropped:
            self.dropped += 1
        self.clients.discard(sub)


def _select(types: TypeFilter, rows: Iterable[Row], frames: Iterable[bytes]) -> bytes:
    return b"".join(f for r, f in zip(rows, frames, strict=True) if types.matches(r[1]))
