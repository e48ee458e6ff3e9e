"""Outgoing webhook deliveries: the log in the store, and the durable DBOS workflow that sends each.

Every stored event of a type an endpoint subscribes to becomes one delivery per endpoint (a row in
`webhook_deliveries`, planned by the sidecar's dispatcher, `adops.notify.dispatcher`). Its attempts
run in the DBOS workflow `webhook.delivery`: one step per attempt, and between attempts a durable
`DBOS.sleep`, so a sidecar that dies mid-schedule resumes it where it was (the evaluation showed that
DBOS's own step retries are not durable: they restart from zero after a crash).

The workflow id is the delivery's, so planning the same delivery twice (a restarted dispatcher)
attaches to the first run and never sends twice. A replay (`adops webhooks replay`) is a new
workflow id for the same delivery and the same `webhook-id`, so a receiver that deduplicates on it
may drop a replay it already processed.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from dbos import DBOS, StepOptions
from sqlalchemy import Engine, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from adops import config, store
from adops.errors import ConfigError, Conflict, NotFound
from adops.notify import outgoing
from adops.notify.ssrf import guard
from adops.store.models import Event, WebhookDelivery, WebhookEndpointState

__all__ = [
    "STATUSES",
    "Delivery",
    "delivery_id",
    "disable_endpoint",
    "enable_endpoint",
    "list_deliveries",
    "replay",
]

#: what a person sees; a planned delivery whose workflow has not started yet (`queued`) shows as pending
STATUSES = ("pending", "delivered", "failed", "refused", "disabled")
WORKFLOW = "webhook.delivery"
MAX_RECOVERY_ATTEMPTS = 50


@dataclass(frozen=True)
class Delivery:
    """One row of `adops webhooks deliveries`."""

    id: str
    endpoint: str
    event_id: int
    event_type: str
    status: str
    attempts: int
    next_attempt_at: str | None
    last_status_code: int | None
    last_error: str | None
    workflow_id: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def endpoint_key(url: str) -> str:
    return hashlib.sha256(url.encode()).hexdigest()[:12]


def delivery_id(event_id: int, url: str) -> str:
    """`dlv_<event id>_<endpoint hash>`: one per (event, endpoint), the same after any restart."""
    return f"dlv_{event_id}_{endpoint_key(url)}"


def webhook_id(delivery: str) -> str:
    """The `webhook-id` header: the delivery's, so it is stable across retries and replays."""
    return "msg_" + delivery.removeprefix("dlv_")


# ---------------------------------------------------------------------------- the log


def plan_rows(bind: Engine, rows: list[dict[str, Any]]) -> None:
    """Insert planned deliveries (status `queued`), skipping those that exist (a re-read event)."""
    if not rows:
        return
    now = datetime.now(UTC)
    values = [
        {
            "id": r["id"],
            "endpoint": r["endpoint"],
            "event_id": r["event_id"],
            "event_type": r["event_type"][:100],
            "status": "queued",
            "attempts": 0,
            "next_attempt_at": now,
            "workflow_id": f"webhook-{r['id']}",
            "created_at": now,
            "updated_at": now,
        }
        for r in rows
    ]
    with bind.begin() as conn:
        known = set(
            conn.scalars(select(WebhookDelivery.id).where(WebhookDelivery.id.in_([v["id"] for v in values])))
        )
        fresh = [v for v in values if v["id"] not in known]
        if fresh:
            conn.execute(insert(WebhookDelivery), fresh)


def queued(bind: Engine, limit: int = 500) -> list[tuple[str, str]]:
    """(delivery id, workflow id) of deliveries planned or replayed whose workflow may not have started."""
    with bind.connect() as conn:
        rows = conn.execute(
            select(WebhookDelivery.id, WebhookDelivery.workflow_id)
            .where(WebhookDelivery.status == "queued")
            .order_by(WebhookDelivery.created_at)
            .limit(limit)
        ).all()
    return [(str(a), str(b)) for a, b in rows]


def mark_started(bind: Engine, ids: list[str]) -> None:
    """Planned deliveries whose workflow exists now: pending."""
    if not ids:
        return
    with bind.begin() as conn:
        conn.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id.in_(ids), WebhookDelivery.status == "queued")
            .values(status="pending", updated_at=datetime.now(UTC))
        )


def list_deliveries(
    endpoint: str | None = None, status: str | None = None, limit: int = 100
) -> list[Delivery]:
    """Deliveries, newest first; only one endpoint's or one status's when asked."""
    if status is not None and status not in STATUSES:
        from adops.errors import InputError

        raise InputError(f"--status: one of {', '.join(STATUSES)}")
    q = select(WebhookDelivery).order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc())
    if endpoint is not None:
        q = q.where(WebhookDelivery.endpoint == endpoint)
    if status == "pending":
        q = q.where(WebhookDelivery.status.in_(("pending", "queued")))
    elif status is not None:
        q = q.where(WebhookDelivery.status == status)
    with store.session() as s:
        return [_delivery(r) for r in s.scalars(q.limit(limit))]


def get(delivery: str) -> Delivery | None:
    with store.session() as s:
        row = s.get(WebhookDelivery, delivery)
        return _delivery(row) if row is not None else None


def backlog(bind: Engine | None = None) -> tuple[int, float | None]:
    """(deliveries not finished, seconds since the oldest of them was planned)."""
    with (bind or store.engine()).connect() as conn:
        count, oldest = conn.execute(
            select(func.count(), func.min(WebhookDelivery.created_at)).where(
                WebhookDelivery.status.in_(("pending", "queued"))
            )
        ).one()
    if not count or oldest is None:
        return int(count or 0), None
    oldest = oldest if oldest.tzinfo else oldest.replace(tzinfo=UTC)
    return int(count), max(0.0, (datetime.now(UTC) - oldest).total_seconds())


def replay(delivery: str) -> Delivery:
    """Send a finished delivery again from its first attempt (same body and `webhook-id`).

    The sidecar's dispatcher starts it (within a poll, or when the sidecar next starts).
    """
    with store.session() as s:
        row = s.get(WebhookDelivery, delivery)
        if row is None:
            raise NotFound(f"no delivery {delivery[:80]!r} (adops webhooks deliveries lists them)")
        if row.status in ("pending", "queued"):
            raise Conflict(f"delivery {delivery} is still pending; it is retried on its schedule")
        if _disabled(s.connection(), row.endpoint):
            raise Conflict(
                "its endpoint is disabled (it answered 410); enable it first: adops webhooks enable URL"
            )
        replays = int(row.workflow_id.rpartition("-replay-")[2]) if "-replay-" in row.workflow_id else 0
        row.workflow_id = f"webhook-{row.id}-replay-{replays + 1}"
        row.status = "queued"
        row.next_attempt_at = datetime.now(UTC)
        row.last_error = None
        row.updated_at = datetime.now(UTC)
        s.flush()
        return _delivery(row)


def disable_endpoint(url: str, reason: str, bind: Engine | None = None) -> None:
    """Stop delivering to an endpoint (it answered 410 Gone)."""
    now = datetime.now(UTC)
    with (bind or store.engine()).begin() as conn:
        try:
            with conn.begin_nested():
                conn.execute(
                    insert(WebhookEndpointState).values(endpoint=url, disabled_at=now, reason=reason[:500])
                )
        except IntegrityError:
            conn.execute(
                update(WebhookEndpointState)
                .where(WebhookEndpointState.endpoint == url)
                .values(disabled_at=now, reason=reason[:500])
            )


def enable_endpoint(url: str) -> bool:
    """Deliver to a disabled endpoint again; False when it was not disabled."""
    with store.engine().begin() as conn:
        done = conn.execute(
            update(WebhookEndpointState)
            .where(WebhookEndpointState.endpoint == url, WebhookEndpointState.disabled_at.is_not(None))
            .values(disabled_at=None, reason=None)
        )
    return bool(done.rowcount)


def disabled_endpoints(bind: Engine | None = None) -> set[str]:
    with (bind or store.engine()).connect() as conn:
        return set(
            conn.scalars(
                select(WebhookEndpointState.endpoint).where(WebhookEndpointState.disabled_at.is_not(None))
            )
        )


def _disabled(conn: Any, url: str) -> bool:
    return (
        conn.scalar(select(WebhookEndpointState.disabled_at).where(WebhookEndpointState.endpoint == url))
        is not None
    )


def _delivery(row: WebhookDelivery) -> Delivery:
    status = "pending" if row.status == "queued" else row.status
    nxt = row.next_attempt_at if status == "pending" else None
    if nxt is not None and nxt.tzinfo is None:
        nxt = nxt.replace(tzinfo=UTC)
    return Delivery(
        id=row.id,
        endpoint=row.endpoint,
        event_id=row.event_id,
        event_type=row.event_type,
        status=status,
        attempts=row.attempts,
        next_attempt_at=nxt.isoformat() if nxt else None,
        last_status_code=row.last_status_code,
        last_error=row.last_error,
        workflow_id=row.workflow_id,
    )


# ---------------------------------------------------------------------------- the workflow


@DBOS.workflow(name=WORKFLOW, max_recovery_attempts=MAX_RECOVERY_ATTEMPTS)
async def delivery_workflow(
    delivery: str, schedule: list[float] | None = None, first: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The retries of a delivery: attempts on the schedule until a 2xx, a refusal, a 410 or the end.

    The dispatcher makes the first attempt itself (most deliveries need no other) and starts this
    workflow only when it must be retried, passing that first outcome (`first`), which the
    workflow's first step records. `schedule` (seconds before each attempt) defaults to Svix's;
    tests pass a short one. Both are the workflow's input, so a recovered run keeps them.
    """
    plan = list(schedule) if schedule else list(outgoing.SCHEDULE)
    attempt = 1
    if first is not None:
        outcome: dict[str, Any] = await DBOS.run_step_async(
            StepOptions(name="attempt 1"), record_step, delivery, first
        )
    else:
        outcome = await DBOS.run_step_async(StepOptions(name="attempt 1"), attempt_once, delivery, 1, plan)
    while outcome["delay"] is not None:
        await DBOS.sleep_async(float(outcome["delay"]))
        attempt += 1
        outcome = await DBOS.run_step_async(
            StepOptions(name=f"attempt {attempt}"), attempt_once, delivery, attempt, plan
        )
    return outcome


async def attempt_once(delivery: str, attempt: int, schedule: list[float]) -> dict[str, Any]:
    """One attempt and its record. Safe to repeat (a crash mid-attempt sends again with the same
    `webhook-id`, which receivers deduplicate on)."""
    outcome = await attempt_only(delivery, attempt, schedule)
    return await record_step(delivery, outcome)


async def attempt_only(delivery: str, attempt: int, schedule: list[float]) -> dict[str, Any]:
    """Read the delivery, its event and endpoint, and POST: `{"status", "code", "delay", "error", ...}`
    (`delay` None: nothing more to try). Records nothing."""
    bind = _engine()
    now = datetime.now(UTC)
    row, event = await asyncio.to_thread(_load, bind, delivery)
    if row is None:
        return _outcome("failed", None, None, "the delivery is gone", "", now, False)
    cfg = _settings()
    hooks = cfg.webhooks
    endpoint = next((e for e in (hooks.endpoints if hooks else []) if e.url == row["endpoint"]), None)
    answer: outgoing.Answer | None = None
    error: str | None
    if event is None:
        status, error = "failed", "its event is no longer in the event log"
    elif endpoint is None:
        status, error = "failed", "the endpoint is no longer in [[webhooks.endpoints]]"
    elif await asyncio.to_thread(_is_disabled, bind, row["endpoint"]):
        status, error = "disabled", "the endpoint is disabled (it answered 410)"
    else:
        try:
            signer = outgoing.signer(outgoing.resolve_secret(endpoint.secret))
            target = outgoing.resolve_url(row["endpoint"])
        except ConfigError as exc:
            status, error = "failed", str(exc)
        else:
            body = outgoing.body_of(event[0], event[1], event[2], event[3])
            headers = outgoing.headers_for(signer, webhook_id(delivery), body, now)
            answer = await outgoing.post(
                guard(tuple(hooks.allow_hosts) if hooks else ()), target, headers, body, now
            )
            status, error = _judge(answer)
    delay: float | None = None
    if status == "retry":
        assert answer is not None
        delay = outgoing.next_delay(attempt, answer, tuple(schedule))
        status = "pending" if delay is not None else "failed"
    code = answer.status_code if answer else None
    return _outcome(status, code, delay, error, row["endpoint"], now, answer is not None)


async def record_step(delivery: str, outcome: dict[str, Any], only_if_queued: bool = False) -> dict[str, Any]:
    """Write an attempt's outcome to the log (and disable the endpoint on a 410)."""
    bind = _engine()
    now = datetime.fromisoformat(outcome["at"])
    await asyncio.to_thread(
        _record,
        bind,
        delivery,
        outcome["status"],
        outcome["code"],
        outcome["error"],
        outcome["delay"],
        now,
        outcome["attempted"],
        only_if_queued,
    )
    if outcome["status"] == "disabled" and outcome["code"] == 410:
        await asyncio.to_thread(disable_endpoint, outcome["endpoint"], "answered 410 Gone", bind)
        from adops.store import events

        await asyncio.to_thread(
            events.publish,
            "webhook.endpoint_disabled",
            {
                "endpoint_key": endpoint_key(outcome["endpoint"]),
                "delivery_id": delivery,
                "severity": "warning",
            },
            bind=bind,
        )
    _count(outcome["status"])
    return outcome


def _outcome(
    status: str,
    code: int | None,
    delay: float | None,
    error: str | None,
    endpoint: str,
    at: datetime,
    attempted: bool,
) -> dict[str, Any]:
    return {
        "status": status,
        "code": code,
        "delay": delay,
        "error": error,
        "endpoint": endpoint,
        "at": at.isoformat(),
        "attempted": attempted,
    }


# the workflow steps resolve the workspace per call; cache it briefly (settings cost ~0.7 ms a load)
_cache: dict[str, tuple[float, Any]] = {}
_CACHE_S = 1.0


def _settings() -> config.Config:
    return _cached("settings", config.load)


def _engine() -> Engine:
    return _cached("engine", store.engine)


def _cached(name: str, make: Any) -> Any:
    import os
    import time

    key = f"{name}:{os.environ.get('ADOPS_HOME')}:{os.environ.get('ADOPS_DATABASE_URL')}"
    hit = _cache.get(key)
    now = time.monotonic()
    if hit is not None and now - hit[0] < _CACHE_S:
        return hit[1]
    value = make()
    _cache[key] = (now, value)
    return value


def _judge(answer: outgoing.Answer) -> tuple[str, str | None]:
    if answer.ok:
        return "delivered", None
    if answer.refused:
        return "refused", answer.error
    if answer.status_code == 410:
        return "disabled", "the endpoint answered 410 Gone: disabled"
    if answer.status_code is not None:
        return "retry", f"answered {answer.status_code}"
    return "retry", answer.error


def _load(bind: Engine, delivery: str) -> tuple[dict[str, Any] | None, tuple[int, str, Any, datetime] | None]:
    with bind.connect() as conn:
        row = conn.execute(
            select(WebhookDelivery.endpoint, WebhookDelivery.event_id).where(WebhookDelivery.id == delivery)
        ).first()
        if row is None:
            return None, None
        ev = conn.execute(
            select(Event.id, Event.type, Event.data, Event.created_at).where(Event.id == row.event_id)
        ).first()
    return {"endpoint": row.endpoint, "event_id": row.event_id}, (tuple(ev) if ev else None)  # type: ignore[return-value]


def _is_disabled(bind: Engine, url: str) -> bool:
    with bind.connect() as conn:
        return _disabled(conn, url)


def _record(
    bind: Engine,
    delivery: str,
    status: str,
    code: int | None,
    error: str | None,
    delay: float | None,
    now: datetime,
    attempted: bool = True,
    only_if_queued: bool = False,
) -> None:
    where = [WebhookDelivery.id == delivery]
    if only_if_queued:  # the dispatcher's first attempt: a crash since then left it queued, or not
        where.append(WebhookDelivery.status == "queued")
    with bind.begin() as conn:
        conn.execute(
            update(WebhookDelivery)
            .where(*where)
            .values(
                status=status,
                attempts=WebhookDelivery.attempts + (1 if attempted else 0),
                last_status_code=code,
                last_error=error[:1000] if error else None,
                next_attempt_at=now + timedelta(seconds=delay) if delay is not None else None,
                updated_at=now,
            )
        )


def _count(status: str) -> None:
    from adops import metrics

    metrics.DELIVERY_ATTEMPTS.labels(outcome=status).inc()
