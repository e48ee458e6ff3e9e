"""adops.analytics.feed: the events the Live monitoring feed draws before its stream opens."""

from __future__ import annotations

from datetime import datetime

from adops.analytics import feed
from adops.store import events


def test_backlog_is_the_newest_wanted_events_oldest_first_with_their_stored_times() -> None:
    ids = [events.publish("job.done", {"kind": "forecast.run", "n": n}) for n in range(5)]
    events.publish("job.progress", {"n": 99})
    last = events.publish("sync.finished", {"status": "success"})
    found = feed.backlog(["job.done", "sync.finished"], limit=3)
    assert found.last_id == last
    assert [e["id"] for e in found.events] == [ids[3], ids[4], last]
    assert [e["type"] for e in found.events] == ["job.done", "job.done", "sync.finished"]
    assert found.events[0]["data"] == {"kind": "forecast.run", "n": 3}
    assert all(datetime.fromisoformat(str(e["at"])).utcoffset().total_seconds() == 0 for e in found.events)  # type: ignore[union-attr]


def test_backlog_limits_and_empty_log() -> None:
    assert feed.backlog(["job.done"]) == feed.Backlog(0, [])
    last = events.publish("job.progress", {})
    assert feed.backlog(["job.done"], limit=10) == feed.Backlog(last, [])  # the stream starts after it
    for _ in range(3):
        events.publish("job.done", {})
    assert len(feed.backlog(["job.done"], limit=10**9).events) == 3  # capped at MAX_BACKLOG, not refused
    assert feed.backlog(["job.done"], limit=-5).events == [] and feed.backlog([], limit=5).events == []


def test_vocabulary_names_kinds_metrics_and_platforms() -> None:
    words = feed.vocabulary()
    assert words["kinds"]["anomalies.scan"] == "Anomaly scan"
    assert words["metrics"]["cpa"] == "CPA" and words["platforms"]["microsoft_ads"] == "Microsoft Ads"
    assert words["accounts"] == {}  # an empty warehouse has no account names
