"""GET /events through the hub: replay then live, type filters, heartbeat, slow clients, other processes, auth, CORS."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator

import httpx
import pytest

from adops.sidecar import auth
from adops.sidecar.hub import Hub, HubFull, Subscriber, TypeFilter, encode, flush_interval
from adops.store import events
from tests.sidecar.conftest import TOKEN, Frame, Live, frames, raw_request

Start = Callable[..., Live]


def data_frames(response: httpx.Response, n: int) -> list[Frame]:
    """The next n data frames (heartbeats skipped)."""
    out: list[Frame] = []
    for frame in frames(response.iter_lines()):
        if frame.id is not None:
            out.append(frame)
            if len(out) == n:
                break
    return out


@pytest.fixture
def uvicorn_log(caplog: pytest.LogCaptureFixture) -> Iterator[Callable[[], None]]:
    """Call it after start(): uvicorn's own log is captured too (it neither propagates to the
    root logger caplog watches, and it resets its handlers when a server is configured)."""
    names = ("uvicorn", "uvicorn.error", "asyncio")

    def attach() -> None:
        caplog.set_level(logging.INFO)
        for name in names:
            logging.getLogger(name).addHandler(caplog.handler)

    yield attach
    for name in names:
        logging.getLogger(name).removeHandler(caplog.handler)


def opened(response: httpx.Response) -> Iterator[Frame]:
    """The frames after the opening comment (by then the client is subscribed)."""
    it = frames(response.iter_lines())
    first = next(it)
    assert first.comment == "connected"
    return it


def test_last_event_id_replays_what_follows_then_streams_live(start: Start) -> None:
    ids = [events.publish("demo.tick", {"n": n}) for n in range(5)]
    live = start()
    with httpx.stream(
        "GET", f"{live.url}/events", headers={"Last-Event-ID": str(ids[2])}, timeout=10
    ) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        assert "content-length" not in response.headers
        it = opened(response)
        replayed = [next(f for f in it if f.id is not None) for _ in range(2)]
        later = events.publish("demo.tick", {"n": 99})
        live_frame = next(f for f in it if f.id is not None)
    assert [f.id for f in replayed] == ids[3:]
    assert (live_frame.id, live_frame.event, live_frame.data) == (later, "demo.tick", {"n": 99})


def test_without_last_event_id_the_stream_starts_live_or_from_since(start: Start) -> None:
    old = [events.publish("demo.old", {"n": n}) for n in range(3)]
    live = start()
    with httpx.stream("GET", f"{live.url}/events", timeout=10) as response:
        it = opened(response)
        new = events.publish("demo.new", {})
        first = next(f for f in it if f.id is not None)
    assert first.id == new  # none of the history
    with httpx.stream("GET", f"{live.url}/events?since={old[0]}", timeout=10) as response:
        got = data_frames(response, 3)
    assert [f.id for f in got] == [old[1], old[2], new]


def test_types_filter_replay_in_sql_and_live_in_the_hub(start: Start) -> None:
    first = events.publish("job.progress", {"p": 0.5})
    events.publish("sync.finished", {})
    wanted = events.publish("webhook.received", {"w": 1})
    events.publish("jobs", {})  # not job.*: a prefix is matched as written
    live = start()
    url = f"{live.url}/events?types=job.*,webhook.received"
    with httpx.stream("GET", url, headers={"Last-Event-ID": str(first - 1)}, timeout=10) as response:
        it = opened(response)
        replayed = [next(f for f in it if f.id is not None) for _ in range(2)]
        events.publish("sync.started", {})
        events.publish("jobx", {})
        failed = events.publish("job.failed", {"why": "x"})
        live_frame = next(f for f in it if f.id is not None)
    assert [(f.id, f.event) for f in replayed] == [(first, "job.progress"), (wanted, "webhook.received")]
    assert (live_frame.id, live_frame.event) == (failed, "job.failed")


def test_the_store_filters_types_in_sql() -> None:
    a = events.publish("job.progress", {})
    events.publish("job_progress", {})  # `_` is not a LIKE wildcard here
    c = events.publish("sync.finished", {})
    assert [r[0] for r in events.feed(0, 10, ("sync.finished",), ("job.",))] == [a, c]
    assert [r[0] for r in events.feed(a, 10)] == [a + 1, c]
    assert events.feed(0, 10)[0] == (a, "job.progress", "{}")


def test_heartbeat_comes_while_nothing_happens(start: Start) -> None:
    live = start(hub=Hub(poll_s=0.01, heartbeat_s=0.05))
    with httpx.stream("GET", f"{live.url}/events", timeout=10) as response:
        it = opened(response)
        assert next(it).comment == "ping"
    assert Hub().heartbeat_s <= 15


def test_a_slow_client_is_dropped_and_the_others_get_everything(
    start: Start, caplog: pytest.LogCaptureFixture, uvicorn_log: Callable[[], None]
) -> None:
    live = start(hub=Hub(poll_s=0.01, max_pending_bytes=1024 * 1024))
    uvicorn_log()
    slow = socket.socket()
    slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    slow.connect(("127.0.0.1", live.port))
    slow.sendall(b"GET /events HTTP/1.1\r\nHost: x\r\n\r\n")  # and never reads
    blob = "x" * 20_000
    ids: list[int] = []
    received: list[int] = []
    try:
        with httpx.stream("GET", f"{live.url}/events", timeout=30) as response:
            it = (f for f in opened(response) if f.id is not None)
            deadline = time.monotonic() + 20
            while len(live.hub.clients) < 2 and time.monotonic() < deadline:
                time.sleep(0.01)
            for _ in range(40):  # 16 MB in steps the reading client keeps up with
                ids += [events.publish("bulk", {"blob": blob}) for _ in range(20)]
                while not received or received[-1] != ids[-1]:
                    received.append(next(it).id)  # type: ignore[arg-type]
            assert live.hub.dropped == 1 and len(live.hub.clients) == 1  # the slow one is gone
        assert received == ids
        errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
        assert not errors  # dropping is expected: no "returned without completing response" noise
    finally:
        slow.close()


def test_an_event_stored_by_another_process_reaches_the_client(start: Start, workspace: object) -> None:
    live = start()
    code = "from adops.store import events; print(events.publish('cli.note', {'from': 'another process'}))"
    with httpx.stream("GET", f"{live.url}/events", timeout=20) as response:
        it = opened(response)
        out = subprocess.run(
            [sys.executable, "-c", code], env=dict(os.environ), capture_output=True, text=True, check=True
        )
        frame = next(f for f in it if f.id is not None)
    assert frame.id == int(out.stdout) and frame.data == {"from": "another process"}


def test_bad_last_event_id_or_types_is_a_400_json_error(start: Start) -> None:
    live = start()
    for headers, query in (
        ({"Last-Event-ID": "abc"}, ""),
        ({"Last-Event-ID": "9" * 40}, ""),
        ({}, "?since=-1"),
        ({}, "?types=" + "x" * 200),
        ({}, "?types=a%0Ab"),
        ({}, "?types=" + ",".join(f"t{i}" for i in range(30))),
    ):
        response = httpx.get(f"{live.url}/events{query}", headers=headers, timeout=10)
        assert response.status_code == 400 and "error" in response.json(), (headers, query)


def test_the_client_cap_answers_503(start: Start) -> None:
    live = start(hub=Hub(poll_s=0.01, max_clients=1))
    with httpx.stream("GET", f"{live.url}/events", timeout=10) as response:
        kept = opened(response)  # kept: a dropped line iterator closes the connection
        refused = httpx.get(f"{live.url}/events", timeout=10)
        assert refused.status_code == 503 and "error" in refused.json()
        assert refused.headers["retry-after"]
        assert len(live.hub.clients) == 1 and kept  # the first stream is still served


def test_a_client_leaving_mid_replay_leaves_no_warning(
    start: Start, caplog: pytest.LogCaptureFixture, uvicorn_log: Callable[[], None]
) -> None:
    for _ in range(3):
        events.publish("demo.bulk", {"blob": "y" * 2000})
    first = events.feed(0, 1)[0][0]
    bulk(3000)
    live = start()
    uvicorn_log()
    with httpx.stream("GET", f"{live.url}/events", headers={"Last-Event-ID": str(first)}, timeout=10) as r:
        next(f for f in frames(r.iter_lines()) if f.id is not None)  # mid-replay: close now
    deadline = time.monotonic() + 10
    while live.hub.clients and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not live.hub.clients
    live.stop()
    time.sleep(0.2)
    noisy = [
        r
        for r in caplog.records
        if r.levelno >= logging.WARNING and r.name.startswith(("asyncio", "uvicorn"))
    ]
    assert not noisy, [r.getMessage() for r in noisy]


def bulk(n: int) -> None:
    """Insert many events in one transaction (fast setup for replay tests)."""
    from datetime import UTC, datetime

    from adops import store
    from adops.store.models import Event

    with store.session() as s:
        s.add_all(
            Event(type="demo.bulk", data={"n": i, "blob": "z" * 500}, created_at=datetime.now(UTC))
            for i in range(n)
        )


def test_shutdown_ends_open_streams_cleanly(start: Start) -> None:
    live = start()
    with httpx.stream("GET", f"{live.url}/events", timeout=10) as response:
        it = opened(response)
        t0 = time.monotonic()
        live.stop()
        rest = list(it)  # the stream ends (no error): the server closed it properly
        assert time.monotonic() - t0 < 4.5, "the stream waited for the graceful-shutdown timeout"
    assert all(f.id is None for f in rest)


# --- auth -------------------------------------------------------------------------------------


def test_events_are_open_on_loopback_and_need_a_credential_elsewhere(start: Start) -> None:
    loop = start(host="127.0.0.1")
    with httpx.stream("GET", f"{loop.url}/events", timeout=10) as response:
        assert response.status_code == 200
    exposed = start(host="0.0.0.0")
    assert httpx.get(f"{exposed.url}/events", timeout=10).status_code == 401
    bad = httpx.get(f"{exposed.url}/events", headers={"Authorization": "Bearer nope"}, timeout=10)
    assert bad.status_code == 401 and "error" in bad.json()
    with httpx.stream(
        "GET", f"{exposed.url}/events", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10
    ) as response:
        assert response.status_code == 200
        assert opened(response)
    token = auth.mint_events_token(60)
    with httpx.stream("GET", f"{exposed.url}/events", params={"token": token}, timeout=10) as response:
        assert response.status_code == 200
        assert opened(response)
    expired = auth.mint_events_token(60, now=time.time() - 3600)
    tampered = token[:-1] + ("0" if token[-1] != "0" else "1")
    for value in (expired, tampered, "", "x" * 5000, "1.2.3", f"{10**30}.ab"):
        response = httpx.get(f"{exposed.url}/events", params={"token": value}, timeout=10)
        assert response.status_code == 401, value[:20]


def test_minted_tokens_expire_and_are_bound_to_the_api_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADOPS_API_TOKEN", "one")
    token = auth.mint_events_token(ttl_s=60, now=1_000_000)
    assert auth.events_token_ok(token, now=1_000_030)
    assert not auth.events_token_ok(token, now=1_000_061)
    monkeypatch.setenv("ADOPS_API_TOKEN", "two")
    assert not auth.events_token_ok(token, now=1_000_030)
    monkeypatch.delenv("ADOPS_API_TOKEN")
    assert not auth.events_token_ok(token, now=1_000_030)
    with pytest.raises(Exception, match="ADOPS_API_TOKEN"):
        auth.mint_events_token()
    assert auth.is_loopback("127.0.0.1") and auth.is_loopback("::1") and auth.is_loopback("localhost")
    assert (
        not auth.is_loopback("0.0.0.0") and not auth.is_loopback("192.168.1.5") and not auth.is_loopback("")
    )


# --- CORS -------------------------------------------------------------------------------------


def test_cors_answers_the_app_origin_on_events_only(start: Start, monkeypatch: pytest.MonkeyPatch) -> None:
    live = start()
    with httpx.stream(
        "GET", f"{live.url}/events", headers={"Origin": "http://127.0.0.1:8501"}, timeout=10
    ) as response:
        assert response.headers["access-control-allow-origin"] == "http://127.0.0.1:8501"
    with httpx.stream(
        "GET", f"{live.url}/events", headers={"Origin": "http://evil.example"}, timeout=10
    ) as r:
        assert "access-control-allow-origin" not in r.headers
    pre = httpx.options(
        f"{live.url}/events",
        headers={
            "Origin": "http://localhost:8501",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "last-event-id",
        },
        timeout=10,
    )
    assert pre.status_code == 200 and pre.headers["access-control-allow-origin"] == "http://localhost:8501"
    post_pre = httpx.options(
        f"{live.url}/events",
        headers={"Origin": "http://localhost:8501", "Access-Control-Request-Method": "POST"},
        timeout=10,
    )
    assert post_pre.status_code == 400  # browsers may read the stream, not post events
    other = httpx.get(f"{live.url}/health", headers={"Origin": "http://127.0.0.1:8501"}, timeout=10)
    assert "access-control-allow-origin" not in other.headers
    monkeypatch.setenv("ADOPS_APP_ORIGIN", "https://adops.example.com")
    custom = start()
    with httpx.stream(
        "GET", f"{custom.url}/events", headers={"Origin": "https://adops.example.com"}, timeout=10
    ) as response:
        assert response.headers["access-control-allow-origin"] == "https://adops.example.com"


# --- POST /events -----------------------------------------------------------------------------

AUTH = {"Authorization": f"Bearer {TOKEN}"}


def test_post_checks_the_token_before_reading_a_claimed_300_mb_body(start: Start) -> None:
    live = start()
    status, body = raw_request(
        live.port,
        "POST",
        "/events",
        {"Content-Length": str(300 * 1024 * 1024), "Content-Type": "application/json"},
    )
    assert status == 401 and "error" in json.loads(body)
    status, body = raw_request(
        live.port, "POST", "/events", {**AUTH, "Content-Length": str(300 * 1024 * 1024)}
    )
    assert status == 413 and "error" in json.loads(body)


def test_post_refuses_an_oversized_body_streamed_without_content_length(start: Start) -> None:
    live = start()
    chunks = (b"x" * 65536 for _ in range(64))  # 4 MB, chunked
    status, body = raw_request(live.port, "POST", "/events", AUTH, chunks=chunks)
    assert status == 413 and "error" in json.loads(body)
    assert events.last_id() == 0


@pytest.mark.parametrize(
    "body, status",
    [
        (b"\xff\x00garbage", 400),
        (b"[" * 100_000 + b"]" * 100_000, 400),
        (b"{not json", 400),
        (b"[1, 2]", 400),
        (json.dumps({"type": "x", "data": [1]}).encode(), 400),
        (json.dumps({"type": "a\nb", "data": {}}).encode(), 400),
        (json.dumps({"type": "t" * 101, "data": {}}).encode(), 400),
        (json.dumps({"type": "t" * (1024 * 1024), "data": {}}).encode(), 413),
        (json.dumps({"type": "x", "data": {"deep": [[[[[[[[[[1]]]]]]]]]]}}).encode(), 201),
    ],
)
def test_post_answers_malformed_bodies_with_a_4xx_json_error(start: Start, body: bytes, status: int) -> None:
    live = start()
    response = httpx.post(f"{live.url}/events", content=body, headers=AUTH, timeout=10)
    assert response.status_code == status
    assert ("error" in response.json()) == (status != 201)


def test_post_replayed_is_a_new_event_and_reaches_clients_in_order(start: Start) -> None:
    live = start()
    with httpx.stream("GET", f"{live.url}/events", timeout=10) as response:
        it = opened(response)
        posted = [
            httpx.post(
                f"{live.url}/events", json={"type": "note", "data": {"k": 1}}, headers=AUTH, timeout=10
            )
            for _ in range(2)
        ]
        got = [next(f for f in it if f.id is not None) for _ in range(2)]
    assert [p.status_code for p in posted] == [201, 201]
    assert [f.id for f in got] == [p.json()["id"] for p in posted]  # POST /events has no id to dedupe on


# --- the hub on its own -----------------------------------------------------------------------


def test_hub_drops_a_full_subscriber_and_keeps_feeding_the_others() -> None:
    async def scenario() -> tuple[Subscriber, Subscriber, Hub]:
        rows: list[tuple[int, str, str]] = []
        hub = Hub(reader=lambda after, limit: [r for r in rows if r[0] > after][:limit], last_id=lambda: 0)
        hub.max_pending_bytes = 1000
        await hub.start()
        slow, fast = hub.subscribe(None), hub.subscribe(TypeFilter.parse("a.*"))
        got: list[bytes] = []
        for i in range(1, 41):
            rows.append((i, "a.b", json.dumps({"i": i})))
            hub.nudge()
            await asyncio.sleep(flush_interval(2) * 2)
            chunk = await fast.take()
            assert chunk is not None
            got.append(chunk)
        await hub.stop()
        assert b"".join(got).count(b"\nevent: a.b\n") == 40
        return slow, fast, hub

    slow, fast, hub = asyncio.run(scenario())
    assert slow.dropped and not fast.dropped and hub.dropped == 1


def test_hub_cap_and_filters() -> None:
    hub = Hub(max_clients=1, reader=lambda a, n: [], last_id=lambda: 0)
    hub.subscribe(None)
    with pytest.raises(HubFull):
        hub.subscribe(None)
    f = TypeFilter.parse("a, b.*")
    assert (
        f is not None and f.matches("a") and f.matches("b.c") and not f.matches("ab") and not f.matches("b")
    )
    assert TypeFilter.parse("") is None
    assert encode((7, "x\ny", '{"a":\n1}')) == b'id: 7\nevent: x y\ndata: {"a": 1}\n\n'
    assert flush_interval(1) < flush_interval(1000) <= 0.025


def test_the_writer_stores_concurrent_posts_together_and_answers_each() -> None:
    from adops import store
    from adops.sidecar.writer import EventWriter

    async def scenario() -> list[int]:
        writer = EventWriter(store.engine)
        writer.start()
        try:
            return list(await asyncio.gather(*(writer.publish("w.t", {"n": n}) for n in range(200))))
        finally:
            await writer.stop()

    ids = asyncio.run(scenario())
    assert len(set(ids)) == 200
    stored = {r[0]: json.loads(r[2])["n"] for r in events.feed(0, 500)}
    assert [stored[i] for i in ids] == list(range(200))  # each caller got its own event's id


def test_a_failing_store_fails_every_waiting_post() -> None:
    from sqlalchemy import create_engine

    from adops.sidecar.writer import EventWriter

    async def scenario() -> list[object]:
        writer = EventWriter(lambda: create_engine("sqlite:///:memory:"))  # no events table
        writer.start()
        try:
            return list(
                await asyncio.gather(*(writer.publish("x", {}) for _ in range(3)), return_exceptions=True)
            )
        finally:
            await writer.stop()

    assert all(isinstance(r, Exception) for r in asyncio.run(scenario()))


def test_the_app_builds_its_browser_feed_url(monkeypatch: pytest.MonkeyPatch) -> None:
    from urllib.parse import parse_qs, urlsplit

    from adops.sidecar.client import events_url

    monkeypatch.setenv("ADOPS_SIDECAR_URL", "http://127.0.0.1:8765")
    monkeypatch.delenv("ADOPS_API_TOKEN", raising=False)
    assert events_url() == "http://127.0.0.1:8765/events"
    monkeypatch.setenv("ADOPS_API_TOKEN", "secret-api-token")
    url = events_url(types=["job.*", "sync.finished"], since=41)
    query = parse_qs(urlsplit(url).query)
    assert query["types"] == ["job.*,sync.finished"] and query["since"] == ["41"]
    assert auth.events_token_ok(query["token"][0]) and "secret-api-token" not in url


def test_hub_holds_events_behind_a_missing_id_until_it_commits_or_times_out() -> None:
    """PostgreSQL may show id 3 before id 2 commits: clients still get 1, 2, 3 in order."""
    visible: list[tuple[int, str, str]] = []

    async def scenario() -> list[bytes]:
        hub = Hub(
            reader=lambda after, limit: [r for r in sorted(visible) if r[0] > after][:limit],
            last_id=lambda: 0,
            poll_s=0.005,
            hold_gaps=True,
            gap_wait_s=0.3,
        )
        await hub.start()
        sub = hub.subscribe(None)
        got: list[bytes] = []
        visible.extend([(1, "a", "{}"), (3, "a", "{}")])  # 2 is still being stored
        got.append(await asyncio.wait_for(sub.take(), 5))  # type: ignore[arg-type]
        await asyncio.sleep(0.05)
        assert not sub.pending  # 3 is held back
        visible.append((2, "a", "{}"))
        got.append(await asyncio.wait_for(sub.take(), 5))  # type: ignore[arg-type]
        visible.append((5, "a", "{}"))  # 4 never comes (a rolled-back insert): passed after the wait
        got.append(await asyncio.wait_for(sub.take(), 5))  # type: ignore[arg-type]
        await hub.stop()
        return got

    chunks = asyncio.run(scenario())
    ids = [
        int(line[4:]) for chunk in chunks for line in chunk.decode().splitlines() if line.startswith("id: ")
    ]
    assert ids == [1, 2, 3, 5]
    assert b"id: 3" not in chunks[0]


def test_the_events_token_never_reaches_the_access_log() -> None:
    import adops.sidecar.stream  # noqa: F401  (installs the filter)

    token = "1999999999.abcdef0123"
    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5", "GET", f"/events?types=a&token={token}&since=3", "1.1", 200), None,
    )  # fmt: skip
    record.path = f"/events?token={token}"  # as if the JSON log's field filter had run first
    for f in logging.getLogger("uvicorn.access").filters:
        f.filter(record)
    line = record.getMessage()
    assert token not in line and "token=***" in line and "since=3" in line
    assert token not in record.path


# --- the hub writing straight to the sockets --------------------------------------------------


def test_live_batches_go_straight_to_the_socket_under_uvicorn(start: Start) -> None:
    live = start()
    with httpx.stream("GET", f"{live.url}/events", timeout=10) as response:
        it = opened(response)
        ids = [events.publish("demo.tick", {"n": n}) for n in range(3)]
        got = [next(f for f in it if f.id is not None).id for _ in range(3)]
        (sub,) = live.hub.clients
        assert sub.transport is not None  # the hub writes this client's batches itself
    assert got == ids
    stats = live.hub.stats()
    assert stats["flushes"] >= 1 and stats["flush_ms_max"] >= 0 and stats["dropped"] == 0


def test_a_server_without_a_raw_transport_streams_through_send(secrets: None) -> None:
    """uvicorn's h11 protocol (or any other ASGI server): the response task writes each batch."""
    import threading

    import uvicorn

    from adops.sidecar import create_app
    from adops.sidecar.server import Server

    app = create_app(hub=Hub(poll_s=0.01))
    server = Server(uvicorn.Config(app, host="127.0.0.1", port=0, http="h11", log_level="warning"), app)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not server.started and thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.02)
        port = server.servers[0].sockets[0].getsockname()[1]
        before = events.publish("demo.old", {})
        with httpx.stream(
            "GET", f"http://127.0.0.1:{port}/events", headers={"Last-Event-ID": str(before - 1)}, timeout=10
        ) as response:
            it = opened(response)
            assert next(f for f in it if f.id is not None).id == before  # replayed
            later = events.publish("demo.new", {"x": 1})
            frame = next(f for f in it if f.id is not None)
            (sub,) = app.state.hub.clients
            assert sub.transport is None
        assert (frame.id, frame.data) == (later, {"x": 1})
    finally:
        server.should_exit = True
        thread.join(10)


class FakeTransport:
    """What the hub uses of a transport: write, is_closing, get_write_buffer_size, abort."""

    def __init__(self, limit: int = 10**9) -> None:
        self.written: list[bytes] = []
        self.buffered = 0
        self.limit = limit  # bytes the peer takes before it stops reading
        self.closing = self.aborted = False

    def write(self, data: bytes) -> None:
        self.written.append(data)
        self.buffered = max(0, sum(map(len, self.written)) - self.limit)  # what the peer has not taken

    def is_closing(self) -> bool:
        return self.closing or self.aborted

    def get_write_buffer_size(self) -> int:
        return self.buffered

    def abort(self) -> None:
        self.aborted = True


def test_attach_writes_what_queued_during_the_replay_first_then_the_hub_writes_direct() -> None:
    async def scenario() -> tuple[FakeTransport, Subscriber]:
        rows: list[tuple[int, str, str]] = []
        hub = Hub(reader=lambda after, limit: [r for r in rows if r[0] > after][:limit], last_id=lambda: 0)
        await hub.start()
        sub = hub.subscribe(None)
        hub.offer(1, "a", "{}")  # arrives while the client is still replaying: queued
        while not sub.pending:
            await asyncio.sleep(0.001)
        transport = FakeTransport()
        assert sub.attach(transport)  # type: ignore[arg-type]
        hub.offer(2, "a", "{}")
        while len(transport.written) < 2:
            await asyncio.sleep(0.001)
        await hub.stop()
        return transport, sub

    transport, sub = asyncio.run(scenario())
    first, second = transport.written[:2]
    assert first == b"%x\r\n" % len(encode((1, "a", "{}"))) + encode((1, "a", "{}")) + b"\r\n"
    assert b"\r\nid: 2\n" in second and second.endswith(b"\n\n\r\n")
    assert not sub.pending


def test_the_hub_aborts_a_socket_that_stopped_reading_and_keeps_writing_the_others() -> None:
    async def scenario() -> tuple[Hub, FakeTransport, FakeTransport, Subscriber, Subscriber]:
        hub = Hub(reader=lambda after, limit: [], last_id=lambda: 0, max_pending_bytes=4096)
        await hub.start()
        stuck, reading = hub.subscribe(None), hub.subscribe(TypeFilter.parse("a"))
        t_stuck, t_reading = FakeTransport(limit=1000), FakeTransport()
        stuck.attach(t_stuck)  # type: ignore[arg-type]
        reading.attach(t_reading)  # type: ignore[arg-type]
        for i in range(1, 61):
            hub.offer(i, "a", json.dumps({"blob": "x" * 200}))
            await asyncio.sleep(flush_interval(2))
        while len(b"".join(t_reading.written).split(b"id: ")) < 61:
            await asyncio.sleep(0.005)
        await hub.stop()
        return hub, t_stuck, t_reading, stuck, reading

    hub, t_stuck, t_reading, stuck, reading = asyncio.run(scenario())
    assert stuck.dropped and t_stuck.aborted and hub.dropped == 1
    assert not reading.dropped and not t_reading.aborted
    got = [int(x.split(b"\n", 1)[0]) for x in b"".join(t_reading.written).split(b"id: ")[1:]]
    assert got == list(range(1, 61))


def test_a_closed_socket_is_forgotten_without_counting_as_dropped() -> None:
    async def scenario() -> tuple[Hub, Subscriber]:
        hub = Hub(reader=lambda after, limit: [], last_id=lambda: 0)
        await hub.start()
        sub = hub.subscribe(None)
        transport = FakeTransport()
        sub.attach(transport)  # type: ignore[arg-type]
        transport.closing = True  # the client went away between two batches
        hub.offer(1, "a", "{}")
        while hub.clients:
            await asyncio.sleep(0.001)
        await hub.stop()
        return hub, sub

    hub, sub = asyncio.run(scenario())
    assert sub.closed and not sub.dropped and hub.dropped == 0


def test_events_this_process_stored_are_flushed_while_a_store_read_is_still_running() -> None:
    """An offered event never waits behind the reader's query (a slow store, a busy thread)."""
    import threading

    release = threading.Event()
    reads: list[int] = []

    def slow_reader(after: int, limit: int) -> list[tuple[int, str, str]]:
        reads.append(after)
        release.wait(10)
        return []

    async def scenario() -> bytes | None:
        hub = Hub(reader=slow_reader, last_id=lambda: 0, poll_s=0.001)
        await hub.start()
        sub = hub.subscribe(None)
        while not reads:  # the reader is now blocked in its query
            await asyncio.sleep(0.001)
        hub.offer(1, "a", '{"k": 1}')
        chunk = await asyncio.wait_for(sub.take(), 5)
        still_reading = not release.is_set()
        release.set()
        await hub.stop()
        assert still_reading
        return chunk

    assert asyncio.run(scenario()) == encode((1, "a", '{"k": 1}'))


def test_an_offer_out_of_line_is_fetched_from_the_store_in_id_order() -> None:
    """Another process stored id 1 before this one stored id 2: clients still get 1 then 2."""
    rows: list[tuple[int, str, str]] = []

    async def scenario() -> bytes:
        hub = Hub(
            reader=lambda after, limit: [r for r in rows if r[0] > after][:limit], last_id=lambda: 0, poll_s=5
        )
        await hub.start()
        sub = hub.subscribe(None)
        rows.extend([(1, "cli.note", "{}"), (2, "a", "{}")])
        hub.offer(2, "a", "{}")  # not next in line: the reader is nudged and fetches 1 and 2
        got = b""
        while got.count(b"id: ") < 2:
            got += await asyncio.wait_for(sub.take(), 5) or b""
        await hub.stop()
        return got

    got = asyncio.run(scenario())
    assert got == encode((1, "cli.note", "{}")) + encode((2, "a", "{}"))
