"""A lost or damaged snapshot manifest never costs data: it is rebuilt from the Delta logs."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest
from deltalake import DeltaTable

from adops import warehouse
from tests.warehouse.support import rows


def history(days: int = 5) -> pd.DataFrame:
    return pd.concat([rows(3, day=(date(2026, 11, 1) + timedelta(days=d)).isoformat()) for d in range(days)])


def count() -> int:
    return int(warehouse.query("SELECT count(*) AS n FROM campaign_daily", cached=False).n[0])


@pytest.mark.parametrize(
    "damage",
    [
        None,  # deleted
        "",
        "{not json",
        '{"versions": {}}',  # what the probe's COPY wrote: valid JSON, no tables
        '{"versions": {"campaign_daily": -1}}',
        '{"versions": {"campaign_daily": "7"}}',
        '{"versions": []}',
        "[]",
        "\x00\xff" * 100,
    ],
    ids=["deleted", "empty", "bad-json", "no-tables", "negative", "string", "list", "array", "binary"],
)
def test_a_lost_manifest_keeps_history_for_readers_and_the_next_write(
    workspace: Path, damage: str | None
) -> None:
    warehouse.commit({"campaign_daily": history(5)})
    manifest = workspace / "warehouse" / "_snapshot.json"
    if damage is None:
        manifest.unlink()
    else:
        manifest.write_text(damage, errors="surrogateescape")
    if damage == '{"versions": {}}':
        # a well-formed manifest naming no tables is taken at its word by readers; repair completes it
        assert count() == 0
        assert warehouse.repair()["manifest"] == "completed"
        assert warehouse.snapshot().versions == {"campaign_daily": 0}
    else:
        snap = warehouse.snapshot()
        assert snap.recovered and snap.versions == {"campaign_daily": 0}
    assert count() == 15  # readers still see the data
    warehouse.commit({"campaign_daily": rows(3, spend=99.0, day="2026-11-06")})  # the next sync
    assert count() == 18  # nothing overwritten: 15 old rows + 3 new
    assert not warehouse.snapshot().recovered
    assert json.loads(manifest.read_text())["versions"] == {"campaign_daily": 1}


def test_repair_writes_the_manifest_again_and_is_idempotent(workspace: Path) -> None:
    warehouse.commit({"campaign_daily": history(2), "accounts": _accounts()})
    published = warehouse.snapshot().versions
    (workspace / "warehouse" / "_snapshot.json").unlink()
    first = warehouse.repair()
    assert first["manifest"] == "rebuilt" and first["versions"] == published and first["rewritten"] == []
    again = warehouse.repair()
    assert again["manifest"] == "ok" and again["versions"] == published
    assert warehouse.snapshot().versions == published and not warehouse.snapshot().recovered


def test_an_empty_warehouse_needs_no_repair(workspace: Path) -> None:
    assert warehouse.snapshot().versions == {} and not warehouse.snapshot().recovered
    assert warehouse.repair() == {"manifest": "rebuilt", "rewritten": [], "versions": {}}


def test_a_torn_last_commit_is_skipped(workspace: Path) -> None:
    warehouse.commit({"campaign_daily": history(2)})
    warehouse.commit({"campaign_daily": rows(3, day="2026-11-03")})
    log = workspace / "warehouse" / "campaign_daily" / "_delta_log"
    (workspace / "warehouse" / "_snapshot.json").unlink()
    newest = max(log.glob("*.json"))
    newest.write_text(newest.read_text()[:40])  # a commit cut short by a crash or a full disk
    snap = warehouse.snapshot()
    assert snap.recovered and snap.versions["campaign_daily"] in (0, 1)
    assert count() in (6, 9)


@pytest.mark.slow
def test_a_sync_after_the_manifest_is_lost_keeps_all_history(workspace: Path) -> None:
    """The probe's case: 48,381 rows became 13,698 when a sync ran without the manifest."""
    from adops.ingest import build_demo, sync

    build_demo(days=60, seed=5, campaigns_per_account=(2, 3))
    before = count()
    (workspace / "warehouse" / "_snapshot.json").unlink()
    assert sync().status == "success"
    after = count()
    assert after >= before > 0
    oldest = warehouse.query("SELECT min(date) AS d FROM campaign_daily").d[0]
    assert str(oldest)[:10] == "2026-09-26"  # 60 days to 2026-11-24: the first day is still there


def test_a_writer_never_overwrites_a_table_it_finds_unnamed_by_a_lost_manifest(workspace: Path) -> None:
    warehouse.commit({"campaign_daily": history(3), "ads": _ads(["a1", "a2"])})
    (workspace / "warehouse" / "_snapshot.json").unlink()
    warehouse.commit({"ads": _ads(["a3"])})
    assert sorted(warehouse.query("SELECT ad_id FROM ads").ad_id) == ["a1", "a2", "a3"]
    assert count() == 9
    assert DeltaTable(str(workspace / "warehouse" / "campaign_daily")).version() == 0  # untouched


def _accounts() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "platform": ["meta"],
            "account_id": ["act_1"],
            "account_name": ["One"],
            "currency": ["USD"],
            "timezone": ["UTC"],
            "status": ["ENABLED"],
            "synced_at": [pd.Timestamp("2026-11-02", tz="UTC")],
        }
    )


def _ads(ids: list[str]) -> pd.DataFrame:
    columns = warehouse.TABLES["ads"].columns
    frame = pd.DataFrame({c: ["x"] * len(ids) for c in columns})
    return frame.assign(
        platform="meta", account_id="act_1", ad_id=ids, synced_at=pd.Timestamp("2026-11-02", tz="UTC")
    )


def test_a_manifest_that_names_no_tables_does_not_make_a_writer_overwrite(workspace: Path) -> None:
    """What the probe's COPY wrote into _snapshot.json: the next sync then kept only its window."""
    warehouse.commit({"campaign_daily": history(5)})
    (workspace / "warehouse" / "_snapshot.json").write_text('{"versions": {}, "token": "x"}')
    warehouse.commit({"campaign_daily": rows(3, spend=7.0, day="2026-11-05")})
    assert count() == 15  # 5 days kept; the last day's 3 rows updated in place
    assert warehouse.query("SELECT sum(spend) AS s FROM campaign_daily").s[0] == 12 * 10.0 + 3 * 7.0
