"""`GET /health`: each part of the sidecar with `"status": "ok"|"degraded"`, and the whole.

Parts: the store (a query), the warehouse (its snapshot), DBOS (the jobs engine and its queues),
the SSE hub (clients against its cap) and the outgoing deliveries (the dispatcher, the backlog).
The answer is 503 only when the store or the warehouse cannot be read (nothing works then); a
degraded hub or delivery backlog is reported with 200, so a supervisor does not restart a sidecar
that is busy rather than broken.
"""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import func, select, text

from adops import store, warehouse
from adops.store.models import Notification

#: an unfinished-delivery count above this is reported as degraded
BACKLOG_DEGRADED = 10_000
#: a dispatcher this many events behind the newest is reported as degraded
LAG_DEGRADED = 5_000


async def report(worker: Any, hub: Any, dispatcher: Any) -> tuple[dict[str, Any], int]:
    """(the JSON body, the HTTP status)."""
    parts: dict[str, dict[str, Any]] = {}
    body: dict[str, Any] = {}
    try:
        await asyncio.to_thread(_ping)
        parts["store"] = {"status": "ok"}
        body["store"] = "ok"
    except Exception as exc:
        parts["store"] = {"status": "degraded", "error": type(exc).__name__}
        body["store"] = f"error: {type(exc).__name__}"
    try:
        versions = (await asyncio.to_thread(warehouse.snapshot)).versions
        parts["warehouse"] = {"status": "ok", "tables": len(versions)}
        body["warehouse"] = {"status": "ok", "tables": versions}
    except Exception as exc:
        parts["warehouse"] = {"status": "degraded", "error": type(exc).__name__}
        body["warehouse"] = {"status": f"error: {type(exc).__name__}"}
    jobs = await asyncio.to_thread(worker.status) if worker else {"running": False}
    body["jobs"] = jobs
    if worker is None:
        parts["dbos"] = {"status": "ok", "running": False, "note": "this app runs no jobs"}
    else:
        parts["dbos"] = {
            "status": "ok" if jobs.get("running") else "degraded",
            "running": bool(jobs.get("running")),
            "queues": jobs.get("queues", {}),
        }
    stats = hub.stats()
    body["events"] = stats
    full = stats["clients"] >= getattr(hub, "max_clients", float("inf"))
    parts["hub"] = {"status": "degraded" if full else "ok", **stats}
    parts["deliveries"] = await asyncio.to_thread(_deliveries, dispatcher, stats.get("last_id", 0))
    critical_ok = parts["store"]["status"] == "ok" and parts["warehouse"]["status"] == "ok"
    ok = all(p["status"] == "ok" for p in parts.values())
    return {"status": "ok" if ok else "degraded", **body, "parts": parts}, 200 if critical_ok else 503


def _ping() -> None:
    with store.session() as s:
        s.execute(text("SELECT 1"))


def held_and_backlog() -> tuple[int, float | None, int]:
    """(unfinished deliveries, age of the oldest in seconds, held notifications)."""
    from adops.notify.deliveries import backlog

    count, oldest = backlog()
    with store.engine().connect() as conn:
        held = int(conn.scalar(select(func.count()).where(Notification.status == "held")) or 0)
    return count, oldest, held


def _deliveries(dispatcher: Any, last_id: int) -> dict[str, Any]:
    try:
        count, oldest, held = held_and_backlog()
    except Exception as exc:
        return {"status": "degraded", "error": type(exc).__name__}
    out: dict[str, Any] = {"backlog": count, "oldest_pending_s": oldest, "held_notifications": held}
    degraded = count > BACKLOG_DEGRADED
    if dispatcher is not None:
        stats = dispatcher.stats()
        lag = max(0, last_id - stats["cursor"])
        out["dispatcher"] = {
            "running": stats["running"],
            "cursor": stats["cursor"],
            "lag": lag,
            "errors": stats["errors"],
        }
        degraded = degraded or not stats["running"] or lag > LAG_DEGRADED
    out["status"] = "degraded" if degraded else "ok"
    return out
