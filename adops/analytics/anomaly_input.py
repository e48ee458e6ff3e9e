"""Read and check an `adops anomalies` CSV (`ds, y`, optional `series`): each problem names its line.

Line numbers count the header as line 1, as a spreadsheet or `sed -n` shows them. The file is
refused before parsing when it is larger than MAX_BYTES, and after when it has more than MAX_ROWS.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from adops.errors import InputError

MAX_BYTES = 64 * 1024 * 1024
MAX_ROWS = 2_000_000


def read_anomaly_csv(path: Path) -> pd.DataFrame:
    """A frame of series (str or None), ds (datetime64) and y (float >= 0), sorted by series and day."""
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise InputError(f"{path}: {size:,} bytes; at most {MAX_BYTES:,} bytes (split the file by series)")
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True, encoding="utf-8")
    except pd.errors.EmptyDataError:
        raise InputError(f"{path}: the file is empty; expected columns ds, y") from None
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(f"{path}: not a readable CSV ({first[:200]})") from None
    raw.columns = [str(c).strip() for c in raw.columns]
    for column in ("ds", "y"):
        if column not in raw.columns:
            found = ", ".join(c[:40] for c in raw.columns[:10]) or "none"
            raise InputError(f"missing column '{column}' (found: {found})")
    if raw.empty:
        raise InputError("no data rows; expected one row per series and day")
    if len(raw) > MAX_ROWS:
        raise InputError(f"{len(raw):,} rows; at most {MAX_ROWS:,}")

    ds_text = raw["ds"].str.strip()
    days = pd.to_datetime(ds_text, format="%Y-%m-%d", errors="coerce")
    bad = days.isna().to_numpy()
    if bad.any():
        i = int(bad.argmax())
        raise InputError(
            f"line {i + 2}, column 'ds': {_show(ds_text.iloc[i])} is not a date in YYYY-MM-DD form"
        )
    y_text = raw["y"].str.strip()
    values = pd.to_numeric(y_text, errors="coerce").astype(float).to_numpy()
    bad = ~np.isfinite(values)
    if bad.any():
        i = int(bad.argmax())
        raise InputError(f"line {i + 2}, column 'y': {_show(y_text.iloc[i])} is not a finite number")
    negative = values < 0
    if negative.any():
        i = int(negative.argmax())
        raise InputError(
            f"line {i + 2}, column 'y': {y_text.iloc[i][:40]} is negative; amounts, counts and ratios only"
        )
    frame = pd.DataFrame({"ds": days.to_numpy(), "y": values, "line": np.arange(2, len(raw) + 2)})
    if "series" in raw.columns:
        keys = raw["series"].str.strip()
        blank = (keys == "").to_numpy()
        if blank.any():
            raise InputError(f"line {int(blank.argmax()) + 2}, column 'series': empty value")
        long = (keys.str.len() > 200).to_numpy()
        if long.any():
            raise InputError(f"line {int(long.argmax()) + 2}, column 'series': longer than 200 characters")
        frame["series"] = keys.to_numpy()
    else:
        frame["series"] = None
    dup = frame.duplicated(["series", "ds"]).to_numpy()
    if dup.any():
        row = frame.iloc[int(dup.argmax())]
        where = f" in series {_show(row['series'])}" if row["series"] is not None else ""
        raise InputError(f"line {int(row['line'])}, column 'ds': duplicate day {row['ds'].date()}{where}")
    return frame.drop(columns="line")


def _show(text: object) -> str:
    """A value quoted for an error line: short, one line, no control characters."""
    value = "".join(ch if ch.isprintable() else "?" for ch in str(text))
    return repr(value[:40] + ("…" if len(value) > 40 else ""))
