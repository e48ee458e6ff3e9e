"""The event log: stored first, then fanned out (SSE), so nobody misses one."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from adops.store.db import session
from adops.store.models import Event


def publish(type: str, data: dict[str, Any] | None = None) -> int:
    """Store an event and return its id."""
    with session() as s:
        ev = Event(type=type, data=data or {}, created_at=datetime.now(UTC))
        s.add(ev)
        s.flush()
        return int(ev.id)


def after(last_id: int = 0, limit: int = 500, types: tuple[str, ...] = ()) -> list[Event]:
    """Events with an id above `last_id`, oldest first."""
    with session() as s:
        q = select(Event).where(Event.id > last_id).order_by(Event.id).limit(limit)
        if types:
            q = q.where(Event.type.in_(types))
        return list(s.scalars(q))


def recent(limit: int = 50, prefix: str = "") -> list[Event]:
    """The latest events, newest first."""
    with session() as s:
        q = select(Event).order_by(Event.id.desc()).limit(limit)
        if prefix:
            q = q.where(Event.type.startswith(prefix))
        return list(s.scalars(q))


def last_id() -> int:
    with session() as s:
        return int(s.scalar(select(func.max(Event.id))) or 0)
