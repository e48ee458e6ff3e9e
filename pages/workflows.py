"""Workflows: the catalogue, a run with a preset and params, its dry-run diff, approval, history with a
timeline of steps, and undo.

Drawing reads only (`adops.workflows`); runs, approvals and undos are queued in the buttons'
callbacks (pages/components/workflow_run.py) and the sidecar does the work, followed here.
"""

import streamlit as st

from adops import workflows
from adops.errors import AdopsError
from adops.workflows import board
from pages.components import workflow_run as parts
from pages.components.errors import show_error
from pages.components.routing import through_app

through_app()
st.title("Workflows")
parts.show_flash()
try:
    catalogue = workflows.catalogue()
    runs = board.runs_frame(200)
except AdopsError as exc:
    show_error(exc)
    st.stop()

st.subheader("Run a workflow")
bulk = st.session_state.get(parts.BULK)  # params from the analysis page's selection
names = [w["name"] for w in catalogue]
name = st.selectbox("Workflow", names, index=names.index("bulk") if bulk else 0, key="wf-name")
entry = next(w for w in catalogue if w["name"] == name)
parts.run_form(entry, workflows.presets(name), bulk if name == "bulk" else None)

st.subheader("Runs")
if runs.empty:
    st.info("No run yet: start one above (a dry run changes nothing).")
    st.stop()
st.dataframe(runs, hide_index=True, width="stretch")
st.download_button("Download runs (CSV)", runs.to_csv(index=False), "workflow-runs.csv", "text/csv")
ids = runs["run_id"].tolist()
wanted = st.session_state.get(parts.SELECTED)
rid = st.selectbox("Run", ids, index=ids.index(wanted) if wanted in ids else 0, key=f"wf-pick-{wanted}")
try:
    parts.review(workflows.show(rid))
except AdopsError as exc:
    show_error(exc)
