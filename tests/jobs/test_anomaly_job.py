"""`anomalies.scan`: queued after a sync, stores each anomaly once, one `anomaly.detected` per new one."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest

from adops import jobs
from adops.analytics import anomaly_store
from adops.analytics.anomalies import Thresholds
from adops.connectors.sandbox import init_state
from adops.connectors.sandbox.world import World
from adops.notify import rules
from adops.store import events
from tests.conftest import TODAY
from tests.jobs.support import run

ANCHOR = date.fromisoformat(TODAY)
SHAPE = (3, 5)


def _injected(platform_kinds: tuple[str, ...] = ("spend_spike", "spend_drop")) -> tuple[str, date, str, str]:
    world = World(seed=7, anchor=ANCHOR, campaigns_per_account=SHAPE)
    a = next(a for a in world.anomalies if a.kind in platform_kinds)
    return a.platform, a.start, a.campaign_id, "spike" if a.kind == "spend_spike" else "drop"


def test_a_sync_queues_a_scan_that_stores_each_anomaly_once_and_publishes_it() -> None:
    platform, day, campaign, kind = _injected()
    init_state(7, ANCHOR, SHAPE)
    since = (day - timedelta(days=70)).isoformat()
    synced = run(jobs.enqueue("sync", {"platforms": [platform], "since": since}))
    assert synced.status == "done" and synced.result is not None
    scan = jobs.recent(1, kind="anomalies.scan")[0]
    assert scan.id in synced.result["follow_ups"] and scan.status == "queued"
    assert run(scan.id).status == "done"  # the latest days of the warehouse

    params = {"today": (day + timedelta(days=3)).isoformat()}  # a week that holds the injected one
    first = run(jobs.enqueue("anomalies.scan", params))
    assert first.status == "done" and first.result is not None
    assert first.result["new"] >= 1 and first.result["published"] == first.result["new"]
    assert [s.name for s in jobs.steps(first.id)] == [
        "start",
        "scan and store",
        "publish new anomalies",
        "finish",
    ]
    found = anomaly_store.active()
    hit = found[(found["campaign_id"] == campaign) & (found["metric"] == "spend")]
    assert list(hit["kind"]) == [kind] and list(pd.to_datetime(hit["ds"]).dt.date) == [day]
    assert hit.iloc[0]["expected"] > 0 and hit.iloc[0]["severity"] in ("warning", "critical")
    detected = [e for e in events.after(0, limit=5000) if e.type == "anomaly.detected"]
    assert len(detected) == first.result["new"]
    mine = next(e.data for e in detected if e.data["anomaly_id"] == int(hit.iloc[0]["id"]))
    assert (
        mine["kind"] == kind
        and mine["campaign_id"] == campaign
        and rules.severity_of(mine) == mine["severity"]
    )

    again = run(jobs.enqueue("anomalies.scan", params))
    assert again.result is not None and again.result["new"] == 0 and again.result["published"] == 0
    assert again.result["seen"] == first.result["new"]
    assert len([e for e in events.after(0, limit=5000) if e.type == "anomaly.detected"]) == len(detected)
    assert len(anomaly_store.active()) == len(found)


def test_anomalies_resolve_when_a_scan_no_longer_sees_them_and_expire_with_age() -> None:
    from adops.analytics.anomalies import Anomaly

    def one(ds: str) -> Anomaly:
        return Anomaly("meta:a1", "spend", ds, 10.0, 100.0, -9.0, "drop", "drop", "warning", 90.0,
                       {"level": "account", "platform": "meta", "account_id": "a1"})  # fmt: skip

    since = date(2026, 11, 18)
    assert anomaly_store.record([one("2026-11-20"), one("2026-11-21")], since)["new"] == 2
    assert anomaly_store.publish_new() == 2 and anomaly_store.publish_new() == 0
    counts = anomaly_store.record([one("2026-11-21")], since)
    assert counts == {"found": 1, "new": 0, "seen": 1, "resolved": 1, "expired": 0}
    assert list(anomaly_store.active()["ds"].astype(str)) == ["2026-11-21"]
    counts = anomaly_store.record([], date(2026, 11, 25))
    assert counts["expired"] == 1 and anomaly_store.active().empty
    assert anomaly_store.active("critical").empty


def test_a_scan_of_an_empty_warehouse_finds_nothing() -> None:
    done = run(jobs.enqueue("anomalies.scan", {}))
    assert done.status == "done" and done.result is not None
    assert done.result["new"] == 0 and done.result["published"] == 0


def test_the_thresholds_come_from_adops_toml(workspace: Path) -> None:
    from adops import config
    from adops.errors import ConfigError

    assert anomaly_store.configured_thresholds() == Thresholds()
    workspace.mkdir(parents=True, exist_ok=True)
    (workspace / "adops.toml").write_text("[analysis.anomalies]\nz = 5\nratio = 3.0\nmin_volume = 40\n")
    t = anomaly_store.configured_thresholds()
    assert (t.z, t.ratio, t.min_volume, t.weeks) == (5.0, 3.0, 40.0, 4)
    for bad in ("ratio = 0.5", "z = 9", "weeks = 0", 'z = "high"', "outage_fraction = 1", "limit = 3"):
        (workspace / "adops.toml").write_text(f"[analysis.anomalies]\n{bad}\n")
        with pytest.raises(ConfigError):
            config.load()


def test_notification_rules_route_anomalies_by_severity(workspace: Path) -> None:
    from adops import config
    from adops.analytics.anomalies import Anomaly

    workspace.mkdir(parents=True, exist_ok=True)
    (workspace / "adops.toml").write_text(
        '[[notifications.rules]]\nevents = ["anomaly.detected"]\nmin_severity = "warning"\nchannels = ["slack"]\n'
        '[notifications.slack]\nwebhook_url = "https://hooks.slack.com/services/T0/B0/x"\n'
    )
    dims = {"level": "platform", "platform": "meta"}
    found = [
        Anomaly("meta", "spend", "2026-11-20", 10.0, 100.0, -30.0, "drop", "drop", "critical", 90.0, dims),
        Anomaly("meta", "clicks", "2026-11-20", 50.0, 100.0, -4.2, "drop", "drop", "info", 90.0, dims),
    ]
    anomaly_store.record(found, date(2026, 11, 18))
    assert anomaly_store.publish_new() == 2
    cfg = config.load()
    routed = {
        e.data["metric"]: rules.channels_for(cfg, e.type, rules.severity_of(e.data))
        for e in events.after(0)
        if e.type == "anomaly.detected"
    }
    assert routed == {"spend": ["slack"], "clicks": []}
