"""The ad-hoc A/B calculator: paste counts or upload a CSV in the `adops ab` format, get its readout.

Parsing and analysis are the CLI's own (`parse_ab_csv`, `analyze_document`), so the numbers are
exactly those of `adops ab --json`.
"""

from __future__ import annotations

import io
import json
from typing import Any

import pandas as pd
import streamlit as st

from adops.experiments.cli import AbInputError, analyze_document, parse_ab_csv

EXAMPLE = """experiment,variant,users,conversions
headline,A,10000,420
headline,B,10000,480
"""
COLUMNS: dict[str, Any] = {
    "variant": "Variant",
    "users": st.column_config.NumberColumn("Users", format="%,d"),
    "conversions": st.column_config.NumberColumn("Conversions", format="%,.1f"),
    "rate": st.column_config.NumberColumn("Rate", format="percent"),
    "lift": st.column_config.NumberColumn("Lift", format="percent"),
    "lift_ci_low": st.column_config.NumberColumn("CI low", format="percent"),
    "lift_ci_high": st.column_config.NumberColumn("CI high", format="percent"),
    "p_value": st.column_config.NumberColumn("p-value", format="%.4f"),
    "chance_to_win": st.column_config.NumberColumn("Chance to win", format="percent"),
    "sequential_p_value": st.column_config.NumberColumn("Sequential p", format="%.4f"),
}


def ab_calculator(key: str = "calc") -> None:
    """Counts in, readout out; bad input shows st.error naming the row or column."""
    st.caption(
        "Columns `variant, users, conversions`; optional `experiment` (many tests in one file), "
        "`weight` (planned share), `revenue`, `revenue_sum_squares`. The first row of each experiment is "
        "the control. Same numbers as `adops ab --input FILE --json`."
    )
    source = st.radio("Counts", ["Paste", "Upload a CSV"], horizontal=True, key=f"{key}-source")
    left, right = st.columns([3, 1])
    alpha = right.number_input(
        "Alpha", min_value=0.001, max_value=0.5, value=0.05, step=0.01, format="%.3f", key=f"{key}-alpha"
    )
    if source == "Paste":
        text = left.text_area("CSV", EXAMPLE, height=160, key=f"{key}-text")
        name = "pasted counts"
    else:
        upload = left.file_uploader("CSV file", type=["csv", "txt"], key=f"{key}-file")
        if upload is None:
            st.info("Upload a CSV with the columns above.")
            return
        name = upload.name
        try:
            text = upload.getvalue().decode("utf-8-sig")
        except UnicodeDecodeError:
            st.error(f"{name} is not a UTF-8 text file: save it as CSV (UTF-8) and upload it again.")
            return
    if not text.strip():
        st.info("Paste counts to read them out.")
        return
    try:
        document = analyze_document(parse_ab_csv(io.StringIO(text.lstrip("\ufeff"))), alpha)
    except AbInputError as exc:
        st.error(f"{name}: {exc}. Fix that row or column and try again.")
        return
    for experiment in document["experiments"]:
        title = experiment["experiment"] or "Experiment"
        st.markdown(f"**{title}**")
        if experiment["srm_flag"]:
            st.error(
                f"Sample ratio mismatch: users are off the planned split (SRM {p_text(experiment['srm_p_value'])}). "
                "Do not trust this readout until the assignment is fixed.",
                icon=":material/warning:",
            )
        else:
            st.caption(f"Split on plan (SRM {p_text(experiment['srm_p_value'])}).")
        table = pd.DataFrame(experiment["variants"])
        st.dataframe(
            table[list(COLUMNS)], hide_index=True, width="stretch", column_config=COLUMNS, placeholder="–"
        )
    st.download_button(
        "Download readout (JSON, as adops ab --json)",
        json.dumps(document, indent=1),
        "ab_readout.json",
        "application/json",
        key=f"{key}-download",
    )


def p_text(p: float | None) -> str:
    """A p-value as people read it: "p = 0.0421", or "p < 0.0001" for the tiny ones."""
    if p is None:
        return "p = –"
    return "p < 0.0001" if p < 1e-4 else f"p = {p:.4f}"
