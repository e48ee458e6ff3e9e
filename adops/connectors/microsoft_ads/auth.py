"""Microsoft Advertising sign-in: OAuth2 against the Microsoft identity platform, and refresh-token age.

Scope `msads.manage offline_access`; `credentials.tenant` picks the tenant (default `common`), and
public (native) clients have no secret. Refresh tokens rotate on every refresh and stop working after
90 days unused, so the issue date of the current one is kept (tokens.json) and a warning is raised
when it nears that age.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any

from adops.config import AccountConfig
from adops.connectors import tokens
from adops.connectors.errors import AuthError
from adops.connectors.http import ApiClient

SCOPE = "https://ads.microsoft.com/msads.manage offline_access"
#: Microsoft identity platform refresh tokens stop working after 90 days without use.
REFRESH_TOKEN_DAYS = 90
REFRESH_WARNING_DAYS = 14


class MicrosoftAuth(ApiClient):
    """The OAuth2 part of the Microsoft Advertising client: token endpoint, refresh, token age."""

    def __init__(self, account: AccountConfig, **kwargs: Any) -> None:
        super().__init__(account, **kwargs)
        saved = tokens.load(account.key).get("refresh_token_issued_at")
        configured = account.credential("refresh_token_issued_at")
        self.refresh_issued_at: datetime | None = _parse_time(saved or configured)

    def token_url(self) -> str | None:
        env = os.environ.get("ADOPS_MICROSOFT_TOKEN_URL")
        if env:
            return env
        tenant = self.account.credential("tenant") or "common"
        return f"https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token"

    def refresh_form(self) -> dict[str, str]:
        form = {**super().refresh_form(), "scope": SCOPE}
        if not form["client_secret"]:
            del form["client_secret"]  # public (native) clients have none
        return form

    def refresh(self) -> None:
        """The refresh grant; a rotated refresh token restarts the 90-day clock."""
        before = self.refresh_token
        try:
            super().refresh()
        except AuthError as exc:
            text = str(exc)
            if "AADSTS700082" in text or "expired" in text.lower():
                text += (
                    "; Microsoft refresh tokens expire after 90 days without use: sign in again to get a new "
                    "one and update credentials.refresh_token"
                )
            raise AuthError(self.redact(text), status=exc.status) from None
        if self.refresh_token != before or self.refresh_issued_at is None:
            self.refresh_issued_at = datetime.now(UTC)
        self._save_rotated_tokens()

    def _save_rotated_tokens(self) -> None:
        tokens.save(
            self.account.key,
            {
                "access_token": self.access_token,
                "refresh_token": self.refresh_token,
                "expires_at": self.expires_at.isoformat() if self.expires_at else None,
                "refresh_token_issued_at": self.refresh_issued_at.isoformat()
                if self.refresh_issued_at
                else None,
            },
        )

    def refresh_token_days_left(self) -> float | None:
        """Days until the current refresh token reaches 90 days (None: no refresh flow, or unknown age)."""
        if not self.refresh_token or self.refresh_issued_at is None:
            return None
        age = datetime.now(UTC) - self.refresh_issued_at
        return REFRESH_TOKEN_DAYS - age.total_seconds() / 86400

    def refresh_token_warning(self) -> str | None:
        """A clear sentence when the refresh token is within REFRESH_WARNING_DAYS of its 90 days."""
        left = self.refresh_token_days_left()
        if left is None or left > REFRESH_WARNING_DAYS:
            return None
        issued = self.refresh_issued_at.date().isoformat() if self.refresh_issued_at else "?"
        if left <= 0:
            return (
                f"{self.account.key}: the Microsoft Advertising refresh token issued on {issued} is more than "
                f"{REFRESH_TOKEN_DAYS} days old and has likely expired: sign in again and update "
                "credentials.refresh_token"
            )
        return (
            f"{self.account.key}: the Microsoft Advertising refresh token issued on {issued} expires in "
            f"{left:.0f} days ({REFRESH_TOKEN_DAYS} days after issue). Every sync renews it: run one before then, "
            "or sign in again and update credentials.refresh_token"
        )


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def refresh_token_status(account: AccountConfig) -> dict[str, Any]:
    """What the workspace knows of an account's refresh token, without calling Microsoft."""
    saved = tokens.load(account.key)
    issued = _parse_time(
        saved.get("refresh_token_issued_at") or account.credential("refresh_token_issued_at")
    )
    if issued is None:
        return {"issued_at": None, "days_left": None}
    left = REFRESH_TOKEN_DAYS - (datetime.now(UTC) - issued).total_seconds() / 86400
    return {
        "issued_at": issued.isoformat(),
        "days_left": round(left, 1),
        "expiring": left <= REFRESH_WARNING_DAYS,
    }
