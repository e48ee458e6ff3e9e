"""Real accounts in EUR, GBP and JPY against the fake platform servers: converted with the ECB's rates.

The expected rate of each day is read from the ECB history file with zipfile and csv (the latest
fixing on or before the day, crossed through EUR), not through adops.fx.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from currency_converter import CURRENCY_FILE

from adops import config, store, warehouse
from adops.cli import main
from adops.ingest import sync
from adops.store.models import SyncAccountRun
from tests.connectors.conftest import serve
from tests.connectors.fakes import google_ads, meta, tiktok

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")

SINCE, UNTIL = date(2026, 10, 20), date(2026, 11, 10)  # fixings, weekends, and days after the file's last


def _ecb_per_euro() -> dict[date, dict[str, float]]:
    with zipfile.ZipFile(CURRENCY_FILE) as archive:
        text = archive.read(archive.namelist()[0]).decode()
    rows = csv.reader(io.StringIO(text))
    header = [h.strip() for h in next(rows)]
    return {
        date.fromisoformat(r[0]): {
            c: float(v) for c, v in zip(header[1:], r[1:], strict=False) if c and v != "N/A"
        }
        for r in rows
        if r
    }


ECB = _ecb_per_euro()


def ecb_rate(day: date, currency: str, reporting: str) -> float:
    """Units of `reporting` per unit of `currency` on `day`, from the latest fixing on or before it."""
    fixing = max(d for d in ECB if d <= day)
    per_euro = {**ECB[fixing], "EUR": 1.0}
    return per_euro[reporting] / per_euro[currency]


class Fakes:
    def __init__(
        self, meta_state: meta.MetaState, google: google_ads.FakeGoogleAds, tt: tiktok.FakeTikTok
    ) -> None:
        self.meta, self.google, self.tiktok = meta_state, google, tt


@pytest.fixture
def fakes(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Fakes]:
    """Meta in EUR, Google Ads in GBP and TikTok in JPY, each behind its fake API, as `api` accounts."""
    monkeypatch.setattr("time.sleep", lambda seconds: None)  # retries and report polls do not wait
    state = Fakes(
        meta.MetaState(currency="EUR"), google_ads.FakeGoogleAds(), tiktok.FakeTikTok(currency="JPY")
    )
    state.google.customers[google_ads.CLIENT]["currency_code"] = "GBP"
    with ExitStack() as stack:
        meta_url = stack.enter_context(serve(meta.make_app(state.meta)))
        google_url = stack.enter_context(serve(google_ads.make_app(state.google)))
        tiktok_url = stack.enter_context(serve(state.tiktok.app))
        g = state.google
        env = {
            "ADOPS_META_BASE_URL": meta_url,
            "META_TOKEN": state.meta.token,
            "ADOPS_GOOGLE_ADS_BASE_URL": google_url,
            "ADOPS_GOOGLE_ADS_TOKEN_URL": f"{google_url}/token",
            "GADS_ACCESS": g.access_token,
            "GADS_REFRESH": g.refresh_token,
            "GADS_CLIENT_ID": g.client_id,
            "GADS_CLIENT_SECRET": g.client_secret,
            "GADS_DEV_TOKEN": g.developer_token,
            "GADS_LOGIN": google_ads.MANAGER,
            "ADOPS_TIKTOK_BASE_URL": tiktok_url,
            "TIKTOK_TOKEN": state.tiktok.token,
        }
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        workspace.mkdir(parents=True, exist_ok=True)
        (workspace / "adops.toml").write_text(
            f"""
[[accounts]]
platform = "meta"
id = "{meta.ACCOUNT}"
connector = "api"
[accounts.credentials]
access_token = "env:META_TOKEN"

[[accounts]]
platform = "google_ads"
id = "{google_ads.CLIENT}"
connector = "api"
[accounts.credentials]
access_token = "env:GADS_ACCESS"
refresh_token = "env:GADS_REFRESH"
client_id = "env:GADS_CLIENT_ID"
client_secret = "env:GADS_CLIENT_SECRET"
developer_token = "env:GADS_DEV_TOKEN"
login_customer_id = "env:GADS_LOGIN"

[[accounts]]
platform = "tiktok"
id = "{state.tiktok.advertiser_id}"
connector = "api"
[accounts.credentials]
access_token = "env:TIKTOK_TOKEN"
"""
        )
        yield state


def rows(table: str) -> pd.DataFrame:
    frame = warehouse.query(f"SELECT * FROM {table}")
    frame["date"] = pd.to_datetime(frame["date"]).dt.date
    return frame


def test_eur_gbp_and_jpy_spend_is_converted_with_the_ecb_rate_of_each_day(fakes: Fakes) -> None:
    result = sync(since=SINCE, until=UNTIL)
    assert result.status == "success", [(a.platform, a.error) for a in result.accounts]
    assert {(a.platform, a.currency) for a in result.accounts} == {
        ("meta", "EUR"),
        ("google_ads", "GBP"),
        ("tiktok", "JPY"),
    }
    for table in ("campaign_daily", "ad_daily"):
        frame = rows(table)
        assert set(frame.currency) == {"EUR", "GBP", "JPY"} and set(frame.reporting_currency) == {"USD"}
        assert frame.date.min() <= date(2026, 10, 30) < frame.date.max()  # inside and after the file
        assert frame.spend_reporting.notna().all() and frame.conversion_value_reporting.notna().all()
        expected = [
            s * ecb_rate(d, c, "USD") for s, d, c in zip(frame.spend, frame.date, frame.currency, strict=True)
        ]
        paid = frame.spend_reporting >= 5  # cents rounding stays far below 0.5%
        assert paid.sum() > 50
        error = (frame.spend_reporting[paid] / pd.Series(expected)[paid] - 1).abs()
        assert error.max() < 0.005, table
    # fx_rates shows each rate with its source and the fixing it came from
    rates = rows("fx_rates").assign(rate_date=lambda f: pd.to_datetime(f["rate_date"]).dt.date)
    assert set(rates.source) == {"ecb"} and set(rates.currency) == {"EUR", "GBP", "JPY"}
    saturday = rates[(rates.date == date(2026, 10, 24)) & (rates.currency == "JPY")].iloc[0]
    assert saturday.rate_date == date(2026, 10, 23)
    assert saturday.rate_to_reporting == pytest.approx(ecb_rate(date(2026, 10, 23), "JPY", "USD"), rel=1e-9)
    after = rates[(rates.date == UNTIL) & (rates.currency == "GBP")].iloc[0]
    assert after.rate_date == max(ECB) and after.rate_to_reporting == pytest.approx(
        ecb_rate(UNTIL, "GBP", "USD")
    )


def test_another_reporting_currency_uses_ecb_cross_rates(
    fakes: Fakes, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ADOPS_REPORTING_CURRENCY", "GBP")
    assert sync(since=SINCE, until=UNTIL).status == "success"
    frame = rows("campaign_daily")
    google = frame[frame.platform == "google_ads"]
    assert (google.spend_reporting == google.spend.round(2)).all()  # GBP in GBP: rate 1
    tt = frame[frame.platform == "tiktok"]
    expected = pd.Series(
        [s * ecb_rate(d, "JPY", "GBP") for s, d in zip(tt.spend, tt.date, strict=True)], tt.index
    )
    assert len(tt) > 20 and (tt.spend_reporting - expected).abs().max() <= 0.005 + 1e-9  # to the penny


def test_an_unknown_currency_fails_that_account_naming_it_and_the_others_land(
    fakes: Fakes, capsys: pytest.CaptureFixture[str]
) -> None:
    fakes.meta.currency = "ARS"  # the ECB does not quote the Argentine peso
    try:
        main(["sync", "--since", str(SINCE), "--until", str(UNTIL), "--json"])
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = json.loads(capsys.readouterr().out)
    assert code == 1 and out["status"] == "partial"
    accounts = {a["platform"]: a for a in out["accounts"]}
    assert accounts["meta"]["status"] == "failed" and accounts["meta"]["error_kind"] == "fx"
    assert "ARS" in accounts["meta"]["error"]
    assert accounts["google_ads"]["status"] == accounts["tiktok"]["status"] == "success"
    frame = rows("campaign_daily")
    assert set(frame.platform) == {"google_ads", "tiktok"} and frame.spend_reporting.notna().all()


def test_when_the_ad_grain_fails_the_campaign_rows_still_land(
    fakes: Fakes, capsys: pytest.CaptureFixture[str]
) -> None:
    fakes.meta.faults.append(meta.Fault("permanent", match=f"{meta.ACCOUNT}/ads", times=1000))
    try:
        main(["sync", "--platform", "meta", "--since", str(SINCE), "--until", str(UNTIL), "--json"])
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = json.loads(capsys.readouterr().out)
    account = out["accounts"][0]
    assert code == 1 and account["status"] == "partial" and account["error"] is None
    assert account["ad_error_kind"] == "bad_request" and "Invalid parameter" in account["ad_error"]
    assert len(rows("campaign_daily")) > 0 and rows("ad_daily").empty
    assert fakes.meta.token not in json.dumps(out)


def test_a_persistent_429_fails_that_account_within_the_budget_and_the_others_finish(
    fakes: Fakes, capsys: pytest.CaptureFixture[str]
) -> None:
    fakes.tiktok.fail("/open_api/", "http429", times=1000)  # every request answers 429
    try:
        main(["sync", "--since", str(SINCE), "--until", str(UNTIL)])
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    err = capsys.readouterr().err
    assert code == 1
    lines = [line for line in err.splitlines() if "tiktok" in line]
    assert len(lines) == 1 and "rate limited" in lines[0] and fakes.tiktok.advertiser_id in lines[0]
    assert set(rows("campaign_daily").platform) == {"meta", "google_ads"}
    budget = config.load().retry_attempts
    with store.session() as s:
        recorded = {r.platform: r for r in s.query(SyncAccountRun)}
    assert recorded["tiktok"].status == "failed" and recorded["tiktok"].error_kind == "rate_limit"
    assert recorded["tiktok"].attempts == len(fakes.tiktok.calls) == budget  # the real requests, no more
    assert recorded["meta"].attempts > 1 and recorded["google_ads"].attempts > 1


def _history_with(new: dict[date, dict[str, str]]) -> bytes:
    """The shipped ECB history plus some later fixings (newest first, as the ECB writes it)."""
    with zipfile.ZipFile(CURRENCY_FILE) as archive:
        text = archive.read(archive.namelist()[0]).decode()
    header, *body = text.splitlines()
    codes = [c.strip() for c in header.split(",")[1:]]
    added = [
        day.isoformat() + "," + ",".join(rates.get(c, "N/A") if c else "" for c in codes)
        for day, rates in sorted(new.items(), reverse=True)
    ]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("eurofxref-hist.csv", "\n".join([header, *added, *body]) + "\n")
    return buf.getvalue()


def test_after_a_refresh_rows_on_carried_forward_rates_get_the_days_own_fixing(
    fakes: Fakes, monkeypatch: pytest.MonkeyPatch
) -> None:
    import httpx

    from adops.fx import ecb

    assert sync(platforms=["meta"], since=date(2026, 10, 28), until=date(2026, 11, 10)).status == "success"
    before = rows("campaign_daily").set_index(["campaign_id", "date"]).sort_index()
    nov_5 = date(2026, 11, 5)
    carried = before.xs(nov_5, level="date")
    assert (
        (carried.spend * ecb_rate(nov_5, "EUR", "USD")).round(2) - carried.spend_reporting
    ).abs().max() < 0.006

    fixings = {date(2026, 11, d): {"USD": "1.2500", "GBP": "0.9000"} for d in (2, 3, 4, 5, 6)}
    body = _history_with(fixings)
    ecb.refresh(
        "https://ecb.example/hist.zip",
        transport=httpx.MockTransport(lambda r: httpx.Response(200, content=body)),
    )

    # a sync of two later days also re-converts the days the new file now has fixings for
    assert sync(platforms=["meta"], since=date(2026, 11, 9), until=date(2026, 11, 10)).status == "success"
    after = rows("campaign_daily").set_index(["campaign_id", "date"]).sort_index()
    assert len(after) == len(before)
    for day in fixings:
        got = after.xs(day, level="date")
        assert ((got.spend * 1.25).round(2) - got.spend_reporting).abs().max() < 0.006, day
    weekend = after.xs(date(2026, 11, 8), level="date")  # Sunday: the Friday's new fixing
    assert ((weekend.spend * 1.25).round(2) - weekend.spend_reporting).abs().max() < 0.006
    untouched = after.xs(date(2026, 10, 29), level="date")
    pd.testing.assert_series_equal(
        untouched.spend_reporting, before.xs(date(2026, 10, 29), level="date").spend_reporting
    )
    rates = rows("fx_rates").assign(rate_date=lambda f: pd.to_datetime(f["rate_date"]).dt.date)
    nov_5_rate = rates[(rates.date == nov_5) & (rates.currency == "EUR")].iloc[0]
    assert nov_5_rate.rate_date == nov_5 and nov_5_rate.rate_to_reporting == pytest.approx(1.25)


@pytest.mark.parametrize("currency", ["", "euro", "EURO", "<script>alert(1)</script>", "X" * 5000, "BRL"])
def test_a_currency_the_platform_sends_is_checked_before_it_is_used(fakes: Fakes, currency: str) -> None:
    fakes.meta.currency = currency
    result = sync(platforms=["meta", "google_ads"], since=SINCE, until=UNTIL)
    meta_result = next(a for a in result.accounts if a.platform == "meta")
    if currency == "BRL":  # quoted by the ECB: converted like any other
        assert meta_result.status == "success"
        frame = rows("campaign_daily")
        brl = frame[frame.currency == "BRL"]
        assert len(brl) > 0 and brl.spend_reporting.notna().all()
        return
    assert meta_result.status == "failed" and meta_result.error_kind == "fx"
    assert "ISO 4217" in (meta_result.error or "") and len(meta_result.error or "") < 300
    assert set(rows("campaign_daily").platform) == {"google_ads"}
