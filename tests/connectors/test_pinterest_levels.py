"""Pinterest async reports use the documented levels: CAMPAIGN, and PIN_PROMOTION for ads (never "AD")."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import httpx
import pandas as pd
import pytest

from adops.config import AccountConfig
from adops.connectors.pinterest import REPORT_LEVEL, PinterestClient, PinterestConnector
from adops.connectors.retry import RetryPolicy
from tests.connectors.fakes.pinterest import ACCOUNT, REPORT_LEVELS, PinterestState, make_app
from tests.connectors.support import assert_daily_matches

OLD = (date(2026, 3, 10), date(2026, 5, 31))  # beyond the 90 days synchronous analytics reach
DOCUMENTED_400 = {"code": 400, "message": "Invalid ad account ads analytics parameters."}


@pytest.fixture
def fake(fake_server, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[PinterestState, str]]:  # type: ignore[no-untyped-def]
    state = PinterestState()
    with fake_server(make_app(state)) as url:
        monkeypatch.setenv("ADOPS_PINTEREST_BASE_URL", url)
        yield state, url


def make() -> PinterestConnector:
    acc = AccountConfig("pinterest", ACCOUNT, "api", None, {"access_token": "pin-access-1"})
    return PinterestConnector(acc, PinterestClient(acc, policy=RetryPolicy(attempts=2)))


def report_request(url: str, level: Any, columns: list[str] | None = None) -> httpx.Response:
    body = {
        "start_date": "2026-05-01",
        "end_date": "2026-05-02",
        "granularity": "DAY",
        "level": level,
        "columns": columns or ["PIN_PROMOTION_ID", "SPEND_IN_MICRO_DOLLAR"],
        "report_format": "JSON",
    }
    return httpx.post(
        f"{url}/v5/ad_accounts/{ACCOUNT}/reports", json=body, headers={"Authorization": "Bearer pin-access-1"}
    )


def test_the_client_maps_each_grain_to_a_documented_level() -> None:
    assert set(REPORT_LEVEL.values()) <= REPORT_LEVELS
    assert REPORT_LEVEL["AD"] == "PIN_PROMOTION" and "AD" not in REPORT_LEVELS


@pytest.mark.parametrize(
    "level",
    ["AD", "ADS", "pin_promotion", "PIN_PROMOTION ", "", None, 7, ["PIN_PROMOTION"], "X" * 100_000],
    ids=["AD", "ADS", "lowercase", "trailing-space", "empty", "null", "number", "list", "oversized"],
)
def test_the_fake_refuses_undocumented_levels_like_pinterest(
    fake: tuple[PinterestState, str], level: Any
) -> None:
    state, url = fake
    response = report_request(url, level)
    assert response.status_code == 400 and response.json() == DOCUMENTED_400
    assert not state.reports


def test_the_fake_builds_pin_promotion_reports_keyed_by_the_ad(fake: tuple[PinterestState, str]) -> None:
    state, url = fake
    response = report_request(url, "PIN_PROMOTION", ["PIN_PROMOTION_ID", "AD_ID", "SPEND_IN_MICRO_DOLLAR"])
    assert response.status_code == 200, response.text
    data = next(iter(state.reports.values()))["data"]
    ad_id, rows = next(iter(data.items()))
    assert ad_id in state.ads
    assert {r["PIN_PROMOTION_ID"] for r in rows} == {r["AD_ID"] for r in rows} == {ad_id}
    assert set(rows[0]) == {"DATE", "PIN_PROMOTION_ID", "AD_ID", "SPEND_IN_MICRO_DOLLAR"}


def test_old_ad_rows_come_from_pin_promotion_reports(fake: tuple[PinterestState, str]) -> None:
    state, _ = fake
    conn = make()
    ads = conn.ad_daily(ACCOUNT, *OLD)
    campaigns = conn.campaign_daily(ACCOUNT, *OLD)
    sent = [
        body
        for method, path, q in state.requests
        if method == "POST" and path.endswith("/reports")
        for body in [q["_body"]]
    ]
    assert [b["level"] for b in sent] == ["PIN_PROMOTION", "CAMPAIGN"]
    assert "PIN_PROMOTION_ID" in sent[0]["columns"] and "AD_ID" in sent[0]["columns"]
    truth = pd.DataFrame(state.truth("AD", *OLD)).rename(columns={"id": "ad_id"})
    assert_daily_matches(ads, truth.sort_values(["ad_id", "date"]).reset_index(drop=True), ["ad_id", "date"])
    assert len(campaigns) and set(ads.campaign_id) <= set(state.campaigns)
    assert ads.spend.sum() == pytest.approx(campaigns.spend.sum())


def test_a_row_with_only_the_pin_promotion_id_is_still_an_ad(
    fake: tuple[PinterestState, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rows keyed by PIN_PROMOTION_ID alone (AD_ID left out) land under that id."""
    state, _ = fake
    conn = make()
    original = conn.client.run_report

    def without_ad_id(account_id: str, request: dict[str, Any]) -> list[dict[str, Any]]:
        return [{k: v for k, v in r.items() if k != "AD_ID"} for r in original(account_id, request)]

    monkeypatch.setattr(conn.client, "run_report", without_ad_id)
    ads = conn.ad_daily(ACCOUNT, *OLD)
    assert len(ads) and set(ads.ad_id) <= set(state.ads)
    assert ads.ad_name.notna().all()
