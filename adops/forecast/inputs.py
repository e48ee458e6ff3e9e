"""Read and check a forecast CSV (`ds, y`, optional `series`): every problem names its line and column.

Line numbers count the header as line 1, as a spreadsheet or `sed -n` shows them.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from adops.errors import InputError  # a problem in the input file, worded for the person who made it
from adops.forecast.core import MIN_DAYS

__all__ = ["InputError", "read_series_csv"]


def read_series_csv(path: Path) -> dict[str | None, pd.DataFrame]:
    """Series key (None without a `series` column) -> frame of ds and y, in first-appearance order."""
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except pd.errors.EmptyDataError:
        raise InputError(f"{path}: the file is empty; expected columns ds, y") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not a readable CSV ({str(exc).splitlines()[0]})") from None
    raw.columns = [str(c).strip() for c in raw.columns]
    for column in ("ds", "y"):
        if column not in raw.columns:
            raise InputError(f"missing column '{column}' (found: {', '.join(raw.columns) or 'none'})")
    has_series = "series" in raw.columns
    if raw.empty:
        raise InputError(f"no data rows; at least {MIN_DAYS} days per series are needed")

    ds_text = raw["ds"].str.strip()
    y_text = raw["y"].str.strip()
    days = pd.to_datetime(ds_text, format="ISO8601", errors="coerce")
    bad = days.isna() | (days != days.dt.normalize()) | (ds_text.str.len() < 8)
    if bad.any():
        i = int(bad.to_numpy().argmax())
        raise InputError(f"line {i + 2}, column 'ds': '{ds_text.iloc[i]}' is not a date in YYYY-MM-DD form")
    values = pd.to_numeric(y_text, errors="coerce").astype(float)
    bad_y = ~np.isfinite(values.to_numpy())
    if bad_y.any():
        i = int(bad_y.argmax())
        raise InputError(f"line {i + 2}, column 'y': '{y_text.iloc[i]}' is not a finite number")
    if getattr(days.dt, "tz", None) is not None:
        days = days.dt.tz_localize(None)
    frame = pd.DataFrame(
        {
            "ds": days.dt.normalize().astype("datetime64[ns]"),
            "y": values.to_numpy(),
            "line": range(2, len(raw) + 2),
        }
    )
    if has_series:
        keys = raw["series"].str.strip()
        blank = keys == ""
        if blank.any():
            raise InputError(
                f"line {int(frame['line'][blank.to_numpy()].iloc[0])}, column 'series': empty value"
            )
        frame["series"] = keys.to_numpy()
    else:
        frame["series"] = None

    out: dict[str | None, pd.DataFrame] = {}
    groups = frame.groupby("series", sort=False, dropna=False) if has_series else [(None, frame)]
    for key, part in groups:
        name = None if key is None or (isinstance(key, float) and math.isnan(key)) else str(key)
        dup = part["ds"].duplicated()
        if dup.any():
            row = part[dup].iloc[0]
            where = f" in series '{name}'" if name is not None else ""
            raise InputError(f"line {int(row['line'])}, column 'ds': duplicate day {row['ds'].date()}{where}")
        if len(part) < MIN_DAYS:
            where = f"series '{name}'" if name is not None else "the series"
            raise InputError(f"{where} has {len(part)} rows; at least {MIN_DAYS} days are needed")
        out[name] = part.sort_values("ds")[["ds", "y"]].reset_index(drop=True)
    return out
