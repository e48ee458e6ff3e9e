"""[[webhooks.sources]]: a signed delivery that matches a rule starts its job once, whatever is replayed."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from adops import jobs, store
from adops.errors import ConfigError
from adops.jobs import triggers
from adops.settings import validate
from adops.sidecar.webhooks import record, sign
from tests.cli_support import run as cli
from tests.sidecar.conftest import SECRET, Live

Start = Callable[..., Live]
PARTNER_SECRET = "whsec_" + "cGFydG5lci1zZWNyZXQtZm9yLXRoZS10ZXN0cw=="

CONFIG = """
[[webhooks.sources]]
name = "partner"
fields = ["platform", "data.since"]
events = [
  { match = { type = "account.updated" }, job = "sync", params = { platforms = ["{{ platform }}"] } },
  { match = { type = "window.restated", "data.final" = true }, job = "sync", params = { platforms = ["{{ platform }}"], since = "{{ data.since }}" } },
  { match = { type = "experiment.ended" }, job = "experiments.decide" },
]
"""


def write_config(home: Path, text: str = CONFIG) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "adops.toml").write_text(text)


def post(
    live: Live, payload: Any, webhook_id: str, source: str = "partner", secret: str = SECRET
) -> httpx.Response:
    body = json.dumps(payload).encode()
    stamp = int(time.time())
    headers = {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(stamp),
        "webhook-signature": sign(secret, webhook_id, stamp, body),
    }
    return httpx.post(f"{live.url}/webhooks/{source}", content=body, headers=headers, timeout=20)


def events(*types: str) -> list[dict[str, Any]]:
    return [e.data for e in store.events.after(0, limit=10_000, types=types)]


def syncs() -> list[jobs.Job]:
    return jobs.recent(100, kind="sync")


@pytest.fixture
def live(start: Start, workspace: Path) -> Live:
    write_config(workspace)
    return start()


def test_a_matching_delivery_starts_one_sync_even_when_redelivered_three_times(live: Live) -> None:
    payload = {"type": "account.updated", "platform": "meta", "account": "act_1"}
    first = post(live, payload, "msg_1")
    assert first.status_code == 202
    expected = triggers.job_id("sync", "msg_1", 0)
    assert first.json()["jobs"] == [expected]
    for _ in range(3):
        again = post(live, payload, "msg_1")
        assert again.status_code == 200 and again.json() == {
            "duplicate": True,
            "id": first.json()["id"],
            "jobs": [expected],
        }
    [job] = syncs()
    assert job.id == expected and job.status == "queued" and job.queue == "syncs"
    assert job.params == {"platforms": ["meta"], "trigger": "webhook"}
    [triggered] = events("webhook.triggered")
    assert triggered == {
        "source": "partner",
        "webhook_id": "msg_1",
        "rule": 0,
        "job": "sync",
        "job_id": expected,
        "joined": False,
    }
    assert [e["job_id"] for e in events("job.queued")] == [expected]
    assert not events("webhook.rejected")


def test_another_delivery_for_the_same_work_joins_the_queued_sync(live: Live) -> None:
    payload = {"type": "account.updated", "platform": "meta"}
    first = post(live, payload, "msg_a").json()["jobs"]
    second = post(live, payload, "msg_b").json()["jobs"]
    other = post(live, {**payload, "platform": "tiktok"}, "msg_c").json()["jobs"]
    assert first == second and other != first  # the same de-duplication as "Sync now"
    assert len(syncs()) == 2
    assert [e["joined"] for e in events("webhook.triggered")] == [False, True, False]


def test_a_payload_that_matches_nothing_is_only_received(live: Live) -> None:
    for i, payload in enumerate(
        [
            {"type": "account.created", "platform": "meta"},
            {"kind": "account.updated", "platform": "meta"},  # the field is `type`
            {"type": ["account.updated"], "platform": "meta"},  # exact values only
            {"type": "window.restated", "platform": "meta", "data": {"final": 1, "since": "2026-11-01"}},
            {"type": "window.restated", "platform": "meta", "data": {"final": "true"}},
            [1, 2, 3],
            "account.updated",
        ]
    ):
        response = post(live, payload, f"msg_none_{i}")
        assert response.status_code == 202 and "jobs" not in response.json()
    assert len(events("webhook.received")) == 7
    assert not syncs() and not events("webhook.triggered", "webhook.rejected")


def test_dotted_paths_and_rules_without_params(live: Live) -> None:
    restated = {
        "type": "window.restated",
        "platform": "google_ads",
        "data": {"final": True, "since": "2026-11-01"},
    }
    assert post(live, restated, "msg_r").status_code == 202
    [job] = syncs()
    assert job.params == {"platforms": ["google_ads"], "since": "2026-11-01", "trigger": "webhook"}
    response = post(live, {"type": "experiment.ended", "experiment": 7}, "msg_e")
    assert response.json()["jobs"] == [triggers.job_id("experiments.decide", "msg_e", 2)]
    [decide] = jobs.recent(10, kind="experiments.decide")
    assert decide.params == {}


HOSTILE = [
    ("{{ 7*7 }}", "unknown platform"),
    ("{% import os %}{{ os.system('id') }}", "unknown platform"),
    ("${jndi:ldap://x/a}", "unknown platform"),
    ("meta'; DROP TABLE jobs; --", "unknown platform"),
    ("META", "unknown platform"),
    ("meta\n", "control characters"),
    ("m" * 100_000, "at most 200"),
    (["meta", "tiktok"], "is a list"),
    ({"$ne": None}, "is a dict"),
    (None, "is a NoneType"),
    (True, "Input should be a valid string"),
    (10**40, "out of range"),
    (1.5, "Input should be a valid string"),
]


@pytest.mark.parametrize(("value", "reason"), HOSTILE, ids=[str(i) for i in range(len(HOSTILE))])
def test_hostile_values_never_reach_a_job(live: Live, value: Any, reason: str) -> None:
    response = post(live, {"type": "account.updated", "platform": value}, "msg_hostile")
    assert response.status_code == 202 and "jobs" not in response.json()  # the sender did nothing wrong
    [rejected] = events("webhook.rejected")
    assert rejected["rule"] == 0 and rejected["job"] == "sync" and reason in rejected["error"]
    assert len(rejected["error"]) < 300  # a 100,000-character value is not copied into the event
    assert not syncs() and not events("webhook.triggered", "job.queued")
    assert post(live, {"type": "account.updated", "platform": value}, "msg_hostile").status_code == 200
    assert len(events("webhook.rejected")) == 1  # a redelivery is not rejected (or recorded) twice


def test_a_missing_field_and_a_bad_date_are_rejected(live: Live) -> None:
    post(live, {"type": "account.updated"}, "msg_missing")
    post(
        live,
        {"type": "window.restated", "platform": "meta", "data": {"final": True, "since": "2026-02-30"}},
        "msg_day",
    )
    errors = [e["error"] for e in events("webhook.rejected")]
    assert errors == [
        "params.platforms[0]: the payload has no field platform",
        "params.since: not a date (YYYY-MM-DD)",
    ]
    assert not syncs()


def test_a_replay_after_a_crash_between_receipt_and_job_starts_it_once(live: Live) -> None:
    payload = {"type": "account.updated", "platform": "linkedin"}
    event_id, duplicate = record(
        "partner", "msg_crash", json.dumps(payload), payload
    )  # stored, then the crash
    assert not duplicate and not syncs()
    replayed = post(live, payload, "msg_crash")
    assert replayed.status_code == 200 and replayed.json()["id"] == event_id
    assert replayed.json()["jobs"] == [triggers.job_id("sync", "msg_crash", 0)]
    post(live, payload, "msg_crash")
    assert len(syncs()) == 1 and len(events("webhook.triggered")) == 1


def test_a_crash_after_the_enqueue_but_before_its_event_still_gives_one_job(live: Live) -> None:
    payload = {"type": "account.updated", "platform": "pinterest"}
    event_id, _ = record("partner", "msg_late", json.dumps(payload), payload)
    wanted = triggers.job_id("sync", "msg_late", 0)
    assert jobs.enqueue("sync", {"platforms": ["pinterest"], "trigger": "webhook"}, job_id=wanted) == wanted
    assert post(live, payload, "msg_late").json()["jobs"] == [wanted]  # DBOS returns the job with that id
    assert [j.id for j in syncs()] == [wanted]


def test_a_source_secret_from_the_settings_is_its_own(
    start: Start, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_config(
        workspace, CONFIG.replace('name = "partner"', 'name = "partner"\nsecret = "env:PARTNER_SECRET"')
    )
    live = start()
    refused = post(live, {"type": "account.updated", "platform": "meta"}, "msg_s1")
    assert (
        refused.status_code == 401 and "PARTNER_SECRET" in refused.text
    )  # unset: no fallback to the shared one
    monkeypatch.setenv("PARTNER_SECRET", PARTNER_SECRET)
    assert (
        post(live, {"type": "account.updated"}, "msg_s2").status_code == 401
    )  # the shared secret no longer signs
    assert (
        post(
            live, {"type": "account.updated", "platform": "meta"}, "msg_s3", secret=PARTNER_SECRET
        ).status_code
        == 202
    )
    assert PARTNER_SECRET not in json.dumps(events("webhook.received", "webhook.triggered"))
    assert (
        post(live, {"type": "account.updated"}, "msg_s4", source="other").status_code == 202
    )  # unconfigured: shared


def test_a_triggered_sync_runs_as_any_sync_does(live: Live) -> None:
    from datetime import date

    from adops.connectors.sandbox import init_state
    from adops.store.models import SyncRun
    from tests.jobs.support import run

    init_state(5, date(2026, 11, 24), (2, 3))
    [job_id] = post(live, {"type": "account.updated", "platform": "tiktok"}, "msg_run").json()["jobs"]
    done = run(job_id)
    assert done.status == "done" and done.result is not None and done.result["rows"] > 0
    with store.session() as s:
        assert {r.trigger for r in s.query(SyncRun)} == {"webhook"}


# ---------------------------------------------------------------------------- settings


def rule(**kw: Any) -> dict[str, Any]:
    return {"webhooks": {"sources": [{"name": "partner", "fields": ["platform"], **kw}]}}


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (rule(events=[{"job": "nope"}]), "webhooks.sources[0].events[0].job: unknown job kind 'nope'"),
        (rule(events=[{"job": "budget_plan.run"}]), "budget_plan.run jobs cannot be started by a webhook"),
        (rule(events=[{"job": "warehouse.delete_account"}]), "cannot be started by a webhook"),
        (rule(events=[{"job": "schedule.tick"}]), "schedule.tick jobs cannot be started by a webhook"),
        (rule(events=[{"match": {"a..b": "x"}, "job": "sync"}]), "'a..b' is not a payload path"),
        (rule(events=[{"match": {"data[0]": "x"}, "job": "sync"}]), "is not a payload path"),
        (rule(events=[{"match": {"type": 1.5}, "job": "sync"}]), "events[0].match.type: expected text"),
        (rule(events=[{"match": {"type": ["a"]}, "job": "sync"}]), "events[0].match.type: expected text"),
        (
            rule(events=[{"job": "sync", "params": {"platforms": ["{{ account }}"]}}]),
            "events: rule 0, params.platforms[0]: 'account' is not one of this source's fields (listed: platform)",
        ),
        (
            rule(events=[{"job": "sync", "params": {"platforms": ["x-{{ platform }}"]}}]),
            "events[0].params: platforms[0]: a template is a whole value",
        ),
        (
            rule(events=[{"job": "sync", "params": {"platforms": ["{{ platform | upper }}"]}}]),
            "a template is a whole value",
        ),
        (
            rule(events=[{"job": "sync", "params": {"platforms": ["{% if 1 %}meta{% endif %}"]}}]),
            "a template is a whole value",
        ),
        (
            rule(events=[{"job": "sync", "params": {"platforms": ["{{ __class__.__mro__ }}"]}}]),
            "not one of this source's fields",
        ),
        (rule(events=[{"job": "sync", "params": {"platforms": ["nope"]}}]), "platforms[0]: unknown platform"),
        (
            rule(events=[{"job": "sync", "params": {"trigger": "x"}}]),
            "params: trigger: sync jobs take no such param",
        ),
        (
            rule(events=[{"job": "sync", "params": {"since": "2026-12-02", "until": "2026-12-01"}}]),
            "since is after until",
        ),
        (
            rule(events=[{"job": "experiments.decide", "params": {"x": 1}}]),
            "x: experiments.decide jobs take no such param (known: none)",
        ),
        (rule(events=[{"job": "sync", "extra": 1}]), "events[0].extra: unknown setting"),
        (rule(fields=["a b"]), "webhooks.sources[0].fields[0]: 'a b' is not a payload path"),
        (rule(secret="env:"), "webhooks.sources[0].secret"),
        ({"webhooks": {"sources": [{"name": "Partner"}]}}, "webhooks.sources[0].name"),
        (
            {"webhooks": {"sources": [{"name": "a"}, {"name": "a"}]}},
            "webhooks.sources: [1] repeats the source 'a'",
        ),
        (rule(events=[{"job": "sync"}] * 51), "webhooks.sources[0].events"),
    ],
)
def test_bad_rules_are_config_errors_naming_the_key(document: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        validate(document)
    assert message in str(raised.value)


def test_a_bad_rule_in_adops_toml_is_exit_2_with_one_line(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_config(workspace, CONFIG.replace('job = "experiments.decide"', 'job = "budget_plan.run"'))
    code, out, err = cli(["config", "show"], capsys)
    assert code == 2 and not out and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert "webhooks.sources[0].events[2].job" in err


def test_the_example_rules_load_and_show(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_config(
        workspace, CONFIG.replace('name = "partner"', 'name = "partner"\nsecret = "env:PARTNER_SECRET"')
    )
    [source] = triggers.sources().values()
    assert source.name == "partner" and source.secret == "env:PARTNER_SECRET" and len(source.rules) == 3
    code, out, _ = cli(["config", "show"], capsys)
    [shown] = json.loads(out)["webhooks"]["sources"]
    assert shown["secret"] == "env:PARTNER_SECRET (unset)" and shown["fields"] == ["platform", "data.since"]
    assert shown["events"][1]["match"] == {"type": "window.restated", "data.final": True}
    assert shown["events"][1]["params"]["since"] == "{{ data.since }}"
    write_config(
        workspace, CONFIG.replace('name = "partner"', f'name = "partner"\nsecret = "{PARTNER_SECRET}"')
    )
    code, out, _ = cli(["config", "show"], capsys)
    assert (
        code == 0
        and PARTNER_SECRET not in out
        and json.loads(out)["webhooks"]["sources"][0]["secret"] == "***"
    )


# ---------------------------------------------------------------------------- matching, directly


def test_matching_is_exact_in_value_and_type() -> None:
    rules = [
        triggers.Rule(0, "experiments.decide", ((("n",), 1),), {}),
        triggers.Rule(1, "experiments.decide", ((("flag",), True),), {}),
        triggers.Rule(2, "experiments.decide", ((("a", "b"), "x"),), {}),
    ]
    assert [o.rule for o in triggers.plan(rules, {"n": 1})] == [0]
    assert [o.rule for o in triggers.plan(rules, {"n": True, "flag": 1})] == []  # True is not 1
    assert [o.rule for o in triggers.plan(rules, {"n": 1.0, "flag": True})] == [1]
    assert [o.rule for o in triggers.plan(rules, {"a": {"b": "x"}, "a.b": "y"})] == [2]
    assert [o.rule for o in triggers.plan(rules, {"a.b": "x"})] == []  # a path, not a key with a dot
    assert triggers.plan(rules, None) == [] and triggers.plan(rules, [{"n": 1}]) == []


def test_job_ids_are_stable_per_delivery_and_rule() -> None:
    assert triggers.job_id("sync", "msg_1", 0) == triggers.job_id("sync", "msg_1", 0)
    ids = {triggers.job_id("sync", w, r) for w in ("msg_1", "msg_2") for r in (0, 1)}
    assert len(ids) == 4
    assert all(jobs.api._ID.fullmatch(i) for i in ids)  # a valid job id whatever the webhook-id holds
    assert jobs.api._ID.fullmatch(triggers.job_id("sync", "~!@#$%^&*()" * 18, 0))


def test_while_adops_toml_does_not_load_webhooks_get_a_500_and_the_log_names_the_key(
    live: Live, workspace: Path, caplog: pytest.LogCaptureFixture
) -> None:
    payload = {"type": "account.updated", "platform": "meta"}
    write_config(workspace, CONFIG.replace('job = "experiments.decide"', 'job = "warehouse.delete_account"'))
    broken = post(live, payload, "msg_broken")
    assert broken.status_code == 500 and "settings" in broken.json()["error"]
    assert "webhooks.sources[0].events[2].job" in caplog.text
    write_config(workspace, CONFIG + "\n")  # fixed (and changed, so it is read again)
    retried = post(live, payload, "msg_broken")
    assert retried.status_code == 202  # nothing was stored before: the retry is the first delivery
    assert retried.json()["jobs"] == [triggers.job_id("sync", "msg_broken", 0)]
    assert len(events("webhook.received")) == 1


def test_the_same_delivery_sent_five_times_at_once_starts_one_job(live: Live) -> None:
    from concurrent.futures import ThreadPoolExecutor

    payload = {"type": "account.updated", "platform": "microsoft_ads"}
    with ThreadPoolExecutor(5) as pool:
        answers = list(pool.map(lambda _: post(live, payload, "msg_race"), range(5)))
    assert sorted(a.status_code for a in answers) == [200, 200, 200, 200, 202]
    assert {tuple(a.json()["jobs"]) for a in answers} == {(triggers.job_id("sync", "msg_race", 0),)}
    assert len(syncs()) == 1 and len(events("job.queued")) == 1
