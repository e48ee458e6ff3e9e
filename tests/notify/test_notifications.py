"""Rules, severities, templates, quiet hours, the rate limit with its digest, and the durable send."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from adops import config, store
from adops.errors import ConfigError
from adops.notify import notifications, rules, templates
from adops.notify.dispatcher import Dispatcher
from adops.store import events
from tests.notify.conftest import LoopThread, Receiver, wait_for, write_config
from tests.notify.fakes import Slack

SLACK_PATH = "/services/T000/B000/XXXXSECRET"


def slack_config(home: Path, url: str, extra: str = "") -> None:
    write_config(
        home,
        f"""
[[notifications.rules]]
events = ["anomaly.*"]
min_severity = "warning"
channels = ["slack"]
[[notifications.rules]]
events = ["job.failed"]
channels = ["slack", "email"]
[notifications.slack]
webhook_url = "{url}"
{extra}
""",
    )


def test_rules_route_by_type_and_severity(workspace: Path) -> None:
    slack_config(workspace, "https://hooks.example/x")
    cfg = config.load()
    assert rules.channels_for(cfg, "anomaly.detected", "warning") == ["slack"]
    assert rules.channels_for(cfg, "anomaly.detected", "info") == []  # below the rule's minimum
    assert rules.channels_for(cfg, "job.failed", "info") == ["slack"]  # email is not configured
    assert rules.channels_for(cfg, "sync.done", "critical") == []
    assert rules.severity_of({"severity": "critical"}) == "critical"
    assert rules.severity_of({"severity": "apocalyptic"}) == "info"
    assert rules.severity_of(["not", "a", "dict"]) == "info"
    assert (
        rules.matches(["*"], "x")
        and rules.matches(["sync.*"], "sync.failed")
        and not rules.matches(["sync"], "sync.x")
    )


def test_quiet_hours_across_midnight_let_critical_through(workspace: Path) -> None:
    slack_config(
        workspace,
        "https://hooks.example/x",
        '[notifications.quiet_hours]\nstart = "22:00"\nend = "07:00"\ntimezone = "Europe/Berlin"\n',
    )
    cfg = config.load()
    night = datetime(2026, 12, 7, 23, 30, tzinfo=UTC)  # 00:30 in Berlin
    day = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
    assert rules.quiet(cfg, night, "warning") and not rules.quiet(cfg, night, "critical")
    assert not rules.quiet(cfg, day, "warning")


@pytest.mark.parametrize(
    ("table", "needle"),
    [
        ('[notifications.quiet_hours]\nstart = "25:00"\nend = "07:00"\n', "notifications.quiet_hours.start"),
        ('[notifications.quiet_hours]\nstart = "22:00"\nend = "07:00"\ntimezone = "Mars/Base"\n', "IANA"),
        ("[notifications.rate_limit]\nmessages = 0\n", "notifications.rate_limit.messages"),
        ('[notifications.templates]\ndefault = "{% for x in %}"\n', "template 'default'"),
    ],
)
def test_bad_notification_settings_name_the_key(workspace: Path, table: str, needle: str) -> None:
    write_config(workspace, table)
    with pytest.raises(ConfigError, match=needle.replace(".", r"\.").replace("(", r"\(")):
        config.load()


def test_templates_render_in_the_sandbox() -> None:
    event = templates.event_context(
        5, "anomaly.detected", "warning", "2026-12-07T00:00:00+00:00", {"metric": "cpa"}
    )
    msg = templates.for_event({"anomaly.detected": "{{ event.data.metric | upper }} moved"}, event)
    assert msg.text == "CPA moved" and msg.title == "WARNING: anomaly.detected"
    assert "metric: cpa" in templates.for_event({}, event).text
    with pytest.raises(ConfigError):  # the sandbox refuses reaching into Python internals
        templates.for_event({"default": "{{ event.__class__.__mro__[1].__subclasses__() }}"}, event)
    long = templates.for_event({"default": "{% for i in range(100000) %}x{% endfor %}"}, event)
    assert len(long.text) <= templates.MAX_TEXT


def test_events_reach_slack_through_the_durable_workflow(
    workspace: Path, dbos: None, loop: LoopThread, receiver: Receiver
) -> None:
    fake = Slack(rate_limited=1)  # the first try is answered 429 Retry-After: 1
    receiver.handler = fake
    slack_config(workspace, receiver.url + SLACK_PATH)
    d = Dispatcher(notify_schedule=[0, 0.05, 0.05], digest_every_s=3600)
    loop.run(d.start(background=False))
    hit = events.publish("anomaly.detected", {"metric": "cpa", "severity": "critical"})
    events.publish("anomaly.detected", {"metric": "ctr", "severity": "info"})  # below the rule: nothing
    loop.run(d.step())
    wait_for(lambda: fake.messages, what="the slack message")
    log = wait_for(lambda: [n for n in notifications.recent() if n["status"] == "sent"], what="sent")
    assert [(n["event_id"], n["channel"], n["attempts"]) for n in log] == [(hit, "slack", 2)]
    assert len(notifications.recent()) == 1
    assert "cpa" in str(fake.messages[0]["blocks"])
    gap = receiver.requests[1]["at"] - receiver.requests[0]["at"]
    assert gap >= 0.9  # Slack's Retry-After: 1 was honoured over the schedule's 0.05 s


def test_rate_limit_holds_then_one_digest_carries_the_rest(
    workspace: Path, dbos: None, loop: LoopThread, receiver: Receiver
) -> None:
    fake = Slack()
    receiver.handler = fake
    slack_config(
        workspace, receiver.url + SLACK_PATH, "[notifications.rate_limit]\nmessages = 2\nper_minutes = 60\n"
    )
    d = Dispatcher(notify_schedule=[0, 0.05], digest_every_s=3600)
    loop.run(d.start(background=False))
    for i in range(5):
        events.publish("anomaly.detected", {"n": i, "severity": "warning"})
    loop.run(d.step())
    wait_for(
        lambda: len([n for n in notifications.recent() if n["status"] in ("sent", "held")]) == 5,
        what="decided",
    )
    by_status = sorted(n["status"] for n in notifications.recent())
    assert by_status == ["held", "held", "held", "sent", "sent"]
    assert len(fake.messages) == 2
    # the window is full: no digest yet; once it has room, one digest carries all three
    assert notifications.make_digests(store.engine(), config.load(), datetime.now(UTC)) == []
    later = datetime(2099, 1, 1, tzinfo=UTC)
    made = notifications.make_digests(store.engine(), config.load(), later)
    assert len(made) == 1
    loop.run(d.step())
    wait_for(lambda: len(fake.messages) == 3, what="the digest")
    digest = fake.messages[2]
    assert "3 notifications held back" in digest["text"]
    held = [n for n in notifications.recent() if n["status"] == "digested"]
    assert len(held) == 3 and {n["digest_id"] for n in held} == set(made)
