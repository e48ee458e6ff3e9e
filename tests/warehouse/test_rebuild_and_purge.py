"""Replacing the warehouse (`rebuilding`, used by `adops demo`) and purging one account's rows."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from adops import warehouse
from adops.errors import InputError
from tests.warehouse.support import rows


def two_accounts() -> dict[str, pd.DataFrame]:
    ads = pd.DataFrame({c: ["x"] * 3 for c in warehouse.TABLES["ads"].columns}).assign(
        platform="meta",
        account_id=["act_1", "act_1", "act_2"],
        ad_id=["a1", "a2", "a3"],
        synced_at=pd.Timestamp("2026-11-02", tz="UTC"),
    )
    daily = pd.concat([rows(3), rows(2).assign(account_id="act_2")])
    return {"campaign_daily": daily, "ads": ads}


def counts(con: object = None) -> dict[str, int]:
    out = {}
    for name in ("campaign_daily", "ads"):
        sql = f"SELECT account_id, count(*) AS n FROM {name} GROUP BY 1 ORDER BY 1"
        frame = warehouse.query(sql) if con is None else con.execute(sql).df()  # type: ignore[attr-defined]
        out.update({f"{name}:{a}": int(n) for a, n in zip(frame.account_id, frame.n, strict=True)})
    return out


def test_delete_account_purges_every_table_in_one_snapshot(workspace: Path) -> None:
    warehouse.commit(two_accounts())
    before = warehouse.snapshot()
    notebook = warehouse.connect()
    removed = warehouse.delete_account("meta", "act_1")
    assert removed == {"campaign_daily": 3, "ads": 2}
    assert counts() == {"campaign_daily:act_2": 2, "ads:act_2": 1}
    after = warehouse.snapshot()
    assert after.id != before.id and set(after.versions) == set(before.versions)
    # a reader pinned before the purge keeps its snapshot
    assert counts(notebook) == {
        "campaign_daily:act_1": 3,
        "campaign_daily:act_2": 2,
        "ads:act_1": 2,
        "ads:act_2": 1,
    }


def test_delete_account_replayed_or_unknown_changes_nothing(workspace: Path) -> None:
    warehouse.commit(two_accounts())
    warehouse.delete_account("meta", "act_1")
    snap = warehouse.snapshot()
    assert warehouse.delete_account("meta", "act_1") == {"campaign_daily": 0, "ads": 0}
    assert warehouse.delete_account("tiktok", "act_2") == {"campaign_daily": 0, "ads": 0}
    hostile = "act_2' OR '1'='1"
    assert warehouse.delete_account("meta", hostile) == {"campaign_daily": 0, "ads": 0}
    assert warehouse.delete_account("meta", "'; DROP TABLE ads; --") == {"campaign_daily": 0, "ads": 0}
    assert warehouse.snapshot().id == snap.id
    assert counts() == {"campaign_daily:act_2": 2, "ads:act_2": 1}


def test_delete_account_takes_ids_with_quotes_literally(workspace: Path) -> None:
    data = two_accounts()
    data["campaign_daily"] = data["campaign_daily"].assign(account_id=["it's", "it's", "it's", "x", "x"])
    warehouse.commit({"campaign_daily": data["campaign_daily"]})
    assert warehouse.delete_account("meta", "it's") == {"campaign_daily": 3}
    assert list(warehouse.query("SELECT DISTINCT account_id FROM campaign_daily").account_id) == ["x"]


@pytest.mark.parametrize(
    ("platform", "account_id", "message"),
    [
        ("myspace", "1", "platform"),
        ("meta", "", "account id"),
        ("meta", "x" * 201, "account id"),
        ("meta", "act_1\nact_2", "account id"),
        ("meta", "act\x00", "account id"),
    ],
)
def test_delete_account_refuses_bad_input(
    workspace: Path, platform: str, account_id: str, message: str
) -> None:
    with pytest.raises(InputError, match=message):
        warehouse.delete_account(platform, account_id)


def test_delete_account_on_an_empty_warehouse(workspace: Path) -> None:
    assert warehouse.delete_account("meta", "act_1") == {}


def test_rebuilding_replaces_everything_and_readers_keep_the_old_snapshot(workspace: Path) -> None:
    warehouse.commit(two_accounts())
    notebook = warehouse.connect()
    with warehouse.rebuilding():
        assert counts() == counts(notebook)  # nothing changes until the first commit publishes
        warehouse.commit({"campaign_daily": rows(1, spend=5.0, day="2026-12-01")})
        warehouse.commit({"campaign_daily": rows(1, spend=6.0, day="2026-12-02")})  # later ones merge
    assert counts() == {"campaign_daily:act_1": 2}  # ads not named: emptied
    assert list(warehouse.query("SELECT spend FROM campaign_daily ORDER BY date").spend) == [5.0, 6.0]
    assert counts(notebook)["ads:act_2"] == 1


def test_a_rebuild_that_fails_changes_nothing(workspace: Path) -> None:
    warehouse.commit(two_accounts())
    snap = warehouse.snapshot()
    with pytest.raises(RuntimeError), warehouse.rebuilding():
        raise RuntimeError("the sync died")
    assert warehouse.snapshot() == snap


def test_a_rebuild_without_a_commit_empties_the_tables(workspace: Path) -> None:
    warehouse.commit(two_accounts())
    with warehouse.rebuilding():
        pass
    assert counts() == {}
    assert set(warehouse.snapshot().versions) == set(warehouse.TABLES)


def test_a_demo_build_whose_sync_fails_keeps_the_warehouse(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import date

    from adops.errors import ExternalError
    from adops.ingest import demo
    from adops.ingest.sync import AccountResult, SyncResult

    warehouse.commit(two_accounts())
    snap = warehouse.snapshot()
    failed = AccountResult(
        "meta", "act_1", date(2026, 11, 1), date(2026, 11, 24), status="failed", error="boom"
    )

    def sync(**_: object) -> SyncResult:  # every account failed: nothing to commit
        return SyncResult(1, "failed", 0, 0.1, [failed])

    monkeypatch.setattr(demo, "sync", sync)
    with pytest.raises(ExternalError, match="boom"):
        demo.build_demo(days=3)
    assert warehouse.snapshot() == snap  # not emptied by the rebuild
    assert counts()["campaign_daily:act_1"] == 3


def test_a_colliding_writer_gets_a_conflict_not_a_traceback(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two workspaces with their own stores sharing one ADOPS_WAREHOUSE_URI do not share a lock."""
    from deltalake.exceptions import CommitFailedError

    from adops.errors import Conflict
    from adops.warehouse import delta

    warehouse.commit(two_accounts())
    snap = warehouse.snapshot()

    def collide(*_: object, **__: object) -> None:
        raise CommitFailedError("Transaction failed: version already exists: 1")

    monkeypatch.setattr(delta, "write_deltalake", collide)
    with pytest.raises(warehouse.WriteConflict, match="another writer committed") as caught:
        warehouse.commit({"campaign_daily": rows(1, day="2026-11-05")})
    assert isinstance(caught.value, Conflict) and caught.value.exit_code == 1
    assert warehouse.snapshot() == snap
