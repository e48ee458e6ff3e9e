"""The Streamlit command center: navigation only.

Every page lives in pages/ and opens with `through_app()` (pages/components/routing.py), so a page's URL
opened first on a fresh server still runs through this file.
"""

import streamlit as st

# The browser tab's icon is an emoji (Streamlit draws it as an inline SVG). A `:material/…:` page icon
# would make every page fetch the favicon from a Google fonts host; the menu's `:material/…:` icons
# below are drawn with the Material Symbols font Streamlit serves itself.
st.set_page_config(page_title="Ad Ops Command Center", page_icon="📊", layout="wide")

# One flat list, not sections: Streamlit draws a sectioned menu as a <ul> holding <div> headers, which
# screen readers cannot read as a list (axe: list/listitem, WCAG 1.3.1); a top menu turns back into
# sections at phone widths.
navigation = st.navigation(
    [
        st.Page("pages/overview.py", title="Overview", icon=":material/dashboard:", default=True),
        st.Page("pages/monitor.py", title="Live monitoring", icon=":material/monitor_heart:"),
        st.Page("pages/analysis.py", title="Cross-platform analysis", icon=":material/query_stats:"),
        st.Page("pages/ab_testing.py", title="A/B testing", icon=":material/science:"),
        st.Page("pages/forecast.py", title="Forecast", icon=":material/trending_up:"),
        st.Page("pages/budget.py", title="Budget", icon=":material/savings:"),
        st.Page("pages/templates.py", title="Templates", icon=":material/library_books:"),
        st.Page("pages/recommendations.py", title="Recommendations", icon=":material/lightbulb:"),
        st.Page("pages/workflows.py", title="Workflows", icon=":material/account_tree:"),
        st.Page("pages/jobs.py", title="Jobs", icon=":material/work_history:"),
        st.Page("pages/deliveries.py", title="Deliveries", icon=":material/outbox:"),
        st.Page("pages/prd.py", title="PRD → Asana", icon=":material/checklist:"),
        st.Page("pages/settings.py", title="Settings", icon=":material/settings:"),
    ]
)
navigation.run()
