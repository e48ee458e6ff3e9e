"""Destructive actions ask first: nothing happens on the first click, only on "Yes"; Cancel forgets."""

from streamlit.testing.v1 import AppTest


def script() -> None:
    import streamlit as st

    from pages.components.confirm import confirmed

    st.session_state.setdefault("done", 0)
    if confirmed("Roll back", "rb", "Roll plan #1 back?"):
        st.session_state["done"] += 1
    st.write(f"done {st.session_state['done']}")


def test_the_action_runs_only_after_yes_and_cancel_asks_again() -> None:
    at = AppTest.from_function(script).run()
    at.button(key="rb").click().run()
    assert at.session_state["done"] == 0 and at.warning[0].value == "Roll plan #1 back?"
    at.button(key="rb-cancel").click().run()
    assert at.session_state["done"] == 0 and not at.warning and at.button(key="rb")
    at.button(key="rb").click().run()
    assert at.button(key="rb-yes").label == "Yes, roll back"
    at.button(key="rb-yes").click().run()
    assert at.session_state["done"] == 1
    at.run()  # a replayed rerun does not repeat the action, and the question is gone
    assert at.session_state["done"] == 1 and not at.warning
