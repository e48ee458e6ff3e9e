"""Filter bar: date range, platforms and accounts, returning `overview.Filters` (or None on bad input).

A date typed into the range that the widget refuses (outside the data, or left incomplete) never reaches
the script: Streamlit's browser widget keeps it and marks itself invalid, so the page would go on
showing the numbers of the previous range. A style rule (CSS `:has`) reads that mark: while the range
is invalid, an error says what to type and everything drawn after the filter bar is hidden.
"""

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
    bar = st.container(key=f"{key}-bar")
    col_dates, col_platforms, col_accounts = bar.columns([2, 2, 3])
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
    with bar.container(key=f"{key}-invalid"):  # not st.error: it is drawn on every run, shown by CSS only
        st.html(
            '<div role="alert" class="adops-invalid-range">The date range is not valid: type both dates in '
            f"full (year / month / day), between {first:%Y/%m/%d} and {last:%Y/%m/%d}, or pick them from "
            "the calendar.</div>"
        )
    st.html(_INVALID_CSS.replace("KEY", key))
    if not isinstance(picked, tuple) or len(picked) != 2:
        st.info("Pick the end date of the range.")
        return None
    try:
        return Filters(picked[0], picked[1], tuple(platforms), tuple(chosen))
    except InputError as exc:
        st.error(f"{exc}: pick a start date on or before the end date.")
        return None


#: while the filter bar's date range is invalid or incomplete in the browser, show its error and hide
#: what follows the bar (KPIs, charts, tables computed for the previous range)
_INVALID_CSS = """<style>
.st-key-KEY-invalid { display: none; }
.adops-invalid-range { background: #fdecec; color: #7d1414; border-radius: 0.5rem; padding: 0.75rem 1rem; }
[data-testid="stMain"]:has(.st-key-KEY-bar [data-testid="stDateInputField"][data-has-error],
    .st-key-KEY-bar [data-testid="stDateInputField"] [data-placeholder="true"]) .st-key-KEY-invalid {
  display: block;
}
[data-testid="stMain"]:has(.st-key-KEY-bar [data-testid="stDateInputField"][data-has-error],
    .st-key-KEY-bar [data-testid="stDateInputField"] [data-placeholder="true"])
    :is([data-testid="stLayoutWrapper"]:has(> .st-key-KEY-bar), .st-key-KEY-bar) ~ * {
  display: none;
}
</style>"""
