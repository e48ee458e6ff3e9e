"""The sync's window checks (InputError from the domain) and the runs a killed sync left behind."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from adops import clock, store
from adops.cli import main
from adops.errors import InputError
from adops.ingest import sync
from adops.store.models import SyncRun

TODAY = date(2026, 11, 24)


@pytest.mark.parametrize(
    ("since", "until", "message"),
    [
        (date(2030, 1, 1), None, "in the future"),
        (TODAY + timedelta(days=2), None, "in the future"),
        (None, date(2030, 1, 1), "in the future"),
        (TODAY, TODAY - timedelta(days=1), "is after"),
        (date(1, 1, 1), None, "longer than"),
        (TODAY - timedelta(days=2000), TODAY, "longer than"),
    ],
)
def test_impossible_windows_are_input_errors(since: date | None, until: date | None, message: str) -> None:
    with pytest.raises(InputError, match=message):
        sync(since=since, until=until)
    with store.session() as s:
        assert s.query(SyncRun).count() == 0  # refused before anything was recorded


def test_tomorrow_is_allowed_for_accounts_east_of_utc(monkeypatch: pytest.MonkeyPatch) -> None:
    from adops.ingest.sync import check_window

    check_window(TODAY + timedelta(days=1), TODAY + timedelta(days=1))  # with the frozen clock
    monkeypatch.delenv("ADOPS_TODAY")
    check_window(clock.today("Pacific/Kiritimati"), None)  # today in UTC+14 is not the future


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["sync", "--since", "2030-01-01"], "in the future"),
        (["sync", "--until", "2030-01-01"], "in the future"),
        (["sync", "--since", "2026-11-10", "--until", "2026-11-01"], "after"),
        (["sync", "--since", "0001-01-01"], "longer than"),
        (["sync", "--since", "2026-13-01"], "--since"),
        (["sync", "--since", "x" * 10_000], "--since"),
        (["sync", "--since", "2026-11-01'; DROP TABLE sync_runs; --"], "--since"),
    ],
)
def test_the_cli_exits_2_with_one_line(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    try:
        main(args)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1 and message in err and "Traceback" not in err


def test_runs_left_running_by_a_killed_sync_are_closed_at_the_next_start() -> None:
    with store.session() as s:
        s.add(SyncRun(status="running", trigger="cli", started_at=clock.now(), accounts=14))
        s.add(SyncRun(status="success", trigger="cli", started_at=clock.now(), accounts=14))
    result = sync(platforms=["tiktok"], since=TODAY - timedelta(days=2), until=TODAY)
    assert result.status == "success"
    with store.session() as s:
        runs = {r.id: r for r in s.query(SyncRun)}
    assert (runs[1].status, runs[1].error) == ("failed", "interrupted") and runs[1].finished_at is not None
    assert runs[2].status == "success" and runs[2].error is None
    assert runs[result.run_id].status == "success"
    started = [e for e in store.events.after(0) if e.type == "sync.started"][-1]
    assert started.data["closed_interrupted"] == [1]


def test_a_bug_in_one_account_fails_only_that_account_and_no_secret_is_shown(
    workspace, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:  # type: ignore[no-untyped-def]
    import importlib
    import logging

    from adops.connectors.sandbox import load_world

    sync_module = importlib.import_module("adops.ingest.sync")
    ids = [a.id for a in load_world().accounts if a.platform == "tiktok"]
    assert len(ids) >= 2
    workspace.mkdir(parents=True, exist_ok=True)
    (workspace / "adops.toml").write_text(
        "".join(
            f'[[accounts]]\nplatform = "tiktok"\nid = "{i}"\nconnector = "sandbox"\n'
            '[accounts.credentials]\naccess_token = "env:TT_SECRET"\n'
            for i in ids
        )
    )
    secret = "tt-secret-value-123456"
    monkeypatch.setenv("TT_SECRET", secret)
    real = sync_module.connector_for

    def buggy(account):  # type: ignore[no-untyped-def]
        inner = real(account)
        if account.id == ids[0]:
            monkeypatch.setattr(inner, "campaigns", lambda _id: {}[f"token={secret}"])
        return inner

    monkeypatch.setattr(sync_module, "connector_for", buggy)
    with caplog.at_level(logging.ERROR, logger="adops.ingest.sync"):
        result = sync(since=TODAY - timedelta(days=2), until=TODAY)
    by_id = {a.account_id: a for a in result.accounts}
    assert result.status == "partial"
    assert by_id[ids[0]].status == "failed" and by_id[ids[0]].error_kind == "internal"
    assert "KeyError" in (by_id[ids[0]].error or "") and secret not in (by_id[ids[0]].error or "")
    assert all(by_id[i].status == "success" for i in ids[1:])
    assert "test_window_and_runs.py" in caplog.text and secret not in caplog.text  # where, not what
    assert all(secret not in str(e.data) for e in store.events.after(0))
