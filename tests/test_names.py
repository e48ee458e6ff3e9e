"""adops.names: ids become the names people read (platform labels, account and campaign names)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from adops import names, warehouse


def _one_campaign() -> tuple[str, str, str, str, str]:
    row = warehouse.query(
        "SELECT c.platform, c.account_id, c.campaign_id, a.account_name, c.campaign_name FROM campaigns c "
        "JOIN accounts a USING (platform, account_id) WHERE c.platform = 'meta' ORDER BY 3 LIMIT 1"
    ).iloc[0]
    return tuple(str(v) for v in row)  # type: ignore[return-value]


def test_named_adds_account_and_campaign_names_beside_the_ids(demo: Path) -> None:
    platform, account, campaign, account_name, campaign_name = _one_campaign()
    frame = pd.DataFrame(
        {
            "platform": [platform, "google_ads", "tiktok"],
            "account_id": [account, "nope", None],
            "campaign_id": [campaign, "999", np.nan],
            "before": [1.0, 2.0, 3.0],
        }
    )
    out = names.named(frame)
    assert list(out.columns) == ["platform", "account", "account_id", "campaign", "campaign_id", "before"]
    assert list(out["platform"]) == ["Meta", "Google Ads", "TikTok"]
    assert list(out["account"]) == [account_name, "nope", ""]  # an unknown id reads as itself
    assert list(out["campaign"]) == [campaign_name, "999", ""]
    assert list(out["account_id"])[:2] == [account, "nope"] and pd.isna(out["account_id"].iloc[2])  # ids stay
    assert names.named(frame.iloc[:0]).empty


def test_series_labels_name_each_level_once(demo: Path) -> None:
    platform, account, campaign, account_name, campaign_name = _one_campaign()
    assert names.series_labels(
        [(platform, None, None), (platform, account, None), (platform, account, campaign), (None, None, None)]
    ) == ["Meta", f"Meta · {account_name}", f"Meta · {account_name} · {campaign_name}", "All platforms"]
    assert names.series_label("snapchat", "x") == "snapchat · x"  # unknown platform and account: as they are


def test_an_empty_warehouse_has_no_names_and_no_error() -> None:
    assert names.account_names() == {} and names.campaign_names() == {}
    assert names.series_label("meta", "act_1", "42") == "Meta · act_1 · 42"


def test_entity_name_reads_a_campaign_an_ad_group_and_an_ad(demo: Path) -> None:
    row = warehouse.query(
        "SELECT platform, account_id, campaign_id, ad_group_id, ad_group_name, ad_id, ad_name FROM ads "
        "WHERE platform = 'meta' ORDER BY ad_id LIMIT 1"
    ).iloc[0]
    campaign = names.campaign_names()[(row.platform, row.account_id, row.campaign_id)]
    assert names.entity_name(row.platform, row.account_id, "campaign", row.campaign_id) == campaign
    assert names.entity_name(row.platform, row.account_id, "ad_group", row.ad_group_id) == row.ad_group_name
    assert names.entity_name(row.platform, row.account_id, "ad", row.ad_id) == row.ad_name
    assert names.entity_name(row.platform, row.account_id, "ad", "no-such-ad") == "no-such-ad"
    assert names.entity_name(row.platform, row.account_id, "keyword", row.ad_id) == row.ad_id  # unknown level


def test_entity_name_in_an_empty_warehouse_is_the_id() -> None:
    assert names.entity_name("meta", "act_1", "ad", "42") == "42"
