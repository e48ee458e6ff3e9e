"""The event log: stored first, then fanned out (SSE), so nobody misses one."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Engine, Text, func, or_, select, type_coerce
from sqlalchemy.orm import Session

from adops.store.db import engine, session
from adops.store.models import Event


def publish(type: str, data: dict[str, Any] | None = None, *, bind: Engine | None = None) -> int:
    """Store an event and return its id.

    `bind`: an engine the caller already holds (the sidecar resolves its workspace once, which
    saves reading the settings on every event of a busy stream).
    """
    with session() if bind is None else _session(bind) as s:
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


def feed(
    after_id: int = 0,
    limit: int = 500,
    types: tuple[str, ...] = (),
    prefixes: tuple[str, ...] = (),
    *,
    bind: Engine | None = None,
) -> list[tuple[int, str, str]]:
    """(id, type, data as JSON text) of the events above `after_id`, oldest first, for the SSE hub.

    The stored JSON is passed through as text (no parse and re-dump per event), and the type
    filter runs in SQL: `types` are exact names, `prefixes` match the start of the type.
    """
    q = (
        select(Event.id, Event.type, type_coerce(Event.data, Text))
        .where(Event.id > after_id)
        .order_by(Event.id)
        .limit(limit)
    )
    if types or prefixes:
        q = q.where(_type_filter(types, prefixes))
    with (bind or engine()).connect() as conn:
        rows = conn.execute(q).all()
    return [(int(i), str(t), d if isinstance(d, str) else json.dumps(d)) for i, t, d in rows]


def _type_filter(types: tuple[str, ...], prefixes: tuple[str, ...]) -> ColumnElement[bool]:
    clauses: list[ColumnElement[bool]] = [Event.type.startswith(p, autoescape=True) for p in prefixes]
    if types:
        clauses.append(Event.type.in_(types))
    return or_(*clauses)


def recent(limit: int = 50, prefix: str = "") -> list[Event]:
    """The latest events, newest first."""
    with session() as s:
        q = select(Event).order_by(Event.id.desc()).limit(limit)
        if prefix:
            q = q.where(Event.type.startswith(prefix))
        return list(s.scalars(q))


def last_id(*, bind: Engine | None = None) -> int:
    """The newest event's id (0 for none)."""
    with (bind or engine()).connect() as conn:
        return int(conn.scalar(select(func.max(Event.id))) or 0)


@contextmanager
def _session(bind: Engine) -> Iterator[Session]:
    with Session(bind, expire_on_commit=False) as s, s.begin():
        yield s
