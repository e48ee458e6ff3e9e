"""The Workflows page's parts: the run form (params as JSON, presets) and one run's review (the diff
of its changes, the timeline of its steps, approve, reject and undo with a name and a confirmation).

Every change happens in a button's callback through `adops.workflows`; drawing reads only.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import plotly.express as px
import streamlit as st

from adops import workflows
from adops.errors import AdopsError, InputError
from adops.workflows import board
from pages.components.details import csv_text, rows_frame
from pages.components.errors import error_text
from pages.components.waiting import follow

FLASH = "workflows-flash"
SELECTED = "workflows-run"
#: Okabe-Ito, safe for the common colour-vision deficiencies
STATUS_COLORS = {"succeeded": "#009E73", "running": "#0072B2", "failed": "#D55E00", "waiting": "#E69F00",
                 "skipped": "#999999"}  # fmt: skip
MAX_PARAMS_CHARS = 16_000


def flash(kind: str, text: str) -> None:
    st.session_state[FLASH] = (kind, text)


def show_flash() -> None:
    found = st.session_state.pop(FLASH, None)
    if found:
        (st.success if found[0] == "success" else st.error)(found[1])


def parse(text: str) -> dict[str, Any]:
    """The params box: a JSON object of bounded size."""
    if len(text) > MAX_PARAMS_CHARS:
        raise InputError(f"the params are {len(text):,} characters; at most {MAX_PARAMS_CHARS:,}")
    try:
        value = json.loads(text or "{}")
    except json.JSONDecodeError as exc:
        raise InputError(f"the params are not valid JSON ({exc.msg}, line {exc.lineno})") from None
    if not isinstance(value, dict):
        raise InputError('the params must be a JSON object: {"name": value, ...}')
    return value


def start(name: str, key: str, preset: str | None, dry_run: bool, who_key: str) -> None:
    """Callback of "Dry run" / "Run": queue the run and select it."""
    try:
        run_id = workflows.start(name, parse(st.session_state.get(key, "")), preset=preset, dry_run=dry_run,
                                 by=str(st.session_state.get(who_key, "")))  # fmt: skip
    except AdopsError as exc:
        flash("error", error_text(exc))
        return
    st.session_state[SELECTED] = run_id  # the run picker below shows it
    flash("success", f"Queued {'a dry run' if dry_run else 'a run'} of {name}: {run_id}.")


def save_preset(name: str, key: str, preset_key: str, who_key: str) -> None:
    try:
        saved = workflows.save_preset(name, str(st.session_state.get(preset_key, "")), parse(st.session_state.get(key, "")),
                                      by=str(st.session_state.get(who_key, "")))  # fmt: skip
    except AdopsError as exc:
        flash("error", error_text(exc))
        return
    flash("success", f"Saved the preset {saved['name']!r} of {name}.")


def decide(action: str, run_id: str, who_key: str, confirm_key: str) -> None:
    """Callback of Approve / Reject / Undo: a name and a ticked confirmation are required."""
    who = str(st.session_state.get(who_key, ""))
    try:
        if not st.session_state.get(confirm_key):
            raise InputError("tick the confirmation first")
        if action == "approve":
            workflows.approve(run_id, by=who, source="page")
            done = f"Approved {run_id} as {' '.join(who.split())}: its changes are queued."
        elif action == "reject":
            workflows.reject(run_id, by=who, source="page")
            done = f"Rejected {run_id}: nothing changed."
        else:
            workflows.undo(run_id, by=who)
            done = f"Queued the undo of {run_id}."
    except AdopsError as exc:
        flash("error", error_text(exc))
        return
    st.session_state[confirm_key] = False
    flash("success", done)


def run_form(entry: dict[str, Any], presets: list[dict[str, Any]], initial: dict[str, Any] | None) -> None:
    """Params (JSON, prefilled from a preset or the defaults), presets, Dry run and Run."""
    name = entry["name"]
    st.caption(entry["description"])
    # the defaults are of every type (None, numbers, lists, text): as text, one Arrow column type
    st.dataframe(rows_frame(entry["params"]), hide_index=True, width="stretch")
    names = [None, *[p["name"] for p in presets]]
    preset = st.selectbox(
        "Preset", names, format_func=lambda p: "no preset" if p is None else p, key=f"wf-preset-{name}"
    )
    chosen = next((p["params"] for p in presets if p["name"] == preset), None)
    defaults = {p["name"]: p["default"] for p in entry["params"] if not p["required"]}
    start_with = (
        initial or chosen or {**{p["name"]: None for p in entry["params"] if p["required"]}, **defaults}
    )
    seed = json.dumps(start_with, sort_keys=True, default=str)
    key = f"wf-params-{name}-{preset}-{hashlib.sha256(seed.encode()).hexdigest()[:8]}"
    st.text_area("Params (JSON)", json.dumps(start_with, indent=2, default=str), height=220, key=key)
    who_key = "wf-who"
    st.text_input("Your name", key=who_key, max_chars=100)
    left, right, third = st.columns(3)
    left.button(
        "Dry run",
        key=f"wf-dry-{name}",
        icon=":material/preview:",
        on_click=start,
        args=(name, key, preset, True, who_key),
    )
    right.button("Run", key=f"wf-run-{name}", type="primary", icon=":material/play_arrow:",
                 on_click=start, args=(name, key, preset, False, who_key))  # fmt: skip
    with third.popover("Save as preset", icon=":material/bookmark_add:"):
        st.text_input("Preset name", key=f"wf-preset-name-{name}", max_chars=100)
        st.button(
            "Save",
            key=f"wf-preset-save-{name}",
            on_click=save_preset,
            args=(name, key, f"wf-preset-name-{name}", who_key),
        )


def review(run: dict[str, Any]) -> None:
    """One run: status, the diff, the timeline of steps, and what may be done next."""
    rid = run["run_id"]
    line = f"**{run['workflow']}** · {run['status']}" + (" · dry run" if run["dry_run"] else "")
    who = [f"asked by {run['requested_by']}" if run["requested_by"] else "", f"approved by {run['approved_by']}" if run["approved_by"] else "",
           f"undone by {run['undone_by']}" if run["undone_by"] else ""]  # fmt: skip
    st.markdown(line + "  \n" + ", ".join(w for w in who if w))
    if run["error"]:
        st.error(run["error"])
    for note in run["notes"][:20]:
        st.caption(note)
    job = board.active_job(run)
    if job is not None:
        follow(job, f"Run {rid}")
    changes = board.changes_frame(run)
    st.subheader("Changes" + (" it would make" if run["dry_run"] else ""))
    if changes.empty:
        st.info("No change to any platform." if run["status"] != "running" else "Planning…")
    else:
        records = [{str(k): v for k, v in row.items()} for row in changes.to_dict("records")]
        st.dataframe(rows_frame(records), hide_index=True, width="stretch")
        st.download_button(
            "Download changes (CSV)",
            csv_text(changes),
            f"{rid}-changes.csv",
            "text/csv",
            key=f"wf-csv-{rid}",
        )
    steps = board.steps_frame(run)
    if not steps.empty:
        fig = px.timeline(steps, x_start="start", x_end="finish", y="step", color="status", color_discrete_map=STATUS_COLORS,
                          hover_data=["seconds", "error"], title=f"Steps of {rid}")  # fmt: skip
        fig.update_yaxes(autorange="reversed", title=None)
        st.plotly_chart(fig, width="stretch", key=f"wf-timeline-{rid}")
    if run["status"] == "awaiting_approval":
        _decision(rid, ("approve", "reject"), f"I reviewed the {len(changes)} change(s) above")
    elif (
        run["status"] == "succeeded"
        and not run["dry_run"]
        and any(c["status"] == "applied" for c in run["changes"])
    ):
        _decision(rid, ("undo",), "Revert every change of this run, newest first")


def _decision(rid: str, actions: tuple[str, ...], confirm: str) -> None:
    who, box = f"wf-decider-{rid}", f"wf-confirm-{rid}"
    st.text_input("Your name (goes into the audit trail)", key=who, max_chars=100)
    st.checkbox(confirm, key=box)
    for column, action in zip(st.columns(len(actions)), actions, strict=True):
        column.button(action.capitalize(), key=f"wf-{action}-{rid}", type="primary" if action != "reject" else "secondary",
                      on_click=decide, args=(action, rid, who, box))  # fmt: skip


BULK = "workflows-bulk"
LEVELS = ("campaign", "ad_group", "ad")


def bulk_action(selection: list[Any] | None) -> None:
    """The analysis page's bulk action: the picked campaigns, ad groups or ads as a `bulk` run to
    review on the Workflows page (nothing is queued until it is started there)."""
    picked = [tuple(e) for e in selection or [] if len(e) == 4 and e[2] in LEVELS]
    if not picked:
        return
    st.subheader("Bulk action on the selection")
    action = st.selectbox("Action", ["pause", "enable", "budget"], key="analysis-bulk-action",
                          format_func=lambda a: {"budget": "change budgets by a percentage"}.get(a, a))  # fmt: skip
    percent = None
    if action == "budget":
        percent = st.number_input("Change, %", min_value=-90.0, max_value=100.0, value=10.0, step=5.0,
                                  key="analysis-bulk-percent")  # fmt: skip
    if st.button(
        f"Review {len(picked)} entities as a workflow run",
        key="analysis-bulk-go",
        icon=":material/account_tree:",
    ):
        entities = [
            {"platform": p, "account_id": a, "entity_type": t, "entity_id": i} for p, a, t, i in picked[:1000]
        ]
        st.session_state[BULK] = {
            "action": action,
            "entities": entities,
            **({"percent": percent} if percent else {}),
        }
        st.switch_page("pages/workflows.py")
