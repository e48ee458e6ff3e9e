"""The Streamlit command center: navigation only.

Every page lives in views/ (a folder named pages/ would make Streamlit add a page menu of its own).
"""

import streamlit as st

st.set_page_config(page_title="Ad Ops Command Center", page_icon=":material/monitoring:", layout="wide")

navigation = st.navigation(
    {
        "Command center": [
            st.Page("views/overview.py", title="Overview", icon=":material/dashboard:", default=True),
            st.Page("views/ab_testing.py", title="A/B testing", icon=":material/science:"),
            st.Page("views/forecast.py", title="Forecast", icon=":material/trending_up:"),
            st.Page("views/budget.py", title="Budget", icon=":material/savings:"),
        ],
        "Workspace": [
            st.Page("views/settings.py", title="Settings", icon=":material/settings:"),
        ],
    }
)
navigation.run()
