"""Incoming webhooks that start jobs: the rules of `[[webhooks.sources]]` in adops.toml.

A source (the `{source}` of `POST /webhooks/{source}`) lists rules. A rule matches a delivery's JSON
payload on exact values (a top-level key or a dotted path into nested objects, same JSON type) and
names a job kind with its params. A param written `"{{ path }}"` (the whole string, nothing around
it) takes the payload's value at that path; the path must be one of the source's `fields`, and the
value a plain scalar (text up to 200 characters, a number, true/false). Nothing is evaluated: there
is no template language, only whole-value substitution, and the result passes the kind's own strict
parameter model (platform names included) before anything is queued.

Only work that reads and rebuilds can be started this way (syncs, connection checks, winner
decisions, maintenance): a signed delivery is not a person approving a budget change or a purge.

Each matching rule's job gets an id derived from the webhook-id and the rule's place, and what a
delivery started is recorded as a `webhook.triggered` (or `webhook.rejected`) event, so a
redelivery, or a replay after a crash between the receipt and the job, never starts a second job.
The enqueue uses the same de-duplication as "Sync now": work already queued or running is joined.
"""

from __future__ import annotations

import hashlib
import math
import os
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from adops.errors import InputError
from adops.jobs.trigger_rules import (
    MAX_INT,
    MAX_VALUE_CHARS,
    PLACEHOLDER,
    TRIGGERABLE,
    first_error,
)

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from adops.settings import WebhookSource

TRIGGERED = "webhook.triggered"
REJECTED = "webhook.rejected"


# ---------------------------------------------------------------------------- matching a payload


@dataclass(frozen=True)
class Rule:
    """One rule of a source, compiled: match these exact values, then start `kind` with `params`."""

    index: int
    kind: str
    match: tuple[tuple[tuple[str, ...], Any], ...]
    params: dict[str, Any]

    def matches(self, payload: Any) -> bool:
        for path, expected in self.match:
            found, value = value_at(payload, path)
            if not found or type(value) is not type(expected) or value != expected:
                return False
        return True


@dataclass(frozen=True)
class Source:
    """A configured webhook source: its secret setting (None: the environment's) and its rules."""

    name: str
    secret: str | None
    rules: tuple[Rule, ...] = ()


@dataclass(frozen=True)
class Outcome:
    """What one matching rule asks for: a job with validated params, or why it was refused."""

    rule: int
    kind: str
    params: dict[str, Any] | None = None
    error: str | None = None


def compile_source(table: WebhookSource) -> Source:
    """The runtime form of a `[[webhooks.sources]]` table (already validated when the settings loaded)."""
    rules = tuple(
        Rule(
            i,
            r.job,
            tuple((tuple(path.split(".")), value) for path, value in r.match.items()),
            dict(r.params),
        )
        for i, r in enumerate(table.events)
    )
    return Source(table.name, table.secret, rules)


def plan(rules: Iterable[Rule], payload: Any) -> list[Outcome]:
    """The outcome of every rule that matches the payload, in order (none: the delivery is only received)."""
    out = []
    for rule in rules:
        if not rule.matches(payload):
            continue
        try:
            params = render(rule.params, payload)
            model = TRIGGERABLE[rule.kind]
            checked = model.model_validate(params).to_params()
        except InputError as exc:
            out.append(Outcome(rule.index, rule.kind, error=str(exc)))
            continue
        except ValidationError as exc:
            out.append(Outcome(rule.index, rule.kind, error=first_error(exc)))
            continue
        out.append(Outcome(rule.index, rule.kind, params=checked))
    return out


def value_at(payload: Any, path: tuple[str, ...]) -> tuple[bool, Any]:
    """(found, value) at a path of object keys (lists are not indexed)."""
    value = payload
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return False, None
        value = value[key]
    return True, value


def render(template: Any, payload: Any, where: str = "params") -> Any:
    """The params with each `{{ path }}` replaced by the payload's scalar there; InputError when a
    field is missing or is not a plain scalar (text, number, true/false)."""
    if isinstance(template, dict):
        return {k: render(v, payload, f"{where}.{k}") for k, v in template.items()}
    if isinstance(template, list):
        return [render(v, payload, f"{where}[{i}]") for i, v in enumerate(template)]
    if not isinstance(template, str):
        return template
    found = PLACEHOLDER.fullmatch(template)
    if found is None:
        return template
    path = found.group(1)
    present, value = value_at(payload, tuple(path.split(".")))
    if not present:
        raise InputError(f"{where}: the payload has no field {path}")
    return _scalar(value, path)


def _scalar(value: Any, path: str) -> Any:
    if isinstance(value, bool) or (isinstance(value, int) and abs(value) <= MAX_INT):
        return value
    if isinstance(value, float) and math.isfinite(value):
        return value
    if isinstance(value, str):
        if len(value) > MAX_VALUE_CHARS:
            raise InputError(f"payload field {path} is {len(value):,} characters; at most {MAX_VALUE_CHARS}")
        if not value.isprintable():
            raise InputError(f"payload field {path} holds control characters")
        return value
    what = "a number out of range" if isinstance(value, int) else f"a {type(value).__name__}"
    raise InputError(f"payload field {path} is {what}; only text, numbers and true/false are used")


def job_id(kind: str, webhook_id: str, rule: int) -> str:
    """The id of the job rule `rule` starts for this delivery: the same for every redelivery."""
    digest = hashlib.sha256(f"{webhook_id}\n{rule}".encode()).hexdigest()[:24]
    return f"{kind}-webhook-{digest}"


# ---------------------------------------------------------------------------- the configured sources

_lock = threading.Lock()
_cache: dict[str, tuple[Any, dict[str, Source]]] = {}
_homes: dict[str, Path] = {}  # the settings' file per ADOPS_HOME value (resolving it costs ~0.3 ms)


def sources() -> dict[str, Source]:
    """The workspace's configured webhook sources by name, read again when adops.toml changes."""
    from adops import config

    raw = os.environ.get("ADOPS_HOME", "")  # only a cache key: config.home() interprets it
    path = _homes.get(raw)
    if path is None:
        path = _homes[raw] = config.home() / "adops.toml"
    stamp = _stamp(path)
    with _lock:
        hit = _cache.get(str(path))
        if hit is not None and hit[0] == stamp:
            return hit[1]
    cfg = config.load(path)
    found = {s.name: compile_source(s) for s in (cfg.webhooks.sources if cfg.webhooks else [])}
    with _lock:
        _cache[str(path)] = (stamp, found)
    return found


def source(name: str) -> Source | None:
    return sources().get(name)


def _stamp(path: Path) -> Any:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


# ---------------------------------------------------------------------------- starting the jobs


@dataclass
class Fired:
    """What a delivery started: job ids, and the events stored (for the sidecar's hub)."""

    jobs: list[str] = field(default_factory=list)
    events: list[tuple[int, str, dict[str, Any]]] = field(default_factory=list)


def fire(
    name: str,
    webhook_id: str,
    payload: Any,
    receipt_event: int,
    *,
    redelivery: bool = True,
    bind: Engine | None = None,
    enqueue: Callable[..., str] | None = None,
) -> Fired:
    """Start the jobs a stored delivery asks for (once per delivery and rule), recording each outcome.

    `receipt_event` is the id of the delivery's `webhook.received` event: for a `redelivery`,
    outcomes are looked up after it, so it only does what an earlier attempt did not get to (a
    delivery whose receipt was just stored has none).
    """
    fired = Fired()
    found = source(name)
    if found is None or not found.rules:
        return fired
    outcomes = plan(found.rules, payload)
    if not outcomes:
        return fired
    done = _recorded(webhook_id, receipt_event, bind) if redelivery else {}
    if enqueue is None:
        from adops.jobs.api import enqueue as start
    else:
        start = enqueue
    for outcome in outcomes:
        if outcome.rule in done:
            seen_type, seen = done[outcome.rule]
            if seen_type == TRIGGERED:
                fired.jobs.append(str(seen.get("job_id")))
            continue
        data: dict[str, Any] = {
            "source": name,
            "webhook_id": webhook_id,
            "rule": outcome.rule,
            "job": outcome.kind,
        }
        if outcome.params is None:
            kind, data = REJECTED, {**data, "error": outcome.error, "severity": "warning"}
        else:
            wanted = job_id(outcome.kind, webhook_id, outcome.rule)
            got = start(outcome.kind, outcome.params, job_id=wanted)
            kind, data = TRIGGERED, {**data, "job_id": got, "joined": got != wanted}
            fired.jobs.append(got)
        fired.events.append((_publish(kind, data, bind), kind, data))
    return fired


def _recorded(
    webhook_id: str, receipt_event: int, bind: Engine | None
) -> dict[int, tuple[str, dict[str, Any]]]:
    """The outcomes already recorded for this delivery, by rule."""
    from sqlalchemy import select

    from adops import store
    from adops.store.models import Event

    query = (
        select(Event.type, Event.data)
        .where(Event.id > receipt_event, Event.type.in_((TRIGGERED, REJECTED)))
        .where(Event.data["webhook_id"].as_string() == webhook_id)
        .order_by(Event.id)
        .limit(100)
    )
    with (bind or store.engine()).connect() as conn:
        rows = conn.execute(query).all()
    return {int(r.data["rule"]): (str(r.type), dict(r.data)) for r in rows if isinstance(r.data, dict)}


def _publish(kind: str, data: dict[str, Any], bind: Engine | None) -> int:
    from adops.store import events

    return events.publish(kind, data, bind=bind)
