"""`adops connectors check`: can we read each account, and if not, exactly what is missing.

It also judges the API version each real client speaks (`adops.connectors.versions`): a version
that ends within 60 days is a warning, one that has ended fails the account before any request.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Any

from adops import clock
from adops.config import AccountConfig
from adops.connectors import versions
from adops.connectors.errors import ConnectorError

HINTS = {
    "config": "add the missing setting to adops.toml (credentials may be env: references)",
    "auth": "the credentials were refused: renew the access token, or set refresh_token, client_id and "
    "client_secret so it refreshes itself",
    "permission": "the credentials work but lack access: grant the scope named above, or give the user "
    "access to this ad account",
    "rate_limit": "the platform is rate limiting this app: try again later",
    "transient": "the platform did not answer properly: try again later",
    "bad_request": "the platform rejected the request: check the account id",
    "version": "this build's API version for the platform has ended: upgrade adops, or set the "
    "ADOPS_<PLATFORM>_VERSION override named above (docs/connectors.md, API versions)",
}


@dataclass
class CheckResult:
    platform: str
    account_id: str
    connector: str
    ok: bool = True
    steps: list[dict[str, str]] = field(default_factory=list)
    error_kind: str | None = None
    error: str | None = None
    hint: str | None = None
    #: things that work today but will not for long (e.g. a refresh token near its expiry)
    warnings: list[str] = field(default_factory=list)
    #: the API version the client speaks and its end of life (None: sandbox, or none negotiated)
    api_version: dict[str, Any] | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def check_account(account: AccountConfig, today: date | None = None) -> CheckResult:
    """Read the account, its campaigns and yesterday's performance; stop at the first failure.

    `today` (default: adops.clock) is the day the API version is judged on."""
    from adops.connectors import connector_for

    result = CheckResult(account.platform, account.id, account.connector)
    real = account.connector != "sandbox"
    try:
        if real and _version_ended(result, today):
            return result
        client = connector_for(account)
        info = client.account(account.id)
        result.steps.append({"step": "account", "detail": f"{info.name} ({info.currency}, {info.timezone})"})
        campaigns = client.campaigns(account.id)
        result.steps.append({"step": "campaigns", "detail": f"{len(campaigns)} campaigns"})
        yesterday = clock.today(info.timezone) - timedelta(days=1)
        rows = client.campaign_daily(account.id, yesterday, yesterday)
        result.steps.append({"step": "performance", "detail": f"{len(rows)} campaign rows for {yesterday}"})
    except ConnectorError as exc:
        result.ok, result.error_kind, result.error = False, exc.kind, str(exc)
        result.hint = HINTS.get(exc.kind)
    else:
        result.warnings = list(getattr(client, "warnings", []))
        if real:
            _version_ended(result, today)  # LinkedIn's negotiated version is known only now
    return result


def _version_ended(result: CheckResult, today: date | None) -> bool:
    """Record the version's status on the result: a warning when it ends soon, a failure when it has."""
    status = versions.status(result.platform, today)
    if status is None:
        return False
    result.api_version = status.to_dict()
    if status.state == "expired":
        result.ok, result.error_kind, result.error = False, "version", status.message
        result.hint = HINTS["version"]
        return True
    if status.message and status.message not in result.warnings:
        result.warnings.append(status.message)
    return False


def check(accounts: list[AccountConfig]) -> list[CheckResult]:
    return [check_account(a) for a in accounts]
