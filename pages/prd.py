"""PRD → Asana: upload or paste a Markdown PRD, preview and edit its plan, push it as a job.

Drawing only reads: the PRD is parsed in memory (`adops.integrations.prd`), owners are checked
against the Asana workspace's users (a read). "Push" queues the `prd.push` job in its callback and
the page follows it (pages/components/waiting.py); pushing again updates the same project.
"""

import pandas as pd
import streamlit as st

from adops import jobs
from adops.errors import AdopsError
from adops.integrations import prd, prd_jobs, prd_push
from pages.components.errors import error_text, show_error
from pages.components.routing import through_app
from pages.components.waiting import follow

JOB = "prd-job"


@st.cache_data(ttl=300, show_spinner=False)
def unknown_owners(document: dict, settings: str) -> tuple[list[dict], str | None]:
    """Assignees no workspace user matches; or why they could not be checked (cached per settings)."""
    try:
        return prd_push.check_assignees(prd.plan_from_dict(document)), None
    except AdopsError as exc:
        return [], error_text(exc)


def start(plan: prd.Plan, project: str) -> None:
    """The Push button's callback: the one place this page changes anything."""
    try:
        st.session_state[JOB] = jobs.enqueue("prd.push", prd_jobs.push_params(plan, project or None))
    except AdopsError as exc:
        st.session_state[JOB + "-error"] = error_text(exc)


through_app()
st.title("PRD → Asana")
upload = st.file_uploader("Upload a PRD (Markdown)", type=["md", "markdown", "txt"], key="prd-upload")
pasted = st.text_area(
    "…or paste it",
    height=160,
    key="prd-text",
    placeholder="# Project\n## Section\n- [ ] Task @owner due 2026-12-31",
)
source = upload.getvalue() if upload is not None else pasted.encode()
if not source.strip():
    st.info(
        "Write the project as a `#` heading, sections as `##`, and tasks as `- [ ]` items or table rows with a Task column."
    )
    st.stop()
try:
    plan = prd.read_prd(source, source=upload.name if upload is not None else "the PRD")
except AdopsError as exc:
    show_error(exc)
    st.stop()

project = st.text_input("Asana project", value=plan.project, max_chars=200, key="prd-project")
names = st.data_editor(
    pd.DataFrame([{"key": s.key, "section": s.name} for s in plan.sections]),
    disabled=["key"],
    hide_index=True,
    key="prd-sections",
)
rows = st.data_editor(
    pd.DataFrame(prd.plan_rows(plan), columns=list(prd.ROW_COLUMNS)),
    disabled=["section", "level", "key"],
    column_config={"level": st.column_config.NumberColumn("level", help="0: task, 1: subtask, ...")},
    hide_index=True,
    key="prd-rows",
)
try:
    edited = prd.with_edits(
        plan, rows.to_dict("records"), dict(zip(names["key"], names["section"], strict=True))
    )
except AdopsError as exc:
    show_error(exc)
    st.stop()

unknown, unchecked = unknown_owners(edited.to_dict(), prd_push.settings_fingerprint())
if unchecked:
    st.info(f"Owners not checked against Asana: {unchecked}")
for item in unknown:
    st.warning(f"Unknown assignee {item['assignee']!r} (left unassigned): {', '.join(item['tasks'])}")
st.caption(f"{len(edited.sections)} sections, {len(edited.tasks())} tasks and subtasks")
st.download_button(
    "Download the plan (JSON)", pd.Series(edited.to_dict()).to_json(), "plan.json", "application/json"
)
st.button("Push to Asana", type="primary", on_click=start, args=(edited, project), key="prd-push")
if error := st.session_state.pop(JOB + "-error", None):
    st.error(error)
if job_id := st.session_state.get(JOB):
    job = jobs.get(job_id)
    if job is not None and job.status in ("queued", "running"):
        follow(job_id, "Pushing to Asana")
    elif job is not None and job.status == "done" and job.result:
        r = job.result
        st.success(
            f"{r['project']}: {r['created']} created, {r['updated']} updated ({r['completed']} completed as removed), {r['unchanged']} unchanged"
        )
    elif job is not None:
        st.error(f"The push failed: {job.error or job.status}")
