"""Changing the reporting currency re-converts the stored history; the warehouse never mixes currencies."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest

from adops import fx, warehouse
from adops.cli import main
from adops.connectors.sandbox import load_world
from adops.fx.ecb import EcbRates
from adops.ingest import build_demo, sync

TODAY = date(2026, 11, 24)


@pytest.fixture
def small_demo() -> date:
    assert build_demo(days=30, seed=5, campaigns_per_account=(2, 3)).status == "success"
    return TODAY - timedelta(days=29)


def daily(table: str) -> pd.DataFrame:
    frame = warehouse.query(f"SELECT * FROM {table}")
    frame["date"] = pd.to_datetime(frame["date"]).dt.date
    return frame


def test_a_new_reporting_currency_reconverts_all_history_in_the_same_snapshot(
    small_demo: date, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = daily("campaign_daily")
    assert set(before.reporting_currency) == {"USD"}
    monkeypatch.setenv("ADOPS_REPORTING_CURRENCY", "EUR")
    result = sync(platforms=["meta"])  # one platform synced, but every platform's history converted
    assert result.status == "success"
    for table in ("campaign_daily", "ad_daily"):
        frame = daily(table)
        assert set(frame.reporting_currency) == {"EUR"}, table
        assert frame.spend_reporting.notna().all() and frame.conversion_value_reporting.notna().all()
    after = daily("campaign_daily")
    assert len(after) == len(before)
    # each row is spend x the simulator's own EUR rate of its day (sandbox accounts keep their source)
    world = load_world().fx_rates(small_demo, TODAY, "EUR")
    world["date"] = pd.to_datetime(world["date"]).dt.date
    both = after.merge(world, on=["date", "currency"], how="left", validate="many_to_one")
    assert both.rate.notna().all()
    assert ((both.spend * both.rate).round(2) - both.spend_reporting).abs().max() < 0.011
    assert (
        (both.conversion_value * both.rate).round(2) - both.conversion_value_reporting
    ).abs().max() < 0.011
    eur = after[after.currency == "EUR"]
    assert (eur.spend_reporting == eur.spend.round(2)).all()
    rates = daily("fx_rates")
    current = rates[rates.reporting_currency == "EUR"]
    assert set(current.source) == {"sandbox"} and current.date.min() == small_demo
    # a sync after that finds nothing more to convert: the next one changes no row
    again = sync()
    assert again.status == "success"
    pd.testing.assert_frame_equal(
        after.sort_values(["platform", "account_id", "campaign_id", "date"]).reset_index(drop=True)[
            ["spend_reporting", "conversion_value_reporting"]
        ],
        daily("campaign_daily")
        .sort_values(["platform", "account_id", "campaign_id", "date"])
        .reset_index(drop=True)[["spend_reporting", "conversion_value_reporting"]],
    )


def test_a_reporting_currency_the_history_cannot_be_converted_to_is_refused_and_nothing_changes(
    small_demo: date, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    before = daily("campaign_daily")
    monkeypatch.setenv("ADOPS_REPORTING_CURRENCY", "CHF")  # the simulator has no CHF rates
    with pytest.raises(fx.UnknownCurrency, match="CHF") as raised:
        sync()
    assert "reporting_currency back to USD" in str(raised.value)
    try:
        main(["sync", "--json"])
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1 and "CHF" in err and "Traceback" not in err
    after = daily("campaign_daily")
    assert set(after.reporting_currency) == {"USD"} and len(after) == len(before)
    assert (after.spend_reporting.sort_values().values == before.spend_reporting.sort_values().values).all()


def test_rows_whose_spend_does_not_change_are_relabelled_too(monkeypatch: pytest.MonkeyPatch) -> None:
    """A day with no spend but restated conversion value: only its value and label change."""
    from adops.warehouse.tables import TABLES

    day = date(2026, 10, 1)
    row = {c: None for c in TABLES["campaign_daily"].columns} | {
        "date": day,
        "platform": "meta",
        "account_id": "act_gone",  # no longer configured: converted with the ECB's rates
        "campaign_id": "1",
        "campaign_name": "Old",
        "currency": "USD",
        "impressions": 0,
        "clicks": 0,
        "spend": 0.0,
        "conversions": 1.0,
        "conversion_value": 10.0,
        "spend_reporting": 0.0,
        "conversion_value_reporting": 10.0,
        "reporting_currency": "USD",
        "sync_run_id": 0,
        "synced_at": pd.Timestamp("2026-10-02", tz="UTC"),
    }
    warehouse.commit({"campaign_daily": pd.DataFrame([row])})
    monkeypatch.setenv("ADOPS_REPORTING_CURRENCY", "EUR")
    assert sync(platforms=["tiktok"], since=TODAY - timedelta(days=1), until=TODAY).status == "success"
    got = warehouse.query("SELECT * FROM campaign_daily WHERE account_id = 'act_gone'").iloc[0]
    rate = EcbRates.current().rates("USD", "EUR", [day]).rate_to_reporting.iloc[0]
    assert got.reporting_currency == "EUR" and got.spend_reporting == 0.0
    assert got.conversion_value_reporting == pytest.approx(round(10 * rate, 2))


def test_a_demo_rebuilt_in_another_currency_keeps_nothing_of_the_old_warehouse(
    small_demo: date, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ADOPS_REPORTING_CURRENCY", "EUR")
    assert build_demo(days=5, seed=5, campaigns_per_account=(2, 3)).status == "success"
    frame = daily("campaign_daily")
    assert set(frame.reporting_currency) == {"EUR"} and frame.date.min() == TODAY - timedelta(days=4)
