"""Sync status panel: last runs, account health, and "Sync now" (queues a job for the sidecar)."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import streamlit as st

from adops import ingest, jobs
from pages.components.waiting import ACTIVE, follow, queue


def sync_panel() -> None:
    """Show the latest sync runs and queue a sync (on the button); follows an active sync job."""
    runs = ingest.last_runs(5)
    active = [j for j in jobs.recent(5, kind="sync") if j.status in ACTIVE]
    left, right = st.columns([3, 1])
    with left:
        if runs:
            last = runs[0]
            failed = f", {last.failed_accounts} account(s) failed" if last.failed_accounts else ""
            text = (
                f"Last sync #{last.id}: **{last.status.capitalize()}**, {last.rows:,} rows, "
                f"{(last.duration_s or 0):.1f}s, finished {_ago(last.finished_at)}{failed}."
            )
            if last.status == "success":
                left.caption(text)
            else:  # a partial or failed sync means missing data: said where it is seen
                left.warning(
                    f"{text} Some data is missing: see the accounts under **Sync history and account health**, "
                    "fix their connection in Settings, then **Sync now**.",
                    icon=":material/warning:",
                )
        else:
            left.caption("No sync has run in this workspace yet.")
    right.button(
        "Sync now",
        icon=":material/sync:",
        disabled=bool(active),
        width="stretch",
        on_click=queue,
        args=("sync", {"trigger": "page"}),
    )
    if active:
        follow(active[0].id, f"Sync job {active[0].id}")
    # computed only while open: a collapsed panel costs the page no store reads
    panel = st.expander("Sync history and account health", key="sync-history", on_change="rerun")
    if panel.open:
        panel.dataframe(
            pd.DataFrame(
                [
                    {
                        "run": r.id,
                        "status": r.status,
                        "trigger": r.trigger,
                        "rows": r.rows,
                        "failed accounts": r.failed_accounts,
                        "seconds": round(r.duration_s or 0, 1),
                        "started": r.started_at,
                    }
                    for r in runs
                ]
            ),
            hide_index=True,
            width="stretch",
        )
        panel.dataframe(ingest.account_health(), hide_index=True, width="stretch")


def _ago(moment: datetime | None) -> str:
    if moment is None:
        return "–"
    stamp = pd.Timestamp(moment)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp  # SQLite drops the zone
    minutes = int((pd.Timestamp.now(tz="UTC") - stamp).total_seconds() // 60)
    if minutes < 1:
        return "just now"
    if minutes < 120:
        return f"{minutes} min ago"
    return f"{minutes // 60} h ago"
