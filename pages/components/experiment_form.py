"""The "new experiment" form: hypothesis, metrics, dates, MDE, rule settings and the variants.

Variants are picked from the accounts, campaigns, ad groups and ads in the warehouse; where the
warehouse has none (a new workspace, an entity not synced yet) the ids are typed in. The store
validates everything and its message is shown with st.error.
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import streamlit as st

from adops import clock
from adops.analytics import overview
from adops.config import PLATFORMS
from adops.experiments import WinnerRule
from adops.experiments import store as experiments
from adops.experiments.results import entity_options
from pages.components.formatting import PLATFORM_LABELS

LEVEL_LABELS = {"ad": "Ad", "ad_group": "Ad group", "campaign": "Campaign"}
MAX_VARIANTS = 6


def experiment_form(key: str = "new") -> experiments.ExperimentRecord | None:
    """Draw the form; return the stored experiment when "Create experiment" succeeds."""
    name = st.text_input("Name", key=f"{key}-name", placeholder="Spring sale: headline test")
    hypothesis = st.text_area(
        "Hypothesis",
        key=f"{key}-hypothesis",
        placeholder="A benefit-led headline lifts the conversion rate by at least 10% without hurting CTR.",
    )
    metrics = list(experiments.METRIC_NAMES)
    col1, col2 = st.columns(2)
    primary = col1.selectbox(
        "Primary metric", metrics, format_func=experiments.METRIC_NAMES.__getitem__, key=f"{key}-primary"
    )
    guardrails = col2.multiselect(
        "Guardrail metrics",
        [m for m in metrics if m != primary],
        format_func=experiments.METRIC_NAMES.__getitem__,
        key=f"{key}-guardrails",
    )
    today = clock.today()
    col1, col2, col3 = st.columns(3)
    start = col1.date_input("Start", today, key=f"{key}-start")
    end = col2.date_input("Planned end", today + timedelta(days=27), key=f"{key}-end")
    mde_pct = col3.number_input(
        "Minimum detectable effect (%)", 0.1, 500.0, 10.0, step=1.0, key=f"{key}-mde", help="Relative lift"
    )
    with st.expander("Winner rule"):
        col1, col2, col3, col4 = st.columns(4)
        alpha = col1.number_input("Alpha", 0.001, 0.2, 0.05, step=0.01, format="%.3f", key=f"{key}-alpha")
        threshold = col2.number_input(
            "Chance to win at the end", 0.51, 0.999, 0.95, step=0.01, format="%.3f", key=f"{key}-threshold"
        )
        runtime = col3.number_input("Minimum runtime (days)", 0, 90, 7, key=f"{key}-runtime")
        tuning = col4.number_input(
            "Planned total users (0: default)",
            0,
            10**9,
            0,
            step=1000,
            key=f"{key}-tuning",
            help="Tunes the sequential test: its interval is tightest near this sample size.",
        )
    st.markdown("**Variants** (the first one is the control)")
    count = int(st.columns(4)[0].number_input("Number of variants", 2, MAX_VARIANTS, 2, key=f"{key}-count"))
    accounts = overview.accounts()
    variants = [_variant_row(i, accounts, f"{key}-v{i}") for i in range(count)]
    if not st.button("Create experiment", type="primary", key=f"{key}-create"):
        return None
    if not isinstance(start, date) or not isinstance(end, date):
        st.error("Pick a start and a planned end date.")
        return None
    if clash := overlapping(variants):
        st.warning(f"{clash}: their results would mix. Pick other ads, or stop that experiment first.")
        if not st.checkbox("Create it anyway", key=f"{key}-overlap-ok"):
            return None
    try:
        return experiments.create(
            name,
            variants,
            start=start,
            end=end,
            hypothesis=hypothesis,
            primary_metric=primary,
            guardrail_metrics=guardrails,
            mde=mde_pct / 100,
            rule=WinnerRule(alpha=alpha, chance_to_win_threshold=threshold, min_runtime_days=runtime),
            sequential_tuning=float(tuning) or None,
            actor="page",
        )
    except experiments.ExperimentError as exc:
        st.error(f"{exc}.")
        return None


def overlapping(variants: list[experiments.Variant]) -> str | None:
    """The draft or running experiment already testing one of these entities, said as a sentence."""
    wanted = {(v.platform, v.account_id, v.entity_id) for v in variants if v.entity_id}
    for other in experiments.list_experiments():
        if other.status not in ("draft", "running"):
            continue
        shared = wanted & {(v.platform, v.account_id, v.entity_id) for v in other.variants}
        if shared:
            return f"{other.name} ({other.status}) already tests {len(shared)} of these entities"
    return None


def _variant_row(i: int, accounts: pd.DataFrame, key: str) -> experiments.Variant:
    """One variant's name, platform, account, level, entity and planned weight, in one row."""
    cols = st.columns([2, 2, 3, 2, 4, 1])
    name = cols[0].text_input(
        "Name", "control" if i == 0 else f"variant {chr(ord('A') + i)}", key=f"{key}-name"
    )
    platform = cols[1].selectbox(
        "Platform", PLATFORMS, format_func=lambda p: PLATFORM_LABELS.get(p, p), key=f"{key}-platform"
    )
    shown = accounts[accounts["platform"] == platform]
    if shown.empty:
        account = cols[2].text_input("Account id", key=f"{key}-account")
    else:
        names = dict(zip(shown["account_id"], shown["account_name"], strict=True))
        account = cols[2].selectbox(
            "Account", list(names), format_func=lambda a: f"{names[a]} ({a})", key=f"{key}-account"
        )
    level = cols[3].selectbox(
        "Level", list(LEVEL_LABELS), format_func=LEVEL_LABELS.__getitem__, key=f"{key}-level"
    )
    options = entity_options(platform, account, level) if account else None
    if options is None or options.empty:
        entity = cols[4].text_input(f"{LEVEL_LABELS[level]} id", key=f"{key}-entity")
    else:
        labels = dict(
            zip(options["id"], options["name"] + " · " + options["status"].str.lower(), strict=True)
        )
        entity = cols[4].selectbox(
            LEVEL_LABELS[level],
            list(labels),
            index=min(i, len(labels) - 1),
            format_func=lambda e: f"{labels[e]} ({e})",
            key=f"{key}-entity",
        )
    weight = cols[5].number_input("Weight", 0.0, 100.0, 1.0, step=0.5, key=f"{key}-weight")
    return experiments.Variant(name or "", platform, account or "", level, entity or "", float(weight))
