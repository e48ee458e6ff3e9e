"""Budget plans panel: save the recommendation, approve, dry run, apply, roll back, and the audit trail."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from adops.optimize.apply import ApplyResult, apply_plan, rollback_plan
from adops.optimize.plans import (
    PlanError,
    approve,
    audit_trail,
    list_plans,
    plan_lines,
    save_plan,
    track_outcome,
)
from adops.optimize.recommend import Recommendation
from adops.optimize.sources import WarehouseHistory


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
    labels = {p.id: f"#{p.id} {p.name} ({p.status})" for p in plans}
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
    cols[0].metric("Status", plan.status)
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

    buttons = st.columns(5)
    try:
        if buttons[0].button("Approve", disabled=plan.status != "draft", key="plan-approve"):
            approve(plan.id, by=who)
            st.rerun()
        if buttons[1].button(
            "Dry run", disabled=plan.status not in ("draft", "approved", "applying"), key="plan-dry"
        ):
            _show(apply_plan(plan.id, dry_run=True, actor=who))
        if buttons[2].button(
            "Apply today's step",
            type="primary",
            disabled=plan.status not in ("approved", "applying"),
            key="plan-apply",
        ):
            _show(apply_plan(plan.id, dry_run=False, actor=who))
        if buttons[3].button(
            "Roll back", disabled=plan.status not in ("applying", "applied"), key="plan-rollback"
        ):
            _show(rollback_plan(plan.id, actor=who))
        if buttons[4].button("Track outcome", disabled=plan.first_applied_at is None, key="plan-outcome"):
            outcome = track_outcome(plan.id)
            st.json(outcome, expanded=False)
    except PlanError as exc:
        st.error(f"{exc}.")

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


def _show(result: ApplyResult) -> None:
    what = "Dry run: nothing changed." if result.dry_run else f"Plan is now {result.status}."
    table = pd.DataFrame([s.__dict__ for s in result.steps])
    if result.failed:
        st.error(f"{what} {len(result.failed)} change(s) failed; see the audit trail.")
    else:
        st.success(
            f"{what} {len(result.changes)} budget change(s); {result.remaining} campaign(s) not yet at target."
        )
    if not table.empty:
        st.dataframe(table, hide_index=True, width="stretch")
