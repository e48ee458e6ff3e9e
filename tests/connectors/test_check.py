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


# ---------------------------------------------------------------------------- API versions


@pytest.fixture
def google_workspace(workspace: Path, fake_server, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """A workspace with one real Google Ads account, served by the fake."""
    from tests.connectors.fakes.google_ads import CLIENT, MANAGER, FakeGoogleAds
    from tests.connectors.fakes.google_ads import make_app as google_app

    workspace.mkdir(parents=True, exist_ok=True)
    (workspace / "adops.toml").write_text(
        f'[[accounts]]\nplatform = "google_ads"\nid = "{CLIENT}"\n[accounts.credentials]\n'
        'access_token = "env:GADS_ACCESS"\ndeveloper_token = "env:GADS_DEV"\n'
        f'login_customer_id = "{MANAGER}"\n'
    )
    state = FakeGoogleAds()
    with fake_server(google_app(state)) as url:
        monkeypatch.setenv("ADOPS_GOOGLE_ADS_BASE_URL", url)
        monkeypatch.setenv("GADS_ACCESS", state.access_token)
        monkeypatch.setenv("GADS_DEV", state.developer_token)
        monkeypatch.delenv("ADOPS_GOOGLE_ADS_VERSION", raising=False)
        yield state


def run_check(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(["connectors", "check", *args])
    return int(exit_info.value.code or 0), capsys.readouterr().out


def test_a_version_ending_within_60_days_is_a_warning(
    google_workspace, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ADOPS_TODAY", "2027-08-15")  # v26 ends about 2027-10-01
    code, out = run_check(capsys)
    assert code == 0 and out.startswith("ok      google_ads:")
    assert "warning: google_ads API v26 ends on about 2027-10-01 (in 47 days)" in out
    code, out = run_check(capsys, "--json")
    (result,) = json.loads(out)
    assert code == 0 and result["ok"] and len(result["steps"]) == 3
    assert any("in 47 days" in w for w in result["warnings"])
    assert result["api_version"]["version"] == "v26" and result["api_version"]["state"] == "expiring"
    assert result["api_version"]["end_of_life"] == "2027-10-01" and result["api_version"]["days_left"] == 47


def test_a_version_further_off_is_not_a_warning(
    google_workspace, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ADOPS_TODAY", "2027-08-01")  # 61 days before
    code, out = run_check(capsys, "--json")
    (result,) = json.loads(out)
    assert code == 0 and result["warnings"] == [] and result["api_version"]["state"] == "ok"


def test_an_ended_version_fails_before_any_request(
    google_workspace, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ADOPS_TODAY", "2027-10-01")
    code, out = run_check(capsys)
    assert code == 1
    assert "FAILED  google_ads:1234567890  [version] google_ads API v26 reached its end of life" in out
    assert "-> this build's API version" in out
    code, out = run_check(capsys, "--json")
    (result,) = json.loads(out)
    assert code == 1 and result["error_kind"] == "version" and result["steps"] == []
    assert google_workspace.requests == []


def test_check_account_takes_an_injected_today(google_workspace) -> None:  # type: ignore[no-untyped-def]
    from datetime import date

    from adops import config
    from adops.connectors.check import check_account

    (account,) = config.load().accounts
    assert check_account(account, today=date(2026, 12, 7)).warnings == []
    soon = check_account(account, today=date(2027, 9, 20))
    assert soon.ok and soon.warnings == ["google_ads API v26 ends on about 2027-10-01 (in 11 days): upgrade adops, or set ADOPS_GOOGLE_ADS_VERSION to a newer version the platform serves"]  # fmt: skip
    ended = check_account(account, today=date(2027, 10, 2))
    assert not ended.ok and ended.error_kind == "version"


def test_an_expired_override_and_a_malformed_one_are_named(
    google_workspace, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ADOPS_GOOGLE_ADS_VERSION", "v22")  # sunset 2026-10-07
    code, out = run_check(capsys, "--json")
    (result,) = json.loads(out)
    assert code == 1 and result["error_kind"] == "version"
    assert "2026-10-07" in result["error"] and "ADOPS_GOOGLE_ADS_VERSION" in result["error"]
    monkeypatch.setenv("ADOPS_GOOGLE_ADS_VERSION", "v26/../../x")
    code, out = run_check(capsys, "--json")
    (result,) = json.loads(out)
    assert code == 1 and result["error_kind"] == "config" and "ADOPS_GOOGLE_ADS_VERSION" in result["error"]
    assert google_workspace.requests == []


def test_sandbox_accounts_have_no_api_version(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    configure(workspace)
    code, out = run_check(capsys, "--json", "--platform", "meta")
    (result,) = json.loads(out)
    assert code == 0 and result["api_version"] is None


def test_linkedin_reports_the_version_it_negotiated(
    workspace: Path, fake_server, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:  # type: ignore[no-untyped-def]
    from tests.connectors.fakes.linkedin import FakeLinkedIn

    workspace.mkdir(parents=True, exist_ok=True)
    (workspace / "adops.toml").write_text(
        '[[accounts]]\nplatform = "linkedin"\nid = "508000001"\n[accounts.credentials]\n'
        'access_token = "env:LI_TOKEN"\n'
    )
    fake = FakeLinkedIn(unreleased={"202611"})
    monkeypatch.setenv("LI_TOKEN", fake.token)
    monkeypatch.delenv("ADOPS_LINKEDIN_VERSION", raising=False)
    with fake_server(fake.app) as url:
        monkeypatch.setenv("ADOPS_LINKEDIN_BASE_URL", url)
        code, out = run_check(capsys, "--json")
    (result,) = json.loads(out)
    assert code == 0 and result["ok"], result
    assert result["api_version"]["version"] == "202610" and result["api_version"]["state"] == "ok"
    assert result["api_version"]["end_of_life"] == "2027-10-15" and result["api_version"]["estimated"]
    assert fake.versions_sent[:2] == ["202611", "202610"]
