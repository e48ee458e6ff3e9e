"""The sync engine against the sandbox, whose truth is known."""

import fcntl
import importlib
from datetime import date, timedelta

import pandas as pd
import pytest

from adops import store, warehouse
from adops.connectors import AuthError, TransientError, workspace_accounts
from adops.connectors.sandbox import load_world
from adops.ingest import SyncBusy, build_demo, sync
from adops.store.models import SyncAccountRun, SyncState

TODAY = date(2026, 11, 24)
sync_module = importlib.import_module("adops.ingest.sync")
KEYS = ["platform", "account_id", "campaign_id", "date"]


def truth(since: date, as_of: date) -> pd.DataFrame:
    world = load_world()
    frames = [
        world.campaign_daily(a.id, since, as_of, as_of=as_of).assign(platform=a.platform)
        for a in world.accounts
    ]
    out = pd.concat(frames, ignore_index=True)
    out["date"] = pd.to_datetime(out["date"]).dt.date
    return out


def landed() -> pd.DataFrame:
    frame = warehouse.query("SELECT * FROM campaign_daily")
    frame["date"] = pd.to_datetime(frame["date"]).dt.date
    return frame


def assert_equal_to_truth(since: date, as_of: date) -> None:
    expected, got = truth(since, as_of), landed()
    assert len(got) == len(expected)
    both = expected.merge(got, on=KEYS, suffixes=("_true", ""), validate="one_to_one")
    assert len(both) == len(expected)
    for col in ("impressions", "clicks", "spend", "conversions", "conversion_value"):
        assert (both[col] == both[f"{col}_true"]).all(), col


@pytest.fixture
def small_demo() -> date:
    result = build_demo(days=45, seed=11, campaigns_per_account=(3, 4))
    assert result.status == "success" and len(result.accounts) == 14
    return TODAY - timedelta(days=44)


def test_demo_lands_exactly_the_simulators_truth(small_demo: date) -> None:
    assert_equal_to_truth(small_demo, TODAY)
    counts = warehouse.query(
        "SELECT count(DISTINCT platform) AS p, count(DISTINCT account_id) AS a FROM accounts"
    )
    assert (counts.p[0], counts.a[0]) == (6, 14)
    ads = warehouse.query("SELECT sum(clicks) AS c FROM ad_daily").c[0]
    assert ads == warehouse.query("SELECT sum(clicks) AS c FROM campaign_daily").c[0]


def test_resync_changes_nothing_and_later_syncs_pick_up_restatements(
    small_demo: date, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = landed()
    again = sync()
    assert again.status == "success"
    after = landed()
    assert len(after) == len(before) and not after.duplicated(KEYS).any()
    pd.testing.assert_frame_equal(
        before.sort_values(KEYS).reset_index(drop=True)[["spend", "conversions"]],
        after.sort_values(KEYS).reset_index(drop=True)[["spend", "conversions"]],
    )
    # five days later: new days arrive and the lookback window picks up restated conversions
    later = TODAY + timedelta(days=5)
    monkeypatch.setenv("ADOPS_TODAY", later.isoformat())
    assert sync().status == "success"
    assert_equal_to_truth(small_demo, later)
    assert not landed().duplicated(KEYS).any()


def test_reporting_currency_columns_use_the_days_rate(small_demo: date) -> None:
    frame = warehouse.query("""
        SELECT c.spend, c.spend_reporting, f.rate_to_reporting AS rate, f.source FROM campaign_daily c
        JOIN fx_rates f ON f.date = c.date AND f.currency = c.currency
         AND f.reporting_currency = c.reporting_currency WHERE c.currency = 'EUR'""")
    assert len(frame) > 100 and set(frame.source) == {"sandbox"}  # sandbox accounts: the simulator's rates
    assert ((frame.spend * frame.rate).round(2) - frame.spend_reporting).abs().max() < 0.011
    assert (frame.spend_reporting > frame.spend).all()  # EUR is worth more than USD here


def test_one_failing_account_never_stops_the_others(
    small_demo: date, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = sync_module.connector_for
    broken = "act_1000101007"

    class Expired:
        def __init__(self, inner):  # type: ignore[no-untyped-def]
            self.inner = inner

        def __getattr__(self, name):  # type: ignore[no-untyped-def]
            def fail(account_id, *args):  # type: ignore[no-untyped-def]
                if account_id == broken:
                    raise AuthError("the access token has expired; reconnect the account")
                return getattr(self.inner, name)(account_id, *args)

            return fail

    monkeypatch.setattr(sync_module, "connector_for", lambda acc: Expired(real(acc)))
    monkeypatch.setenv("ADOPS_TODAY", (TODAY + timedelta(days=2)).isoformat())
    result = sync()
    assert result.status == "partial"
    failed = [a for a in result.accounts if a.status == "failed"]
    assert [(a.account_id, a.error_kind) for a in failed] == [(broken, "auth")]
    newest = warehouse.query("SELECT account_id, max(date) AS d FROM campaign_daily GROUP BY 1").set_index(
        "account_id"
    )["d"]
    assert pd.Timestamp(newest[broken]).date() == TODAY
    assert (pd.to_datetime(newest.drop(broken)).dt.date == TODAY + timedelta(days=2)).all()
    with store.session() as s:
        state = s.get(SyncState, ("meta", broken))
        assert state is not None and state.cursor == TODAY and "expired" in (state.last_error or "")
        recorded = s.query(SyncAccountRun).filter_by(sync_run_id=result.run_id, status="failed").one()
        assert recorded.error_kind == "auth"
    finished = [e for e in store.events.after(0) if e.type == "sync.finished"][-1]
    assert finished.data["status"] == "partial" and finished.data["failed"] == [f"meta:{broken}"]


def test_the_sync_does_not_retry_again_above_the_http_layer(
    small_demo: date, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Retries live in one layer (ApiClient.request); an error that reaches the sync fails the account."""
    real = sync_module.connector_for
    calls = {"campaign_daily": 0}

    class Flaky:
        def __init__(self, inner):  # type: ignore[no-untyped-def]
            self.inner = inner

        def __getattr__(self, name):  # type: ignore[no-untyped-def]
            def call(*args):  # type: ignore[no-untyped-def]
                if name == "campaign_daily":
                    calls[name] += 1
                    raise TransientError("linkedin: still failing after 6 attempts in 3 s", retry_after=0)
                return getattr(self.inner, name)(*args)

            return call

    monkeypatch.setattr(sync_module, "connector_for", lambda acc: Flaky(real(acc)))
    result = sync(platforms=["linkedin"])
    assert result.status == "failed" and calls["campaign_daily"] == len(result.accounts) == 2
    assert {a.error_kind for a in result.accounts} == {"transient"}


def test_a_killed_sync_leaves_the_warehouse_as_it_was(
    small_demo: date, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = landed()
    monkeypatch.setenv("ADOPS_TODAY", (TODAY + timedelta(days=3)).isoformat())

    def die(snapshot):  # type: ignore[no-untyped-def]
        raise KeyboardInterrupt  # the process is killed after merging, before publishing

    with monkeypatch.context() as patch, pytest.raises(KeyboardInterrupt):
        patch.setattr("adops.warehouse.delta._publish", die)
        sync()
    after_kill = landed()
    assert len(after_kill) == len(before)
    assert sync().status == "success"
    assert_equal_to_truth(small_demo, TODAY + timedelta(days=3))


def test_a_second_writer_waits_for_the_lock(workspace) -> None:  # type: ignore[no-untyped-def]
    (workspace / "locks").mkdir(parents=True, exist_ok=True)
    with open(workspace / "locks" / "warehouse-write.lock", "w") as held:  # adops.store.locks' file
        fcntl.flock(held, fcntl.LOCK_EX)
        with pytest.raises(SyncBusy):
            sync(wait_for_lock=0.3)


def test_plan_uses_cursor_minus_lookback(small_demo: date) -> None:
    from adops import config
    from adops.ingest import plan

    cfg = config.load()
    acc = workspace_accounts(cfg, ["meta"])[0]
    since, until = plan(acc, "Europe/Paris", cfg, None, None)
    assert until == TODAY and since == TODAY - timedelta(days=cfg.lookback_days["meta"] - 1)
    assert plan(acc, "UTC", cfg, date(2026, 1, 1), date(2026, 1, 31)) == (date(2026, 1, 1), date(2026, 1, 31))


def test_first_sync_reads_the_configured_history(workspace) -> None:  # type: ignore[no-untyped-def]
    from adops import config
    from adops.ingest import plan

    workspace.mkdir(parents=True, exist_ok=True)
    (workspace / "adops.toml").write_text("initial_history_days = 10\n")
    cfg = config.load()
    acc = workspace_accounts(cfg, ["tiktok"])[0]
    assert plan(acc, "Asia/Tokyo", cfg, None, None) == (TODAY - timedelta(days=9), TODAY)
