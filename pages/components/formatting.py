"""Labels and number formats shared by the pages: platforms here, KPIs from adops.analytics.kpis."""

from __future__ import annotations

from typing import Any

import streamlit as st

from adops.analytics.kpis import column_format, compact, format_value, label
from adops.config import PLATFORM_NAMES
from pages.components import palette

__all__ = ["PLATFORM_COLORS", "PLATFORM_LABELS", "compact", "fmt", "kpi_column"]

PLATFORM_LABELS = PLATFORM_NAMES
PLATFORM_COLORS = palette.PLATFORM_COLORS  # one palette for every page


def fmt(kpi: str, value: float | None, currency: str = "USD", short: bool = False) -> str:
    """A KPI value as people read it (adops.analytics.kpis defines the formats once)."""
    return format_value(kpi, value, currency, short=short)


def kpi_column(name: str, currency: str) -> Any:
    """A table column for a metric or KPI: its label (with the currency for money) and its format."""
    return st.column_config.NumberColumn(label(name, currency), format=column_format(name))  # type: ignore[arg-type]
