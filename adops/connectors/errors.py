"""Typed connector errors: the sync records the kind per account and retries only transient ones."""

from __future__ import annotations

from adops.errors import ExternalError


class ConnectorError(ExternalError):
    """Base of every connector failure. `kind` is what the sync run records."""

    kind = "error"
    retryable = False

    def __init__(self, message: str, *, retry_after: float | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.status = status
        #: HTTP attempts the call made before it gave up (set by the retry layer; None: not retried)
        self.attempts: int | None = None


class AuthError(ConnectorError):
    """Credentials missing, invalid or expired."""

    kind = "auth"


class PermissionDenied(ConnectorError):
    """Authenticated, but not allowed (missing scope, no access to the account)."""

    kind = "permission"


class RateLimited(ConnectorError):
    """The platform asked us to slow down; `retry_after` seconds when it said so."""

    kind = "rate_limit"
    retryable = True


class BadRequest(ConnectorError):
    """The platform rejected the request as malformed; retrying will not help."""

    kind = "bad_request"


class TransientError(ConnectorError):
    """5xx, timeouts, connection resets, malformed bodies: worth another try."""

    kind = "transient"
    retryable = True


class ReportFailed(ConnectorError):
    """An async report ended in error on the platform, or was not ready within `report_seconds`."""

    kind = "report"


class NotConfigured(ConnectorError):
    """The account cannot be reached as configured (no client for it, a required setting missing)."""

    kind = "config"
