"""Settings: the workspace's accounts and their sync health; add, edit or remove an account; check them.

Drawing the page reads only. adops.toml is changed, and jobs are queued, in the callbacks of the
buttons (`pages/components/accounts.py`); their outcome is shown on the next run.
"""

from typing import Any

import pandas as pd
import streamlit as st

from adops import config, ingest, jobs
from adops.config import PLATFORMS
from adops.errors import ConfigError
from pages.components import accounts
from pages.components.details import details_frame
from pages.components.formatting import PLATFORM_LABELS
from pages.components.routing import through_app
from pages.components.waiting import ACTIVE, failure, follow, queue

through_app()
st.title("Settings")
try:
    cfg = config.load()
except ConfigError as exc:
    st.error(f"adops.toml has a problem: {exc}. Fix the file in {config.home()} and reload this page.")
    st.stop()

st.subheader("Accounts")
note = st.container()  # always there, so adding the first account does not shift what follows
if not cfg.accounts:
    note.info(
        "No accounts are configured, so the workspace syncs the sandbox: 14 simulated accounts on six "
        "platforms. Adding an account below lists accounts explicitly in adops.toml."
    )
health = ingest.account_health()
health["platform"] = health["platform"].map(lambda p: PLATFORM_LABELS.get(p, p))
st.dataframe(
    health,
    hide_index=True,
    width="stretch",
    column_config={
        "platform": "Platform",
        "account_id": "Account id",
        "name": "Name",
        "connector": "Connector",
        "credentials": "Credentials",
        "cursor": st.column_config.DateColumn("Synced through"),
        "last_success_at": st.column_config.DatetimeColumn("Last success", format="YYYY-MM-DD HH:mm"),
        "last_error": "Last error",
    },
)

with st.expander("Add an account", expanded=False):
    accounts.outcome("add")
    form = st.form("add-account", clear_on_submit=False)
with form:
    left, right = st.columns(2)
    left.selectbox(
        "Platform", PLATFORMS, format_func=lambda p: PLATFORM_LABELS[p], key=accounts.ADD + "platform"
    )
    right.text_input(
        "Account id",
        placeholder="the platform's own id, e.g. act_1234 or 123-456-7890",
        key=accounts.ADD + "id",
        max_chars=accounts.MAX_ID,
    )
    left.text_input("Name (optional)", key=accounts.ADD + "name", max_chars=accounts.MAX_NAME)
    right.radio(
        "Connector",
        ["api", "sandbox"],
        horizontal=True,
        help="api: the platform's real API; sandbox: the simulator",
        key=accounts.ADD + "connector",
    )
    st.caption("Credentials are read from environment variables: give the variable's name, never the secret.")
    columns = st.columns(2)
    for i, (name, label) in enumerate(accounts.CREDENTIALS.items()):
        columns[i % 2].text_input(
            f"{label}: variable name", key=accounts.ADD + "cred-" + name, max_chars=accounts.MAX_ENV
        )
    st.checkbox(
        "Keep syncing the sandbox accounts too",
        value=not cfg.accounts,
        disabled=bool(cfg.accounts),
        key=accounts.ADD + "keep-sandbox",
    )
    st.form_submit_button("Add account", on_click=accounts.add, args=(cfg,))

accounts.outcome("edit")  # here, not inside: removing the last account removes the expander
if cfg.accounts:
    with st.expander("Edit or remove an account", expanded=False):
        keys = [a.key for a in cfg.accounts]
        by_key = {a.key: a for a in cfg.accounts}
        chosen = st.selectbox(
            "Account",
            keys,
            format_func=lambda k: (
                f"{PLATFORM_LABELS[by_key[k].platform]} {by_key[k].id}"
                + (f" ({by_key[k].name})" if by_key[k].name else "")
            ),
            key="edit-account",
        )
        account = by_key[chosen]
        prefix = accounts.edit_prefix(account)
        with st.form(f"edit-{account.key}"):
            left, right = st.columns(2)
            right.text_input("Account id", account.id, key=prefix + "id", max_chars=accounts.MAX_ID)
            left.text_input("Name", account.name or "", key=prefix + "name", max_chars=accounts.MAX_NAME)
            right.radio(
                "Connector",
                ["api", "sandbox"],
                index=["api", "sandbox"].index(account.connector),
                horizontal=True,
                key=prefix + "connector",
            )
            st.caption(
                "Credentials: the environment variable each is read from. Empty removes it; a value "
                "written directly in adops.toml is kept unless you name a variable instead."
            )
            columns = st.columns(2)
            for i, (name, label) in enumerate(accounts.CREDENTIALS.items()):
                raw = account.credentials.get(name, "")
                columns[i % 2].text_input(
                    f"{label}: variable name",
                    raw[4:] if raw.startswith("env:") else "",
                    placeholder="(set in adops.toml)" if raw and not raw.startswith("env:") else "",
                    key=prefix + "cred-" + name,
                    max_chars=accounts.MAX_ENV,
                )
            st.form_submit_button("Save changes", on_click=accounts.save, args=(account,))
        st.markdown("**Remove**")
        st.radio(
            "Its rows in the warehouse",
            list(accounts.ROWS),
            format_func=accounts.ROWS.__getitem__,
            key=prefix + "rows",
        )
        st.checkbox(f"Yes, remove {account.key} from adops.toml", key=prefix + "confirm")
        st.button(
            "Remove account",
            icon=":material/delete:",
            disabled=not st.session_state.get(prefix + "confirm"),
            on_click=accounts.remove,
            args=(account,),
            key=prefix + "remove",
        )

purges = [j for j in jobs.recent(5, kind=accounts.PURGE) if j.status in ACTIVE]
if purges:
    follow(purges[0].id, f"Purging {purges[0].params.get('platform')}:{purges[0].params.get('account_id')}")

st.subheader("Check the connections")
st.caption("Reads each account, its campaigns and yesterday's performance, and says exactly what is missing.")
checks = jobs.recent(1, kind="connectors.check")
active = bool(checks) and checks[0].status in ACTIVE
st.button(
    "Run the check",
    icon=":material/fact_check:",
    disabled=active,
    on_click=queue,
    args=("connectors.check",),
)
if active:
    follow(checks[0].id, "Checking")
elif checks and checks[0].status == "failed":
    st.error(f"The check could not run: {failure(checks[0].error)}.")
elif checks and checks[0].result:
    results = pd.DataFrame(checks[0].result["results"])
    failed = results[~results["ok"]]
    if failed.empty:
        st.success(f"All {len(results)} accounts answer.")
    for result in checks[0].result["results"]:
        name = f"**{result['platform']}:{result['account_id']}**"
        for warning in result.get("warnings", []):
            st.warning(f"{name}: {warning}")
        if not result["ok"]:
            st.error(f"{name} [{result['error_kind']}] {result['error']}  \n→ {result['hint']}")
    st.dataframe(
        results[["platform", "account_id", "connector", "ok", "error_kind"]], hide_index=True, width="stretch"
    )

st.subheader("Workspace")
shown = config.masked(cfg)
workspace: dict[str, Any] = {
    k: shown[k] for k in ("home", "warehouse", "database", "reporting_currency") if k in shown
}
workspace["lookback_days"] = ", ".join(
    f"{PLATFORM_LABELS.get(p, p)} {days}" for p, days in (shown.get("lookback_days") or {}).items()
)
workspace["sync_schedules"] = [str(s.get("cron", "")) for s in shown.get("schedules") or []]
st.dataframe(details_frame(workspace), hide_index=True, width="stretch")  # labelled items, never {...}
