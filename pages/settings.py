"""Settings: the workspace's accounts and their sync health, add an account, check the connections."""

import re

import pandas as pd
import streamlit as st
from streamlit_autorefresh import st_autorefresh

from adops import config, ingest
from adops.config import PLATFORMS, AccountConfig
from adops.connectors import workspace_accounts
from adops.sidecar.client import health
from adops.store import jobs
from pages.components.formatting import PLATFORM_LABELS
from pages.components.routing import through_app

CREDENTIALS = {
    "access_token": "Access token",
    "refresh_token": "Refresh token",
    "client_id": "OAuth client id",
    "client_secret": "OAuth client secret",
    "developer_token": "Developer token (Google Ads, Microsoft)",
    "login_customer_id": "Manager (login) customer id (Google Ads)",
    "customer_id": "Customer id (Microsoft)",
}
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

through_app()
st.title("Settings")
try:
    cfg = config.load()
except config.ConfigError as exc:
    st.error(f"adops.toml has a problem: {exc}. Fix the file in {config.home()} and reload this page.")
    st.stop()

st.subheader("Accounts")
if not cfg.accounts:
    st.info(
        "No accounts are configured, so the workspace syncs the sandbox: 14 simulated accounts on six "
        "platforms. Adding an account below lists accounts explicitly in adops.toml."
    )
st.dataframe(
    ingest.account_health(),
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

with st.expander("Add an account", expanded=False), st.form("add-account", clear_on_submit=False):
    left, right = st.columns(2)
    platform = left.selectbox("Platform", PLATFORMS, format_func=lambda p: PLATFORM_LABELS[p])
    account_id = right.text_input(
        "Account id", placeholder="the platform's own id, e.g. act_1234 or 1234567890"
    )
    name = left.text_input("Name (optional)")
    connector = right.radio(
        "Connector",
        ["api", "sandbox"],
        horizontal=True,
        help="api: the platform's real API; sandbox: the simulator",
    )
    st.caption("Credentials are read from environment variables: give the variable's name, never the secret.")
    env_names = {}
    columns = st.columns(2)
    for i, (key, label) in enumerate(CREDENTIALS.items()):
        env_names[key] = columns[i % 2].text_input(f"{label}: variable name", key=f"cred-{key}").strip()
    keep_sandbox = st.checkbox(
        "Keep syncing the sandbox accounts too", value=not cfg.accounts, disabled=bool(cfg.accounts)
    )
    submitted = st.form_submit_button("Add account")

if submitted:
    bad = [k for k, v in env_names.items() if v and not ENV_NAME.fullmatch(v)]
    if not account_id.strip():
        st.error("Account id is empty: enter the platform's own account id.")
    elif bad:
        st.error(
            f"{', '.join(CREDENTIALS[k] for k in bad)}: give an environment variable name "
            "(letters, digits and _), not the secret itself."
        )
    else:
        new = [
            AccountConfig(
                platform,
                account_id.strip(),
                connector,
                name.strip() or None,
                {k: f"env:{v}" for k, v in env_names.items() if v},
            )
        ]
        if keep_sandbox and not cfg.accounts:
            new = [*workspace_accounts(cfg), *new]
        try:
            config.add_accounts(new)
        except config.ConfigError as exc:
            st.error(f"Not added: {exc}.")
        else:
            st.success(f"Added {platform}:{account_id.strip()}. Run the check below, then sync.")
            st.rerun()

st.subheader("Check the connections")
st.caption("Reads each account, its campaigns and yesterday's performance, and says exactly what is missing.")
checks = jobs.recent(1, kind="connectors.check")
active = bool(checks) and checks[0].status in ("queued", "running")
if st.button("Run the check", icon=":material/fact_check:", disabled=active):
    jobs.enqueue("connectors.check")
    st.rerun()
if active:
    st.progress(checks[0].progress, text=f"Checking… {checks[0].message}")
    if health() is None:
        st.warning(
            "The sidecar is not answering, so the check waits. Start it with `adops serve` (or `make run`)."
        )
    st_autorefresh(interval=2000, key="check-refresh")
elif checks and checks[0].status == "failed":
    st.error(f"The check could not run: {checks[0].error}")
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
st.json(
    {
        k: shown[k]
        for k in ("home", "warehouse", "database", "reporting_currency", "lookback_days", "schedules")
    },
    expanded=False,
)
