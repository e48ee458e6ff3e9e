"""Every page runs through app.py, even when its URL is the first thing a fresh server is asked for.

Streamlit (1.67) still treats a folder named `pages/` next to the main script as a v1 multipage
app until some session has called `st.navigation`: on a fresh server, opening `/settings` runs
pages/settings.py alone, with Streamlit's own menu and without app.py's page config. The first
`st.navigation` call switches that mode off for the whole server. `through_app()` is each page's
first statement: in that mode it switches the mode off and reruns, so the same URL is served
through app.py (its menu, its page config) and lands on the same page. Measured in
tests/test_browser.py (a page's URL opened first on a fresh server).
"""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager


def through_app() -> None:
    """Rerun through app.py when Streamlit is still in its pages-folder mode; otherwise do nothing."""
    if getattr(PagesManager, "uses_pages_directory", False):
        PagesManager.uses_pages_directory = False  # what st.navigation itself sets, once for all sessions
        st.rerun()
