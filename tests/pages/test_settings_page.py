"""The Settings page: accounts and health; adding, editing and removing an account; the connection check."""

from datetime import date
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from adops import config, jobs, warehouse
from adops.ingest import sync
from pages.components.accounts import ADD
from tests.jobs.support import run_next

PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "settings.py")
TWO_SANDBOX_ACCOUNTS = (
    '# my accounts\n[[accounts]]\nplatform = "linkedin"\nid = "1000300007"\nconnector = "sandbox"\n'
    '[[accounts]]\nplatform = "meta"\nid = "act_9"\nconnector = "sandbox"  # kept\n'
)


def run_page() -> AppTest:
    return AppTest.from_file(PAGE, default_timeout=60).run()


def add(at: AppTest, account_id: str, token_env: str = "", platform: str = "meta", name: str = "") -> AppTest:
    at.selectbox(key=ADD + "platform").set_value(platform)
    at.text_input(key=ADD + "id").set_value(account_id)
    at.text_input(key=ADD + "name").set_value(name)
    at.text_input(key=ADD + "cred-access_token").set_value(token_env)
    return at.button(key="FormSubmitter:add-account-Add account").click().run()


def errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error]


def write_toml(home: Path, text: str = TWO_SANDBOX_ACCOUNTS) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "adops.toml").write_text(text)


def test_default_workspace_lists_the_sandbox_accounts() -> None:
    at = run_page()
    assert not at.exception and at.title[0].value == "Settings"
    assert any("sandbox" in i.value for i in at.info)
    accounts = at.dataframe[0].value
    assert len(accounts) == 14 and set(accounts["connector"]) == {"sandbox"}


def test_add_an_account_confirms_and_normalizes_the_id(workspace: Path) -> None:
    at = add(run_page(), "1234567890", "META_TOKEN")
    assert not at.exception and not errors(at)
    assert [s.value for s in at.success] == [
        "Added meta:act_1234567890 to adops.toml. Run the check below, then sync."
    ]
    cfg = config.load()
    added = [a for a in cfg.accounts if a.id == "act_1234567890"]
    assert added and added[0].credentials == {"access_token": "env:META_TOKEN"}
    assert len(cfg.accounts) == 15  # the sandbox accounts were kept, explicitly
    assert at.text_input(key=ADD + "id").value == ""  # the form is cleared for the next one
    assert "act_1234567890" in set(at.dataframe[0].value["account_id"])


def test_adding_the_same_account_twice_is_refused(workspace: Path) -> None:
    at = add(run_page(), "act_42")
    at = add(at, "42")  # the same account, written without act_
    assert errors(at) == [
        "Not added: meta:act_42 is already in adops.toml. Edit it under **Edit or remove an account**."
    ]
    assert [a.id for a in config.load().accounts].count("act_42") == 1


@pytest.mark.parametrize(
    ("platform", "account_id", "expected"),
    [
        ("google_ads", "'; DROP TABLE accounts; -- <b>x</b>", "this value is not a Google Ads account id"),
        ("google_ads", "123-456-789", "'123-456-789' is not a Google Ads account id: expected 10 digits"),
        ("meta", "act_12x", "'act_12x' is not a Meta account id"),
        ("tiktok", "9" * 5000, "this value is not a TikTok account id"),
        ("pinterest", "12\n34", "is not a Pinterest account id"),
        ("linkedin", "   ", "the account id is empty"),
    ],
)
def test_a_bad_account_id_is_an_error_naming_the_format(
    workspace: Path, platform: str, account_id: str, expected: str
) -> None:
    at = add(run_page(), account_id, platform=platform)
    assert not at.exception
    assert len(errors(at)) == 1 and expected in errors(at)[0], errors(at)
    assert "<b>" not in errors(at)[0] and "DROP" not in errors(at)[0]  # hostile text is not echoed
    assert not (workspace / "adops.toml").exists()


def test_a_secret_pasted_as_a_variable_name_is_refused(workspace: Path) -> None:
    at = add(run_page(), "act_42", "EAAB-real-token/with+chars")
    assert "environment variable name" in errors(at)[0] and "EAAB" not in errors(at)[0]
    assert not (workspace / "adops.toml").exists()


def test_a_name_with_control_characters_is_refused(workspace: Path) -> None:
    at = add(run_page(), "act_42", name="shop\x1b[31m")
    assert "printable" in errors(at)[0]
    assert not (workspace / "adops.toml").exists()


def test_edit_an_account_keeps_the_files_comments(workspace: Path) -> None:
    write_toml(workspace)
    at = run_page()
    at.selectbox(key="edit-account").set_value("meta:act_9").run()
    prefix = "edit-meta:act_9-"
    at.text_input(key=prefix + "name").set_value("Shop EU")
    at.text_input(key=prefix + "cred-access_token").set_value("META_EU_TOKEN")
    at.button(key="FormSubmitter:edit-meta:act_9-Save changes").click().run()
    assert not at.exception and not errors(at), errors(at)
    assert [s.value for s in at.success] == ["Saved meta:act_9."]
    (meta,) = [a for a in config.load().accounts if a.platform == "meta"]
    assert meta.name == "Shop EU" and meta.credentials == {"access_token": "env:META_EU_TOKEN"}
    text = (workspace / "adops.toml").read_text()
    assert "# my accounts" in text and "# kept" in text


def test_an_edit_to_a_bad_id_is_refused_and_changes_nothing(workspace: Path) -> None:
    write_toml(workspace)
    before = (workspace / "adops.toml").read_text()
    at = run_page()
    at.selectbox(key="edit-account").set_value("meta:act_9").run()
    at.text_input(key="edit-meta:act_9-id").set_value("<script>")
    at.button(key="FormSubmitter:edit-meta:act_9-Save changes").click().run()
    assert errors(at) == [
        "Not saved: this value is not a Meta account id: expected act_ followed by digits (act_1234567890)."
    ]
    assert (workspace / "adops.toml").read_text() == before


def test_remove_keeps_the_rows_unless_purge_is_chosen(workspace: Path) -> None:
    write_toml(workspace, TWO_SANDBOX_ACCOUNTS.replace("act_9", "act_1000100007"))
    assert sync(since=date(2026, 11, 10)).status in ("success", "partial")
    rows = "select count(*) as n from campaign_daily where platform = ? and account_id = ?"
    assert warehouse.query(rows, ["meta", "act_1000100007"]).n[0] > 0

    at = run_page()
    at.selectbox(key="edit-account").set_value("linkedin:1000300007").run()
    remove = at.button(key="edit-linkedin:1000300007-remove")
    assert remove.disabled  # not before the confirmation
    at.checkbox(key="edit-linkedin:1000300007-confirm").check().run()
    at.button(key="edit-linkedin:1000300007-remove").click().run()
    assert not errors(at), errors(at)
    assert "its synced rows stay in the warehouse" in at.success[0].value
    assert [a.key for a in config.load().accounts] == ["meta:act_1000100007"]
    assert warehouse.query(rows, ["linkedin", "1000300007"]).n[0] > 0
    assert not jobs.recent(kind="warehouse.delete_account")

    at.selectbox(key="edit-account").set_value("meta:act_1000100007").run()
    at.radio(key="edit-meta:act_1000100007-rows").set_value("purge")
    at.checkbox(key="edit-meta:act_1000100007-confirm").check().run()
    at.button(key="edit-meta:act_1000100007-remove").click().run()
    message = at.success[0].value
    assert "being purged" in message and "syncs the sandbox" in message  # the last account went
    assert any("Purging meta:act_1000100007" in p.text for p in at.get("progress"))
    assert warehouse.query(rows, ["meta", "act_1000100007"]).n[0] > 0  # a sidecar job does it, not the page
    assert run_next() is not None
    assert jobs.recent(1, kind="warehouse.delete_account")[0].status == "done"
    assert warehouse.query(rows, ["meta", "act_1000100007"]).n[0] == 0
    assert warehouse.query(rows, ["linkedin", "1000300007"]).n[0] > 0


def test_check_runs_as_a_job_and_reports_precisely(workspace: Path) -> None:
    write_toml(workspace)
    at = run_page()
    next(b for b in at.button if b.label == "Run the check").click().run()
    assert jobs.recent(1, kind="connectors.check")[0].status == "queued"
    assert any("Checking" in p.text for p in at.get("progress"))
    run_next()  # what the sidecar's worker does
    at = run_page()
    assert any("meta:act_9" in e and "permission" in e for e in errors(at))


def test_a_broken_adops_toml_is_an_error_saying_what_to_fix(workspace: Path) -> None:
    write_toml(workspace, "[[accounts]]\nplatform = 'meta'\nid = 'act_1'\ntokn = 'x'\n")
    at = run_page()
    assert not at.exception
    assert "adops.toml has a problem" in errors(at)[0] and "Fix the file" in errors(at)[0]


def test_the_workspace_settings_are_a_labelled_table_not_json() -> None:
    at = run_page()
    assert not at.exception and not at.json
    [table] = [d.value for d in at.dataframe if list(d.value.columns) == ["Item", "Value"]]
    items = dict(zip(table["Item"], table["Value"], strict=True))
    assert items["Reporting currency"] == "USD"
    assert "Google Ads 30" in items["Lookback days"] and "google_ads" not in items["Lookback days"]
    assert items["Sync schedules"] == "0 * * * *"
