"""Forecast series read as names (`Acme EU (Meta)`), never as keys like `meta:act_1000100007`."""

from pathlib import Path

from adops import warehouse
from adops.forecast.names import TOTAL, series_names


def test_series_keys_become_account_and_campaign_names(demo: Path) -> None:
    accounts = warehouse.query("SELECT platform, account_id, account_name FROM accounts LIMIT 1")
    platform, account_id, account_name = accounts.iloc[0]
    key = f"{platform}:{account_id}"
    names = series_names("account", [key, "meta:unknown_account"])
    assert names[key].startswith(account_name) and ":" not in names[key]
    assert names["meta:unknown_account"] == "unknown_account (Meta)"  # no name found: label and id
    campaign = warehouse.query(
        "SELECT platform, account_id, campaign_id, campaign_name FROM campaigns LIMIT 1"
    )
    ckey = ":".join(str(v) for v in campaign.iloc[0, :3])
    assert series_names("campaign", [ckey])[ckey].startswith(str(campaign.iloc[0, 3]))
    assert series_names("platform", ["google_ads", None]) == {"google_ads": "Google Ads", None: TOTAL}


def test_duplicate_names_stay_apart(demo: Path) -> None:
    names = series_names("account", ["meta:a:1", "meta:b:1"])  # hostile keys: same fallback name
    assert len(set(names.values())) == 2
