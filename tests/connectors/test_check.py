"""`adops connectors check`: a precise answer per account, exit 1 when any fails."""

import json
from pathlib import Path

import pytest

from adops.cli import main
from adops.connectors import AuthError, PermissionDenied, connector_for


def configure(home: Path) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "adops.toml").write_text(
        '[[accounts]]\nplatform = "tiktok"\nid = "1000400007"\nconnector = "sandbox"\n'
        '[[accounts]]\nplatform = "meta"\nid = "act_1000100007"\nconnector = "sandbox"\n'
        '[[accounts]]\nplatform = "linkedin"\nid = "1000300007"\nconnector = "sandbox"\n'
    )


class Failing:
    def __init__(self, error: Exception, inner) -> None:  # type: ignore[no-untyped-def]
        self.error, self.inner = error, inner

    def account(self, account_id: str):  # type: ignore[no-untyped-def]
        return self.inner.account(account_id)

    def campaigns(self, account_id: str):  # type: ignore[no-untyped-def]
        raise self.error


def test_missing_scope_and_expired_token_are_named(
    workspace: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    configure(workspace)
    errors = {
        "meta": PermissionDenied("meta GET /act_1000100007/campaigns: (#200) Requires ads_read permission"),
        "linkedin": AuthError(
            "linkedin GET /rest/adAccounts: HTTP 401: The token used in the request has expired"
        ),
    }

    def patched(account):  # type: ignore[no-untyped-def]
        inner = connector_for(account)
        return Failing(errors[account.platform], inner) if account.platform in errors else inner

    monkeypatch.setattr("adops.connectors.connector_for", patched)
    with pytest.raises(SystemExit) as exit_info:
        main(["connectors", "check", "--json"])
    assert exit_info.value.code == 1
    results = {r["platform"]: r for r in json.loads(capsys.readouterr().out)}
    assert results["tiktok"]["ok"] and len(results["tiktok"]["steps"]) == 3
    assert results["meta"]["error_kind"] == "permission" and "ads_read" in results["meta"]["error"]
    assert "scope" in results["meta"]["hint"]
    assert results["linkedin"]["error_kind"] == "auth" and "expired" in results["linkedin"]["error"]
    assert "refresh_token" in results["linkedin"]["hint"]


def test_all_ok_exits_0(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    configure(workspace)
    with pytest.raises(SystemExit) as exit_info:
        main(["connectors", "check", "--platform", "tiktok"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.startswith("ok      tiktok:1000400007")


def test_warnings_of_a_working_account_are_shown(
    workspace: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    configure(workspace)

    def patched(account):  # type: ignore[no-untyped-def]
        client = connector_for(account)
        client.warnings = ["the refresh token expires in 9 days: sign in again"]
        return client

    monkeypatch.setattr("adops.connectors.connector_for", patched)
    with pytest.raises(SystemExit):
        main(["connectors", "check", "--platform", "tiktok"])
    assert "warning: the refresh token expires in 9 days" in capsys.readouterr().out


def test_check_against_the_meta_fake(
    workspace: Path,
    fake_server,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The real client: a missing scope and an expired token each get their own precise answer."""
    from tests.connectors.fakes.meta import ACCOUNT, Fault, MetaState, make_app

    workspace.mkdir(parents=True, exist_ok=True)
    (workspace / "adops.toml").write_text(
        f'[[accounts]]\nplatform = "meta"\nid = "{ACCOUNT}"\n[accounts.credentials]\naccess_token = "env:META_TOKEN"\n'
    )
    state = MetaState()
    with fake_server(make_app(state)) as url:
        monkeypatch.setenv("ADOPS_META_BASE_URL", url)
        monkeypatch.setenv("META_TOKEN", state.token)

        def run() -> dict:
            with pytest.raises(SystemExit):
                main(["connectors", "check", "--json"])
            return json.loads(capsys.readouterr().out)[0]

        assert run()["ok"]
        state.faults.append(Fault("permission", match="/campaigns"))
        missing_scope = run()
        assert missing_scope["error_kind"] == "permission" and "ads_read" in missing_scope["error"]
        state.expired_tokens.add(state.token)
        expired = run()
        assert expired["error_kind"] == "auth" and "expired" in expired["error"]
        assert state.token not in json.dumps(expired)
