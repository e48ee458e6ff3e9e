"""Who approved (or asked): the one check every approval and workflow run in the house goes through.

An approval names a person (or, for an automatic one, the setting that allowed it): trimmed, inner
whitespace collapsed, non-blank, at most 100 characters, no control characters. Where the app has
authentication, the caller passes the signed-in user's name here instead of a typed one.
"""

from __future__ import annotations

import unicodedata

from adops.errors import InputError

MAX_CHARS = 100


def approver(name: object) -> str:
    """The approver's name, cleaned; InputError when it is blank, too long or not plain text."""
    return _person(name, "say who approves", "the approver's name")


def requester(name: object) -> str:
    """Who asks for a workflow run, checked like an approver (the run's audit trail names both)."""
    return _person(name, "say who asks for the run", "the requester's name")


def _person(name: object, ask: str, what: str) -> str:
    if not isinstance(name, str):
        raise InputError(f"{ask}: a name is required (it goes into the audit trail)")
    text = " ".join(name.split())
    if not text:
        raise InputError(f"{ask}: a name is required (it goes into the audit trail)")
    if len(text) > MAX_CHARS:
        raise InputError(f"{what} is {len(text)} characters; at most {MAX_CHARS}")
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") for ch in text):
        raise InputError(f"{what} has control or invisible characters; type it as plain text")
    return text
