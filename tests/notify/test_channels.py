"""Slack, Discord and e-mail against local receivers that answer as the services document."""

from __future__ import annotations

import asyncio
import shutil
import socket
import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from adops import config
from adops.cli import app
from adops.errors import ConfigError
from adops.notify import channels, templates
from tests.notify.conftest import Receiver, write_config
from tests.notify.fakes import Discord, Slack

SLACK_SECRET_PATH = "/services/T000/B000/XXXXSECRET"
DISCORD_SECRET_PATH = "/api/webhooks/123/SECRETTOKEN"


def message(**kw: Any) -> templates.Message:
    base = {
        "title": "WARNING: anomaly.detected",
        "text": "spend <spiked> & more",
        "severity": "warning",
        "event_id": 7,
    }
    return templates.Message(**{**base, **kw})


def run(coro: Any) -> Any:
    return asyncio.run(coro)


# ---------------------------------------------------------------------------- Slack


def test_slack_blocks_are_accepted_and_escaped(receiver: Receiver) -> None:
    fake = Slack()
    receiver.handler = fake
    sent = run(channels.slack(receiver.url + SLACK_SECRET_PATH, message(fields={"metric": "cpa"})))
    assert sent.ok and sent.status_code == 200
    body = fake.messages[0]
    assert [b["type"] for b in body["blocks"]] == ["header", "section", "section", "context"]
    assert "&lt;spiked&gt; &amp; more" in body["blocks"][1]["text"]["text"]
    assert body["text"]  # the fallback for notifications


def test_slack_limits_hold_for_a_huge_message(receiver: Receiver) -> None:
    fake = Slack()
    receiver.handler = fake
    huge = message(title="T" * 500, text="x" * 20_000, fields={f"k{i}": "v" * 5000 for i in range(30)})
    assert run(channels.slack(receiver.url + SLACK_SECRET_PATH, huge)).ok


def test_slack_429_reports_retry_after_and_errors_never_show_the_url(receiver: Receiver) -> None:
    fake = Slack(rate_limited=1)
    receiver.handler = fake
    limited = run(channels.slack(receiver.url + SLACK_SECRET_PATH, message()))
    assert (limited.ok, limited.status_code, limited.retry_after, limited.retryable) == (
        False,
        429,
        1.0,
        True,
    )
    wrong = run(channels.slack(receiver.url + "/services/T000/B000/OTHERSECRET", message()))
    assert (wrong.status_code, wrong.retryable) == (404, False) and "no_service" in (wrong.error or "")
    down = run(channels.slack("http://127.0.0.1:9/services/T/B/SECRETX", message()))
    assert not down.ok
    for sent in (limited, wrong, down):
        assert "SECRET" not in (sent.error or "")


# ---------------------------------------------------------------------------- Discord


def test_discord_embed_is_accepted_with_mentions_off(receiver: Receiver) -> None:
    fake = Discord()
    receiver.handler = fake
    sent = run(
        channels.discord(
            receiver.url + DISCORD_SECRET_PATH, message(text="@everyone look", fields={"a": "b"})
        )
    )
    assert sent.ok and sent.status_code == 204
    body = fake.messages[0]
    assert body["allowed_mentions"] == {"parse": []}
    embed = body["embeds"][0]
    assert embed["color"] == 0xF2C94C and embed["fields"] == [{"name": "a", "value": "b", "inline": True}]


def test_discord_limits_hold_for_a_huge_message(receiver: Receiver) -> None:
    fake = Discord()
    receiver.handler = fake
    huge = message(title="T" * 900, text="x" * 50_000, fields={f"k{i}" * 50: "v" * 5000 for i in range(40)})
    sent = run(channels.discord(receiver.url + DISCORD_SECRET_PATH, huge))
    assert sent.ok, sent.error


def test_discord_429_reads_retry_after_from_the_body(receiver: Receiver) -> None:
    receiver.handler = Discord(rate_limited=1, retry_after=0.75)
    sent = run(channels.discord(receiver.url + DISCORD_SECRET_PATH, message()))
    assert (sent.ok, sent.status_code, sent.retry_after) == (False, 429, 0.75)
    gone = run(channels.discord(receiver.url + "/api/webhooks/9/OTHERSECRET", message()))
    assert gone.status_code == 404 and not gone.retryable and "SECRET" not in (gone.error or "")


# ---------------------------------------------------------------------------- settings and the CLI


def test_unset_variable_is_named_never_a_value(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_config(workspace, '[notifications.slack]\nwebhook_url = "env:ADOPS_TEST_SLACK"\n')
    monkeypatch.delenv("ADOPS_TEST_SLACK", raising=False)
    with pytest.raises(ConfigError, match="ADOPS_TEST_SLACK is not set"):
        run(channels.send(config.load(), "slack", message()))
    with pytest.raises(ConfigError, match="discord is not configured"):
        run(channels.send(config.load(), "discord", message()))


def test_notify_test_cli_sends_and_keeps_secrets_out(
    workspace: Path, receiver: Receiver, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from typer.testing import CliRunner

    fake_slack, fake_discord = Slack(), Discord()
    receiver.handler = lambda r: (fake_slack if r["path"].startswith("/services") else fake_discord)(r)
    monkeypatch.setenv("ADOPS_TEST_SLACK", receiver.url + SLACK_SECRET_PATH)
    monkeypatch.setenv("ADOPS_TEST_DISCORD", receiver.url + "/api/webhooks/123/WRONGSECRET")
    write_config(
        workspace,
        '[notifications.slack]\nwebhook_url = "env:ADOPS_TEST_SLACK"\n'
        '[notifications.discord]\nwebhook_url = "env:ADOPS_TEST_DISCORD"\n',
    )
    runner = CliRunner()
    ok = runner.invoke(app, ["notify", "test", "--channel", "slack", "--json"])
    assert ok.exit_code == 0, ok.output
    assert '"status": "sent"' in ok.stdout and len(fake_slack.messages) == 1
    bad = runner.invoke(app, ["notify", "test", "--channel", "discord"])
    assert bad.exit_code == 1
    assert "404" in bad.output and "SECRET" not in bad.output and receiver.url not in bad.output
    wrong = runner.invoke(app, ["notify", "test", "--channel", "pager"])
    assert wrong.exit_code == 2
    shown = runner.invoke(app, ["config", "show"])
    assert "SECRET" not in shown.output


# ---------------------------------------------------------------------------- e-mail (aiosmtpd)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """A local SMTP server that requires STARTTLS and AUTH (user alice, password s3cret-pw)."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make the test certificate")
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
         "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
        check=True, capture_output=True,
    )  # fmt: skip
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    received: list[Any] = []

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
            received.append(envelope)
            return "250 OK"

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == b"alice"
            and auth_data.password == b"s3cret-pw"
        )
        return AuthResult(success=ok, handled=False)

    port = _free_port()
    controller = Controller(
        Handler(), hostname="127.0.0.1", port=port, tls_context=context, require_starttls=True,
        authenticator=authenticator, auth_require_tls=True,
    )  # fmt: skip
    controller.start()
    yield {"port": port, "cert": cert, "received": received}
    controller.stop()


def _email_config(home: Path, port: int, cert: Path, starttls: bool = True) -> None:
    write_config(
        home,
        f"""
[notifications.email]
host = "127.0.0.1"
port = {port}
starttls = {"true" if starttls else "false"}
from = "adops@example.com"
to = ["team@example.com", "ops@example.com"]
username = "env:ADOPS_TEST_SMTP_USER"
password = "env:ADOPS_TEST_SMTP_PASSWORD"
ca_file = "{cert}"
timeout_seconds = 10.0
""",
    )


def test_email_goes_through_starttls_and_auth(
    workspace: Path, smtp: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ADOPS_TEST_SMTP_USER", "alice")
    monkeypatch.setenv("ADOPS_TEST_SMTP_PASSWORD", "s3cret-pw")
    _email_config(workspace, smtp["port"], smtp["cert"])
    sent = run(channels.send(config.load(), "email", message(fields={"metric": "cpa"})))
    assert sent.ok, sent.error
    envelope = smtp["received"][0]
    assert envelope.rcpt_tos == ["team@example.com", "ops@example.com"]
    text = envelope.content.decode()
    assert "Subject: [adops] WARNING: anomaly.detected" in text and "metric: cpa" in text


def test_email_wrong_password_and_no_starttls_fail_without_the_password(
    workspace: Path, smtp: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ADOPS_TEST_SMTP_USER", "alice")
    monkeypatch.setenv("ADOPS_TEST_SMTP_PASSWORD", "wrong-pw-123")
    _email_config(workspace, smtp["port"], smtp["cert"])
    sent = run(channels.send(config.load(), "email", message()))
    assert not sent.ok and sent.status_code == 535 and "wrong-pw-123" not in (sent.error or "")
    monkeypatch.setenv("ADOPS_TEST_SMTP_PASSWORD", "s3cret-pw")
    _email_config(workspace, smtp["port"], smtp["cert"], starttls=False)  # the server insists on TLS
    plain = run(channels.send(config.load(), "email", message()))
    assert not plain.ok and "s3cret-pw" not in (plain.error or "")
    assert smtp["received"] == []
