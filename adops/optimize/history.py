"""Daily channel history from a table: validated, one regular daily series per channel.

Input columns: `date, channel, spend, conversions`, optional `revenue`. Several rows for the same
channel and day (say, one per campaign) are added up; days missing inside a channel's history are
days without spend (zero spend, zero outcome). `current_spend` is the channel's mean daily spend over
the last 28 days of the whole file (fewer when the file is shorter), as Robyn's allocator uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from adops.errors import InputError  # bad input, said in one line that names the column or row

REQUIRED = ("date", "channel", "spend", "conversions")
OBJECTIVES = ("conversions", "revenue")
CURRENT_WINDOW_DAYS = 28


__all__ = ["ChannelHistory", "InputError", "load_history", "read_csv"]


@dataclass(frozen=True)
class ChannelHistory:
    """One channel's consecutive daily series."""

    channel: str
    dates: np.ndarray  # datetime64[D], consecutive
    spend: np.ndarray
    outcome: np.ndarray
    current_spend: float

    @property
    def weekday(self) -> np.ndarray:
        """0 = Monday."""
        return np.asarray((self.dates.astype("datetime64[D]").astype(np.int64) + 3) % 7)


def read_csv(path: Path | str) -> pd.DataFrame:
    """Read a history CSV as text, so every value is checked by `load_history`."""
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except pd.errors.EmptyDataError:
        raise InputError(f"{path}: the file is empty") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not a readable CSV ({str(exc).splitlines()[0]})") from None
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    return frame


def load_history(
    frame: pd.DataFrame, objective: str = "conversions", window_days: int = CURRENT_WINDOW_DAYS
) -> list[ChannelHistory]:
    """Validate the table and return one daily series per channel, in order of first appearance."""
    if objective not in OBJECTIVES:
        raise InputError(f"--objective must be one of {', '.join(OBJECTIVES)}, not '{objective}'")
    needed = list(REQUIRED) + (["revenue"] if objective == "revenue" else [])
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise InputError(
            f"missing column {', '.join(repr(c) for c in missing)} (have: {', '.join(frame.columns)})"
        )
    if frame.empty:
        raise InputError("the input has no rows")
    dates = _parse_dates(frame["date"])
    channels = frame["channel"].astype(str).str.strip()
    blank = channels == ""
    if blank.any():
        raise InputError(f"row {_row(blank)}: column 'channel' is empty")
    spend = _parse_numbers(frame["spend"], "spend")
    outcome = _parse_numbers(frame[objective], objective)
    if objective == "revenue":
        _parse_numbers(frame["conversions"], "conversions")

    table = pd.DataFrame({"date": dates, "channel": channels, "spend": spend, "outcome": outcome})
    daily = table.groupby(["channel", "date"], sort=False, as_index=False)[["spend", "outcome"]].sum()
    last = daily["date"].max()
    first = daily["date"].min()
    span = min(window_days, int((last - first).days) + 1)
    window_start = last - pd.Timedelta(days=span - 1)

    out = []
    groups = {str(name): rows for name, rows in daily.groupby("channel", sort=False)}
    for channel in pd.unique(table["channel"]):
        rows = groups[str(channel)].set_index("date").sort_index()
        full = pd.date_range(rows.index.min(), rows.index.max(), freq="D")
        rows = rows.reindex(full, fill_value=0.0)
        spend = rows["spend"].to_numpy(dtype=float)
        out.append(
            ChannelHistory(
                channel=str(channel),
                dates=full.values.astype("datetime64[D]"),
                spend=spend,
                outcome=rows["outcome"].to_numpy(dtype=float),
                current_spend=float(spend[full >= window_start].sum()) / span,
            )
        )
    return out


def _row(mask: pd.Series) -> int:
    """The file row (header = 1) of the first True in mask."""
    return int(np.argmax(mask.to_numpy())) + 2


def _parse_dates(column: pd.Series) -> pd.Series:
    text = column.astype(str).str.strip()
    parsed = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
    bad = parsed.isna()
    if bad.any():
        i = int(np.argmax(bad.to_numpy()))
        raise InputError(f"row {i + 2}: column 'date' has '{text.iloc[i]}', not a date in YYYY-MM-DD form")
    return parsed


def _parse_numbers(column: pd.Series, name: str) -> np.ndarray:
    text = column.astype(str).str.strip()
    values = pd.to_numeric(text, errors="coerce")
    bad = values.isna() | ~np.isfinite(values.to_numpy(dtype=float, na_value=np.nan))
    if bad.any():
        i = int(np.argmax(bad.to_numpy()))
        raise InputError(f"row {i + 2}: column '{name}' has '{text.iloc[i]}', not a number")
    negative = values < 0
    if negative.any():
        i = int(np.argmax(negative.to_numpy()))
        raise InputError(f"row {i + 2}: column '{name}' is negative ({text.iloc[i]})")
    return values.to_numpy(dtype=float)
