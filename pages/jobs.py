"""Jobs: what the sidecar runs, waits to run, will run on a schedule, and ran; cancel, resume, retry.

Drawing reads only (`adops.jobs.board`). Cancel, resume, retry from a step and "Run now" happen in
the buttons' callbacks through `adops.jobs`; their outcome is shown on the next run.
"""

import streamlit as st

from adops import jobs
from adops.errors import AdopsError
from adops.jobs.board import RETENTION_NOTE, board, steps_frame
from adops.sidecar.client import health
from pages.components.errors import error_text
from pages.components.routing import through_app
from pages.components.waiting import wait_for

FLASH = "jobs-flash"


def act(action: str, job_id: str = "", step: int | None = None, schedule: str = "") -> None:
    """A button's callback: the one place this page changes anything."""
    try:
        if action == "cancel":
            done = f"Cancelled {jobs.cancel(job_id).id}."
        elif action == "resume":
            done = f"Resumed {jobs.resume(job_id).id}."
        elif action == "retry":
            done = f"Queued {jobs.retry(job_id, step)} (a retry of {job_id})."
        else:
            done = f"Queued {jobs.run_schedule(schedule)} for the {schedule} schedule."
    except AdopsError as exc:
        st.session_state[FLASH] = ("error", error_text(exc))
        return
    st.session_state[FLASH] = ("success", done)


through_app()
st.title("Jobs")
if health() is None:
    st.warning(
        "The sidecar is not answering, so nothing queued runs. Start it with `adops serve` (or `make run`)."
    )
kind = st.selectbox(
    "Kind",
    [None, *(k for k, v in jobs.KINDS.items() if v.public)],
    format_func=lambda k: "every kind" if k is None else jobs.KINDS[k].title,
    key="jobs-kind",
)
flash = st.session_state.pop(FLASH, None)
if flash:
    (st.success if flash[0] == "success" else st.error)(flash[1])
view = board(kind=kind)

st.subheader("Running and queued")
if not view.active:
    st.info("Nothing is running or queued.")
else:
    st.dataframe(
        view.active_frame(),
        hide_index=True,
        width="stretch",
        column_config={"progress": st.column_config.ProgressColumn("progress", min_value=0.0, max_value=1.0)},
    )
    pick = st.selectbox("Active job", [j.id for j in view.active], key="jobs-active")
    st.button("Cancel job", icon=":material/cancel:", key="jobs-cancel", on_click=act, args=("cancel", pick))
    shown = {(j.id, j.status) for j in view.active}

    def changed() -> tuple[float | None, str] | None:
        """None (the page reruns) once a job starts or ends; else what runs, in a caption."""
        now = {(j.id, j.status) for j in jobs.recent(200, kind=kind) if j.active}
        running = [j for j in jobs.recent(200, kind=kind, status="running")]
        if now != shown:
            return None
        return (
            (running[0].progress, f"{running[0].title}… {running[0].message}")
            if running
            else (None, "Waiting…")
        )

    wait_for(changed)

st.subheader("Scheduled")
st.dataframe(view.schedules_frame(), hide_index=True, width="stretch")
name = st.selectbox("Schedule", [s.spec.name for s in view.schedules], key="jobs-schedule")
st.button(
    "Run now", icon=":material/play_arrow:", key="jobs-run-now", on_click=act, args=("run", "", None, name)
)

st.subheader("Finished")
st.caption(RETENTION_NOTE)
if not view.finished:
    st.info("No job has finished yet.")
else:
    st.dataframe(view.finished_frame(), hide_index=True, width="stretch")
    job_id = st.selectbox("Finished job", [j.id for j in view.finished], key="jobs-finished")
    job = next(j for j in view.finished if j.id == job_id)
    if job.error:
        st.error(f"{job.title} failed: {job.error}")
    steps = steps_frame(job.id)
    st.dataframe(steps, hide_index=True, width="stretch")
    numbers = [int(n) for n in steps["step"]]
    failed = [int(n) for n in steps.loc[steps["status"] == "failed", "step"]]
    left, right = st.columns(2)
    step = left.selectbox(
        "Retry from step",
        numbers or [1],
        index=(numbers.index(failed[0]) if failed and numbers else 0),
        key="jobs-step",
    )
    left.button(
        "Retry", icon=":material/replay:", key="jobs-retry", on_click=act, args=("retry", job.id, step)
    )
    right.button(
        "Resume",
        icon=":material/play_circle:",
        key="jobs-resume",
        disabled=job.status != "cancelled",
        on_click=act,
        args=("resume", job.id),
    )
