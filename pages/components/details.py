"""Raw records as people read them: a mapping (evidence, an outcome, a job's result) becomes a two-column
table of labelled items and formatted values, never `{...}` or `1023.6125` on a page."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from adops.config import PLATFORM_NAMES

#: words kept in capitals when a key becomes a label
ACRONYMS = {"cpa", "cpc", "cpm", "ctr", "roas", "id", "url", "ab", "kpi", "mase", "smape"}
#: keys whose value between 0 and 1 is a share, shown as a percentage
SHARE_WORDS = ("rate", "share", "chance", "probability", "confidence", "coverage", "pct", "percent")
#: nested mappings deeper than this are summarised, not unrolled
MAX_DEPTH = 3
MAX_ITEMS = 200


def label(key: str) -> str:
    """`account_cpa` -> `Account CPA`: snake_case keys as sentence-case labels."""
    words = str(key).replace("-", "_").split("_")
    out = [w.upper() if w.lower() in ACRONYMS else w for w in words if w]
    if not out:
        return str(key)
    first = out[0] if out[0].isupper() else out[0].capitalize()
    return " ".join([first, *out[1:]])


def status_label(status: str) -> str:
    """`rolled_back` -> `Rolled back`: a stored status name as a label."""
    text = str(status).replace("_", " ").replace("-", " ").strip()
    return text[:1].upper() + text[1:]


def value_text(key: str, value: Any) -> str:
    """One value as text: platform names, yes/no, thousands separators, shares as percentages."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        lowered = str(key).lower()
        if any(word in lowered for word in SHARE_WORDS) and 0 <= value <= 1:
            return f"{value:.1%}" if value >= 0.001 or value == 0 else f"{value:.2g}"
        if value != 0 and abs(value) < 0.01:
            return f"{value:.2g}"
        return f"{value:,.2f}"
    if isinstance(value, str):
        if value in PLATFORM_NAMES:
            return PLATFORM_NAMES[value]
        if str(key).lower() in ("status", "state", "outcome"):
            return status_label(value)
        return value
    if isinstance(value, list | tuple | set):
        return ", ".join(value_text(key, v) for v in value) or "–"
    return str(value)


def details_frame(record: Mapping[str, Any], skip: tuple[str, ...] = ()) -> pd.DataFrame:
    """A mapping as rows of Item / Value; nested mappings become `Parent · child` items."""
    rows: list[dict[str, str]] = []

    def walk(mapping: Mapping[str, Any], prefix: str, depth: int) -> None:
        for key, value in mapping.items():
            if len(rows) >= MAX_ITEMS or key in skip:
                continue
            name = f"{prefix} · {label(key)}" if prefix else label(key)
            if isinstance(value, Mapping) and depth < MAX_DEPTH:
                walk(value, name, depth + 1)
            elif isinstance(value, Mapping):
                rows.append({"Item": name, "Value": f"{len(value)} items"})
            elif isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
                rows.append({"Item": name, "Value": f"{len(value)} rows"})
            else:
                rows.append({"Item": name, "Value": value_text(key, value)})

    walk(record, "", 0)
    return pd.DataFrame(rows, columns=["Item", "Value"])


def rows_frame(rows: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """A list of records as a table with labelled columns and formatted values."""
    frame = pd.DataFrame([{label(k): value_text(k, v) for k, v in row.items()} for row in rows[:MAX_ITEMS]])
    return frame


def csv_text(frame: pd.DataFrame, decimals: int = 2) -> str:
    """A table as CSV for a download: floats rounded (no `34021.39000000001`), platform ids as names."""
    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_float_dtype(out[column]):
            out[column] = out[column].round(decimals)
        elif column == "platform":
            out[column] = out[column].map(lambda p: PLATFORM_NAMES.get(p, p))
    return str(out.to_csv(index=False))
