"""The Settings page's account actions: add, save and remove, run as button callbacks.

The callbacks are the only place the page writes (adops.toml through `adops.config`, a purge job
through the store); each leaves one outcome in the session that `outcome()` shows on the next run.
Messages name accounts by `platform:id` (an id is digits or `act_` digits once validated), never by
the free-text name, so nothing a user typed is rendered as Markdown.
"""

from __future__ import annotations

import re

import streamlit as st

from adops import config, jobs
from adops.config import AccountConfig, Config, normalize_account_id
from adops.connectors import workspace_accounts
from adops.errors import AdopsError, InputError

ADD = "add-account-"
OUTCOME = "settings-outcome"
PURGE = "warehouse.delete_account"
MAX_ID, MAX_NAME, MAX_ENV = 64, 100, 100
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
CREDENTIALS = {
    "access_token": "Access token",
    "refresh_token": "Refresh token",
    "client_id": "OAuth client id",
    "client_secret": "OAuth client secret",
    "developer_token": "Developer token (Google Ads, Microsoft)",
    "login_customer_id": "Manager (login) customer id (Google Ads)",
    "customer_id": "Customer id (Microsoft)",
}
ROWS = {
    "keep": "Keep them: they stay in the warehouse and in the reports",
    "purge": "Purge them: delete every row of this account from the warehouse",
}


def outcome(section: str) -> None:
    """Show what the last action of this section ("add" or "edit") did, or why it did nothing, once.

    Always one container, message or not: the elements after it keep their place, so the expander
    the user is working in stays open on the rerun that shows the message.
    """
    box = st.container()
    stored = st.session_state.get(OUTCOME)
    if not stored or stored[0] != section:
        return
    _, kind, message = st.session_state.pop(OUTCOME)
    if kind == "success":
        box.success(message)
        st.toast(message, icon="✅")  # seen wherever the page is scrolled, and if the expander closed
    else:
        box.error(message)


def edit_prefix(account: AccountConfig) -> str:
    """Widget keys of one account's edit form (one set per account, so switching keeps no stale values)."""
    return f"edit-{account.key}-"


def add(cfg: Config) -> None:
    """The "Add account" callback: validate the form, append the account to adops.toml."""
    state = st.session_state
    platform = state[ADD + "platform"]
    raw_id = str(state.get(ADD + "id") or "").strip()
    name = str(state.get(ADD + "name") or "").strip()
    if not raw_id:
        return _error("Not added: the account id is empty. Enter the platform's own account id.")
    try:
        account_id = normalize_account_id(platform, raw_id[: MAX_ID + 1])
        credentials = _env_references(ADD, {})
        _check_name(name)
    except AdopsError as exc:
        return _error(f"Not added: {exc}.")
    key = f"{platform}:{account_id}"
    if any(a.key == key for a in cfg.accounts):
        return _error(
            f"Not added: {key} is already in adops.toml. Edit it under **Edit or remove an account**."
        )
    new = [AccountConfig(platform, account_id, state[ADD + "connector"], name or None, credentials)]
    if state.get(ADD + "keep-sandbox") and not cfg.accounts:
        new = [*workspace_accounts(cfg), *new]
    try:
        config.add_accounts(new)
    except AdopsError as exc:
        return _error(f"Not added: {exc}.")
    for field in ("id", "name", *(f"cred-{c}" for c in CREDENTIALS)):
        state[ADD + field] = ""
    _success(f"Added {key} to adops.toml. Run the check below, then sync.")


def save(account: AccountConfig) -> None:
    """The "Save changes" callback: change the account's id, name, connector or credentials."""
    state, prefix = st.session_state, edit_prefix(account)
    raw_id = str(state.get(prefix + "id") or "").strip()
    name = str(state.get(prefix + "name") or "").strip()
    try:
        account_id = normalize_account_id(account.platform, raw_id[: MAX_ID + 1])
        credentials = _env_references(prefix, account.credentials)
        _check_name(name)
        config.update_account(
            account.key,
            id=account_id,
            name=name,
            connector=state.get(prefix + "connector", account.connector),
            credentials=credentials,
        )
    except AdopsError as exc:
        return _error(f"Not saved: {exc}.", "edit")
    key = f"{account.platform}:{account_id}"
    moved = (
        f" Rows synced under {account.key} stay in the warehouse; remove and purge that id if unwanted."
        if key != account.key
        else ""
    )
    if key != account.key:
        state["edit-account"] = key
    _success(f"Saved {key}.{moved}", "edit")


def remove(account: AccountConfig) -> None:
    """The "Remove account" callback: take it out of adops.toml, and queue the purge if chosen."""
    prefix = edit_prefix(account)
    if not st.session_state.get(prefix + "confirm"):
        return _error("Not removed: tick the confirmation first.", "edit")
    try:
        left = config.remove_account(account.key)
    except AdopsError as exc:
        return _error(f"Not removed: {exc}.", "edit")
    st.session_state.pop("edit-account", None)
    if st.session_state.get(prefix + "rows") == "purge":
        jobs.enqueue(PURGE, {"platform": account.platform, "account_id": account.id})
        rows = "its warehouse rows are being purged in the background (the sidecar)"
    else:
        rows = "its synced rows stay in the warehouse and in the reports"
    sandbox = "" if left.accounts else " adops.toml lists no account now, so the workspace syncs the sandbox."
    _success(f"Removed {account.key} from adops.toml; {rows}.{sandbox}", "edit")


def _env_references(prefix: str, existing: dict[str, str]) -> dict[str, str]:
    """The credentials table from the form: `env:NAME` per filled field; literal values already in the
    file are kept unless a variable is named instead."""
    out: dict[str, str] = {}
    bad = []
    for name, label in CREDENTIALS.items():
        value = str(st.session_state.get(f"{prefix}cred-{name}") or "").strip()
        if value:
            if len(value) > MAX_ENV or not ENV_NAME.fullmatch(value):
                bad.append(label)
            else:
                out[name] = f"env:{value}"
        elif existing.get(name) and not existing[name].startswith("env:"):
            out[name] = existing[name]
    if bad:
        raise InputError(
            f"{', '.join(bad)}: give an environment variable name (letters, digits and _), not the secret itself"
        )
    return out


def _check_name(name: str) -> None:
    if len(name) > MAX_NAME or not name.isprintable():
        raise InputError(f"the name must be at most {MAX_NAME} printable characters")


def _error(message: str, section: str = "add") -> None:
    st.session_state[OUTCOME] = (section, "error", message)


def _success(message: str, section: str = "add") -> None:
    st.session_state[OUTCOME] = (section, "success", message)
