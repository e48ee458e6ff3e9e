"""Destructive actions ask first: the button opens a question with "Yes" and "Cancel", and only the
"Yes" click does the action (stop an experiment, apply a budget step, roll a plan back)."""

from __future__ import annotations

from typing import Any

import streamlit as st


def confirmed(label: str, key: str, question: str, *, yes: str | None = None, **button: Any) -> bool:
    """True on the run where the person confirmed; draws the button, or the question once clicked."""
    pending = f"{key}-asking"
    if st.session_state.get(pending):
        st.warning(question, icon=":material/warning:")
        left, right = st.columns(2)
        if left.button(yes or f"Yes, {label[:1].lower()}{label[1:]}", type="primary", key=f"{key}-yes"):
            st.session_state[pending] = False
            return True
        if right.button("Cancel", key=f"{key}-cancel"):
            st.session_state[pending] = False
            st.rerun()
        return False
    if st.button(label, key=key, **button):
        st.session_state[pending] = True
        st.rerun()
    return False
