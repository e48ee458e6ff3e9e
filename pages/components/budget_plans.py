"""Budget plans panel: save the recommendation, approve, dry run, apply, roll back, and the audit trail.

Dry runs, steps and rollbacks call the platforms, so they run as `budget_plan.run` jobs in the
sidecar; the panel shows their progress and the last run's result.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from adops import jobs
from adops.errors import AdopsError
from adops.optimize.plans import (
    approve,
    audit_trail,
    list_plans,
    plan_lines,
    save_plan,
    track_outcome,
)
from adops.optimize.recommend import Recommendation
from adops.optimize.sources import WarehouseHistory
from pages.components.confirm import confirmed
from pages.components.details import details_frame, rows_frame, status_label
from pages.components.errors import show_error
from pages.components.waiting import failure, follow


def plans_panel(rec: Recommendation, history: WarehouseHistory, scope: str, currency: str) -> None:
    """Draw the approve-and-apply flow for budget plans."""
    st.subheader("Budget plans")
    left, right = st.columns([3, 1])
    name = left.text_input("Plan name", value=f"{scope}: {rec.budget:,.0f} {currency}/day", key="plan-name")
    who = right.text_input("Your name", value="analyst", key="plan-actor")
    if st.button("Save as draft plan", icon=":material/save:", key="plan-save"):
        saved = save_plan(rec, history, name=name, scope=scope, created_by=who)
        st.session_state["plan-id"] = saved.id
        st.success(f"Saved plan #{saved.id} as a draft: review it, then approve.")

    plans = list_plans()
    if not plans:
        st.info("No budget plans yet: save the recommendation above as a draft to review and apply it.")
        return
    labels = {
        p.id: f"#{p.id} {p.name}" for p in plans
    }  # the status is the metric below: a widget label would go stale
    ids: list[int] = list(labels)
    current = st.session_state.get("plan-id", ids[0])
    chosen = st.selectbox(
        "Plan",
        ids,
        index=ids.index(current) if current in ids else 0,
        format_func=lambda i: labels[i],
        key="plan-pick",
    )
    plan = next(p for p in plans if p.id == chosen)
    cols = st.columns(4)
    cols[0].metric("Status", status_label(plan.status))
    cols[1].metric(f"Daily budget ({plan.currency})", f"{plan.total_budget:,.0f}")
    cols[2].metric(f"Expected {plan.objective}/day", f"{plan.expected_total:,.1f}")
    cols[3].metric("Against the current split", f"{plan.expected_total - plan.current_expected_total:+,.1f}")
    st.caption(
        f"Created by {plan.created_by or '–'} at {plan.created_at:%Y-%m-%d %H:%M}"
        + (
            f"; approved by {plan.approved_by} at {plan.approved_at:%Y-%m-%d %H:%M}"
            if plan.approved_at
            else ""
        )
        + f". Budgets move at most {plan.max_step:.0%} a day: apply again on the next days to continue."
    )

    last = next(
        (j for j in jobs.recent(20, kind="budget_plan.run") if j.params.get("plan_id") == plan.id), None
    )
    busy = last is not None and last.status in ("queued", "running")
    buttons = st.columns(5)
    try:
        if buttons[0].button("Approve", disabled=busy or plan.status != "draft", key="plan-approve"):
            approve(plan.id, by=who)
            st.rerun()
        runs = (  # connector calls: queued for the sidecar
            (buttons[1], "Dry run", "dry_run", "plan-dry", ("draft", "approved", "applying")),
            (buttons[2], "Apply today's step", "apply", "plan-apply", ("approved", "applying")),
            (buttons[3], "Roll back", "rollback", "plan-rollback", ("applying", "applied")),
        )
        for column, label, action, key, allowed in runs:
            with column:
                disabled = busy or plan.status not in allowed
                if action == "dry_run":
                    go = st.button(label, disabled=disabled, key=key)
                else:  # changes live budgets: asked first
                    go = confirmed(label, key, _QUESTIONS[action].format(plan=plan), disabled=disabled)
            if go:
                jobs.enqueue("budget_plan.run", {"plan_id": plan.id, "action": action, "actor": who})
                st.rerun()
        if buttons[4].button("Track outcome", disabled=plan.first_applied_at is None, key="plan-outcome"):
            outcome = track_outcome(plan.id)
            st.dataframe(details_frame(outcome, skip=("channels",)), hide_index=True, width="stretch")
            channels = outcome.get("channels")
            if isinstance(channels, list) and channels:
                st.dataframe(rows_frame(channels), hide_index=True, width="stretch")
    except AdopsError as exc:  # a blank approver is refused by adops.approvers, not as a PlanError
        show_error(exc)
    if last is not None:
        _last_run(last)

    st.dataframe(plan_lines(plan), hide_index=True, width="stretch")
    trail = audit_trail(plan.id)
    st.markdown("**Audit trail**")
    if trail.empty:
        st.caption("Nothing rehearsed or changed yet.")
    else:
        st.dataframe(trail, hide_index=True, width="stretch")
        st.download_button(
            "Download audit trail (CSV)", trail.to_csv(index=False), f"plan-{plan.id}-audit.csv", "text/csv"
        )


_QUESTIONS = {
    "apply": "Apply today's step of plan #{plan.id}? It changes the live daily budgets on the platforms.",
    "rollback": "Roll plan #{plan.id} back? Every budget it changed goes back to its value before the plan.",
}
_ACTIONS = {"dry_run": "Dry run", "apply": "Today's step", "rollback": "Rollback"}


def _last_run(job: Any) -> None:
    """The plan's latest run: its progress while the sidecar works, then its result or its error."""
    what = _ACTIONS[job.params["action"]]
    if job.status in ("queued", "running"):
        follow(job.id, f"{what} in the background")
        return
    if job.status == "failed":
        st.error(f"{what} did not run: {failure(job.error)}.")
        return
    result: dict[str, Any] = job.result or {}
    head = (
        "Dry run: nothing changed."
        if result.get("dry_run")
        else f"{what} done: the plan is {status_label(str(result.get('status'))).lower()}."
    )
    if result.get("failed"):
        st.error(f"{head} {result['failed']} change(s) failed; see the audit trail.")
    else:
        st.success(
            f"{head} {result.get('changes', 0)} budget change(s); "
            f"{result.get('remaining', 0)} campaign(s) not yet at target."
        )
    steps = pd.DataFrame(result.get("steps", []))
    if not steps.empty:
        st.dataframe(steps, hide_index=True, width="stretch")
