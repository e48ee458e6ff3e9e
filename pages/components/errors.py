"""How a page shows a domain error: one `st.error` saying what is wrong and where to fix it.

Pages catch `adops.errors.AdopsError` around the call that can fail and hand it here; the kind
decides the lead-in (bad input, a setting, not found, busy, a platform). Anything else is a bug
and is left to Streamlit's own exception display. The message is shown as plain text: markup
someone typed into a form or a file (`<b>`, `**`, `[link](...)`) is not rendered.
"""

from __future__ import annotations

import re

import streamlit as st

from adops.errors import AdopsError, ConfigError, Conflict, ExternalError, InputError, NotFound

__all__ = ["error_text", "show_error"]

_LEAD = (
    (NotFound, "Not found"),
    (InputError, "Please check the input"),
    (ConfigError, "A setting needs fixing (adops.toml or the environment)"),
    (Conflict, "Not now"),
    (ExternalError, "The platform or service refused or failed"),
)
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def error_text(exc: AdopsError) -> str:
    """The line a page shows for `exc`: its kind's lead-in and its message, Markdown escaped."""
    lead = next((text for kind, text in _LEAD if isinstance(exc, kind)), "Something went wrong")
    message = " ".join(str(exc).split()) or type(exc).__name__
    escaped = _MARKDOWN.sub(r"\\\1", message)
    return f"{lead}: {escaped}"


def show_error(exc: AdopsError) -> None:
    """`st.error` for a domain error (see `error_text`)."""
    st.error(error_text(exc), icon=None)
