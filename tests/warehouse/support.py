"""Rows for warehouse tests."""

from datetime import date

import pandas as pd


def rows(n: int = 3, spend: float = 10.0, day: str = "2026-11-01") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "date": [date.fromisoformat(day)] * n,
            "platform": "meta",
            "account_id": "act_1",
            "campaign_id": [f"c{i}" for i in range(n)],
            "campaign_name": [f"Campaign {i}" for i in range(n)],
            "currency": "USD",
            "impressions": 1000,
            "clicks": 10,
            "spend": spend,
            "conversions": 1.5,
            "conversion_value": 30.0,
            "spend_reporting": spend,
            "conversion_value_reporting": 30.0,
            "reporting_currency": "USD",
            "synced_at": pd.Timestamp("2026-11-02", tz="UTC"),
            "sync_run_id": 1,
        }
    )
