"""Read and check the CSVs of `adops trends` and `adops fatigue`: every problem names its line and column.

Line numbers count the header as line 1, as a spreadsheet or `sed -n` shows them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from adops.errors import InputError

__all__ = ["MAX_BYTES", "read_ad_days", "read_series"]

#: a larger file is refused before it is parsed (a year of 5,000 ads a day is about 100 MB)
MAX_BYTES = 256 * 2**20
MAX_TEXT = 200  # characters in a series name or an id


def read_series(path: Path) -> pd.DataFrame:
    """`ds, y` and optionally `series` -> a long frame `series, period, value` (series "" when absent)."""
    raw = _read(path, ["ds", "y"])
    days = _dates(raw, "ds")
    values = _numbers(raw, "y")
    series = _texts(raw, "series") if "series" in raw else pd.Series([""] * len(raw))
    frame = pd.DataFrame({"series": series.to_numpy(), "period": days.to_numpy(), "value": values.to_numpy()})
    dup = frame.duplicated(["series", "period"])
    if dup.any():
        i = int(dup.to_numpy().argmax())
        where = f" in series '{frame['series'].iat[i]}'" if frame["series"].iat[i] else ""
        raise InputError(
            f"line {i + 2}, column 'ds': duplicate day {str(frame['period'].iat[i])[:10]}{where}"
        )
    return frame


def read_ad_days(path: Path) -> pd.DataFrame:
    """`date, ad_id, impressions, clicks` (optionally `platform`, `account_id`, `reach`) -> one row per
    ad and day; `reach` is NaN where the file has no such column or leaves the cell blank."""
    raw = _read(path, ["date", "ad_id", "impressions", "clicks"])
    frame = pd.DataFrame(
        {
            "platform": (
                _texts(raw, "platform") if "platform" in raw else pd.Series([""] * len(raw))
            ).to_numpy(),
            "account_id": (
                _texts(raw, "account_id") if "account_id" in raw else pd.Series([""] * len(raw))
            ).to_numpy(),
            "ad_id": _texts(raw, "ad_id").to_numpy(),
            "date": _dates(raw, "date").dt.date.to_numpy(),
            "impressions": _numbers(raw, "impressions", whole=True).to_numpy(),
            "clicks": _numbers(raw, "clicks", whole=True).to_numpy(),
            # optional: people reached that day (blank where the platform does not report it)
            "reach": _optional_wholes(raw, "reach").to_numpy(),
        }
    )
    over = frame["clicks"] > frame["impressions"]
    if over.any():
        i = int(over.to_numpy().argmax())
        raise InputError(f"line {i + 2}, column 'clicks': more clicks than impressions")
    over = frame["reach"] > frame["impressions"]  # NaN compares False
    if over.any():
        i = int(over.to_numpy().argmax())
        raise InputError(f"line {i + 2}, column 'reach': more people reached than impressions")
    dup = frame.duplicated(["platform", "account_id", "ad_id", "date"])
    if dup.any():
        i = int(dup.to_numpy().argmax())
        raise InputError(
            f"line {i + 2}: ad '{frame['ad_id'].iat[i]}' appears twice on {frame['date'].iat[i]}"
        )
    return frame


def _read(path: Path, required: list[str]) -> pd.DataFrame:
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise InputError(f"{path}: {size:,} bytes; the limit is {MAX_BYTES:,} (split the file)")
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except pd.errors.EmptyDataError:
        raise InputError(f"{path}: the file is empty; expected columns {', '.join(required)}") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not a readable CSV ({str(exc).splitlines()[0]})") from None
    raw.columns = [str(c).strip() for c in raw.columns]
    for column in required:
        if column not in raw.columns:
            raise InputError(f"missing column '{column}' (found: {', '.join(raw.columns) or 'none'})")
    if raw.empty:
        raise InputError("no data rows")
    return raw


def _dates(raw: pd.DataFrame, column: str) -> pd.Series:
    text = raw[column].str.strip()
    days = pd.to_datetime(text, format="ISO8601", errors="coerce", utc=False)
    bad = days.isna() | (text.str.len() != 10)
    if bad.any():
        i = int(bad.to_numpy().argmax())
        raise InputError(
            f"line {i + 2}, column '{column}': '{text.iloc[i][:40]}' is not a date in YYYY-MM-DD form"
        )
    return days


def _numbers(raw: pd.DataFrame, column: str, whole: bool = False) -> pd.Series:
    text = raw[column].str.strip()
    values = pd.to_numeric(text, errors="coerce").astype(float)
    arr = values.to_numpy()
    bad = ~np.isfinite(arr) | (whole & ((arr < 0) | (arr != np.round(arr)) | (arr > 1e15)))
    if bad.any():
        i = int(bad.argmax())
        kind = "a whole number 0 or more" if whole else "a finite number"
        raise InputError(f"line {i + 2}, column '{column}': '{text.iloc[i][:40]}' is not {kind}")
    return values


def _optional_wholes(raw: pd.DataFrame, column: str) -> pd.Series:
    """A column of whole numbers 0 or more where given; blank cells (or no column) are NaN."""
    if column not in raw:
        return pd.Series(np.full(len(raw), np.nan))
    text = raw[column].str.strip()
    values = pd.to_numeric(text, errors="coerce").astype(float).to_numpy()
    given = (text != "").to_numpy()
    bad = given & (~np.isfinite(values) | (values < 0) | (values != np.round(values)) | (values > 1e15))
    if bad.any():
        i = int(bad.argmax())
        raise InputError(
            f"line {i + 2}, column '{column}': '{text.iloc[i][:40]}' is not a whole number 0 or more"
        )
    return pd.Series(np.where(given, values, np.nan))


def _texts(raw: pd.DataFrame, column: str) -> pd.Series:
    text = raw[column].str.strip()
    bad = (text == "") | (text.str.len() > MAX_TEXT) | text.str.contains(r"[\x00-\x1f]", regex=True)
    if bad.any():
        i = int(bad.to_numpy().argmax())
        raise InputError(
            f"line {i + 2}, column '{column}': empty, longer than {MAX_TEXT} characters, or has control characters"
        )
    return text
