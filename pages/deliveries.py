"""Deliveries: outgoing webhook endpoints and their state, the delivery log with replay, the notification log.

Drawing reads only (`adops.notify.board`). "Replay" and "Enable" happen in the buttons' callbacks
through `adops.notify.deliveries` (the functions behind `adops webhooks replay|enable`); their
outcome is shown on the next run. The sidecar sends a replay within a poll.
"""

import streamlit as st

from adops import config
from adops.errors import AdopsError, NotFound
from adops.notify import deliveries
from adops.notify.board import board
from pages.components.errors import error_text, show_error
from pages.components.routing import through_app

FLASH = "deliveries-flash"


def act(action: str, target: str) -> None:
    """A button's callback: the one place this page changes anything."""
    try:
        if action == "replay":
            row = deliveries.replay(target)
            done = f"Queued {row.id} for replay ({row.workflow_id}); the sidecar sends it within a poll."
        else:
            if not deliveries.enable_endpoint(target):
                raise NotFound("that endpoint is not disabled")
            done = "Enabled the endpoint: new events are delivered to it again (replay the missed ones)."
    except AdopsError as exc:
        st.session_state[FLASH] = ("error", error_text(exc))
        return
    st.session_state[FLASH] = ("success", done)


through_app()
st.title("Deliveries")
flash = st.session_state.pop(FLASH, None)
if flash:
    (st.success if flash[0] == "success" else st.error)(flash[1])
status = st.selectbox(
    "Status",
    [None, *deliveries.STATUSES],
    format_func=lambda s: "every status" if s is None else s,
    key="deliveries-status",
)
try:
    view = board(status=status)
except AdopsError as exc:
    show_error(exc)
    st.stop()

if not view.configured:
    st.info(
        "Nothing is configured yet. Add `[[webhooks.endpoints]]` (url, events, secret) to adops.toml "
        "for signed outgoing webhooks, and `[notifications.slack]`, `[notifications.discord]` or "
        "`[notifications.email]` with `[[notifications.rules]]` for messages; see docs/notifications.md. "
        "The sidecar (`adops serve`) sends them."
    )
    st.stop()

st.subheader("Endpoints")
if not view.endpoints:
    st.info("No outgoing endpoint: add `[[webhooks.endpoints]]` to adops.toml.")
else:
    st.dataframe(view.endpoints_frame(), hide_index=True, width="stretch")
    off = [e.url for e in view.endpoints if e.disabled]
    if off:
        url = st.selectbox("Disabled endpoint", off, format_func=config.mask_url, key="deliveries-disabled")
        st.button(
            "Enable", icon=":material/power:", key="deliveries-enable", on_click=act, args=("enable", url)
        )

st.subheader("Deliveries")
table = view.deliveries_frame()
if table.empty:
    st.info("No delivery" + (f" is {status}." if status else " yet."))
else:
    st.dataframe(table, hide_index=True, width="stretch")
    st.download_button(
        "Download deliveries (CSV)",
        table.to_csv(index=False),
        file_name="deliveries.csv",
        mime="text/csv",
        key="deliveries-download",
    )
    pick = st.selectbox("Delivery", [d.id for d in view.deliveries], key="deliveries-pick")
    chosen = next(d for d in view.deliveries if d.id == pick)
    if chosen.last_error:
        st.text(f"Last error: {chosen.last_error}")  # plain text: it may quote an endpoint
    st.button(
        "Replay",
        icon=":material/replay:",
        key="deliveries-replay",
        disabled=chosen.status == "pending",
        help="Send it again from its first attempt (same body and webhook-id).",
        on_click=act,
        args=("replay", pick),
    )

st.subheader("Notifications")
if not view.notifications:
    st.info(
        "No notification yet."
        if view.channels
        else "No channel: add `[notifications.slack]`, `[notifications.discord]` or `[notifications.email]`."
    )
else:
    st.dataframe(view.notifications_frame(), hide_index=True, width="stretch")
