"""The domain's one error vocabulary.

Every failure a person should read is one of these five kinds. Each shell maps the kind, never the
concrete class: the CLI to an exit code (2 for what the user can fix in their input or settings,
1 for the rest), the sidecar to an HTTP status with a JSON error, pages to `st.error`. Modules
subclass the kind that fits (`SchemaError(InputError)`, `RateLimited(ExternalError)`...) so callers
catch by meaning; nothing signals with a bare `ValueError`.
"""

from __future__ import annotations


class AdopsError(Exception):
    """Base of every error meant for a person; the message says what is wrong and what to do."""

    exit_code = 1
    http_status = 500


class InputError(AdopsError):
    """Bad input from a person, a file or a request: wrong value, format, range or size."""

    exit_code = 2
    http_status = 400


class ConfigError(AdopsError):
    """A setting (adops.toml or the environment) is missing or wrong; the message names the key."""

    exit_code = 2
    http_status = 500


class NotFound(AdopsError):
    """What was named (a run, a plan, an account, a file) does not exist."""

    exit_code = 2
    http_status = 404


class Conflict(AdopsError):
    """The request clashes with the current state: busy, already done, not in the right step."""

    exit_code = 1
    http_status = 409


class ExternalError(AdopsError):
    """A platform or another outside service failed or refused (connector failures subclass it)."""

    exit_code = 1
    http_status = 502
