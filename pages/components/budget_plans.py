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
from adops.names import named, platform_label
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
from pages.components.details import csv_text, details_frame, rows_frame, status_label
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
                called = {
                    line.channel: f"{line.name or line.campaign_id or line.account_id or ''} "
                    f"({platform_label(line.platform)})".strip()
                    for line in plan.lines
                }
                named_rows = [
                    {**c, "channel": called.get(c.get("channel"), c.get("channel"))} for c in channels
                ]
                st.dataframe(rows_frame(named_rows), hide_index=True, width="stretch")
    except AdopsError as exc:  # a blank approver is refused by adops.approvers, not as a PlanError
        show_error(exc)
    if last is not None:
        _last_run(last)

    lines = readable(plan_lines(plan).drop(columns=["channel", "name"]))
    st.markdown("**The plan, channel by channel**")
    st.dataframe(lines, hide_index=True, width="stretch", column_config=_COLUMNS)
    trail = audit_trail(plan.id)
    st.markdown("**Audit trail**")
    if trail.empty:
        st.caption("Nothing rehearsed or changed yet.")
    else:
        shown = readable(trail.rename(columns={"entity_id": "campaign_id"}))
        st.dataframe(shown, hide_index=True, width="stretch", column_config=_COLUMNS)
        st.download_button(
            "Download audit trail (CSV)", csv_text(shown), f"plan-{plan.id}-audit.csv", "text/csv"
        )


def readable(frame: pd.DataFrame) -> pd.DataFrame:
    """A plan's table as people read it: platform labels, account and campaign names beside the ids,
    statuses as labels (adops.names)."""
    out = named(frame)
    if "status" in out.columns:
        out["status"] = out["status"].map(lambda s: status_label(str(s)) if isinstance(s, str) else s)
    return out


#: column labels of the plan's tables (lines, dry-run steps, audit trail)
_COLUMNS: dict[str, Any] = {
    "platform": "Platform",
    "account": "Account",
    "account_id": None,  # the names are shown; the ids stay in the CSV
    "campaign": "Campaign",
    "campaign_id": None,
    "current_spend": st.column_config.NumberColumn("Current spend", format="%,.2f"),
    "recommended_spend": st.column_config.NumberColumn("Recommended spend", format="%,.2f"),
    "change": st.column_config.NumberColumn("Change", format="%+,.2f"),
    "current_expected": st.column_config.NumberColumn("Current expected", format="%,.1f"),
    "expected": st.column_config.NumberColumn("Expected", format="%,.1f"),
    "expected_low": st.column_config.NumberColumn("Expected low", format="%,.1f"),
    "expected_high": st.column_config.NumberColumn("Expected high", format="%,.1f"),
    "marginal": st.column_config.NumberColumn("Marginal", format="%,.2f"),
    "original_budget": st.column_config.NumberColumn("Budget before", format="%,.2f"),
    "target_budget": st.column_config.NumberColumn("Target budget", format="%,.2f"),
    "applied_budget": st.column_config.NumberColumn("Applied budget", format="%,.2f"),
    "before": st.column_config.NumberColumn("Budget before", format="%,.2f"),
    "after": st.column_config.NumberColumn("Budget after", format="%,.2f"),
    "target": st.column_config.NumberColumn("Target", format="%,.2f"),
    "status": "Status",
    "note": "Note",
    "id": st.column_config.NumberColumn("#", format="%d"),
    "at": st.column_config.DatetimeColumn("At", format="YYYY-MM-DD HH:mm"),
    "actor": "By",
    "dry_run": st.column_config.CheckboxColumn("Dry run"),
    "error": "Error",
    "channel": None,
}


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
        st.dataframe(
            readable(steps.drop(columns=["channel"], errors="ignore")),
            hide_index=True,
            width="stretch",
            column_config=_COLUMNS,
        )
