"""Filter bar: date range, platforms and accounts, returning `overview.Filters` (or None on bad input)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from adops.analytics.overview import Filters, default_range
from adops.errors import InputError
from pages.components.formatting import PLATFORM_LABELS


def filter_bar(bounds: tuple[date, date], accounts: pd.DataFrame, key: str = "filters") -> Filters | None:
    """Draw the filters in one row; show st.error and return None when they do not make sense."""
    first, last = bounds
    col_dates, col_platforms, col_accounts = st.columns([2, 2, 3])
    picked = col_dates.date_input(
        "Date range", value=default_range(bounds), min_value=first, max_value=last, key=f"{key}-dates"
    )
    platforms = col_platforms.multiselect(
        "Platforms",
        sorted(accounts["platform"].unique()),
        format_func=lambda p: PLATFORM_LABELS.get(p, p),
        placeholder="All platforms",
        key=f"{key}-platforms",
    )
    shown = accounts[accounts["platform"].isin(platforms)] if platforms else accounts
    names = dict(zip(shown["key"], shown["account_name"] + " (" + shown["currency"] + ")", strict=True))
    chosen = col_accounts.multiselect(
        "Accounts",
        list(names),
        format_func=lambda key: names[key],
        placeholder="All accounts",
        key=f"{key}-accounts",
    )
    if not isinstance(picked, tuple) or len(picked) != 2:
        st.info("Pick the end date of the range.")
        return None
    try:
        return Filters(picked[0], picked[1], tuple(platforms), tuple(chosen))
    except InputError as exc:
        st.error(f"{exc}: pick a start date on or before the end date.")
        return None
