"""pages/components/errors.py: a domain error shown as one st.error, markup in it not rendered."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from adops import errors
from pages.components.errors import error_text


def _page(kind: str, message: str) -> None:
    from adops import errors
    from pages.components.errors import show_error

    show_error(getattr(errors, kind)(message))


@pytest.mark.parametrize(
    ("kind", "lead"),
    [
        ("InputError", "Please check the input"),
        ("ConfigError", "A setting needs fixing"),
        ("NotFound", "Not found"),
        ("Conflict", "Not now"),
        ("ExternalError", "The platform or service"),
    ],
)
def test_each_kind_gets_its_lead_in(kind: str, lead: str) -> None:
    at = AppTest.from_function(_page, args=(kind, "a sync is already running")).run()
    assert not at.exception and len(at.error) == 1
    assert at.error[0].value.startswith(lead) and "a sync is already running" in at.error[0].value


def test_markup_in_a_message_is_shown_as_text() -> None:
    text = error_text(
        errors.InputError("accounts[0].id: '; DROP TABLE accounts; -- <b>x</b> **bold** [a](http://x)")
    )
    for raw in ("<b>", "**bold**", "[a](", "[0]"):
        assert raw not in text
    assert "\\<b\\>" in text and "\\*\\*bold\\*\\*" in text


def test_a_multi_line_message_is_one_line() -> None:
    assert "\n" not in error_text(errors.ConfigError("first\nsecond"))
