"""Events and webhook receipts on PostgreSQL: the hub holds gaps, receipts are unique per webhook-id."""

from __future__ import annotations

import asyncio
import json

import pytest

from adops import store
from adops.errors import Conflict
from adops.sidecar.hub import Hub
from adops.sidecar.webhooks import record
from adops.store import events
from tests.store.test_postgres import pytestmark as _pg_marks

pytestmark = _pg_marks


def test_webhook_receipts_and_the_feed_on_postgres(
    postgres_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ADOPS_DATABASE_URL", postgres_url)
    store.reset()
    event_id, duplicate = record("meta", "pg_1", '{"a": 1}', {"a": 1})
    assert not duplicate
    assert record("meta", "pg_1", '{"a": 1}', {"a": 1}) == (event_id, True)
    with pytest.raises(Conflict):
        record("tiktok", "pg_1", '{"a": 1}', {"a": 1})
    second, _ = record("meta", "pg_2", "{}", {})
    assert second == event_id + 1  # the refused deliveries drew no event id
    rows = events.feed(event_id - 1, 10, ("webhook.received",))
    assert [r[0] for r in rows] == [event_id, second]
    assert json.loads(rows[0][2])["payload"] == {"a": 1}

    async def hub_mode() -> bool | None:
        hub = Hub()
        await hub.start()
        await hub.stop()
        return hub.hold_gaps

    assert asyncio.run(hub_mode()) is True
