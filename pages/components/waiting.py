"""Waiting for the sidecar's background work: the one job-progress component and refresh mechanism.

Every page that waits on a job uses these: `job_gate` for work a page needs but has not got (it
follows the job when one runs, or offers a button to start it: a page render never queues work),
`follow` for a job already known, and `wait_for` underneath, a fragment that polls every 1.5 s without
recomputing the rest of the page and reruns the page once the work is done.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from adops import jobs
from adops.sidecar.client import health

#: None when the work is done, else (fraction done or None, what is happening)
Status = Callable[[], tuple[float | None, str] | None]
ACTIVE = ("queued", "running")


@st.fragment(run_every=1.5)
def wait_for(status: Status, waiting_for_sidecar: Callable[[], bool] | None = None) -> None:
    """Show the work's progress, polled in a fragment (the page's heavier parts are not recomputed),
    and rerun the whole page once it is done: what it shows changes then.

    The "sidecar is not answering" warning is checked only while `waiting_for_sidecar()` says the
    work has not been picked up (default: always): a running job proves the sidecar is alive, even
    when it is too busy to answer /health within half a second.
    """
    now = status()
    if now is None:
        st.rerun()
        return
    fraction, message = now
    if fraction is None:
        st.caption(message)
    else:
        st.progress(fraction, text=message)
    if (waiting_for_sidecar is None or waiting_for_sidecar()) and health() is None:
        st.warning(
            "The sidecar is not answering, so this waits. Start it with `adops serve` (or `make run`)."
        )


def follow(job_id: str, what: str) -> None:
    """One job's progress bar ("<what>… <its message>") until it ends; then the page reruns.
    A queued job says why it waits: its place in its queue and what runs ahead of it."""

    seen: dict[str, str] = {}

    def status() -> tuple[float | None, str] | None:
        job = jobs.get(job_id)
        if job is None or job.status not in ACTIVE:
            return None
        seen["status"] = job.status
        detail = job.message or ("started" if job.status == "running" else _why_waiting(job_id))
        return min(max(job.progress, 0.0), 1.0), f"{what}… {detail}"

    wait_for(status, lambda: seen.get("status") != "running")


def job_gate(kind: str, params: dict[str, Any], *, what: str, start: str, idle: str, key: str) -> None:
    """For a result that is not there yet: follow its job while one runs, else say why and offer a
    button that queues it (the write happens in the button's callback, never while drawing)."""
    mine = [j for j in jobs.recent(50, kind=kind) if j.params == params]
    latest = mine[0] if mine else None
    if latest is not None and latest.status in ACTIVE:
        follow(latest.id, what)
        return
    failed = latest is not None and latest.status == "failed"
    if failed:
        st.error(f"{what} failed: {failure(latest.error if latest else None)}.")
    else:
        st.info(idle)
    st.button(
        "Try again" if failed else start,
        key=key,
        type="primary",
        icon=":material/play_arrow:",
        on_click=queue,
        args=(kind, params),
    )


def queue(kind: str, params: dict[str, Any] | None = None) -> None:
    """A button's callback that queues a job for the sidecar (the only way a page starts work)."""
    jobs.enqueue(kind, params)


def _why_waiting(job_id: str) -> str:
    wait = jobs.waiting(job_id)
    return f"queued: {wait.explain()}" if wait else "waiting for the sidecar"


def failure(error: str | None) -> str:
    """A failed job's reason for a sentence: the worker records `Type: message`; people read the message."""
    return str(error or "unknown error").split(": ", 1)[-1].rstrip(".")


def refreshing(kind: str, params: dict[str, Any], *, what: str, start: str, key: str) -> None:
    """For a result shown from earlier data while the current data has none yet: say so, follow the
    newer one's job when it runs (the page reruns on the new result), else offer to compute it."""
    mine = [j for j in jobs.recent(50, kind=kind) if j.params == params]
    latest = mine[0] if mine else None
    if latest is not None and latest.status in ACTIVE:
        st.info(f"Showing the result of the previous data; {what.lower()} on the latest sync is under way.")
        follow(latest.id, what)
        return
    if latest is not None and latest.status == "failed":
        st.warning(
            f"Showing the result of the previous data: {what.lower()} on the latest sync failed "
            f"({failure(latest.error)})."
        )
    else:
        st.info("Showing the result of the previous data: the latest sync has not been computed yet.")
    st.button(start, key=key, icon=":material/refresh:", on_click=queue, args=(kind, params))
