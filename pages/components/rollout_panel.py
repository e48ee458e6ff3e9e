"""Status controls and the rollout of an experiment: start, stop, declare, rehearse, approve, audit.

Planning reads every variant's status and budget from the platforms, and rehearsing or approving
writes to them, so all three run in the sidecar as `experiment.rollout` jobs. The plan is read when
an analyst declares the winner and on "Read the platforms (again)": always on a click, never
because the page was drawn (a page render writes nothing); after an approval the page asks for that
click instead of showing the old plan. The approve button sends the
fingerprint of the plan on screen, so a plan that changed in between is refused rather than
applied unseen.
"""

from __future__ import annotations

import os
from typing import Any

import streamlit as st

from adops import jobs
from adops.experiments import Decision, rollout
from adops.experiments import store as experiments
from pages.components.confirm import confirmed
from pages.components.waiting import failure, wait_for

FLASH = "ab-flash"
JOB = "experiment.rollout"
ACTIVE = ("queued", "running")


def flash() -> None:
    """Show the message a previous action left before its rerun.

    Always one container, message or not: the elements below keep their place, so the tabs do not
    jump back to the first one on the next rerun.
    """
    box = st.container()
    message = st.session_state.pop(FLASH, None)
    if message:
        box.success(message)


def status_controls(exp: experiments.ExperimentRecord, decision: Decision) -> None:
    """Start a draft, stop or call a running experiment; roll out a declared winner."""
    key = f"exp-{exp.id}"
    if exp.status == "draft":
        if st.button("Start now", key=f"{key}-start"):
            _change(exp, f"{exp.name} is running.", status="running")
    elif exp.status == "running":
        st.markdown("**Call it**")
        names = [v.name for v in exp.variants]
        suggested = names.index(decision.winner) if decision.winner in names else 0
        cols = st.columns([2, 1, 1])
        pick = cols[0].selectbox("Winner", names, index=suggested, key=f"{key}-winner")
        if decision.winner is None:
            cols[0].caption("The winner rule does not hold yet: declaring now is your call (it is logged).")
        else:
            cols[0].caption(
                f"The winner rule picks {decision.winner}: the decision job after the next sync declares it, "
                "or declare it now."
            )
        if cols[1].button("Declare winner", key=f"{key}-declare"):
            experiments.declare_winner(exp.id, pick, actor=_user(), reason="declared on the A/B page")
            jobs.enqueue(JOB, {"experiment_id": exp.id, "action": "plan"})  # the rollout plan, read next
            st.session_state[FLASH] = f"{pick} declared the winner of {exp.name}."
            st.rerun()
        with cols[2]:
            if confirmed(
                "Stop without a winner",
                f"{key}-stop",
                f"Stop {exp.name} without a winner? It stops being read out as running; the ads keep running "
                "as they are on the platforms.",
            ):
                _change(exp, f"{exp.name} is stopped.", status="stopped")
    if exp.winner and (exp.status.startswith("winner: ") or exp.status == "rolled out"):
        rollout_panel(exp)


def rollout_panel(exp: experiments.ExperimentRecord) -> None:
    """The dry-run plan, rehearse and approve buttons, the last run and the audit trail."""
    key = f"rollout-{exp.id}"
    st.markdown(f"**Rollout of {exp.winner}**")
    mine = [j for j in jobs.recent(30, kind=JOB) if j.params.get("experiment_id") == exp.id]
    planned = next((j for j in mine if j.params["action"] == "plan"), None)
    last = next((j for j in mine if j.params["action"] != "plan"), None)
    busy = any(j.status in ACTIVE for j in mine)
    label = "Read the platforms" if planned is None else "Read the platforms again"
    if st.button(label, icon=":material/refresh:", key=f"{key}-refresh", disabled=busy):
        _enqueue(exp, "plan")

    if planned is None:
        st.info(
            "No rollout plan yet: **Read the platforms** reads each variant's status and budget (a sidecar "
            "job) and shows what approval would change."
        )
    elif planned.status == "failed":
        st.error(f"The rollout cannot be planned: {failure(planned.error)}.")
    elif planned.status in ACTIVE:
        _watch(exp.id, "Reading the variants' status and budgets from the platforms…")
    elif _applied_since(last, planned):
        st.info(
            "Applied since this plan was read: **Read the platforms again** to see what is left to change."
        )
    else:
        plan = rollout.RolloutPlan.from_dict(dict(planned.result or {}))
        if not plan.actions:
            st.info("Nothing left to change: the losers are paused.")
        else:
            st.caption("Dry run: the plan below is what approval would change. Nothing has been sent yet.")
            st.dataframe(plan.frame(), hide_index=True, width="stretch")
            for note in plan.notes:
                st.caption(note)
            actor = st.text_input("Your name (for the audit log)", _user(), key=f"{key}-actor")
            cols = st.columns([1, 1, 2])
            if cols[0].button("Rehearse (dry run)", key=f"{key}-rehearse", disabled=busy):
                _enqueue(exp, "rehearse", actor)
            confirmed = cols[2].checkbox("I reviewed this plan", key=f"{key}-confirm")
            # approval carries the plan shown here: a plan that changed since is refused, not applied unseen
            if cols[1].button(
                "Approve and apply", type="primary", key=f"{key}-approve", disabled=busy or not confirmed
            ):
                _enqueue(exp, "approve", actor, plan.fingerprint)
    if last is not None:
        _last_run(exp, last)
    trail = rollout.audit_trail(exp.id)
    st.markdown("**Audit trail**")
    if trail.empty:
        st.caption("No change rehearsed or applied yet.")
    else:
        st.dataframe(trail, hide_index=True, width="stretch", placeholder="–")


def _enqueue(exp: experiments.ExperimentRecord, action: str, actor: str = "", fingerprint: str = "") -> None:
    params: dict[str, object] = {"experiment_id": exp.id, "action": action}
    if action != "plan":
        params |= {"actor": actor, "fingerprint": fingerprint}
    jobs.enqueue(JOB, params)
    st.rerun()


def _applied_since(last: Any, planned: Any) -> bool:
    """Whether an approval ran after the plan on screen was read (the plan is then out of date)."""
    return (
        last is not None
        and last.params["action"] == "approve"
        and last.status not in ACTIVE
        and last.created_at > planned.created_at
    )


def _last_run(exp: experiments.ExperimentRecord, job: Any) -> None:
    """The latest rehearsal or approval: its progress, then what it did."""
    if job.status in ACTIVE:
        what = "Rehearsing" if job.params["action"] == "rehearse" else "Applying"
        _watch(exp.id, f"{what} the rollout in the background…")
        return
    if job.status == "failed":
        st.error(f"The rollout did not run: {failure(job.error)}.")
        return
    result = dict(job.result or {})
    outcomes = result.get("outcomes", [])
    if result.get("dry_run"):
        st.success(
            f"Rehearsed {len(outcomes)} change(s): written to the audit log as a dry run; nothing was sent."
        )
        return
    failed = [o for o in outcomes if o["status"] != "applied"]
    if failed:
        st.error(
            f"Rollout {result.get('status')}: "
            + "; ".join(f"{o['action']} {o['entity']} {o['entity_id']}: {o['error']}" for o in failed)
        )
        return
    st.success(f"Rolled out {result['plan']['winner']}: {len(outcomes)} change(s) applied.")


def _watch(experiment_id: int, message: str) -> None:
    """Wait for this experiment's rollout jobs; the page reruns when they end."""

    def status() -> tuple[float | None, str] | None:
        mine = [j for j in jobs.recent(30, kind=JOB) if j.params.get("experiment_id") == experiment_id]
        return (None, message) if any(j.status in ACTIVE for j in mine) else None

    wait_for(status)


def _change(exp: experiments.ExperimentRecord, message: str, **fields: str) -> None:
    try:
        experiments.update(exp.id, actor=_user(), **fields)
    except experiments.ExperimentError as exc:
        st.error(f"{exc}.")
        return
    st.session_state[FLASH] = message
    st.rerun()


def _user() -> str:
    return os.environ.get("USER") or os.environ.get("USERNAME") or "analyst"
