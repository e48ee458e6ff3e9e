"""The Templates page's form: build a custom template from a chosen one and save it on submit.

The save runs in the submit button's callback (`adops.templates.save`), never while drawing; its
outcome is left in `st.session_state[flash_key]` for the next run to show.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from adops.errors import AdopsError
from adops.platforms import PLATFORM_NAMES, PLATFORMS
from adops.templates import OBJECTIVES, Template, save
from pages.components.errors import error_text

FIELDS = (
    "name",
    "title",
    "objective",
    "daily_budget",
    "campaign_name",
    "ad_group_name",
    "ad_name",
    "headline",
    "body",
    "landing_url",
    "platforms",
    "description",
)


def _save(prefix: str, flash_key: str) -> None:
    values: dict[str, Any] = {f: st.session_state.get(f"{prefix}-{f}") for f in FIELDS}
    replace = bool(st.session_state.get(f"{prefix}-replace"))
    try:
        saved = save(values, by=str(st.session_state.get(f"{prefix}-by") or ""), replace=replace)
    except AdopsError as exc:
        st.session_state[flash_key] = ("error", error_text(exc))
        return
    st.session_state[flash_key] = ("success", f"Saved the template '{saved.name}'.")


def template_form(base: Template, key: str, flash_key: str) -> None:
    """A form prefilled from `base`; submitting saves it as a custom template."""
    prefix = f"{key}-{base.name}"
    with st.form(prefix):
        st.text_input(
            "Name (a-z, 0-9 and -)", value=f"{base.name}-custom"[:64], key=f"{prefix}-name", max_chars=64
        )
        st.text_input("Title", value=base.title, key=f"{prefix}-title", max_chars=120)
        st.selectbox(
            "Objective",
            OBJECTIVES,
            index=OBJECTIVES.index(base.objective),
            key=f"{prefix}-objective",
            format_func=lambda o: o.replace("_", " "),
        )
        st.number_input(
            "Daily budget (account currency)",
            min_value=0.01,
            value=float(base.daily_budget),
            key=f"{prefix}-daily_budget",
        )
        for field, label in (
            ("campaign_name", "Campaign name"),
            ("ad_group_name", "Ad group / ad set name"),
            ("ad_name", "Ad name"),
            ("headline", "Headline"),
            ("landing_url", "Landing page URL"),
        ):
            st.text_input(label, value=getattr(base, field), key=f"{prefix}-{field}", max_chars=1000)
        st.text_area("Ad text", value=base.body, key=f"{prefix}-body", max_chars=1000)
        st.text_area("Description", value=base.description, key=f"{prefix}-description", max_chars=1000)
        st.multiselect(
            "Platforms",
            PLATFORMS,
            default=list(base.platforms),
            key=f"{prefix}-platforms",
            format_func=lambda p: PLATFORM_NAMES[p],
        )
        st.text_input("Your name", key=f"{prefix}-by", max_chars=100)
        st.checkbox("Replace a custom template of that name", key=f"{prefix}-replace")
        st.form_submit_button(
            "Save template", icon=":material/save:", on_click=_save, args=(prefix, flash_key)
        )
