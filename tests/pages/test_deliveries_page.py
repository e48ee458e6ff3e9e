"""The Deliveries page: empty state, endpoints and their state, the delivery log, replay and enable
through the same domain functions as `adops webhooks replay|enable`, the notification log."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import update
from streamlit.testing.v1 import AppTest

from adops import store
from adops.notify import deliveries
from adops.store.models import Notification, WebhookDelivery

PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "deliveries.py")
URL = "https://hooks.example.com/adops"
CONFIG = f"""
[[webhooks.endpoints]]
url = "{URL}"
events = ["sync.*"]
secret = "env:OUT_SECRET"
"""


def run_page() -> AppTest:
    return AppTest.from_file(PAGE, default_timeout=60).run()


def configure(home: Path, text: str = CONFIG) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "adops.toml").write_text(text)


def a_delivery(
    event_id: int = 7, status: str = "failed", error: str | None = "HTTP 500", url: str = URL
) -> str:
    """A delivery the dispatcher planned and whose schedule ran out (`status`)."""
    did = deliveries.delivery_id(event_id, url)
    deliveries.plan_rows(
        store.engine(), [{"id": did, "endpoint": url, "event_id": event_id, "event_type": "sync.failed"}]
    )
    with store.engine().begin() as conn:
        conn.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id == did)
            .values(status=status, attempts=8, last_status_code=500, last_error=error)
        )
    return did


def test_empty_workspace_says_which_tables_to_add(workspace: Path) -> None:
    at = run_page()
    assert not at.exception and at.title[0].value == "Deliveries"
    assert len(at.info) == 1
    text = at.info[0].value
    assert "[[webhooks.endpoints]]" in text and "[[notifications.rules]]" in text
    assert not at.dataframe and not at.button


def test_a_delivery_is_listed_with_its_endpoint(workspace: Path) -> None:
    configure(workspace)
    did = a_delivery()
    at = run_page()
    assert not at.exception
    endpoints, table = at.dataframe[0].value, at.dataframe[1].value
    assert list(endpoints["endpoint"]) == [URL] and list(endpoints["state"]) == ["active"]
    assert list(table.columns) == [
        "id",
        "endpoint",
        "event_type",
        "status",
        "attempts",
        "next_attempt_at",
        "last_status_code",
    ]
    row = table.iloc[0]
    assert (row["id"], row["status"], row["attempts"], row["last_status_code"]) == (did, "failed", 8, 500)
    assert at.selectbox(key="deliveries-pick").value == did
    assert not at.button(key="deliveries-replay").disabled


def test_the_status_filter_narrows_the_table(workspace: Path) -> None:
    configure(workspace)
    a_delivery(1, "failed")
    delivered = a_delivery(2, "delivered", None)
    at = run_page()
    assert len(at.dataframe[1].value) == 2
    at = at.selectbox(key="deliveries-status").set_value("delivered").run()
    assert list(at.dataframe[1].value["id"]) == [delivered]
    at = at.selectbox(key="deliveries-status").set_value("refused").run()
    assert not at.exception and any(i.value == "No delivery is refused." for i in at.info)


def test_replay_from_the_page_queues_it_again(workspace: Path) -> None:
    configure(workspace)
    did = a_delivery()
    at = run_page().button(key="deliveries-replay").click().run()
    assert not at.exception and not at.error
    assert [s.value for s in at.success] == [
        f"Queued {did} for replay (webhook-{did}-replay-1); the sidecar sends it within a poll."
    ]
    got = deliveries.get(did)
    assert got is not None and got.status == "pending" and got.workflow_id == f"webhook-{did}-replay-1"
    assert at.dataframe[1].value.iloc[0]["status"] == "pending"
    assert at.button(key="deliveries-replay").disabled  # pending: retried on its schedule, not replayed


def test_replay_refused_by_the_domain_is_shown_as_an_error(workspace: Path) -> None:
    configure(workspace)
    did = a_delivery()
    at = run_page()
    deliveries.disable_endpoint(URL, "answered 410 Gone")  # between the render and the click
    at = at.button(key="deliveries-replay").click().run()
    assert not at.exception
    assert len(at.error) == 1 and at.error[0].value.startswith("Not now: its endpoint is disabled")
    got = deliveries.get(did)
    assert got is not None and got.status == "failed"  # unchanged


def test_a_disabled_endpoint_is_enabled_from_the_page(workspace: Path) -> None:
    configure(workspace)
    deliveries.disable_endpoint(URL, "answered 410 Gone")
    at = run_page()
    assert list(at.dataframe[0].value["state"]) == ["disabled"]
    at = at.button(key="deliveries-enable").click().run()
    assert not at.exception and len(at.success) == 1
    assert deliveries.disabled_endpoints() == set()
    assert list(at.dataframe[0].value["state"]) == ["active"]
    assert not any(b.key == "deliveries-enable" for b in at.button)


def test_a_disabled_endpoint_no_longer_configured_is_still_shown(workspace: Path) -> None:
    configure(workspace, "")
    deliveries.disable_endpoint("https://old.example/hook", "answered 410 Gone")
    at = run_page()
    frame = at.dataframe[0].value
    assert list(frame["endpoint"]) == ["https://old.example/hook"] and not frame["in adops.toml"].iloc[0]


def test_hostile_and_oversized_errors_are_plain_text(workspace: Path) -> None:
    configure(workspace)
    hostile = "<script>alert(1)</script> **bold** [x](javascript:alert(1)) " + "A" * 5000
    a_delivery(error=hostile)
    at = run_page()
    assert not at.exception
    assert [t.value for t in at.text] == [f"Last error: {hostile}"]  # st.text: never Markdown or HTML
    assert not any("<script>" in m.value for m in at.markdown)


def test_a_replayed_replay_counts_up_and_an_unknown_id_is_not_found(workspace: Path) -> None:
    configure(workspace)
    did = a_delivery()
    at = run_page().button(key="deliveries-replay").click().run()
    with store.engine().begin() as conn:  # the replay ran and failed again
        conn.execute(update(WebhookDelivery).where(WebhookDelivery.id == did).values(status="failed"))
    at = at.run().button(key="deliveries-replay").click().run()
    got = deliveries.get(did)
    assert got is not None and got.workflow_id.endswith("-replay-2")
    with store.engine().begin() as conn:  # the row went away between the render and the click
        conn.execute(update(WebhookDelivery).where(WebhookDelivery.id == did).values(status="failed"))
    at = at.run()
    with store.engine().begin() as conn:
        conn.execute(WebhookDelivery.__table__.delete())
    at = at.button(key="deliveries-replay").click().run()
    assert not at.exception and at.error[0].value.startswith("Not found: no delivery")


def test_the_notification_log_shows_channel_and_status(workspace: Path) -> None:
    configure(workspace, '[notifications.slack]\nwebhook_url = "env:SLACK_URL"\n')
    at = run_page()
    assert not at.exception and any(i.value == "No notification yet." for i in at.info)
    now = datetime.now(UTC)
    with store.session() as s:
        s.add(
            Notification(
                event_id=3,
                event_type="sync.failed",
                channel="slack",
                severity="error",
                status="sent",
                attempts=1,
                created_at=now,
                sent_at=now,
            )
        )
    at = run_page()
    log = at.dataframe[-1].value
    assert (log.iloc[0]["channel"], log.iloc[0]["status"]) == ("slack", "sent")


def test_a_broken_adops_toml_is_shown_not_raised(workspace: Path) -> None:
    configure(workspace, "[[webhooks.endpoints]]\nurl = 42\n")
    at = run_page()
    assert not at.exception
    assert len(at.error) == 1 and at.error[0].value.startswith("A setting needs fixing")


def test_drawing_the_page_with_a_log_writes_nothing(workspace: Path) -> None:
    """The empty demo in test_no_writes draws the empty state; this draws every section."""
    from tests.pages.test_no_writes import state

    configure(workspace, CONFIG + '[notifications.slack]\nwebhook_url = "env:SLACK_URL"\n')
    a_delivery(1)
    a_delivery(2, "delivered", None)
    deliveries.disable_endpoint(URL, "answered 410 Gone")
    store.reset()
    before = state(workspace)
    at = run_page()
    at = at.selectbox(key="deliveries-status").set_value("failed").run()
    at = at.selectbox(key="deliveries-status").set_value(None).run()
    assert not at.exception and len(at.dataframe) == 2
    assert state(workspace) == before


def test_a_token_in_an_endpoint_url_never_shows(workspace: Path) -> None:
    secret_url = "https://ops:pw-5555@hooks.example.com/adops?token=tok-4444"
    configure(workspace, CONFIG.replace(URL, secret_url))
    a_delivery(url=secret_url)
    at = run_page()
    assert not at.exception
    shown = at.dataframe[0].value.to_csv() + at.dataframe[1].value.to_csv()
    assert "hooks.example.com" in shown and "tok-4444" not in shown and "pw-5555" not in shown
