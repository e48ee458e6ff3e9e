"""The SSRF rule with hostile destinations, the signature, Retry-After and the schedule; the CLI's log."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from standardwebhooks.webhooks import Webhook
from typer.testing import CliRunner

from adops import store
from adops.cli import app
from adops.errors import ConfigError
from adops.notify import deliveries, outgoing
from adops.notify.ssrf import Guard
from tests.notify.conftest import SECRET, Receiver

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)

HOSTILE = [
    "http://127.0.0.1/",
    "http://127.1/",
    "http://2130706433/",
    "http://0177.0.0.1/",
    "http://0.0.0.0/",
    "http://[::1]/",
    "http://[::]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:169.254.169.254]/",
    "http://169.254.169.254/latest/meta-data/",
    "http://10.1.2.3/",
    "http://172.16.0.1/",
    "http://192.168.1.1/",
    "http://[fd00::1]/",
    "http://[fe80::1]/",
    "http://224.0.0.1/",
    "http://localhost/",
    "http://user:pw@example.com/",
    "file:///etc/passwd",
    "gopher://example.com/",
    "http://exa mple.com/",
    "http://" + "a" * 300 + ".com/",
]


@pytest.mark.parametrize("url", HOSTILE)
def test_hostile_destinations_are_refused_before_any_connection(url: str) -> None:
    answer = asyncio.run(outgoing.post(Guard.from_allow_hosts([]), url, {}, "{}", NOW))
    assert answer.refused and answer.status_code is None
    assert answer.error and answer.error.startswith("refused by the SSRF rule")
    assert "pw" not in answer.error


def test_allow_hosts_opens_named_hosts_and_networks_only(receiver: Receiver) -> None:
    by_network = Guard.from_allow_hosts(["127.0.0.0/8"])
    assert asyncio.run(outgoing.post(by_network, receiver.url, {}, "{}", NOW)).status_code == 204
    by_name = Guard.from_allow_hosts(["localhost"])
    local = receiver.url.replace("127.0.0.1", "localhost")
    assert asyncio.run(outgoing.post(by_name, local, {}, "{}", NOW)).status_code == 204
    assert asyncio.run(
        outgoing.post(by_name, receiver.url, {}, "{}", NOW)
    ).refused  # the address is not listed
    assert asyncio.run(outgoing.post(by_network, "http://169.254.169.254/", {}, "{}", NOW)).refused
    with pytest.raises(ConfigError):
        Guard.from_allow_hosts(["http://x/"])


def test_redirects_are_not_followed(receiver: Receiver) -> None:
    receiver.script = [(302, {"Location": "http://169.254.169.254/latest/meta-data/"}, b"")]
    answer = asyncio.run(outgoing.post(Guard.from_allow_hosts(["127.0.0.1"]), receiver.url, {}, "{}", NOW))
    assert answer.status_code == 302 and not answer.ok and len(receiver.requests) == 1


def test_signature_verifies_and_tampering_fails() -> None:
    body = outgoing.body_of(7, "anomaly.detected", {"a": 1}, NOW)
    headers = outgoing.headers_for(outgoing.signer(SECRET), "msg_7_x", body, datetime.now(UTC))
    Webhook(SECRET).verify(body, headers)
    with pytest.raises(Exception, match="No matching signature"):
        Webhook(SECRET).verify(body.replace("1", "2"), headers)
    assert json.loads(body) == {
        "type": "anomaly.detected",
        "timestamp": NOW.isoformat(),
        "data": {"a": 1},
        "event_id": 7,
    }
    with pytest.raises(ConfigError):
        outgoing.signer("whsec_")
    with pytest.raises(ConfigError, match="NOPE_UNSET"):
        outgoing.resolve_secret("env:NOPE_UNSET")


def test_schedule_and_retry_after() -> None:
    none = outgoing.Answer(500)
    assert [outgoing.next_delay(i, none) for i in range(1, 9)] == [
        5,
        300,
        1800,
        7200,
        18000,
        36000,
        36000,
        None,
    ]
    assert outgoing.next_delay(1, outgoing.Answer(429, retry_after=60)) == 60
    assert (
        outgoing.next_delay(2, outgoing.Answer(429, retry_after=1)) == 300
    )  # never earlier than the schedule
    assert outgoing.next_delay(1, outgoing.Answer(429, retry_after=10**9)) == outgoing.MAX_RETRY_AFTER_S
    assert outgoing.retry_after("120", NOW) == 120
    assert outgoing.retry_after("Sun, 07 Dec 2026 12:01:00 GMT", NOW) == 60
    for hostile in ("", "-5", "1e9", "abc", "9" * 400, "Sun, 99 Foo 2026"):
        value = outgoing.retry_after(hostile, NOW)
        assert value is None or 0 <= value <= 10**7


def test_cli_lists_deliveries_as_json(workspace: Path) -> None:
    deliveries.plan_rows(
        store.engine(),
        [
            {"id": "dlv_1_a", "endpoint": "https://a.example/h", "event_id": 1, "event_type": "t"},
            {"id": "dlv_2_b", "endpoint": "https://b.example/h", "event_id": 2, "event_type": "t"},
        ],
    )
    runner = CliRunner()
    out = runner.invoke(app, ["webhooks", "deliveries", "--json"])
    assert out.exit_code == 0, out.output
    rows = json.loads(out.stdout)["deliveries"]
    assert {r["id"] for r in rows} == {"dlv_1_a", "dlv_2_b"}
    keys = {"id", "endpoint", "event_id", "status", "attempts", "next_attempt_at", "last_status_code"}
    assert all(keys <= set(r) and r["status"] == "pending" for r in rows)
    one = runner.invoke(app, ["webhooks", "deliveries", "--endpoint", "https://a.example/h", "--json"])
    assert [r["id"] for r in json.loads(one.stdout)["deliveries"]] == ["dlv_1_a"]
    for args, code in (
        (["webhooks", "replay", "dlv_404_x"], 2),
        (["webhooks", "replay", "dlv_1_a"], 1),  # still pending
        (["webhooks", "deliveries", "--status", "exploded"], 2),
        (["webhooks", "deliveries", "--limit", "-1"], 2),
        (["webhooks", "enable", "https://never.example"], 2),
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == code, (args, result.output)
        assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output
