"""What people read instead of ids: platform labels, account names and campaign names.

Tables that come from the store or a job (budget plan lines, dry-run steps, the audit trail, anomalies)
carry `platform`, `account_id` and `campaign_id`; the names live in the warehouse's `accounts` and
`campaigns` tables. An id with no name found reads as itself (never as an empty cell), and a platform
with no label as its key.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from adops import warehouse
from adops.config import PLATFORM_NAMES

AccountKey = tuple[str, str]
CampaignKey = tuple[str, str, str]


def platform_label(platform: object) -> str:
    """`google_ads` -> `Google Ads`; an unknown key as it is."""
    return PLATFORM_NAMES.get(str(platform), str(platform))


def account_names() -> dict[AccountKey, str]:
    """(platform, account_id) -> the account's name, from the warehouse (empty when it has none)."""
    if "accounts" not in warehouse.snapshot().versions:
        return {}
    frame = warehouse.query("SELECT platform, account_id, account_name FROM accounts")
    return {(str(p), str(a)): str(n) for p, a, n in frame.itertuples(index=False) if n}


def campaign_names(platforms: Iterable[str] | None = None) -> dict[CampaignKey, str]:
    """(platform, account_id, campaign_id) -> the campaign's name, from the warehouse."""
    if "campaigns" not in warehouse.snapshot().versions:
        return {}
    sql = "SELECT platform, account_id, campaign_id, campaign_name FROM campaigns"
    wanted = sorted({str(p) for p in platforms or ()})
    params: list[object] = []
    if wanted:
        sql += f" WHERE platform IN ({', '.join('?' for _ in wanted)})"
        params = list(wanted)
    frame = warehouse.query(sql, params)
    return {(str(p), str(a), str(c)): str(n) for p, a, c, n in frame.itertuples(index=False) if n}


_ENTITY_SQL = {
    "campaign": "SELECT campaign_name FROM campaigns WHERE platform = ? AND account_id = ? AND campaign_id = ?",
    "ad_group": "SELECT ad_group_name FROM ads WHERE platform = ? AND account_id = ? AND ad_group_id = ?",
    "ad": "SELECT ad_name FROM ads WHERE platform = ? AND account_id = ? AND ad_id = ?",
}


def entity_name(platform: object, account_id: object, level: str, entity_id: object) -> str:
    """A campaign's, ad group's or ad's name from the warehouse; its id when none is found."""
    sql = _ENTITY_SQL.get(level)
    table = "campaigns" if level == "campaign" else "ads"
    if sql is None or table not in warehouse.snapshot().versions:
        return str(entity_id)
    frame = warehouse.query(sql + " LIMIT 1", [str(platform), str(account_id), str(entity_id)])
    name = _text(frame.iat[0, 0]) if len(frame) else ""
    return name or str(entity_id)


def _text(value: object) -> str:
    """A cell as text: missing (None, NaN, "") is ""."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return str(value)


def named(
    frame: pd.DataFrame,
    platform: str = "platform",
    account: str = "account_id",
    campaign: str | None = "campaign_id",
) -> pd.DataFrame:
    """`frame` with its platform column as labels and `account` / `campaign` name columns added beside
    the ids (the ids stay, for a CSV someone may join on). Columns the frame lacks are skipped."""
    out = frame.copy()
    if out.empty or platform not in out.columns:
        return out
    keys = out[platform].map(_text)
    if account in out.columns:
        accounts = account_names()
        ids = out[account].map(_text)
        out.insert(
            list(out.columns).index(account),
            "account",
            [accounts.get((p, a), a) for p, a in zip(keys, ids, strict=True)],
        )
        if campaign and campaign in out.columns:
            campaigns = campaign_names(set(keys))
            cids = out[campaign].map(_text)
            out.insert(
                list(out.columns).index(campaign),
                "campaign",
                [campaigns.get((p, a, c), c) for p, a, c in zip(keys, ids, cids, strict=True)],
            )
    out[platform] = keys.map(platform_label)
    return out


def series_labels(keys: Iterable[tuple[object, object, object]]) -> list[str]:
    """Each (platform, account_id, campaign_id) as a person names the series: `Meta`,
    `Meta · Acme EU`, `Meta · Acme EU · Spring sale` (a missing part ends the name; names read once)."""
    rows = [(_text(p), _text(a), _text(c)) for p, a, c in keys]
    accounts = account_names() if any(a for _, a, _ in rows) else {}
    with_campaign = {p for p, a, c in rows if a and c}
    campaigns = campaign_names(with_campaign) if with_campaign else {}
    out = []
    for p, a, c in rows:
        if not p:
            out.append("All platforms")
            continue
        parts = [platform_label(p)]
        if a:
            parts.append(accounts.get((p, a), a))
            if c:
                parts.append(campaigns.get((p, a, c), c))
        out.append(" · ".join(parts))
    return out


def series_label(platform: object, account_id: object = None, campaign_id: object = None) -> str:
    """One series' name (see series_labels)."""
    return series_labels([(platform, account_id, campaign_id)])[0]
