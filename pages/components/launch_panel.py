"""The Templates page's launch: a dry run of `campaign-launch`, followed, then its exact changes.

The run starts in the button's callback (`adops.workflows.start`, dry_run=True): nothing changes on
any platform. Running it for real, and approving it, happen on the Workflows page.
"""

from __future__ import annotations

import streamlit as st

from adops import jobs, workflows
from adops.errors import AdopsError
from adops.templates.views import launch_changes
from pages.components.errors import error_text
from pages.components.waiting import ACTIVE, follow

RUN = "templates-run"


def _launch(name: str, platforms: list[str], flash_key: str) -> None:
    try:
        st.session_state[RUN] = workflows.start(
            "campaign-launch", {"template": name, "platforms": platforms}, dry_run=True, by="Templates page"
        )
    except AdopsError as exc:
        st.session_state[flash_key] = ("error", error_text(exc))


def launch_panel(name: str, platforms: list[str], flash_key: str) -> None:
    """The launch button, then the latest dry run: its progress, its failure or its changes."""
    st.button(
        "Launch (dry run)",
        icon=":material/rocket_launch:",
        type="primary",
        key="templates-launch",
        on_click=_launch,
        args=(name, platforms, flash_key),
        help="Plans the launch on the template's platforms and lists the exact changes; changes nothing.",
    )
    run_id = st.session_state.get(RUN)
    if not run_id:
        return
    job = jobs.get(run_id)
    if job is not None and job.status in ACTIVE:
        follow(run_id, "Dry run of the launch")
        return
    try:
        run = workflows.show(run_id)
    except AdopsError as exc:
        st.error(error_text(exc))
        return
    if run["status"] == "failed":
        st.error(f"The dry run failed: {run.get('error') or 'see the Workflows page'}")
        return
    st.caption(f"Dry run {run_id}: {run['status']}. Run it for real and approve it on the Workflows page.")
    st.dataframe(launch_changes(run["changes"]), hide_index=True, width="stretch")
