"""Waiting for the sidecar's background work without rerunning the whole page."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from adops.sidecar.client import health

#: None when the work is done, else (fraction done or None, what is happening)
Status = Callable[[], tuple[float | None, str] | None]


@st.fragment(run_every=1.5)
def wait_for(status: Status) -> None:
    """Show the work's progress, polled in a fragment (the page's heavier parts are not recomputed),
    and rerun the whole page once it is done: what it shows changes then."""
    now = status()
    if now is None:
        st.rerun()
        return
    fraction, message = now
    if fraction is None:
        st.caption(message)
    else:
        st.progress(fraction, text=message)
    if health() is None:
        st.warning(
            "The sidecar is not answering, so this waits. Start it with `adops serve` (or `make run`)."
        )


def failure(error: str | None) -> str:
    """A failed job's reason for a sentence: the worker records `Type: message`; people read the message."""
    return str(error or "unknown error").split(": ", 1)[-1].rstrip(".")
