"""The Streamlit command center: navigation only; every page lives in pages/."""

import streamlit as st

st.set_page_config(page_title="Ad Ops Command Center", page_icon=":material/monitoring:", layout="wide")

navigation = st.navigation(
    {
        "Command center": [
            st.Page("pages/overview.py", title="Overview", icon=":material/dashboard:", default=True),
            st.Page("pages/ab_testing.py", title="A/B testing", icon=":material/science:"),
            st.Page("pages/budget.py", title="Budget", icon=":material/savings:"),
        ],
        "Workspace": [
            st.Page("pages/settings.py", title="Settings", icon=":material/settings:"),
        ],
    }
)
navigation.run()
