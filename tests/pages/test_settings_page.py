"""The Settings page: accounts and health, adding an account, the connection check."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

from adops import config
from adops.scheduler import run_next
from adops.store import jobs

PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "settings.py")


def run_page() -> AppTest:
    return AppTest.from_file(PAGE, default_timeout=60).run()


def test_default_workspace_lists_the_sandbox_accounts() -> None:
    at = run_page()
    assert not at.exception and at.title[0].value == "Settings"
    assert any("sandbox" in i.value for i in at.info)
    accounts = at.dataframe[0].value
    assert len(accounts) == 14 and set(accounts["connector"]) == {"sandbox"}


def fill(at: AppTest, account_id: str, token_env: str) -> AppTest:
    at.text_input(key="cred-access_token").set_value(token_env)
    for widget in at.text_input:
        if widget.label == "Account id":
            widget.set_value(account_id)
    return at.get("form_submit_button")[0].click().run()  # type: ignore[attr-defined]


def test_add_an_account_with_env_references(workspace: Path) -> None:
    at = fill(run_page(), "act_42", "META_TOKEN")
    assert not at.exception and not at.error
    cfg = config.load()
    added = [a for a in cfg.accounts if a.id == "act_42"]
    assert added and added[0].credentials == {"access_token": "env:META_TOKEN"}
    assert len(cfg.accounts) == 15  # the sandbox accounts were kept, explicitly


def test_a_secret_pasted_as_a_variable_name_is_refused(workspace: Path) -> None:
    at = fill(run_page(), "act_42", "EAAB-real-token/with+chars")
    assert at.error and "environment variable name" in at.error[0].value
    assert not (workspace / "adops.toml").exists()


def test_check_runs_as_a_job_and_reports_precisely(workspace: Path) -> None:
    workspace.mkdir(parents=True, exist_ok=True)
    (workspace / "adops.toml").write_text(
        '[[accounts]]\nplatform = "linkedin"\nid = "1000300007"\nconnector = "sandbox"\n'
        '[[accounts]]\nplatform = "meta"\nid = "act_9"\nconnector = "sandbox"\n'
    )
    at = run_page()
    next(b for b in at.button if b.label == "Run the check").click().run()
    assert jobs.recent(1, kind="connectors.check")[0].status == "queued"
    run_next()  # what the sidecar's worker does
    at = run_page()
    assert any("meta:act_9" in e.value and "permission" in e.value for e in at.error)
