"""Outgoing webhook deliveries end to end: dispatcher → DBOS workflow → local receiver → the log."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from standardwebhooks.webhooks import Webhook

from adops import store
from adops.errors import Conflict, NotFound
from adops.notify import deliveries
from adops.notify.dispatcher import Dispatcher
from adops.store import events
from tests.notify.conftest import SECRET, LoopThread, Receiver, wait_for, write_config

FAST = [0, 0.05, 0.05, 0.05]


def configure(
    home: Path, url: str, events_: str = '["anomaly.detected"]', allow: str = '["127.0.0.1"]'
) -> None:
    write_config(
        home,
        f"""
[[webhooks.endpoints]]
url = "{url}"
events = {events_}
secret = "env:ADOPS_TEST_OUT_SECRET"
[webhooks]
allow_hosts = {allow}
""",
    )


@pytest.fixture(autouse=True)
def _secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADOPS_TEST_OUT_SECRET", SECRET)


def dispatcher(loop: LoopThread, schedule: list[float] | None = None) -> Dispatcher:
    d = Dispatcher(schedule=schedule or FAST, digest_every_s=3600)
    loop.run(d.start(background=False))
    return d


def final(delivery_id: str, timeout: float = 20.0) -> deliveries.Delivery:
    return wait_for(
        lambda: (d := deliveries.get(delivery_id)) is not None and d.status != "pending" and d,
        timeout,
        f"delivery {delivery_id} to finish",
    )


def test_each_subscribed_event_is_delivered_once_signed(
    workspace: Path, dbos: None, loop: LoopThread, receiver: Receiver
) -> None:
    configure(workspace, receiver.url + "/hooks")
    d = dispatcher(loop)
    hit = events.publish("anomaly.detected", {"metric": "cpa", "severity": "warning"})
    events.publish("job.progress", {"progress": 0.5})  # not subscribed
    loop.run(d.step())
    got = final(deliveries.delivery_id(hit, receiver.url + "/hooks"))
    assert (got.status, got.attempts, got.last_status_code, got.event_id) == ("delivered", 1, 204, hit)
    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    assert request["path"] == "/hooks"
    body = request["body"].decode()
    Webhook(SECRET).verify(body, request["headers"])  # raises when the signature is wrong
    assert request["headers"]["webhook-id"] == deliveries.webhook_id(got.id)
    payload = receiver.bodies()[0]
    assert payload["type"] == "anomaly.detected" and payload["data"]["metric"] == "cpa"
    # a second pass (or a restarted dispatcher reading from an older cursor) sends nothing again
    loop.run(d.step())
    d2 = Dispatcher(schedule=FAST, digest_every_s=3600)
    loop.run(d2.start(background=False))
    d2.cursor = 0
    loop.run(d2.step())
    time.sleep(0.3)
    assert len(receiver.requests) == 1
    assert len(deliveries.list_deliveries()) == 1


def test_history_before_the_first_start_is_not_sent(
    workspace: Path, dbos: None, loop: LoopThread, receiver: Receiver
) -> None:
    configure(workspace, receiver.url, '["*"]')
    events.publish("anomaly.detected", {})
    d = dispatcher(loop)
    loop.run(d.step())
    assert deliveries.list_deliveries() == []


def test_retries_keep_the_webhook_id_and_stop_at_the_first_2xx(
    workspace: Path, dbos: None, loop: LoopThread, receiver: Receiver
) -> None:
    configure(workspace, receiver.url, '["sync.*"]')
    receiver.script = [(500, {}, b"oops"), (503, {}, b""), (200, {}, b"ok")]
    d = dispatcher(loop)
    hit = events.publish("sync.failed", {"error": "x"})
    loop.run(d.step())
    got = final(deliveries.delivery_id(hit, receiver.url))
    assert (got.status, got.attempts, got.last_status_code) == ("delivered", 3, 200)
    ids = {r["headers"]["webhook-id"] for r in receiver.requests}
    assert len(receiver.requests) == 3 and len(ids) == 1
    for r in receiver.requests:  # each attempt signed at its own time, each valid
        Webhook(SECRET).verify(r["body"].decode(), r["headers"])


def test_schedule_runs_out_as_failed(
    workspace: Path, dbos: None, loop: LoopThread, receiver: Receiver
) -> None:
    configure(workspace, receiver.url, '["*"]')
    receiver.default = (500, {}, b"")
    d = dispatcher(loop, [0, 0.02, 0.02])
    hit = events.publish("anomaly.detected", {})
    loop.run(d.step())
    got = final(deliveries.delivery_id(hit, receiver.url))
    assert (got.status, got.attempts, got.last_status_code) == ("failed", 3, 500)
    assert got.next_attempt_at is None


def test_retry_after_moves_the_next_attempt_later(
    workspace: Path, dbos: None, loop: LoopThread, receiver: Receiver
) -> None:
    from dbos import DBOS

    configure(workspace, receiver.url, '["*"]')
    receiver.script = [(429, {"Retry-After": "1"}, b""), (200, {}, b"")]
    d = dispatcher(loop, [0, 0.01, 0.01])
    hit = events.publish("anomaly.detected", {})
    loop.run(d.step())
    got = final(deliveries.delivery_id(hit, receiver.url))
    assert got.status == "delivered" and got.attempts == 2
    steps = DBOS.list_workflow_steps(got.workflow_id)
    first = next(s for s in steps if s["function_name"] == "attempt 1")
    assert first["output"]["delay"] == 1.0  # the answer's Retry-After, not the schedule's 0.01
    gap = receiver.requests[1]["at"] - receiver.requests[0]["at"]
    assert gap >= 0.9


def test_410_disables_the_endpoint_and_replay_waits_for_enable(
    workspace: Path, dbos: None, loop: LoopThread, receiver: Receiver
) -> None:
    configure(workspace, receiver.url, '["*"]')
    receiver.script = [(410, {}, b"gone")]
    d = dispatcher(loop)
    first = events.publish("anomaly.detected", {})
    loop.run(d.step())
    got = final(deliveries.delivery_id(first, receiver.url))
    assert (got.status, got.attempts, got.last_status_code) == ("disabled", 1, 410)
    assert receiver.url in deliveries.disabled_endpoints()
    second = events.publish("anomaly.detected", {})
    loop.run(d.step())
    later = final(deliveries.delivery_id(second, receiver.url))
    assert later.status == "disabled" and later.attempts == 0
    assert len(receiver.requests) == 1
    assert [e.type for e in events.recent(5)].count("webhook.endpoint_disabled") == 1
    with pytest.raises(Conflict):
        deliveries.replay(got.id)
    assert deliveries.enable_endpoint(receiver.url)
    replayed = deliveries.replay(got.id)
    assert replayed.status == "pending" and replayed.workflow_id.endswith("-replay-1")
    loop.run(d.step())
    wait_for(lambda: (x := deliveries.get(got.id)) is not None and x.status == "delivered", what="replay")
    assert receiver.requests[-1]["headers"]["webhook-id"] == receiver.requests[0]["headers"]["webhook-id"]


def test_replay_refuses_unknown_and_pending(workspace: Path, dbos: None) -> None:
    with pytest.raises(NotFound):
        deliveries.replay("dlv_1_nothing")
    store.engine()
    deliveries.plan_rows(
        store.engine(), [{"id": "dlv_9_x", "endpoint": "https://e.example", "event_id": 9, "event_type": "t"}]
    )
    with pytest.raises(Conflict):
        deliveries.replay("dlv_9_x")


def test_private_destinations_are_refused_unless_allow_listed(
    workspace: Path, dbos: None, loop: LoopThread, receiver: Receiver
) -> None:
    configure(workspace, receiver.url, '["*"]', allow="[]")
    d = dispatcher(loop)
    hit = events.publish("anomaly.detected", {})
    loop.run(d.step())
    got = final(deliveries.delivery_id(hit, receiver.url))
    assert got.status == "refused" and "Loopback" in (got.last_error or "")
    assert receiver.requests == []


def test_pending_delivery_survives_a_crash_and_relaunch(
    workspace: Path, dbos: None, receiver: Receiver
) -> None:
    """The sidecar dies while a delivery sleeps before its retry; DBOS's recovery finishes it."""
    from dbos import DBOS

    from tests.jobs import support

    configure(workspace, receiver.url, '["*"]')
    receiver.script = [(500, {}, b"")]
    loop = LoopThread()
    d = Dispatcher(schedule=[0, 3.0, 1.0], digest_every_s=3600)  # room to crash before the retry, under load
    loop.run(d.start(background=False))
    hit = events.publish("anomaly.detected", {})
    loop.run(d.step())
    did = deliveries.delivery_id(hit, receiver.url)
    wait_for(lambda: (x := deliveries.get(did)) is not None and x.attempts == 1, what="first attempt")
    loop.crash()  # mid-sleep: nothing cancelled, nothing recorded
    DBOS.destroy(workflow_completion_timeout_sec=0)
    support._launched.clear()
    support.launch()  # recovery resumes the sleeping workflow
    got = final(did)
    assert (got.status, got.attempts) == ("delivered", 2)
    assert len(receiver.requests) == 2
    assert len({r["headers"]["webhook-id"] for r in receiver.requests}) == 1
