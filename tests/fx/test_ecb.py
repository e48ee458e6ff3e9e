"""ECB rates: the shipped history, latest-earlier days, cross rates, unknown currencies, and refresh.

Expected rates are read straight from the ECB zip with zipfile and csv, never through adops.fx.
"""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
from currency_converter import CURRENCY_FILE

from adops import fx
from adops.errors import ExternalError, InputError
from adops.fx import ecb
from adops.fx.ecb import EcbRates
from adops.fx.sandbox import SandboxRates


def ecb_table(path: str = CURRENCY_FILE) -> dict[date, dict[str, float]]:
    """The ECB file as {day: {currency: units per euro}}, read without adops."""
    with zipfile.ZipFile(path) as archive:
        text = archive.read(archive.namelist()[0]).decode()
    reader = csv.reader(io.StringIO(text))
    header = [h.strip() for h in next(reader)]
    out = {}
    for row in reader:
        if not row:
            continue
        day = date.fromisoformat(row[0])
        out[day] = {
            c: float(v) for c, v in zip(header[1:], row[1:], strict=False) if c and v not in ("", "N/A")
        }
    return out


TABLE = ecb_table()
LAST = max(TABLE)


def published_on_or_before(day: date, currency: str) -> tuple[float, date]:
    while currency not in TABLE.get(day, {}):
        day -= timedelta(days=1)
    return TABLE[day][currency], day


def history_zip(
    rows: list[tuple[date, dict[str, str]]], codes: tuple[str, ...] = ("USD", "JPY", "GBP")
) -> bytes:
    """An ECB-shaped history zip (newest day first), for refresh tests."""
    lines = ["Date," + ",".join(codes) + ","]
    for day, rates in sorted(rows, reverse=True):
        lines.append(day.isoformat() + "," + ",".join(rates.get(c, "N/A") for c in codes) + ",")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("eurofxref-hist.csv", "\n".join(lines) + "\n")
    return buf.getvalue()


def serving(body: bytes, status: int = 200) -> httpx.MockTransport:
    return httpx.MockTransport(lambda request: httpx.Response(status, content=body))


@pytest.fixture
def rates() -> EcbRates:
    return EcbRates.current()


# ---------------------------------------------------------------------------- the shipped history


def test_a_published_day_uses_that_days_cross_rate(rates: EcbRates) -> None:
    day = date(2026, 10, 1)  # a Thursday with a fixing
    frame = rates.rates("GBP", "USD", [day])
    row = frame.iloc[0]
    assert row.rate_to_reporting == pytest.approx(TABLE[day]["USD"] / TABLE[day]["GBP"], rel=1e-12)
    assert (row.source, row.rate_date, row.reporting_currency) == ("ecb", day, "USD")
    jpy = rates.rates("JPY", "GBP", [day]).iloc[0].rate_to_reporting
    assert jpy == pytest.approx(TABLE[day]["GBP"] / TABLE[day]["JPY"], rel=1e-12)
    assert rates.rates("EUR", "USD", [day]).iloc[0].rate_to_reporting == pytest.approx(TABLE[day]["USD"])
    assert rates.rates("USD", "EUR", [day]).iloc[0].rate_to_reporting == pytest.approx(1 / TABLE[day]["USD"])


def test_weekends_holidays_and_days_after_the_file_use_the_latest_earlier_rate(rates: EcbRates) -> None:
    saturday, christmas = date(2026, 10, 3), date(2025, 12, 25)
    after = LAST + timedelta(days=30)
    frame = rates.rates("JPY", "USD", [saturday, christmas, after]).set_index("date")
    for day in (saturday, christmas, after):
        usd, usd_day = published_on_or_before(day, "USD")
        jpy, _ = published_on_or_before(day, "JPY")
        assert frame.loc[day].rate_to_reporting == pytest.approx(usd / jpy, rel=1e-12)
        assert frame.loc[day].rate_date == usd_day < day
    assert frame.loc[after].rate_date == LAST


def test_the_reporting_currency_itself_is_one(rates: EcbRates) -> None:
    frame = rates.rates("ARS", "ARS", [date(2026, 11, 2)])  # no ECB quote needed
    assert frame.rate_to_reporting.tolist() == [1.0]


@pytest.mark.parametrize(
    ("currency", "reporting", "named", "why"),
    [
        ("ARS", "USD", "ARS", "does not quote"),  # never quoted by the ECB
        ("EUR", "AED", "AED", "does not quote"),  # a reporting currency the ECB lacks
        ("RUB", "EUR", "RUB", "stopped quoting it after 2022-03-01"),  # quotes suspended in 2022
        ("BRL", "USD", "BRL", "quotes it from 2008-01-02"),  # before its first quote
    ],
)
def test_a_currency_without_a_rate_is_an_error_naming_it(
    rates: EcbRates, currency: str, reporting: str, named: str, why: str
) -> None:
    day = date(2007, 6, 1) if currency == "BRL" else date(2026, 11, 2)
    with pytest.raises(fx.UnknownCurrency) as raised:
        rates.rates(currency, reporting, [day])
    assert raised.value.currency == named and named in str(raised.value) and why in str(raised.value)
    assert raised.value.kind == "fx"


def test_brl_is_an_ecb_currency(rates: EcbRates) -> None:
    day = date(2026, 10, 1)
    rate = rates.rates("BRL", "USD", [day]).iloc[0].rate_to_reporting
    assert rate == pytest.approx(TABLE[day]["USD"] / TABLE[day]["BRL"], rel=1e-12)


def test_source_for_picks_the_simulator_for_sandbox_accounts_only() -> None:
    from adops.config import AccountConfig

    assert fx.source_for(AccountConfig("meta", "act_1", "sandbox")).name == "sandbox"
    assert fx.source_for(AccountConfig("meta", "act_1", "api")).name == "ecb"


def test_sandbox_rates_cover_the_simulators_currencies_only() -> None:
    days = [date(2026, 11, 1) + timedelta(days=i) for i in range(7)]
    frame = SandboxRates().rates("EUR", "USD", days)
    assert frame.date.tolist() == days and (frame.source == "sandbox").all()
    assert frame.rate_to_reporting.between(1.0, 1.2).all()
    with pytest.raises(fx.UnknownCurrency, match="CHF"):
        SandboxRates().rates("EUR", "CHF", days)
    with pytest.raises(fx.UnknownCurrency, match="BRL"):
        SandboxRates().rates("BRL", "USD", days)


# ---------------------------------------------------------------------------- refresh


def test_refresh_installs_a_newer_history_and_it_is_used(workspace: Path) -> None:
    newer = LAST + timedelta(days=10)
    body = history_zip(
        [(LAST, {"USD": "1.1", "JPY": "170", "GBP": "0.8"}), (newer, {"USD": "1.2", "JPY": "180"})]
    )
    got = ecb.refresh("https://ecb.example/hist.zip", transport=serving(body))
    assert got.last_day == newer and got.path == workspace / "fx" / "eurofxref-hist.zip" and got.path.exists()
    current = EcbRates.current()
    assert current.file.origin == "refreshed" and current.last_day == newer
    row = current.rates("JPY", "USD", [newer + timedelta(days=2)]).iloc[0]
    assert row.rate_to_reporting == pytest.approx(1.2 / 180) and row.rate_date == newer
    gbp = current.rates("GBP", "EUR", [newer]).iloc[0]  # GBP missing on the newest day: the day before
    assert gbp.rate_to_reporting == pytest.approx(1 / 0.8) and gbp.rate_date == LAST


def test_a_replayed_older_history_is_refused_and_nothing_changes(workspace: Path) -> None:
    newer = LAST + timedelta(days=10)
    ecb.refresh("https://ecb.example/a.zip", transport=serving(history_zip([(newer, {"USD": "1.2"})])))
    before = (workspace / "fx" / "eurofxref-hist.zip").read_bytes()
    with pytest.raises(InputError, match="before the rates in use"):
        ecb.refresh("https://ecb.example/b.zip", transport=serving(history_zip([(LAST, {"USD": "1.5"})])))
    assert (workspace / "fx" / "eurofxref-hist.zip").read_bytes() == before


def _bomb() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("eurofxref-hist.csv", "Date,USD,\n" + "0" * (ecb.MAX_UNZIPPED_BYTES + 10))
    return buf.getvalue()


def _two_files() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("a.csv", "Date,USD,\n2026-11-02,1.1,\n")
        archive.writestr("b.csv", "Date,USD,\n2026-11-02,1.1,\n")
    return buf.getvalue()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"<html>maintenance</html>", "not a zip"),
        (_two_files(), "exactly one CSV"),
        (history_zip([]), "no rates"),
        (_bomb(), "larger than 64 MB"),
        (history_zip([(LAST + timedelta(days=3), {"USD": "0"})]), "impossible rate"),
        (history_zip([(LAST + timedelta(days=3), {"USD": "-1.1"})]), "impossible rate"),
        (history_zip([(LAST + timedelta(days=3), {"USD": "inf"})]), "impossible rate"),
        (history_zip([(LAST + timedelta(days=3), {"USD": "nan"})]), "impossible rate"),
        (history_zip([(LAST + timedelta(days=3), {"USD": "1e999"})]), "impossible rate"),
        (history_zip([(LAST + timedelta(days=3), {"USD": "12abc"})]), "not a rate"),
        (history_zip([(LAST + timedelta(days=3), {"USD": "1.1"})], codes=("usd; rm",)), "currency codes"),
        (history_zip([(date(2031, 1, 1), {"USD": "1.1"})]), "in the future"),
    ],
)
def test_a_bad_download_is_refused_before_it_replaces_anything(
    workspace: Path, body: bytes, message: str
) -> None:
    with pytest.raises(InputError, match=message):
        ecb.refresh("https://ecb.example/hist.zip", transport=serving(body))
    assert not (workspace / "fx" / "eurofxref-hist.zip").exists()
    assert EcbRates.current().file.origin == "shipped"


def test_an_oversized_download_stops_at_the_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ecb, "MAX_DOWNLOAD_BYTES", 1000)
    with pytest.raises(InputError, match="larger than"):
        ecb.refresh("https://ecb.example/hist.zip", transport=serving(b"x" * 5000))


def test_network_failures_are_external_errors_and_keep_the_rates_in_use() -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("no route to host")

    with pytest.raises(ExternalError, match="could not download") as raised:
        ecb.refresh("https://ecb.example/hist.zip", transport=httpx.MockTransport(down))
    assert str(LAST) in str(raised.value)
    with pytest.raises(ExternalError, match="HTTP 503"):
        ecb.refresh("https://ecb.example/hist.zip", transport=serving(b"", status=503))
    with pytest.raises(InputError, match="http"):
        ecb.refresh("file:///etc/passwd")


def test_a_damaged_workspace_file_is_ignored(workspace: Path) -> None:
    target = workspace / "fx" / "eurofxref-hist.zip"
    target.parent.mkdir(parents=True)
    target.write_bytes(b"garbage")
    assert EcbRates.current().file.origin == "shipped"
