"""The Microsoft Advertising v13 REST client: headers, hosts, errors, and one method per operation.

Customer Management (`Account/Query`), Campaign Management (`Campaigns/QueryBy...`, `AdGroups`,
`Ads`, `PUT`/`POST` writes) and Reporting (`GenerateReport/Submit`, `GenerateReport/Poll`). Every
call carries `Authorization: Bearer`, `DeveloperToken`, `CustomerId` (the manager customer) and
`CustomerAccountId` (the ad account); the three services live on three hosts, which
`ADOPS_MICROSOFT_BASE_URL` replaces all at once. Errors come as `{"Errors": [{Code, ErrorCode,
Message}]}` or `{"OperationErrors": [...]}`: 105/109 mean bad or expired credentials, 106 no access,
117 the call rate was exceeded.
"""

from __future__ import annotations

import os
from typing import Any, ClassVar

import httpx

from adops.config import AccountConfig
from adops.connectors import versions
from adops.connectors.errors import (
    AuthError,
    BadRequest,
    ConnectorError,
    PermissionDenied,
    RateLimited,
    TransientError,
)
from adops.connectors.http import require, retry_after
from adops.connectors.microsoft_ads.auth import MicrosoftAuth
from adops.connectors.microsoft_ads.reporting import read_report

HOSTS = {
    "production": {
        "customer": "https://clientcenter.api.bingads.microsoft.com",
        "campaign": "https://campaign.api.bingads.microsoft.com",
        "reporting": "https://reporting.api.bingads.microsoft.com",
    },
    "sandbox": {
        "customer": "https://clientcenter.api.sandbox.bingads.microsoft.com",
        "campaign": "https://campaign.api.sandbox.bingads.microsoft.com",
        "reporting": "https://reporting.api.sandbox.bingads.microsoft.com",
    },
}
VERSION = versions.PINS["microsoft_ads"].version  # v13 (adops.connectors.versions)
SERVICE_PATHS = {
    "customer": f"/CustomerManagement/{VERSION}",
    "campaign": f"/CampaignManagement/{VERSION}",
    "reporting": f"/Reporting/{VERSION}",
}
CAMPAIGN_TYPES = "Search Shopping Audience PerformanceMax"
AD_TYPES = [
    "AppInstall", "DynamicSearch", "ExpandedText", "Hotel", "Image", "Product", "ResponsiveAd",
    "ResponsiveSearch", "Text",
]  # fmt: skip
AUTH_CODES = {105, 109}  # InvalidCredentials, AuthenticationTokenExpired
PERMISSION_CODES = {106, 1033}  # UserIsNotAuthorized, ...
RATE_CODES = {117, 207}  # CallRateExceeded, ConcurrentRequestOverLimit
TRANSIENT_CODES = {0, 1, 2}  # InternalError and friends


class MicrosoftAdsClient(MicrosoftAuth):
    """One Microsoft Advertising ad account (with its manager customer id)."""

    platform = "microsoft_ads"
    default_base_url = HOSTS["production"]["campaign"]
    default_token_url: ClassVar[str | None] = "https://login.microsoftonline.com/common/oauth2/v2.0/token"

    def __init__(self, account: AccountConfig, **kwargs: Any) -> None:
        super().__init__(account, **kwargs)
        creds = require(account, "developer_token", "customer_id")
        self.developer_token, self.customer_id = creds["developer_token"], creds["customer_id"]
        self.account_id = account.id
        environment = (account.credential("environment") or "production").lower()
        if environment not in HOSTS:
            raise BadRequest(f"{account.key}: environment must be production or sandbox, not {environment}")
        overridden = bool(os.environ.get("ADOPS_MICROSOFT_BASE_URL"))
        self.hosts = {k: self.base_url if overridden else v for k, v in HOSTS[environment].items()}

    def url(self, service: str, operation: str) -> str:
        return f"{self.hosts[service]}{SERVICE_PATHS[service]}/{operation}"

    def auth_headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.token()}",
            "DeveloperToken": self.developer_token,
            "CustomerId": self.customer_id,
            "CustomerAccountId": self.account_id,
        }

    def error_for(self, response: httpx.Response, body: Any) -> ConnectorError | None:
        status = response.status_code
        errors = _errors(body)
        if status < 400 and not errors:
            return None
        codes = [int(e.get("Code") or 0) for e in errors]
        names = [str(e.get("ErrorCode") or "") for e in errors]
        detail = "; ".join(
            f"{e.get('ErrorCode') or e.get('Code')}: {str(e.get('Message') or '')[:300]}" for e in errors
        )
        if not detail and isinstance(body, dict) and isinstance(body.get("error"), dict):
            detail = f"{body['error'].get('code')}: {body['error'].get('message')}"
        message = f"microsoft_ads {response.request.method} {response.request.url.path}: HTTP {status}"
        message += f": {detail}" if detail else ""
        if status == 401 or AUTH_CODES & set(codes) or "AuthenticationTokenExpired" in names:
            return AuthError(message, status=status)
        if status == 403 or PERMISSION_CODES & set(codes):
            return PermissionDenied(message, status=status)
        if status == 429 or RATE_CODES & set(codes):
            wait = retry_after(response)
            return RateLimited(message, retry_after=60.0 if wait is None else wait, status=status)
        if status >= 500 or (errors and set(codes) <= TRANSIENT_CODES):
            return TransientError(message, retry_after=retry_after(response), status=status)
        return BadRequest(message, status=status)

    # ------------------------------------------------------------------ endpoints

    def get_account(self) -> dict[str, Any]:
        body = self.post(self.url("customer", "Account/Query"), json={"AccountId": int(self.account_id)})
        return dict((body or {}).get("Account") or {})

    def campaigns(self, campaign_ids: list[str] | None = None) -> list[dict[str, Any]]:
        if campaign_ids:
            body = self.post(
                self.url("campaign", "Campaigns/QueryByIds"),
                json={
                    "AccountId": int(self.account_id),
                    "CampaignIds": [int(i) for i in campaign_ids],
                    "CampaignType": CAMPAIGN_TYPES,
                },
            )
        else:
            body = self.post(
                self.url("campaign", "Campaigns/QueryByAccountId"),
                json={"AccountId": int(self.account_id), "CampaignType": CAMPAIGN_TYPES},
            )
        return [c for c in (body or {}).get("Campaigns") or [] if c]

    def ad_groups(self, campaign_id: str) -> list[dict[str, Any]]:
        body = self.post(
            self.url("campaign", "AdGroups/QueryByCampaignId"), json={"CampaignId": int(campaign_id)}
        )
        return [g for g in (body or {}).get("AdGroups") or [] if g]

    def ads_of(self, ad_group_id: str) -> list[dict[str, Any]]:
        body = self.post(
            self.url("campaign", "Ads/QueryByAdGroupId"),
            json={"AdGroupId": int(ad_group_id), "AdTypes": AD_TYPES},
        )
        return [a for a in (body or {}).get("Ads") or [] if a]

    def update(self, entities: str, parent: dict[str, int], items: list[dict[str, Any]]) -> None:
        """PUT /Campaigns, /AdGroups or /Ads; partial errors become BadRequest."""
        body = self.request("PUT", self.url("campaign", entities), json={**parent, entities: items})
        _raise_partial(entities, body)

    def add_campaigns(self, campaigns: list[dict[str, Any]]) -> list[str]:
        body = self.post(
            self.url("campaign", "Campaigns"),
            json={"AccountId": int(self.account_id), "Campaigns": campaigns},
        )
        _raise_partial("Campaigns", body)
        return [str(i) for i in (body or {}).get("CampaignIds") or [] if i is not None]

    def add(self, entities: str, parent: dict[str, int], items: list[dict[str, Any]]) -> list[str]:
        """POST /AdGroups (AddAdGroups) or /Ads (AddAds): the new ids; partial errors become BadRequest."""
        body = self.post(self.url("campaign", entities), json={**parent, entities: items})
        _raise_partial(entities, body)
        key = {"AdGroups": "AdGroupIds", "Ads": "AdIds"}[entities]
        return [str(i) for i in (body or {}).get(key) or [] if i is not None]

    def delete(self, entities: str, parent: dict[str, int], ids: list[str]) -> None:
        """DELETE /Campaigns, /AdGroups or /Ads (DeleteCampaigns, ...): Microsoft deletes for good."""
        key = {"Campaigns": "CampaignIds", "AdGroups": "AdGroupIds", "Ads": "AdIds"}[entities]
        body = self.request(
            "DELETE", self.url("campaign", entities), json={**parent, key: [int(i) for i in ids]}
        )
        _raise_partial(entities, body)

    def submit_report(self, request: dict[str, Any]) -> str:
        body = self.post(self.url("reporting", "GenerateReport/Submit"), json={"ReportRequest": request})
        report_id = (body or {}).get("ReportRequestId")
        if not report_id:
            raise TransientError("microsoft_ads: SubmitGenerateReport returned no ReportRequestId")
        return str(report_id)

    def poll_report(self, report_id: str) -> dict[str, Any]:
        body = self.post(self.url("reporting", "GenerateReport/Poll"), json={"ReportRequestId": report_id})
        return dict((body or {}).get("ReportRequestStatus") or {})

    def run_report(self, request: dict[str, Any]) -> list[dict[str, str]]:
        """Submit, poll until done (within `report_seconds`), download and parse one report."""
        report_id = self.submit_report(request)
        status = self.await_report(
            report_id,
            lambda: self.poll_report(report_id),
            done=lambda s: s.get("Status") == "Success",
            failed=lambda s: "failed on Microsoft's side" if s.get("Status") == "Error" else None,
        )
        url = status.get("ReportDownloadUrl")
        return read_report(self.download(str(url))) if url else []  # no URL: no data in the window


def _errors(body: Any) -> list[dict[str, Any]]:
    if not isinstance(body, dict):
        return []
    found: list[dict[str, Any]] = []
    for key in ("Errors", "OperationErrors", "BatchErrors"):
        found.extend(e for e in body.get(key) or [] if isinstance(e, dict))
    return found


def _raise_partial(what: str, body: Any) -> None:
    partial = [e for e in (body or {}).get("PartialErrors") or [] if e]
    if partial:
        first = partial[0]
        raise BadRequest(
            f"microsoft_ads {what}: {first.get('ErrorCode') or first.get('Code')}: {first.get('Message')}"
        )
