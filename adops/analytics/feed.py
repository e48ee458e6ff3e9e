"""What the Live monitoring feed shows before its stream opens, and the words it uses.

The page draws the latest events itself (each with the time it was stored) and opens the sidecar's
stream right after the newest of them, so nothing is shown twice or missed. The vocabulary maps what
events carry (job kinds, metric names, platform and account keys) to what people read.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from sqlalchemy import func, select

from adops.analytics.kpis import LABELS as METRIC_LABELS
from adops.config import PLATFORM_NAMES

#: the most events the page draws before the stream opens
MAX_BACKLOG = 200


@dataclass(frozen=True)
class Backlog:
    """The latest events of the wanted types (oldest first) and the id the stream resumes after."""

    last_id: int
    events: list[dict[str, Any]]


def backlog(types: Iterable[str], limit: int = 30) -> Backlog:
    """Up to `limit` of the newest events whose type is in `types`, each as {id, type, at, data}
    (`at`: ISO 8601 in UTC), and the newest event id of any type: the stream starts after it."""
    from adops import store
    from adops.store.models import Event

    wanted = sorted(set(types))
    limit = max(0, min(int(limit), MAX_BACKLOG))
    with store.session() as s:
        last = int(s.scalar(select(func.max(Event.id))) or 0)
        rows = (
            list(
                s.scalars(
                    select(Event)
                    .where(Event.id <= last, Event.type.in_(wanted))
                    .order_by(Event.id.desc())
                    .limit(limit)
                )
            )
            if wanted and limit
            else []
        )
    events = [
        {
            "id": int(r.id),
            "type": str(r.type),
            "at": (r.created_at if r.created_at.tzinfo else r.created_at.replace(tzinfo=UTC)).isoformat(),
            "data": r.data if isinstance(r.data, dict) else {},
        }
        for r in reversed(rows)
    ]
    return Backlog(last, events)


def vocabulary() -> dict[str, dict[str, str]]:
    """Labels for what events carry: platforms, accounts (`platform:account_id`), job kinds, metrics."""
    from adops import names
    from adops.jobs.kinds import KINDS

    accounts = {f"{p}:{a}": n for (p, a), n in names.account_names().items()}
    return {
        "platforms": dict(PLATFORM_NAMES),
        "accounts": accounts,
        "kinds": {k.name: k.title for k in KINDS.values()},
        "metrics": dict(METRIC_LABELS),
    }
