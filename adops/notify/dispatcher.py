"""The sidecar's one reader of new events for outgoing webhooks and notifications.

It reads the event log after its cursor (kept in the store, so a restart carries on where it
stopped and nothing stored while the sidecar was down is missed), plans one delivery per
(event, subscribed endpoint) and one notification per (event, channel a rule routes it to), moves
the cursor in the same transaction, and starts each one's DBOS workflow under the delivery's own
id: starting it again after a restart attaches to the first run, so nothing is sent twice. It also
feeds the job metrics (`adops.metrics`) from the events it reads, and every `digest_every_s`
starts the digests of held notifications whose channel may send again.

On its first start in a workspace the cursor is set to the newest event: history is not sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from adops import config, metrics, store
from adops.notify import deliveries, notifications
from adops.notify.rules import matches
from adops.store.models import DispatchCursor, Event

log = logging.getLogger("adops.notify")
CURSOR = "deliveries"
POLL_S = 0.25
BATCH = 500
DIGEST_EVERY_S = 30.0
FIRST_ATTEMPTS_AT_ONCE = 64


class Dispatcher:
    """Plans and starts deliveries and notifications for the events stored after its cursor."""

    def __init__(
        self,
        *,
        poll_s: float = POLL_S,
        batch: int = BATCH,
        schedule: list[float] | None = None,
        notify_schedule: list[float] | None = None,
        digest_every_s: float = DIGEST_EVERY_S,
        settings: Callable[[], config.Config] = config.load,
    ) -> None:
        self.poll_s = poll_s
        self.batch = batch
        self.schedule = schedule
        self.notify_schedule = notify_schedule
        self.digest_every_s = digest_every_s
        self._settings = settings
        self.engine: Engine | None = None
        self.cursor = 0
        self.planned = 0
        self.errors = 0
        self.last_error: str | None = None
        self.last_pass: float | None = None
        self._started: set[str] = set()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._next_digest = 0.0

    async def start(self, background: bool = True) -> None:
        """Resolve the store, read (or set) the cursor, and run the loop in the background
        (`background=False`: the caller runs `step()` itself, as tests do)."""
        self.engine = await asyncio.to_thread(store.engine)
        self.cursor = await asyncio.to_thread(_cursor, self.engine)
        if background:
            self._task = asyncio.create_task(self._run(), name="adops-deliveries")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def nudge(self) -> None:
        """An event was stored: look now rather than at the next poll."""
        self._wake.set()

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def stats(self) -> dict[str, Any]:
        return {
            "running": self.running,
            "cursor": self.cursor,
            "planned": self.planned,
            "errors": self.errors,
            "last_error": self.last_error,
        }

    async def _run(self) -> None:
        while True:
            try:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.poll_s)
                self._wake.clear()
                while await self.step() >= self.batch:
                    pass  # more waiting: read on at once
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the store may be briefly unavailable: keep going
                self.errors += 1
                self.last_error = f"{type(exc).__name__}: {exc}"[:300]
                log.exception("deliveries: dispatching failed")
                await asyncio.sleep(1.0)

    async def step(self) -> int:
        """One pass: plan what the new events ask for, then start what is planned. Returns events read."""
        assert self.engine is not None, "start() first"
        cfg = self._settings()
        rows = await asyncio.to_thread(_read, self.engine, self.cursor, self.batch)
        if rows:
            plans, notes = _plan(cfg, rows)
            await asyncio.to_thread(_commit, self.engine, plans, notes, rows[-1][0])
            self.cursor = rows[-1][0]
            self.planned += len(plans) + len(notes)
            for _, event_type, data, created_at in rows:
                metrics.observe_event(event_type, data, _aware(created_at))
        await self._start_queued()
        now = time.monotonic()
        if now >= self._next_digest:
            self._next_digest = now + self.digest_every_s
            await notifications.start_digests(cfg, self.notify_schedule)
        self.last_pass = time.time()
        return len(rows)

    async def _start_queued(self) -> None:
        from dbos import DBOS, SetWorkflowID

        assert self.engine is not None
        todo = await asyncio.to_thread(deliveries.queued, self.engine, self.batch)
        fresh = [(d, w) for d, w in todo if w not in self._started]
        if fresh:
            gate = asyncio.Semaphore(FIRST_ATTEMPTS_AT_ONCE)
            await asyncio.gather(*(self._first_attempt(d, w, gate) for d, w in fresh))
        for note_id, workflow_id in await asyncio.to_thread(notifications.queued, self.engine, self.batch):
            if workflow_id not in self._started:
                with SetWorkflowID(workflow_id):
                    await DBOS.start_workflow_async(
                        notifications.notification_workflow, note_id, self.notify_schedule
                    )
                self._remember(workflow_id)
            await asyncio.to_thread(notifications.mark_started, self.engine, note_id)

    async def _first_attempt(self, delivery: str, workflow_id: str, gate: asyncio.Semaphore) -> None:
        """Try a planned delivery once, here; only one to retry gets its durable workflow.

        Until this attempt is recorded (or its workflow started) the delivery stays `queued`, so
        a crash in between makes the next dispatcher try it again (the same `webhook-id`).
        """
        from dbos import DBOS, SetWorkflowID

        async with gate:
            outcome = await deliveries.attempt_only(
                delivery, 1, self.schedule or list(deliveries.outgoing.SCHEDULE)
            )
            if outcome["delay"] is None:
                await deliveries.record_step(delivery, outcome, only_if_queued=True)
            else:
                with SetWorkflowID(workflow_id):
                    await DBOS.start_workflow_async(
                        deliveries.delivery_workflow, delivery, self.schedule, outcome
                    )
            self._remember(workflow_id)

    def _remember(self, workflow_id: str) -> None:
        if len(self._started) > 100_000:
            self._started.clear()  # only an optimisation: starting again attaches to the same run
        self._started.add(workflow_id)


def _plan(
    cfg: config.Config, rows: list[tuple[int, str, Any, datetime]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The deliveries and notifications these events ask for under the current settings."""
    endpoints = list(cfg.webhooks.endpoints) if cfg.webhooks else []
    plans: list[dict[str, Any]] = []
    notes: list[dict[str, Any]] = []
    for event_id, event_type, data, _ in rows:
        for endpoint in endpoints:
            if matches(endpoint.events, event_type):
                plans.append(
                    {
                        "id": deliveries.delivery_id(event_id, endpoint.url),
                        "endpoint": endpoint.url,
                        "event_id": event_id,
                        "event_type": event_type,
                    }
                )
        notes.extend(notifications.plan(cfg, event_id, event_type, data))
    return plans, notes


def _read(bind: Engine, after: int, limit: int) -> list[tuple[int, str, Any, datetime]]:
    with bind.connect() as conn:
        rows = conn.execute(
            select(Event.id, Event.type, Event.data, Event.created_at)
            .where(Event.id > after)
            .order_by(Event.id)
            .limit(limit)
        ).all()
    return [(int(r[0]), str(r[1]), r[2], r[3]) for r in rows]


def _commit(bind: Engine, plans: list[dict[str, Any]], notes: list[dict[str, Any]], cursor: int) -> None:
    """Store the plans, then the cursor (a crash in between re-plans the same ids: skipped)."""
    deliveries.plan_rows(bind, plans)
    notifications.plan_rows(bind, notes)
    with bind.begin() as conn:
        conn.execute(
            update(DispatchCursor)
            .where(DispatchCursor.name == CURSOR)
            .values(last_event_id=cursor, updated_at=datetime.now(UTC))
        )


def _cursor(bind: Engine) -> int:
    """The stored cursor; on the first start, the newest event's id (history is not sent)."""
    with bind.connect() as conn:
        found = conn.scalar(select(DispatchCursor.last_event_id).where(DispatchCursor.name == CURSOR))
    if found is not None:
        return int(found)
    from adops.store import events

    newest = events.last_id(bind=bind)
    try:
        with bind.begin() as conn:
            conn.execute(
                insert(DispatchCursor).values(name=CURSOR, last_event_id=newest, updated_at=datetime.now(UTC))
            )
    except IntegrityError:
        return _cursor(bind)
    return newest


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)
