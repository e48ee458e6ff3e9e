"""Notifications: events routed by `[[notifications.rules]]` to Slack, Discord or e-mail, durably.

The dispatcher plans one notification per (event, channel) (`notifications` table, unique), and
starts its DBOS workflow `notify.send`: a `decide` step (quiet hours, then the channel's rate limit:
a held notification waits for a digest), then one step per send attempt with a durable sleep
between them (a 429's `retry_after` / `Retry-After` is honoured). Held notifications of a channel
are collected into one digest message when the channel may send again (quiet hours over, room in
its rate window): the digest is a notification row of its own, sent by the same workflow.
"""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from dbos import DBOS, StepOptions
from sqlalchemy import Engine, func, insert, select, update

from adops import config, store
from adops.errors import AdopsError
from adops.notify import channels, rules, templates
from adops.store.models import Event, Notification

WORKFLOW = "notify.send"
#: seconds before each send attempt (then the notification is failed); a 429's wait is honoured
SCHEDULE: tuple[float, ...] = (0, 5, 30, 120, 600)
MAX_DIGEST = 200
_decide_lock = threading.Lock()


def plan(cfg: config.Config, event_id: int, event_type: str, data: Any) -> list[dict[str, Any]]:
    """The notifications one event asks for (one per channel its rules pick)."""
    if event_type.startswith("notify."):
        return []  # never notify about notifications
    severity = rules.severity_of(data)
    return [
        {"event_id": event_id, "event_type": event_type[:100], "channel": c, "severity": severity}
        for c in rules.channels_for(cfg, event_type, severity)
    ]


def plan_rows(bind: Engine, rows: list[dict[str, Any]]) -> None:
    """Insert planned notifications (`queued`), skipping (event, channel) pairs already planned."""
    if not rows:
        return
    now = datetime.now(UTC)
    with bind.begin() as conn:
        known = set(
            conn.execute(
                select(Notification.event_id, Notification.channel).where(
                    Notification.event_id.in_({r["event_id"] for r in rows})
                )
            ).all()
        )
        fresh = [
            {**r, "status": "queued", "attempts": 0, "created_at": now}
            for r in rows
            if (r["event_id"], r["channel"]) not in known
        ]
        if fresh:
            conn.execute(insert(Notification), fresh)


def queued(bind: Engine, limit: int = 500) -> list[tuple[int, str]]:
    """(id, workflow id) of planned notifications whose workflow may not have started."""
    with bind.connect() as conn:
        ids = conn.scalars(
            select(Notification.id)
            .where(Notification.status == "queued")
            .order_by(Notification.id)
            .limit(limit)
        ).all()
    return [(int(i), f"notify-{i}") for i in ids]


def mark_started(bind: Engine, note_id: int) -> None:
    with bind.begin() as conn:
        conn.execute(
            update(Notification)
            .where(Notification.id == note_id, Notification.status == "queued")
            .values(status="pending")
        )


def recent(limit: int = 50, channel: str | None = None) -> list[dict[str, Any]]:
    """The notification log, newest first (for `adops notify log`)."""
    q = select(Notification).order_by(Notification.id.desc()).limit(limit)
    if channel:
        q = q.where(Notification.channel == channel)
    with store.session() as s:
        return [
            {
                "id": n.id,
                "event_id": n.event_id,
                "event_type": n.event_type,
                "channel": n.channel,
                "severity": n.severity,
                "status": "pending" if n.status == "queued" else n.status,
                "attempts": n.attempts,
                "digest_id": n.digest_id,
                "error": n.error,
                "sent_at": _iso(n.sent_at),
            }
            for n in s.scalars(q)
        ]


# ---------------------------------------------------------------------------- the workflow


@DBOS.workflow(name=WORKFLOW, max_recovery_attempts=50)
async def notification_workflow(note_id: int, schedule: list[float] | None = None) -> dict[str, Any]:
    """Decide (quiet hours, rate limit), then send with retries; a held one waits for a digest."""
    verdict: str = await DBOS.run_step_async(StepOptions(name="decide"), decide_step, note_id)
    if verdict != "send":
        return {"status": verdict}
    plan = list(schedule) if schedule else list(SCHEDULE)
    attempt = 0
    while True:
        attempt += 1
        outcome: dict[str, Any] = await DBOS.run_step_async(
            StepOptions(name=f"send {attempt}"), send_step, note_id, attempt, plan
        )
        if outcome["delay"] is None:
            return outcome
        await DBOS.sleep_async(float(outcome["delay"]))


async def decide_step(note_id: int) -> str:
    return await asyncio.to_thread(decide, store.engine(), note_id, config.load(), datetime.now(UTC))


def decide(bind: Engine, note_id: int, cfg: config.Config, now: datetime) -> str:
    """`send` (the slot is taken: status sending), `held`, or `done` (handled already)."""
    limit = cfg.notifications.rate_limit if cfg.notifications else None
    with _decide_lock, bind.begin() as conn:
        row = conn.execute(
            select(
                Notification.channel, Notification.severity, Notification.status, Notification.event_id
            ).where(Notification.id == note_id)
        ).first()
        if row is None or row.status not in ("pending", "queued"):
            return "done"
        if row.event_id is not None:  # a digest was checked when it was made
            if rules.quiet(cfg, now, row.severity):
                return _hold(conn, note_id, "quiet hours")
            if (
                limit is not None
                and _sent_within(conn, row.channel, now, limit.per_minutes) >= limit.messages
            ):
                return _hold(conn, note_id, f"rate limit: {limit.messages} per {limit.per_minutes} min")
        conn.execute(
            update(Notification).where(Notification.id == note_id).values(status="sending", sent_at=now)
        )
    return "send"


def _hold(conn: Any, note_id: int, why: str) -> str:
    conn.execute(update(Notification).where(Notification.id == note_id).values(status="held", error=why))
    from adops import metrics

    channel = conn.scalar(select(Notification.channel).where(Notification.id == note_id))
    metrics.NOTIFICATIONS.labels(channel=str(channel), outcome="held").inc()
    return "held"


def _sent_within(conn: Any, channel: str, now: datetime, minutes: int) -> int:
    return int(
        conn.scalar(
            select(func.count()).where(
                Notification.channel == channel,
                Notification.status.in_(("sending", "sent")),
                Notification.sent_at > now - timedelta(minutes=minutes),
            )
        )
        or 0
    )


async def send_step(note_id: int, attempt: int, schedule: list[float]) -> dict[str, Any]:
    """One send attempt; `delay` None ends the workflow (sent or failed)."""
    from adops import metrics

    bind = store.engine()
    cfg = config.load()
    channel, message = await asyncio.to_thread(_message, bind, cfg, note_id)
    try:
        sent = await channels.send(cfg, channel, message)
    except AdopsError as exc:  # the channel left the settings, a variable is unset, a template fails
        sent = channels.Sent(False, error=str(exc)[:300], retryable=False)
    delay: float | None = None
    if sent.ok:
        status = "sent"
    elif sent.retryable and attempt < len(schedule):
        status, delay = "sending", max(float(schedule[attempt]), sent.retry_after or 0.0)
    else:
        status = "failed"
    now = datetime.now(UTC)
    await asyncio.to_thread(_record, bind, note_id, status, sent.error, now)
    if status != "sending":
        metrics.NOTIFICATIONS.labels(channel=channel, outcome=status).inc()
    return {"status": status, "code": sent.status_code, "delay": delay, "error": sent.error}


def _message(bind: Engine, cfg: config.Config, note_id: int) -> tuple[str, templates.Message]:
    tmpl = dict(cfg.notifications.templates) if cfg.notifications else {}
    with bind.connect() as conn:
        note = conn.execute(select(Notification).where(Notification.id == note_id)).one()
        if note.event_id is None:  # a digest: the held ones it carries
            held = conn.execute(
                select(
                    Notification.event_id,
                    Notification.event_type,
                    Notification.severity,
                    Notification.created_at,
                )
                .where(Notification.digest_id == note_id)
                .order_by(Notification.id)
            ).all()
            events = [templates.event_context(e, t, s, _iso(c) or "", {}) for e, t, s, c in held]
            return note.channel, templates.for_digest(tmpl, events)
        ev = conn.execute(
            select(Event.type, Event.data, Event.created_at).where(Event.id == note.event_id)
        ).first()
    data = ev.data if ev is not None else {}
    context = templates.event_context(
        note.event_id, note.event_type, note.severity, (_iso(ev.created_at) if ev else None) or "", data
    )
    return note.channel, templates.for_event(tmpl, context)


def _record(bind: Engine, note_id: int, status: str, error: str | None, now: datetime) -> None:
    values: dict[str, Any] = {"status": status, "attempts": Notification.attempts + 1, "error": error}
    if status == "sent":
        values["sent_at"] = now
    with bind.begin() as conn:
        conn.execute(update(Notification).where(Notification.id == note_id).values(**values))


# ---------------------------------------------------------------------------- digests


async def start_digests(cfg: config.Config, schedule: list[float] | None = None) -> list[int]:
    """Make one digest per channel whose held notifications may go now; the dispatcher starts them."""
    return await asyncio.to_thread(make_digests, store.engine(), cfg, datetime.now(UTC))


def make_digests(bind: Engine, cfg: config.Config, now: datetime) -> list[int]:
    """For each channel with held notifications, outside quiet hours and with room in its rate window,
    a digest row (`queued`) that claims up to MAX_DIGEST of them. Returns the digests' ids."""
    if cfg.notifications is None or rules.quiet(cfg, now, "info"):
        return []
    limit = cfg.notifications.rate_limit
    made: list[int] = []
    with _decide_lock, bind.begin() as conn:
        channels_held = conn.scalars(
            select(Notification.channel).where(Notification.status == "held").distinct()
        ).all()
        for channel in channels_held:
            if _sent_within(conn, channel, now, limit.per_minutes) >= limit.messages:
                continue
            ids = conn.scalars(
                select(Notification.id)
                .where(Notification.channel == channel, Notification.status == "held")
                .order_by(Notification.id)
                .limit(MAX_DIGEST)
            ).all()
            worst = conn.scalars(select(Notification.severity).where(Notification.id.in_(ids))).all()
            severity = max(worst, key=rules.RANK.__getitem__, default="info")
            digest_id = conn.execute(
                insert(Notification)
                .values(
                    event_id=None,
                    event_type="digest",
                    channel=channel,
                    severity=severity,
                    status="queued",
                    attempts=0,
                    created_at=now,
                )
                .returning(Notification.id)
            ).scalar_one()
            conn.execute(
                update(Notification)
                .where(Notification.id.in_(ids))
                .values(status="digested", digest_id=digest_id)
            )
            made.append(int(digest_id))
    return made


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()
