"""What people read for a forecast series key: `meta:act_1000100007` -> `Acme EU (Meta)`.

Series keys join the level's key columns with ":" (adops.forecast.data); the names come from the
warehouse's account and campaign tables, and a key with no name found reads as its platform's label
and id, never as the bare key.
"""

from __future__ import annotations

from adops import warehouse
from adops.config import PLATFORM_NAMES

TOTAL = "All platforms"


def series_names(level: str, keys: list[str | None]) -> dict[str | None, str]:
    """Each series key of a level with a readable, unique name."""
    found: dict[tuple[str, ...], str] = {}
    if level == "account":
        frame = warehouse.query("SELECT platform, account_id, account_name FROM accounts")
        found = {(str(p), str(a)): str(n) for p, a, n in frame.itertuples(index=False)}
    elif level == "campaign":
        frame = warehouse.query("SELECT platform, account_id, campaign_id, campaign_name FROM campaigns")
        found = {(str(p), str(a), str(c)): str(n) for p, a, c, n in frame.itertuples(index=False)}
    names: dict[str | None, str] = {}
    for key in keys:
        if key is None or key == "total":
            names[key] = TOTAL
            continue
        parts = tuple(key.split(":"))
        platform = PLATFORM_NAMES.get(parts[0], parts[0])
        if len(parts) == 1:
            names[key] = platform
        else:
            names[key] = f"{found.get(parts) or parts[-1]} ({platform})"
    seen: dict[str, int] = {}
    for name in names.values():
        seen[name] = seen.get(name, 0) + 1
    return {k: (f"{n} · {k.split(':', 1)[-1]}" if seen[n] > 1 and k else n) for k, n in names.items()}
