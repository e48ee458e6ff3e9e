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
