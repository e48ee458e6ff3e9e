"""Every test runs in its own temporary workspace with a frozen clock; nothing touches ./data."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from adops import store

TODAY = "2026-11-24"
pytest_plugins = ["tests.postgres"]  # the session's PostgreSQL server; store-facing tests on both stores


@pytest.fixture(autouse=True)
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, store_backend: str) -> Iterator[Path]:
    """An empty workspace (ADOPS_HOME) for the test, today frozen at TODAY; its store on a fresh
    PostgreSQL database in the `[postgres]` run of a store-facing test (tests/postgres.py)."""
    home = tmp_path / "home"
    monkeypatch.setenv("ADOPS_HOME", str(home))
    monkeypatch.setenv("ADOPS_TODAY", TODAY)
    monkeypatch.setenv("ADOPS_SIDECAR_URL", "http://127.0.0.1:9")  # nothing listens: no stray sidecar answers
    for var in (
        "ADOPS_DATABASE_URL",
        "ADOPS_WAREHOUSE_URI",
        "ADOPS_REPORTING_CURRENCY",
        "ADOPS_SANDBOX_SEED",
    ):
        monkeypatch.delenv(var, raising=False)
    if store_backend != "sqlite":
        monkeypatch.setenv("ADOPS_DATABASE_URL", store_backend)
    store.reset()
    yield home
    store.reset()


@pytest.fixture(scope="session")
def demo_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small demo workspace built once per session: 120 days, 3-5 campaigns per account."""
    home = tmp_path_factory.mktemp("demo")
    old = {k: os.environ.get(k) for k in ("ADOPS_HOME", "ADOPS_TODAY")}
    os.environ.update(ADOPS_HOME=str(home), ADOPS_TODAY=TODAY)
    try:
        from adops.ingest import build_demo

        store.reset()
        result = build_demo(days=120, seed=7, campaigns_per_account=(3, 5))
        assert result.status == "success"
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        store.reset()
    return home


@pytest.fixture
def demo(demo_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Use the shared demo workspace (read it; do not write to it)."""
    monkeypatch.setenv("ADOPS_HOME", str(demo_home))
    store.reset()
    return demo_home
