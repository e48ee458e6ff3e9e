"""POST /webhooks/{source}: every bad-signature case, replays, per-source secrets and hostile bodies."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable

import httpx
import pytest

from adops import store
from adops.sidecar.limits import Unauthorized
from adops.sidecar.webhooks import check_headers, record, secret_variable, sign
from adops.store.models import WebhookReceipt
from tests.sidecar.conftest import SECRET, Live, raw_request

Start = Callable[..., Live]
OTHER = "whsec_" + "c2VjcmV0LWZvci10aGUtb3RoZXItc291cmNlcw=="
BODY = json.dumps({"campaign": "42", "status": "PAUSED"}).encode()


def signed(
    body: bytes = BODY, webhook_id: str = "msg_1", stamp: int | None = None, secret: str = SECRET
) -> dict[str, str]:
    stamp = int(time.time()) if stamp is None else stamp
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(stamp),
        "webhook-signature": sign(secret, webhook_id, stamp, body),
    }


def received() -> list[dict]:
    return [e.data for e in store.events.after(0, types=("webhook.received",))]


@pytest.fixture
def live(start: Start) -> Live:
    return start()


def post(live: Live, body: bytes, headers: dict[str, str], source: str = "meta") -> httpx.Response:
    return httpx.post(f"{live.url}/webhooks/{source}", content=body, headers=headers, timeout=10)


def test_a_valid_delivery_is_stored_before_the_202(live: Live) -> None:
    response = post(live, BODY, signed())
    assert response.status_code == 202
    [event] = received()
    assert event == {
        "source": "meta",
        "webhook_id": "msg_1",
        "payload": {"campaign": "42", "status": "PAUSED"},
    }
    with store.session() as s:
        receipt = s.get(WebhookReceipt, ("meta", "msg_1"))
        assert (
            receipt is not None
            and receipt.body == BODY.decode()
            and receipt.event_id == response.json()["id"]
        )


@pytest.mark.parametrize(
    "case",
    [
        "tampered body",
        "wrong secret",
        "no webhook-id",
        "no webhook-timestamp",
        "no webhook-signature",
        "stale timestamp",
        "future timestamp",
        "400-digit timestamp",
        "float timestamp",
        "malformed signature",
        "v2 signature only",
        "signature of another id",
        "empty signature",
    ],
)
def test_every_bad_signature_is_a_401_and_stores_nothing(live: Live, case: str) -> None:
    now = int(time.time())
    headers = signed()
    body = BODY
    if case == "tampered body":
        body = BODY.replace(b"PAUSED", b"ENABLED")
    elif case == "wrong secret":
        headers = signed(secret=OTHER)
    elif case.startswith("no "):
        del headers[case.removeprefix("no ")]
    elif case == "stale timestamp":
        headers = signed(stamp=now - 360)  # (the exact edge: test_the_tolerance_edge)
    elif case == "future timestamp":
        headers = signed(stamp=now + 360)
    elif case == "400-digit timestamp":
        headers["webhook-timestamp"] = "9" * 400
    elif case == "float timestamp":
        headers["webhook-timestamp"] = f"{now}.5"
    elif case == "malformed signature":
        headers["webhook-signature"] = "v1,@@@ v1 ,, v1,abc"
    elif case == "v2 signature only":
        headers["webhook-signature"] = headers["webhook-signature"].replace("v1,", "v2,")
    elif case == "signature of another id":
        headers["webhook-id"] = "msg_other"
    elif case == "empty signature":
        headers["webhook-signature"] = "v1,"
    response = post(live, body, headers)
    assert response.status_code == 401, response.text
    assert "error" in response.json()
    assert received() == []


def test_the_tolerance_edge() -> None:
    headers = signed(stamp=1_000_000)
    for now in (1_000_000 - 300, 1_000_000 + 300):
        assert check_headers(headers, now=now) == ("msg_1", 1_000_000)
    for now in (1_000_000 - 301, 1_000_000 + 301):
        with pytest.raises(Unauthorized, match="5 minutes"):
            check_headers(headers, now=now)


def test_timestamps_within_five_minutes_either_way_pass(live: Live) -> None:
    now = int(time.time())
    assert post(live, BODY, signed(webhook_id="msg_past", stamp=now - 240)).status_code == 202
    assert post(live, BODY, signed(webhook_id="msg_future", stamp=now + 240)).status_code == 202


def test_a_replay_to_the_same_source_is_acknowledged_once(live: Live) -> None:
    headers = signed()
    first = post(live, BODY, headers)
    again = post(live, BODY, headers)
    assert first.status_code == 202
    assert again.status_code == 200 and again.json() == {"duplicate": True, "id": first.json()["id"]}
    assert len(received()) == 1


def test_a_replay_to_another_source_is_refused(live: Live) -> None:
    headers = signed()
    assert post(live, BODY, headers, "meta").status_code == 202
    replay = post(live, BODY, headers, "tiktok")
    assert replay.status_code == 409 and "another source" in replay.json()["error"]
    assert [e["source"] for e in received()] == ["meta"]


def test_rotation_several_signatures_and_several_secrets(live: Live, monkeypatch: pytest.MonkeyPatch) -> None:
    headers = signed(webhook_id="msg_rot")
    headers["webhook-signature"] = "v1,bm9wZQ== v2,xyz " + headers["webhook-signature"]  # the good one last
    assert post(live, BODY, headers).status_code == 202
    monkeypatch.setenv(
        "ADOPS_WEBHOOK_SECRET", f"{OTHER} {SECRET}"
    )  # the new secret first, the old still valid
    assert post(live, BODY, signed(webhook_id="msg_old", secret=SECRET)).status_code == 202
    assert post(live, BODY, signed(webhook_id="msg_new", secret=OTHER)).status_code == 202


def test_a_source_with_its_own_secret_refuses_the_global_one(
    live: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert secret_variable("google-ads") == "ADOPS_WEBHOOK_SECRET_GOOGLE_ADS"
    monkeypatch.setenv("ADOPS_WEBHOOK_SECRET_TIKTOK", OTHER)
    assert post(live, BODY, signed(webhook_id="a"), "tiktok").status_code == 401
    assert post(live, BODY, signed(webhook_id="b", secret=OTHER), "tiktok").status_code == 202
    assert (
        post(live, BODY, signed(webhook_id="c", secret=OTHER), "meta").status_code == 401
    )  # meta: the global
    assert post(live, BODY, signed(webhook_id="d"), "meta").status_code == 202


def test_without_any_secret_webhooks_are_refused_before_the_body(
    live: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ADOPS_WEBHOOK_SECRET")
    response = post(live, BODY, signed())
    assert response.status_code == 401 and "ADOPS_WEBHOOK_SECRET" in response.json()["error"]
    status, body = raw_request(
        live.port, "POST", "/webhooks/meta", {"Content-Length": str(300 * 1024 * 1024)}
    )
    assert status == 401 and b"disabled" in body


def test_a_broken_secret_is_a_setting_error_not_a_crash(live: Live, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADOPS_WEBHOOK_SECRET", "whsec_***not-base64***")
    response = post(live, BODY, signed(secret=SECRET))
    assert response.status_code == 500 and response.json()["kind"] == "config"
    assert "not-base64" not in response.text  # the secret is never echoed


# --- hostile bodies ---------------------------------------------------------------------------


def test_headers_are_checked_before_a_claimed_300_mb_body_is_read(live: Live) -> None:
    status, body = raw_request(
        live.port, "POST", "/webhooks/meta", {"Content-Length": str(300 * 1024 * 1024)}
    )
    assert status == 401 and "error" in json.loads(body)  # unsigned: refused unread
    headers = {**signed(), "Content-Length": str(300 * 1024 * 1024)}
    status, body = raw_request(live.port, "POST", "/webhooks/meta", headers)
    assert status == 413 and "error" in json.loads(body)  # signed headers, too big: refused unread


def test_an_oversized_body_without_content_length_is_cut_off(live: Live) -> None:
    big = b'{"x": "' + b"a" * (3 * 1024 * 1024) + b'"}'
    chunks = (big[i : i + 65536] for i in range(0, len(big), 65536))
    status, body = raw_request(live.port, "POST", "/webhooks/meta", signed(big), chunks=chunks)
    assert status == 413 and "error" in json.loads(body)
    assert received() == []


@pytest.mark.parametrize(
    "body, status",
    [
        (b"\xff\x00garbage", 400),
        (b"[" * 100_000 + b"]" * 100_000, 400),
        (b"not json at all", 400),
        (b"", 400),
    ],
)
def test_signed_but_malformed_bodies_get_a_400(live: Live, body: bytes, status: int) -> None:
    headers = signed(body) if body[:1] != b"\xff" else {**signed(b"x"), "webhook-signature": "v1,AAAA"}
    response = post(live, body, headers)
    assert response.status_code == status and "error" in response.json()
    assert received() == []


def test_odd_sources_and_ids_are_refused(live: Live) -> None:
    assert post(live, BODY, signed(), "x" * 10_000).status_code == 404
    assert post(live, BODY, signed(), "Meta%20Ads").status_code == 404
    assert post(live, BODY, signed(webhook_id="id with spaces")).status_code == 401
    assert post(live, BODY, signed(webhook_id="i" * 201)).status_code == 401
    assert received() == []


def test_concurrent_redeliveries_make_one_event() -> None:
    results: list[tuple[int, bool]] = []
    barrier = threading.Barrier(4)

    def deliver() -> None:
        barrier.wait()
        results.append(record("meta", "msg_race", "{}", {}))

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(dup for _, dup in results) == [False, True, True, True]
    assert len({event_id for event_id, _ in results}) == 1
    assert len(received()) == 1


def test_a_received_webhook_reaches_stream_clients(live: Live) -> None:
    from tests.sidecar.test_events_stream import opened

    with httpx.stream("GET", f"{live.url}/events?types=webhook.received", timeout=10) as response:
        it = opened(response)
        accepted = post(live, BODY, signed(webhook_id="msg_live"))
        frame = next(f for f in it if f.id is not None)
    assert frame.id == accepted.json()["id"] and frame.data["webhook_id"] == "msg_live"
