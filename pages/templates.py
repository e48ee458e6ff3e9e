"""Templates: the catalogue of campaign templates, each platform's mapped structure and violations,
custom templates built and saved, and a launch started as a dry run of `campaign-launch`.

Drawing reads only (adops.templates). Saving and launching happen in button callbacks; the dry run
is a workflow job the page follows, then shows its exact changes (approve it on the Workflows page).
"""

import streamlit as st

from adops import templates
from adops.errors import AdopsError
from adops.platforms import PLATFORM_NAMES
from adops.templates.views import CATEGORIES, catalogue_table, needs, preview
from pages.components.errors import show_error
from pages.components.launch_panel import launch_panel
from pages.components.routing import through_app
from pages.components.template_form import template_form

FLASH = "templates-flash"


through_app()
st.title("Templates")
flash = st.session_state.pop(FLASH, None)
if flash:
    (st.success if flash[0] == "success" else st.error)(flash[1])
category = st.selectbox(
    "Category", [None, *CATEGORIES], format_func=lambda c: c or "every category", key="templates-category"
)
try:
    table = catalogue_table(category)
except AdopsError as exc:
    show_error(exc)
    st.stop()
if table.empty:
    st.info("No template in this category yet: build one below from any template and save it.")
    st.stop()
st.dataframe(
    table,
    hide_index=True,
    width="stretch",
    column_config={"daily_budget": st.column_config.NumberColumn("Daily budget", format="%,.2f")},
)
name = st.selectbox("Template", list(table["name"]), key="templates-pick")
template = templates.get(name)
platform = st.selectbox(
    "Platform", list(template.platforms), format_func=lambda p: PLATFORM_NAMES[p], key="templates-platform"
)
currency = st.selectbox(
    "Account currency", ["USD", "EUR", "GBP", "JPY", "CAD", "AUD"], key="templates-currency"
)
levels, problems = preview(template, platform, currency)
st.subheader(f"On {PLATFORM_NAMES[platform]}")
st.dataframe(levels, hide_index=True, width="stretch")
for problem in problems:
    st.warning(problem)
if not problems:
    st.success(f"Passes {PLATFORM_NAMES[platform]}'s documented limits in {currency}.")
for need in needs(template, platform):
    st.info(f"On a real account, the launch also needs: {need}.", icon=":material/link:")

st.subheader("Launch")
launch_panel(name, list(template.platforms), FLASH)

with st.expander("Build a custom template from this one"):
    template_form(template, "templates-form", FLASH)
