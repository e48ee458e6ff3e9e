"""The Templates page's form: build a custom template from a chosen one and save it on submit.

The save runs in the submit button's callback (`adops.templates.save`), never while drawing; its
outcome is left in `st.session_state[flash_key]` for the next run to show.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from adops.errors import AdopsError, InputError
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


#: text areas written one item a line (lists and the assets mapping), parsed on save
LINES = ("more_headlines", "more_descriptions", "countries", "assets")


def _lines(text: Any) -> list[str]:
    return [line.strip() for line in str(text or "").splitlines() if line.strip()]


def _assets(text: Any) -> dict[str, str]:
    """`platform.reference = id`, one a line; InputError naming the line that is not."""
    out: dict[str, str] = {}
    for line in _lines(text):
        key, sep, value = line.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise InputError(f"assets: write one platform.reference = id a line, not {line[:60]!r}")
        out[key.strip()] = value.strip()
    return out


def _save(prefix: str, flash_key: str) -> None:
    values: dict[str, Any] = {f: st.session_state.get(f"{prefix}-{f}") for f in FIELDS}
    replace = bool(st.session_state.get(f"{prefix}-replace"))
    try:
        for field in LINES:
            raw = st.session_state.get(f"{prefix}-{field}")
            values[field] = _assets(raw) if field == "assets" else _lines(raw)
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
        st.text_area(
            "More headlines, one a line (responsive search ads take 3 to 15)",
            value="\n".join(base.more_headlines),
            key=f"{prefix}-more_headlines",
            max_chars=4000,
        )
        st.text_area(
            "More ad texts, one a line (responsive search ads take 2 to 4)",
            value="\n".join(base.more_descriptions),
            key=f"{prefix}-more_descriptions",
            max_chars=4000,
        )
        st.text_area(
            "Countries the ad group targets, one two-letter code a line",
            value="\n".join(base.countries),
            key=f"{prefix}-countries",
            max_chars=400,
        )
        st.text_area(
            "Assets for real accounts, one platform.reference = id a line "
            "(meta.page_id, pinterest.pin_id, linkedin.post, tiktok.identity_id, tiktok.video_id)",
            value="\n".join(f"{k} = {v}" for k, v in base.assets.items()),
            key=f"{prefix}-assets",
            max_chars=4000,
        )
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
