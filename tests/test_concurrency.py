"""Syncs write while other processes read: nobody waits on a lock, fails, or sees duplicates."""

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from adops import warehouse
from adops.ingest import build_demo

READER = textwrap.dedent("""
    import sys, time
    from adops import warehouse
    dupes = "SELECT count(*) - count(DISTINCT (platform, account_id, campaign_id, date)) AS d FROM campaign_daily"
    deadline, reads = time.time() + float(sys.argv[1]), 0
    while time.time() < deadline:
        assert warehouse.query(dupes).d[0] == 0
        fresh = warehouse.connect()   # a notebook opening a new connection each cell
        assert fresh.execute(dupes).fetchone()[0] == 0
        reads += 1
    print(reads)
""")


@pytest.mark.slow
def test_syncs_and_readers_in_parallel(workspace: Path) -> None:
    build_demo(days=40, seed=5, campaigns_per_account=(3, 4))
    notebook = warehouse.connect()  # held open for the whole test, like a long notebook session
    pinned = notebook.execute("SELECT count(*), sum(conversions) FROM campaign_daily").fetchone()

    env = dict(os.environ)
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, "12"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    writes = []
    started = time.monotonic()
    for day in ("2026-11-25", "2026-11-26", "2026-11-27", "2026-11-29"):
        result = subprocess.run(
            [sys.executable, "-m", "adops.cli", "sync", "--json"],
            env={**env, "ADOPS_TODAY": day},
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stderr
        writes.append(day)
    out, err = reader.communicate(timeout=120)
    assert reader.returncode == 0, err
    assert int(out) > 3
    assert time.monotonic() - started < 120

    # the long-held connection still sees its snapshot; a new one sees every sync
    assert notebook.execute("SELECT count(*), sum(conversions) FROM campaign_daily").fetchone() == pinned
    count, newest = warehouse.connect().execute("SELECT count(*), max(date) FROM campaign_daily").fetchone()
    assert count > pinned[0] and str(newest) == "2026-11-29"
    dupes = warehouse.query(
        "SELECT count(*) - count(DISTINCT (platform, account_id, ad_id, date)) AS d FROM ad_daily"
    ).d[0]
    assert dupes == 0


COUNTER = textwrap.dedent("""
    import sys, time
    from adops import warehouse
    deadline, counts = time.time() + float(sys.argv[1]), []
    while time.time() < deadline:
        counts.append(int(warehouse.query("SELECT count(*) AS n FROM campaign_daily").n[0]))
        counts.append(warehouse.connect().execute("SELECT count(*) FROM ad_daily").fetchone()[0])
        time.sleep(0.05)
    print(min(counts), len(counts))
""")

WRITER = textwrap.dedent("""
    import sys
    from datetime import date
    from adops.ingest import build_demo, sync
    if sys.argv[1] == "sync":
        print(sync(since=date(2026, 9, 1)).status, flush=True)
    else:
        print(build_demo(days=10, seed=9, campaigns_per_account=(2, 3)).status, flush=True)
""")


@pytest.mark.slow
def test_a_demo_build_during_a_sync_waits_for_it_and_lands_whole(workspace: Path) -> None:
    """Probe §1: readers saw an empty warehouse 5 times in 15 and the demo's result was lost."""
    from adops.store import locks

    build_demo(days=20, seed=5, campaigns_per_account=(2, 3))
    env = dict(os.environ)
    reader = subprocess.Popen(
        [sys.executable, "-c", COUNTER, "20"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    syncing = subprocess.Popen(
        [sys.executable, "-c", WRITER, "sync"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    while syncing.poll() is None:  # wait until the sync holds the writers' lock
        try:
            with locks.exclusive(locks.WAREHOUSE_WRITE):
                pass
        except locks.Busy:
            break
        time.sleep(0.05)
    demo = subprocess.run([sys.executable, "-c", WRITER, "demo"], env=env, capture_output=True, text=True)
    out, err = syncing.communicate(timeout=300)
    assert syncing.returncode == 0 and out.strip() == "success", err
    assert demo.returncode == 0 and demo.stdout.strip() == "success", demo.stderr
    out, err = reader.communicate(timeout=300)
    assert reader.returncode == 0, err
    lowest, reads = map(int, out.split())
    assert reads > 2 and lowest > 0  # never an empty warehouse

    # the demo ran after the sync and its result is what the warehouse holds: 10 days, not Sept 1st on
    first, last = warehouse.connect().execute("SELECT min(date), max(date) FROM campaign_daily").fetchone()
    assert (str(first), str(last)) == ("2026-11-15", "2026-11-24")
