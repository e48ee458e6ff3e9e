"""The demo workspace: a fresh sandbox world, synced into the warehouse through the normal path.

The build holds the warehouse writers' lock from start to end, so a sync never lands in the middle
of it (it waits, or the build waits for it), and the build's result is what the warehouse holds
afterwards. The tables are replaced through Delta and published as one snapshot: readers keep
the previous warehouse until then, and never see it empty.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete

from adops import clock, config, store, warehouse
from adops.connectors.sandbox import init_state
from adops.errors import ConfigError, ExternalError, InputError
from adops.ingest.sync import Progress, SyncResult, sync
from adops.store import locks
from adops.store.models import SyncState

DEMO_DAYS = 400


def build_demo(
    days: int = DEMO_DAYS,
    seed: int = 7,
    progress: Progress | None = None,
    campaigns_per_account: tuple[int, int] = (10, 60),
    wait_for_lock: float = 600.0,
    wasted_campaigns: int = 0,  # `adops demo` plants some; 0 keeps the simulator's default world
) -> SyncResult:
    """Replace the workspace's warehouse with `days` of sandbox history for all six platforms."""
    if days < 1:
        raise InputError("--days must be at least 1")
    cfg = config.load()
    if cfg.accounts and any(a.connector != "sandbox" for a in cfg.accounts):
        raise ConfigError(
            "this workspace has real accounts in adops.toml; build the demo in another ADOPS_HOME"
        )
    today = clock.today()
    busy = "a sync or another demo build is writing to this workspace; try again when it ends"
    with locks.exclusive(locks.WAREHOUSE_WRITE, wait=wait_for_lock, busy=busy):
        with store.session() as s:  # cursors pointed into the old warehouse
            s.execute(delete(SyncState))
        init_state(seed, today, campaigns_per_account, wasted_campaigns)
        with warehouse.rebuilding():
            result = sync(
                since=today - timedelta(days=days - 1), trigger="demo", progress=progress, reconvert=False
            )
            if result.status == "failed":  # raising here keeps the previous warehouse published
                first = next((a.error for a in result.accounts if a.error), "no account synced")
                raise ExternalError(f"the demo build failed ({first}); the warehouse is unchanged")
    from adops.experiments.store import seed_sandbox_experiments  # imported here: scipy is slow to load

    seed_sandbox_experiments(fresh=True)  # the sandbox's planted A/B tests, as running experiments
    return result
