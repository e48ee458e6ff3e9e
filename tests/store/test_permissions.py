"""Workspace files are the owner's only, whatever the umask: folders 0700, data files 0600."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from adops import files, store, warehouse
from tests.warehouse.support import rows


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def loose_umask() -> Iterator[None]:
    old = os.umask(0o022)  # the common default, which made adops.sqlite 0644 and folders 0755
    yield
    os.umask(old)


def test_a_new_workspace_is_private(workspace: Path) -> None:
    store.events.publish("probe", {"x": 1})
    warehouse.commit({"campaign_daily": rows(2)})
    assert mode(workspace) == 0o700
    assert mode(workspace / "adops.sqlite") == 0o600
    assert mode(workspace / "warehouse") == 0o700
    assert mode(workspace / "warehouse" / "_snapshot.json") == 0o600
    assert mode(workspace / "locks") == 0o700
    assert mode(workspace / "locks" / "warehouse-write.lock") == 0o600


def test_the_stores_wal_and_shm_files_are_private_while_open(workspace: Path) -> None:
    from sqlalchemy import text

    with store.engine().connect() as conn:  # WAL mode: -wal and -shm exist while a connection is open
        conn.execute(text("CREATE TABLE IF NOT EXISTS probe (x INTEGER)"))
        conn.execute(text("INSERT INTO probe VALUES (1)"))
        conn.commit()
        wal, shm = workspace / "adops.sqlite-wal", workspace / "adops.sqlite-shm"
        assert wal.exists() and shm.exists()
        assert (mode(wal), mode(shm)) == (0o600, 0o600)


def test_an_older_workspace_is_tightened(workspace: Path) -> None:
    workspace.mkdir(mode=0o755)
    (workspace / "adops.sqlite").touch(mode=0o644)
    (workspace / "warehouse").mkdir(mode=0o755)
    os.chmod(workspace / "adops.sqlite", 0o644)
    store.events.publish("probe", {"x": 1})
    warehouse.commit({"campaign_daily": rows(1)})
    assert mode(workspace / "adops.sqlite") == 0o600
    assert mode(workspace / "warehouse") == 0o700
    assert mode(workspace) == 0o755  # a folder the user chose is left as it was


def test_every_missing_parent_is_created_private(tmp_path: Path) -> None:
    deep = files.private_dir(tmp_path / "a" / "b" / "c")
    assert [mode(p) for p in (tmp_path / "a", tmp_path / "a" / "b", deep)] == [0o700] * 3
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    os.chmod(shared, 0o755)
    files.private_dir(shared, tighten=False)
    assert mode(shared) == 0o755


def test_private_writes_are_atomic_and_0600(tmp_path: Path) -> None:
    target = tmp_path / "home" / "adops.toml"
    files.write_private(target, "a = 1\n")
    files.write_private(target, "a = 2\n")
    assert target.read_text() == "a = 2\n" and mode(target) == 0o600
    assert [p.name for p in target.parent.iterdir()] == ["adops.toml"]  # no temp file left


def test_adops_toml_is_written_0600(workspace: Path) -> None:
    from adops import config

    config.add_accounts([config.AccountConfig(platform="meta", id="act_123", connector="sandbox")])
    assert mode(workspace / "adops.toml") == 0o600


def test_the_sandbox_state_is_written_0600(workspace: Path) -> None:
    from datetime import date

    from adops.connectors.sandbox import connector

    connector.init_state(seed=3, anchor=date(2026, 12, 1))
    assert mode(connector.state_path()) == 0o600
    with connector._editing() as state:  # every later change rewrites it
        state["budgets"]["probe"] = []
    assert mode(connector.state_path()) == 0o600
