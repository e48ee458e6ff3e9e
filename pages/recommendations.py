"""Recommendations: what to do next, ranked by expected value x the account's track record.

Drawing reads only (`adops.intelligence`). "Apply" records the prediction and starts the
recommendation's workflow as a dry run (approve it on the workflow's run); "Dismiss" keeps a reason.
Both happen in the buttons' callbacks; their outcome shows on the next run.
"""

import plotly.express as px
import streamlit as st

from adops.errors import AdopsError
from adops.intelligence import board, memory
from pages.components.details import csv_text, details_frame, label
from pages.components.errors import error_text, show_error
from pages.components.routing import through_app

FLASH = "recommendations-flash"


@st.cache_data(ttl=120, show_spinner="Reading the warehouse…")
def open_recommendations(accounts: tuple[str, ...], snapshot: str) -> list:
    """The open recommendations, cached per warehouse snapshot and store state (`memory.version`)."""
    return memory.ranked(list(accounts))


def act(action: str, rec_id: str) -> None:
    """A button's callback: the one place this page changes anything."""
    try:
        if action == "apply":
            done = memory.apply(rec_id, by="recommendations page")
            message = (
                f"Dry run {done['run_id']} started: review and approve its changes on the workflow's run."
            )
        else:
            memory.dismiss(rec_id, st.session_state.get("rec-reason", ""), by="recommendations page")
            message = "Dismissed; the reason is kept."
        open_recommendations.clear()
        st.session_state[FLASH] = ("success", message)
    except AdopsError as exc:
        st.session_state[FLASH] = ("error", error_text(exc))


through_app()
st.title("Recommendations")
if flash := st.session_state.pop(FLASH, None):
    (st.success if flash[0] == "success" else st.error)(flash[1])
try:
    recs = open_recommendations((), memory.version())
except AdopsError as exc:
    show_error(exc)
    st.stop()
kinds = st.multiselect(
    "Kind", sorted({r.kind for r in recs}), format_func=lambda k: board.KIND_LABELS.get(k, k), key="rec-kinds"
)
shown = [r for r in recs if not kinds or r.kind in kinds]
if not shown:
    st.info(
        "No recommendation: nothing stands out in the last 28 days (or the warehouse is empty: run a sync)."
    )
    st.stop()

frame = board.ranked_frame(shown)
by_kind = frame.groupby("kind", as_index=False).size()
chart = px.bar(
    by_kind,
    x="kind",
    y="size",
    title="Open recommendations by kind",
    color_discrete_sequence=["#0072B2"],
    labels={"size": "recommendations", "kind": ""},
)
st.plotly_chart(chart, width="stretch")
st.dataframe(
    frame.drop(columns=["id"]),
    hide_index=True,
    width="stretch",
    column_config={
        "confidence": st.column_config.NumberColumn(format="percent"),
        "expected": st.column_config.NumberColumn(format="%+,.1f"),
        "score": st.column_config.NumberColumn(format="%,.0f"),
    },
)
st.download_button("Download (CSV)", csv_text(frame, decimals=4), "recommendations.csv", "text/csv")

picked = st.selectbox(
    "Recommendation",
    [r.id for r in shown[:500]],
    format_func=lambda i: next(r.title for r in shown if r.id == i),
    key="rec-picked",
)
rec = next(r for r in shown if r.id == picked)
st.subheader(rec.title)
st.caption(f"Track record: {board.track_text(rec.track_record)} · confidence {rec.confidence:.0%}")
evidence, impact = st.columns(2)
evidence.markdown("**Evidence**")
evidence.dataframe(details_frame(rec.evidence), hide_index=True, width="stretch")
impact.markdown("**Expected impact**")
impact.dataframe(details_frame(rec.expected_impact), hide_index=True, width="stretch")
impact.caption(f"Runs the {label(str(rec.workflow.get('name', 'workflow')))} workflow as a dry run first.")
st.button("Apply (dry run first)", type="primary", on_click=act, args=("apply", rec.id), key="rec-apply")
st.text_input("Reason to dismiss", max_chars=memory.MAX_REASON_CHARS, key="rec-reason")
st.button("Dismiss", on_click=act, args=("dismiss", rec.id), key="rec-dismiss")

st.subheader("Outcomes of applied recommendations")
outcomes = board.outcomes_frame()
if outcomes.empty:
    st.caption("None applied yet: outcomes are measured after each one's follow-up window.")
else:
    st.dataframe(outcomes, hide_index=True, width="stretch")
