"""The demo workspace: a fresh sandbox world, synced into the warehouse through the normal path."""

from __future__ import annotations

import shutil
from datetime import timedelta

from sqlalchemy import delete

from adops import clock, config, store
from adops.connectors.sandbox import init_state
from adops.ingest.sync import Progress, SyncResult, sync
from adops.store.models import SyncState

DEMO_DAYS = 400


def build_demo(
    days: int = DEMO_DAYS,
    seed: int = 7,
    progress: Progress | None = None,
    campaigns_per_account: tuple[int, int] = (10, 60),
) -> SyncResult:
    """Replace the workspace's warehouse with `days` of sandbox history for all six platforms."""
    if days < 1:
        raise ValueError("--days must be at least 1")
    cfg = config.load()
    if cfg.accounts and any(a.connector != "sandbox" for a in cfg.accounts):
        raise ValueError(
            "this workspace has real accounts in adops.toml; build the demo in another ADOPS_HOME"
        )
    today = clock.today()
    shutil.rmtree(cfg.warehouse_uri, ignore_errors=True)
    with store.session() as s:  # cursors pointed into the old warehouse
        s.execute(delete(SyncState))
    init_state(seed, today, campaigns_per_account)
    result = sync(since=today - timedelta(days=days - 1), trigger="demo", progress=progress)
    from adops.experiments.store import seed_sandbox_experiments  # imported here: scipy is slow to load

    seed_sandbox_experiments(fresh=True)  # the sandbox's planted A/B tests, as running experiments
    return result
