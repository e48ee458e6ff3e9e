"""Status controls and the rollout of an experiment: start, stop, declare, rehearse, approve, audit.

The approve button applies the plan the user saw on the previous run (its fingerprint is kept in the
session), so a plan that changed in between is refused rather than applied unseen. The plan is read
from the platforms once per experiment and session, and again on "Read the platforms again" or
after an approval, not on every rerun of the page.
"""

from __future__ import annotations

import os

import streamlit as st

from adops.experiments import Decision, rollout
from adops.experiments import store as experiments

FLASH = "ab-flash"


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
        if cols[1].button("Declare winner", key=f"{key}-declare"):
            experiments.declare_winner(exp.id, pick, actor=_user(), reason="declared on the A/B page")
            st.session_state[FLASH] = f"{pick} declared the winner of {exp.name}."
            st.rerun()
        if cols[2].button("Stop without a winner", key=f"{key}-stop"):
            _change(exp, f"{exp.name} is stopped.", status="stopped")
    if exp.winner and (exp.status.startswith("winner: ") or exp.status == "rolled out"):
        rollout_panel(exp)


def rollout_panel(exp: experiments.ExperimentRecord) -> None:
    """The dry-run plan, rehearse and approve buttons, and the audit trail."""
    key = f"rollout-{exp.id}"
    st.markdown(f"**Rollout of {exp.winner}**")
    reviewed = st.session_state.get(f"{key}-reviewed")
    # planning reads every variant's status and budget from the platforms: once, not on every rerun
    if st.button("Read the platforms again", icon=":material/refresh:", key=f"{key}-refresh"):
        st.session_state.pop(f"{key}-plan", None)
    plan: rollout.RolloutPlan | None = st.session_state.get(f"{key}-plan")
    if plan is None:
        try:
            plan = st.session_state[f"{key}-plan"] = rollout.plan(exp.id)
        except rollout.RolloutError as exc:
            st.error(f"{exc}.")
    if plan is not None and not plan.actions:
        st.info("Nothing left to change: the losers are paused.")
    elif plan is not None:
        st.caption("Dry run: the plan below is what approval would change. Nothing has been sent yet.")
        st.dataframe(plan.frame(), hide_index=True, width="stretch")
        for note in plan.notes:
            st.caption(note)
        actor = st.text_input("Your name (for the audit log)", _user(), key=f"{key}-actor")
        cols = st.columns([1, 1, 2])
        if cols[0].button("Rehearse (dry run)", key=f"{key}-rehearse"):
            _run(exp, actor, approve=False, fingerprint=None)
        confirmed = cols[2].checkbox("I reviewed this plan", key=f"{key}-confirm")
        if cols[1].button("Approve and apply", type="primary", key=f"{key}-approve", disabled=not confirmed):
            _run(exp, actor, approve=True, fingerprint=reviewed)
        st.session_state[f"{key}-reviewed"] = plan.fingerprint
    trail = rollout.audit_trail(exp.id)
    st.markdown("**Audit trail**")
    if trail.empty:
        st.caption("No change rehearsed or applied yet.")
    else:
        st.dataframe(trail, hide_index=True, width="stretch", placeholder="–")


def _run(exp: experiments.ExperimentRecord, actor: str, approve: bool, fingerprint: str | None) -> None:
    if approve:  # what the platforms say now is read again after an approval, whatever its outcome
        st.session_state.pop(f"rollout-{exp.id}-plan", None)
    try:
        result = rollout.run(exp.id, actor, approve=approve, fingerprint=fingerprint)
    except rollout.RolloutError as exc:
        st.error(f"{exc}.")
        return
    if result.dry_run:
        st.success(
            f"Rehearsed {len(result.outcomes)} change(s): written to the audit log as a dry run; nothing was sent."
        )
        return
    failed = [o for o in result.outcomes if o.status != "applied"]
    if failed:
        st.error(
            f"Rollout {result.status}: "
            + "; ".join(
                f"{o.action.action} {o.action.entity} {o.action.entity_id}: {o.error}" for o in failed
            )
        )
        return
    st.session_state[FLASH] = f"Rolled out {exp.winner}: {len(result.outcomes)} change(s) applied."
    st.rerun()


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
