"""The sidecar's HTTP contract: health, event ingress, SSE replay, Standard Webhooks (jobs: tests/jobs)."""

import json
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from starlette.testclient import TestClient

from adops import store
from adops.sidecar import create_app
from adops.sidecar.webhooks import sign

SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("ADOPS_API_TOKEN", "t0ken")
    monkeypatch.setenv("ADOPS_WEBHOOK_SECRET", SECRET)
    with TestClient(create_app()) as c:
        yield c


def test_health(client: TestClient) -> None:
    body = client.get("/health").json()
    assert body["status"] == "ok" and body["store"] == "ok" and "tables" in body["warehouse"]


def test_post_event_needs_the_bearer_token(client: TestClient) -> None:
    assert client.post("/events", json={"type": "x"}).status_code == 401
    assert (
        client.post("/events", json={"type": "x"}, headers={"Authorization": "Bearer nope"}).status_code
        == 401
    )
    bad = client.post("/events", content=b"{not json", headers={"Authorization": "Bearer t0ken"})
    assert bad.status_code == 400 and "error" in bad.json()
    ok = client.post(
        "/events", json={"type": "note", "data": {"a": 1}}, headers={"Authorization": "Bearer t0ken"}
    )
    assert ok.status_code == 201
    assert store.events.after(ok.json()["id"] - 1)[0].data == {"a": 1}


def headers(body: bytes, webhook_id: str = "msg_1", stamp: int | None = None) -> dict[str, str]:
    stamp = int(time.time()) if stamp is None else stamp
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(stamp),
        "webhook-signature": "v1,bm9wZQ== " + sign(SECRET, webhook_id, stamp, body),
    }


def test_webhooks_verify_and_deduplicate(client: TestClient) -> None:
    body = json.dumps({"campaign": "42", "status": "PAUSED"}).encode()
    first = client.post("/webhooks/meta", content=body, headers=headers(body))
    assert first.status_code == 202
    again = client.post("/webhooks/meta", content=body, headers=headers(body))
    assert again.status_code == 200 and again.json()["duplicate"] is True
    received = [e for e in store.events.after(0) if e.type == "webhook.received"]
    assert len(received) == 1 and received[0].data["payload"]["campaign"] == "42"
    tampered = client.post("/webhooks/meta", content=body + b" ", headers=headers(body, "msg_2"))
    assert tampered.status_code == 401
    stale = client.post(
        "/webhooks/meta", content=body, headers=headers(body, "msg_3", int(time.time()) - 400)
    )
    assert stale.status_code == 401 and "5 minutes" in stale.json()["error"]
    assert client.post("/webhooks/meta", content=body).status_code == 401


def test_sse_replays_after_last_event_id_then_streams_live() -> None:
    ids = [store.events.publish("demo.tick", {"n": n}) for n in range(5)]
    config = uvicorn.Config(create_app(), host="127.0.0.1", port=0, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    seen: list[tuple[int, str, dict]] = []
    try:
        with httpx.stream(
            "GET", f"http://127.0.0.1:{port}/events", headers={"Last-Event-ID": str(ids[2])}, timeout=10
        ) as response:
            assert response.headers["content-type"].startswith("text/event-stream")
            current: dict[str, str] = {}
            for line in response.iter_lines():
                if line.startswith(("id:", "event:", "data:")):
                    key, _, value = line.partition(":")
                    current[key] = value.strip()
                elif not line and "id" in current:
                    seen.append((int(current["id"]), current["event"], json.loads(current["data"])))
                    current = {}
                    if len(seen) == 2:
                        store.events.publish("demo.tick", {"n": 99})  # arrives live
                    if len(seen) == 3:
                        break
    finally:
        server.should_exit = True
        thread.join(5)
    assert [s[0] for s in seen[:2]] == ids[3:]
    assert seen[2][1] == "demo.tick" and seen[2][2] == {"n": 99}
