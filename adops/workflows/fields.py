"""The built-in kinds of change: a status, a campaign's daily budget, a campaign's bid.

Each reads the current value through the connector (so a change step repeated after a crash sees
that its write already landed) and writes through the connector protocol.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from adops.connectors.base import Connector
from adops.errors import NotFound
from adops.workflows.engine import FieldSpec, register_field


def _campaign(conn: Connector, account_id: str, campaign_id: str) -> pd.Series:
    frame = conn.campaigns(account_id)
    match = frame[frame["campaign_id"].astype(str) == str(campaign_id)]
    if match.empty:
        raise NotFound(f"no campaign {campaign_id} in {conn.platform} account {account_id}")
    return match.iloc[0]


def _value(value: Any) -> Any:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def read_status(conn: Connector, account_id: str, entity_type: str, entity_id: str) -> Any:
    if entity_type == "campaign":
        return _value(_campaign(conn, account_id, entity_id)["status"])
    frame = conn.ads(account_id)
    column = "ad_id" if entity_type == "ad" else "ad_group_id"
    match = frame[frame[column].astype(str) == str(entity_id)]
    if match.empty:
        raise NotFound(f"no {entity_type} {entity_id} in {conn.platform} account {account_id}")
    statuses = set(match["status"])
    if entity_type == "ad_group" and len(statuses) > 1:
        return "ENABLED" if "ENABLED" in statuses else _value(match.iloc[0]["status"])
    return _value(match.iloc[0]["status"])


def write_status(conn: Connector, account_id: str, entity_type: str, entity_id: str, value: Any) -> Any:
    return conn.set_status(account_id, entity_type, entity_id, value)  # type: ignore[arg-type]


def read_budget(conn: Connector, account_id: str, entity_type: str, entity_id: str) -> Any:
    value = _value(_campaign(conn, account_id, entity_id)["daily_budget"])
    return None if value is None else round(float(value), 2)


def write_budget(conn: Connector, account_id: str, entity_type: str, entity_id: str, value: Any) -> Any:
    return conn.set_daily_budget(account_id, entity_id, float(value))


def read_bid(conn: Connector, account_id: str, entity_type: str, entity_id: str) -> Any:
    value = _value(_campaign(conn, account_id, entity_id)["bid_amount"])
    return None if value is None else round(float(value), 2)


def write_bid(conn: Connector, account_id: str, entity_type: str, entity_id: str, value: Any) -> Any:
    return conn.set_bid(account_id, entity_type, entity_id, float(value))  # type: ignore[arg-type]


STATUS = register_field(FieldSpec("status", read_status, write_status))
DAILY_BUDGET = register_field(
    FieldSpec("daily_budget", read_budget, write_budget, entity_types=("campaign",))
)
BID = register_field(FieldSpec("bid", read_bid, write_bid, entity_types=("campaign",)))
