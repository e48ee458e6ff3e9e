from sqlalchemy import inspect

from adops import store
from adops.store import events


def test_migrations_create_every_table() -> None:
    names = set(inspect(store.engine()).get_table_names())
    assert {
        "events",
        "jobs",
        "sync_runs",
        "sync_account_runs",
        "sync_state",
        "audit_log",
        "webhook_receipts",
        "alembic_version",
    } <= names


def test_events_have_increasing_ids_and_replay_after_an_id() -> None:
    first = events.publish("a", {"n": 1})
    second = events.publish("b", {"n": 2})
    third = events.publish("a", {"n": 3})
    assert first < second < third
    assert [e.data["n"] for e in events.after(first)] == [2, 3]
    assert [e.data["n"] for e in events.after(0, types=("a",))] == [1, 3]
    assert events.last_id() == third
