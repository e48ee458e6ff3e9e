"""Microsoft Advertising (Bing Ads) client and connector: the v13 REST services.

Reads the account (Customer Management `Account/Query`: currency, time zone), campaigns, ad groups
and ads (Campaign Management `.../QueryBy...`), and daily performance through the Reporting
service: `GenerateReport/Submit` -> `GenerateReport/Poll` until `Success` -> download the ZIP of CSV
from `ReportDownloadUrl` (a pre-signed URL: fetched without our credentials). Writes go through
Campaign Management `PUT /Campaigns`, `/AdGroups`, `/Ads` and `POST /Campaigns`.

Microsoft specifics handled here:
- every call carries `Authorization: Bearer`, `DeveloperToken`, `CustomerId` (the manager customer)
  and `CustomerAccountId` (the ad account) headers;
- three hosts (clientcenter, campaign, reporting); `ADOPS_MICROSOFT_BASE_URL` replaces all three;
- reports run in the account's own time zone (`ReportTimeZone`), so dates are local dates; CSV cells
  hold `--` for "not applicable" and percentages such as `5.26%`;
- errors come as `{"Errors": [{Code, ErrorCode, Message}]}` or `{"OperationErrors": [...]}`:
  105/109 mean bad or expired credentials, 106 no access, 117 the call rate was exceeded;
- OAuth2 against the Microsoft identity platform, scope `msads.manage offline_access`; refresh tokens
  rotate on every refresh and die after 90 days unused, so the issue date of the current one is
  kept and a warning is logged and published as an event when it nears that age.
"""

from __future__ import annotations

import csv
import io
import logging
import os
import time
import zipfile
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any, ClassVar

import httpx
import pandas as pd

from adops.config import AccountConfig
from adops.connectors import retry, tokens
from adops.connectors.base import (
    AD_COLUMNS,
    AD_DAILY_COLUMNS,
    CAMPAIGN_COLUMNS,
    CAMPAIGN_DAILY_COLUMNS,
    METRICS,
    AccountInfo,
    CampaignTemplate,
    Entity,
    Status,
)
from adops.connectors.errors import (
    AuthError,
    BadRequest,
    ConnectorError,
    PermissionDenied,
    RateLimited,
    TransientError,
)
from adops.connectors.http import ApiClient, require, retry_after

log = logging.getLogger(__name__)

SCOPE = "https://ads.microsoft.com/msads.manage offline_access"
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
SERVICE_PATHS = {
    "customer": "/CustomerManagement/v13",
    "campaign": "/CampaignManagement/v13",
    "reporting": "/Reporting/v13",
}
#: Microsoft identity platform refresh tokens stop working after 90 days without use.
REFRESH_TOKEN_DAYS = 90
REFRESH_WARNING_DAYS = 14
#: Days per report: no hard limit, but smaller reports finish sooner and repeat less on failure.
REPORT_DAYS = 90
POLL_INTERVALS = (1.0, 2.0, 5.0, 10.0, 15.0)
POLL_TIMEOUT = 900.0
CAMPAIGN_TYPES = "Search Shopping Audience PerformanceMax"
AD_TYPES = [
    "AppInstall", "DynamicSearch", "ExpandedText", "Hotel", "Image", "Product", "ResponsiveAd",
    "ResponsiveSearch", "Text",
]  # fmt: skip
AUTH_CODES = {105, 109}  # InvalidCredentials, AuthenticationTokenExpired
PERMISSION_CODES = {106, 1033}  # UserIsNotAuthorized, ...
RATE_CODES = {117, 207}  # CallRateExceeded, ConcurrentRequestOverLimit
TRANSIENT_CODES = {0, 1, 2}  # InternalError and friends
STATUS = {
    "Active": "ENABLED",
    "Paused": "PAUSED",
    "BudgetAndManualPaused": "PAUSED",
    "BudgetPaused": "BUDGET_PAUSED",
    "Deleted": "REMOVED",
    "Suspended": "SUSPENDED",
    "Expired": "EXPIRED",
    "Inactive": "INACTIVE",
}
WRITE_STATUS = {"ENABLED": "Active", "PAUSED": "Paused"}
CAMPAIGN_REPORT_COLUMNS = [
    "TimePeriod", "AccountId", "CampaignId", "CampaignName", "CampaignStatus", "CurrencyCode",
    "Impressions", "Clicks", "Ctr", "Spend", "Conversions", "Revenue",
]  # fmt: skip
AD_REPORT_COLUMNS = [
    "TimePeriod", "AccountId", "CampaignId", "AdGroupId", "AdId", "AdTitle", "AdType", "CurrencyCode",
    "Impressions", "Clicks", "Ctr", "Spend", "Conversions", "Revenue",
]  # fmt: skip
#: Microsoft's TimeZone / ReportTimeZone values and the IANA zone each stands for.
TIME_ZONES = {
    "AbuDhabiMuscat": "Asia/Dubai",
    "Adelaide": "Australia/Adelaide",
    "Alaska": "America/Anchorage",
    "AlmatyNovosibirsk": "Asia/Almaty",
    "AmsterdamBerlinBernRomeStockholmVienna": "Europe/Berlin",
    "Arizona": "America/Phoenix",
    "AstanaDhaka": "Asia/Dhaka",
    "AthensBuckarestIstanbul": "Europe/Athens",
    "AtlanticTimeCanada": "America/Halifax",
    "AucklandWellington": "Pacific/Auckland",
    "Azores": "Atlantic/Azores",
    "Baghdad": "Asia/Baghdad",
    "BakuTbilisiYerevan": "Asia/Baku",
    "BangkokHanoiJakarta": "Asia/Bangkok",
    "BeijingChongqingHongKongUrumqi": "Asia/Shanghai",
    "BelgradeBratislavaBudapestLjubljanaPrague": "Europe/Budapest",
    "BogotaLimaQuito": "America/Bogota",
    "Brasilia": "America/Sao_Paulo",
    "Brisbane": "Australia/Brisbane",
    "BrusselsCopenhagenMadridParis": "Europe/Paris",
    "Bucharest": "Europe/Bucharest",
    "BuenosAiresGeorgetown": "America/Argentina/Buenos_Aires",
    "Cairo": "Africa/Cairo",
    "CanberraMelbourneSydney": "Australia/Sydney",
    "CapeVerdeIsland": "Atlantic/Cape_Verde",
    "CaracasLaPaz": "America/Caracas",
    "CasablancaMonrovia": "Africa/Casablanca",
    "CentralAmerica": "America/Guatemala",
    "CentralTimeUSCanada": "America/Chicago",
    "ChennaiKolkataMumbaiNewDelhi": "Asia/Kolkata",
    "ChihuahuaLaPazMazatlan": "America/Chihuahua",
    "Darwin": "Australia/Darwin",
    "EasternTimeUSCanada": "America/New_York",
    "Ekaterinburg": "Asia/Yekaterinburg",
    "FijiKamchatkaMarshallIsland": "Pacific/Fiji",
    "Greenland": "America/Nuuk",
    "GreenwichMeanTimeDublinEdinburghLisbonLondon": "Europe/London",
    "GuadalajaraMexicoCityMonterrey": "America/Mexico_City",
    "GuamPortMoresby": "Pacific/Guam",
    "HararePretoria": "Africa/Johannesburg",
    "Hawaii": "Pacific/Honolulu",
    "HelsinkiKyivRigaSofiaTallinnVilnius": "Europe/Helsinki",
    "Hobart": "Australia/Hobart",
    "IndianaEast": "America/Indiana/Indianapolis",
    "InternationalDateLineWest": "Etc/GMT+12",
    "IrkutskUlaanBataar": "Asia/Irkutsk",
    "IslandamabadKarachiTashkent": "Asia/Karachi",
    "Jerusalem": "Asia/Jerusalem",
    "Kabul": "Asia/Kabul",
    "Kathmandu": "Asia/Kathmandu",
    "Krasnoyarsk": "Asia/Krasnoyarsk",
    "KualaLumpurSingapore": "Asia/Singapore",
    "KuwaitRiyadh": "Asia/Riyadh",
    "MagadanSolomonIsland": "Asia/Magadan",
    "MidAtlantic": "Atlantic/South_Georgia",
    "MidwayIslandAndSamoa": "Pacific/Pago_Pago",
    "MoscowStPetersburgVolgograd": "Europe/Moscow",
    "MountainTimeUSCanada": "America/Denver",
    "Nairobi": "Africa/Nairobi",
    "Newfoundland": "America/St_Johns",
    "Nukualofa": "Pacific/Tongatapu",
    "OsakaSapporoTokyo": "Asia/Tokyo",
    "PacificTimeUSCanadaTijuana": "America/Los_Angeles",
    "Perth": "Australia/Perth",
    "Rangoon": "Asia/Yangon",
    "Santiago": "America/Santiago",
    "SarajevoSkopjeWarsawZagreb": "Europe/Warsaw",
    "Saskatchewan": "America/Regina",
    "Seoul": "Asia/Seoul",
    "SriJayawardenepura": "Asia/Colombo",
    "Taipei": "Asia/Taipei",
    "Tehran": "Asia/Tehran",
    "Vladivostok": "Asia/Vladivostok",
    "WestCentralAfrica": "Africa/Lagos",
    "Yakutsk": "Asia/Yakutsk",
}


def iana_time_zone(value: str | None) -> str:
    """The IANA zone for a Microsoft TimeZone value (IANA names pass through; unknown: UTC)."""
    if not value:
        return "UTC"
    if value in TIME_ZONES:
        return TIME_ZONES[value]
    if "/" in value:
        return value
    log.warning("microsoft_ads: unknown time zone %s, using UTC", value)
    return "UTC"


def cell(value: str | None) -> str | None:
    """A CSV cell with Microsoft's "not applicable" markers (`--`, empty) as None."""
    text = (value or "").strip()
    return None if text in ("", "--", "N/A") else text


def number(value: str | None) -> float:
    """A numeric CSV cell: `1,234.5` -> 1234.5, `5.26%` -> 0.0526, `--` -> 0."""
    text = cell(value)
    if text is None:
        return 0.0
    text = text.replace(",", "")
    if text.endswith("%"):
        return float(text[:-1]) / 100
    return float(text)


def report_date(value: str) -> date:
    for fmt in ("%Y-%m-%d", "%m/%d/%Y", "%Y/%m/%d"):
        try:
            return datetime.strptime(value.strip(), fmt).date()
        except ValueError:
            continue
    raise TransientError(f"microsoft_ads: unreadable report date '{value}'")


def read_report(content: bytes) -> list[dict[str, str]]:
    """Rows of the CSV inside a report ZIP, skipping any report header and copyright footer."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = [n for n in archive.namelist() if n.lower().endswith(".csv")]
            if not names:
                raise TransientError("microsoft_ads: the report ZIP holds no CSV file")
            text = archive.read(names[0]).decode("utf-8-sig")
    except zipfile.BadZipFile:
        raise TransientError("microsoft_ads: the report download is not a ZIP file") from None
    header: list[str] | None = None
    rows: list[dict[str, str]] = []
    for record in csv.reader(io.StringIO(text)):
        if header is None:
            if "TimePeriod" in record:
                header = record
            continue
        if not record or not any(record) or record[0].startswith("\u00a9"):
            break  # a blank line or "©2026 Microsoft Corporation" ends the data
        rows.append(dict(zip(header, record, strict=False)))
    return rows


def date_chunks(since: date, until: date, days: int = REPORT_DAYS) -> Iterator[tuple[date, date]]:
    start = since
    while start <= until:
        end = min(start + timedelta(days=days - 1), until)
        yield start, end
        start = end + timedelta(days=1)


def _day(d: date) -> dict[str, int]:
    return {"Day": d.day, "Month": d.month, "Year": d.year}


class MicrosoftAdsClient(ApiClient):
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
        saved = tokens.load(account.key).get("refresh_token_issued_at")
        configured = account.credential("refresh_token_issued_at")
        self.refresh_issued_at: datetime | None = _parse_time(saved or configured)

    def url(self, service: str, operation: str) -> str:
        return f"{self.hosts[service]}{SERVICE_PATHS[service]}/{operation}"

    def auth_headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.token()}",
            "DeveloperToken": self.developer_token,
            "CustomerId": self.customer_id,
            "CustomerAccountId": self.account_id,
        }

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

    def submit_report(self, request: dict[str, Any]) -> str:
        body = self.post(self.url("reporting", "GenerateReport/Submit"), json={"ReportRequest": request})
        report_id = (body or {}).get("ReportRequestId")
        if not report_id:
            raise TransientError("microsoft_ads: SubmitGenerateReport returned no ReportRequestId")
        return str(report_id)

    def poll_report(self, report_id: str) -> dict[str, Any]:
        body = self.post(self.url("reporting", "GenerateReport/Poll"), json={"ReportRequestId": report_id})
        return dict((body or {}).get("ReportRequestStatus") or {})

    def download(self, url: str) -> bytes:
        """GET a pre-signed report URL, without our headers (they must not leave for the storage host)."""

        def attempt() -> bytes:
            try:
                response = self.http.get(url)
            except httpx.HTTPError as exc:
                raise TransientError(
                    f"microsoft_ads: report download failed ({type(exc).__name__})"
                ) from None
            if response.status_code >= 400:
                kind = (
                    TransientError
                    if response.status_code >= 500 or response.status_code == 429
                    else BadRequest
                )
                raise kind(f"microsoft_ads: report download answered HTTP {response.status_code}")
            return response.content

        content, _ = retry.call(attempt, self.policy, self.sleep)
        return content

    def run_report(self, request: dict[str, Any]) -> list[dict[str, str]]:
        """Submit, poll until done, download and parse one report."""
        report_id = self.submit_report(request)
        waited, polls = 0.0, 0
        while True:
            status = self.poll_report(report_id)
            state = status.get("Status")
            if state == "Success":
                url = status.get("ReportDownloadUrl")
                return read_report(self.download(url)) if url else []  # no URL: no data in the window
            if state == "Error":
                raise TransientError(f"microsoft_ads: report {report_id} failed on Microsoft's side")
            if waited >= POLL_TIMEOUT:
                raise TransientError(
                    f"microsoft_ads: report {report_id} not ready after {POLL_TIMEOUT:.0f} s"
                )
            wait = POLL_INTERVALS[min(polls, len(POLL_INTERVALS) - 1)]
            self.sleep(wait)
            waited, polls = waited + wait, polls + 1


class MicrosoftAdsConnector:
    """The connector protocol over `MicrosoftAdsClient`."""

    platform = "microsoft_ads"

    def __init__(self, client: MicrosoftAdsClient) -> None:
        self.client = client
        self.warnings: list[str] = []
        self._account: dict[str, Any] | None = None
        self._tree: dict[str, dict[str, Any]] | None = None

    # ------------------------------------------------------------------ reads

    def account(self, account_id: str) -> AccountInfo:
        self._warn_refresh_token()
        a = self._account = self.client.get_account()
        if not a:
            raise PermissionDenied(f"microsoft_ads: account {account_id} was not returned")
        return AccountInfo(
            platform=self.platform,
            account_id=account_id,
            name=a.get("Name") or account_id,
            currency=a.get("CurrencyCode") or "USD",
            timezone=iana_time_zone(a.get("TimeZone")),
            status=str(a.get("AccountLifeCycleStatus") or "Active").upper(),
        )

    def campaigns(self, account_id: str) -> pd.DataFrame:
        currency = self._meta()["CurrencyCode"]
        rows = []
        for c in self.client.campaigns():
            scheme = c.get("BiddingScheme") or {}
            daily = (c.get("BudgetType") or "").startswith("Daily")
            rows.append(
                {
                    "platform": self.platform,
                    "account_id": account_id,
                    "campaign_id": str(c["Id"]),
                    "campaign_name": c.get("Name", ""),
                    "status": _status(c.get("Status")),
                    "objective": c.get("CampaignType"),
                    "daily_budget": float(c["DailyBudget"])
                    if daily and c.get("DailyBudget") is not None
                    else None,
                    "lifetime_budget": None,
                    "bidding_strategy": scheme.get("Type"),
                    "bid_amount": float(scheme["TargetCpa"]) if scheme.get("TargetCpa") else None,
                    "currency": currency,
                    "start_date": None,
                }
            )
        return pd.DataFrame(rows, columns=CAMPAIGN_COLUMNS)

    def ads(self, account_id: str) -> pd.DataFrame:
        tree = self._walk()
        rows = [
            {
                "platform": self.platform,
                "account_id": account_id,
                "ad_id": ad_id,
                "ad_group_id": ad["ad_group_id"],
                "ad_group_name": tree["groups"][ad["ad_group_id"]]["name"],
                "campaign_id": ad["campaign_id"],
                "ad_name": ad["name"],
                "status": ad["status"],
                "creative_type": ad["type"],
                "headline": ad["headline"],
                "landing_url": ad["url"],
            }
            for ad_id, ad in tree["ads"].items()
        ]
        return pd.DataFrame(rows, columns=AD_COLUMNS)

    def campaign_daily(self, account_id: str, since: date, until: date) -> pd.DataFrame:
        currency = self._meta()["CurrencyCode"]
        rows = []
        for r in self._report("CampaignPerformanceReportRequest", CAMPAIGN_REPORT_COLUMNS, since, until):
            rows.append(
                {
                    "date": report_date(r["TimePeriod"]),
                    "platform": self.platform,
                    "account_id": account_id,
                    "campaign_id": str(r["CampaignId"]),
                    "campaign_name": cell(r.get("CampaignName")) or "",
                    "currency": cell(r.get("CurrencyCode")) or currency,
                    **_metrics(r),
                }
            )
        frame = pd.DataFrame(rows, columns=CAMPAIGN_DAILY_COLUMNS)
        return _collapse(frame, ["date", "campaign_id"])

    def ad_daily(self, account_id: str, since: date, until: date) -> pd.DataFrame:
        currency = self._meta()["CurrencyCode"]
        rows = []
        for r in self._report("AdPerformanceReportRequest", AD_REPORT_COLUMNS, since, until):
            rows.append(
                {
                    "date": report_date(r["TimePeriod"]),
                    "platform": self.platform,
                    "account_id": account_id,
                    "campaign_id": str(r["CampaignId"]),
                    "ad_group_id": str(r["AdGroupId"]),
                    "ad_id": str(r["AdId"]),
                    "ad_name": cell(r.get("AdTitle")) or f"{cell(r.get('AdType')) or 'Ad'} {r['AdId']}",
                    "currency": cell(r.get("CurrencyCode")) or currency,
                    **_metrics(r),
                }
            )
        frame = pd.DataFrame(rows, columns=AD_DAILY_COLUMNS)
        return _collapse(frame, ["date", "ad_id"])

    # ------------------------------------------------------------------ writes

    def set_daily_budget(self, account_id: str, campaign_id: str, amount: float) -> float | None:
        if amount <= 0:
            raise BadRequest(f"daily budget must be positive, got {amount}")
        campaign = self._campaign(campaign_id)
        if campaign.get("BudgetId"):
            raise BadRequest(
                f"microsoft_ads: campaign {campaign_id} uses a shared budget; change it in Shared library > Budgets"
            )
        self.client.update(
            "Campaigns",
            {"AccountId": int(account_id)},
            [
                {
                    "Id": int(campaign_id),
                    "DailyBudget": round(amount, 2),
                    "BudgetType": campaign.get("BudgetType"),
                }
            ],
        )
        before = campaign.get("DailyBudget")
        return float(before) if before is not None else None

    def set_status(self, account_id: str, entity: Entity, entity_id: str, status: Status) -> str | None:
        if status not in WRITE_STATUS:
            raise BadRequest(f"status must be ENABLED or PAUSED, got {status}")
        value = WRITE_STATUS[status]
        if entity == "campaign":
            before = self._campaign(entity_id).get("Status")
            self.client.update(
                "Campaigns", {"AccountId": int(account_id)}, [{"Id": int(entity_id), "Status": value}]
            )
            return _status(before)
        tree = self._walk()
        if entity == "ad_group":
            group = self._in(tree["groups"], entity_id, "ad group")
            self.client.update(
                "AdGroups",
                {"CampaignId": int(group["campaign_id"])},
                [{"Id": int(entity_id), "Status": value}],
            )
            group["status"], before = status, group["status"]
            return str(before)
        if entity == "ad":
            ad = self._in(tree["ads"], entity_id, "ad")
            self.client.update(
                "Ads",
                {"AdGroupId": int(ad["ad_group_id"])},
                [{"Id": int(entity_id), "Type": ad["type"], "Status": value}],
            )
            ad["status"], before = status, ad["status"]
            return str(before)
        raise BadRequest(f"unknown entity {entity}")

    def set_bid(self, account_id: str, entity: Entity, entity_id: str, amount: float) -> float | None:
        """Ad group: its CPC bid. Campaign: the target CPA of a TargetCpa / MaxConversions scheme."""
        if amount <= 0:
            raise BadRequest(f"bid must be positive, got {amount}")
        if entity == "ad_group":
            group = self._in(self._walk()["groups"], entity_id, "ad group")
            self.client.update(
                "AdGroups",
                {"CampaignId": int(group["campaign_id"])},
                [{"Id": int(entity_id), "CpcBid": {"Amount": round(amount, 2)}}],
            )
            group["bid"], before = amount, group["bid"]
            return before
        if entity == "campaign":
            scheme = self._campaign(entity_id).get("BiddingScheme") or {}
            if scheme.get("Type") not in ("TargetCpa", "MaxConversions"):
                raise BadRequest(
                    f"microsoft_ads: campaign {entity_id} bids with {scheme.get('Type')}; set the bid on its ad groups"
                )
            self.client.update(
                "Campaigns",
                {"AccountId": int(account_id)},
                [
                    {
                        "Id": int(entity_id),
                        "BiddingScheme": {"Type": scheme["Type"], "TargetCpa": round(amount, 2)},
                    }
                ],
            )
            return float(scheme["TargetCpa"]) if scheme.get("TargetCpa") else None
        raise BadRequest(
            "microsoft_ads: bids are set on campaigns (target CPA) or ad groups (CPC), not on ads"
        )

    def create_campaign(self, account_id: str, template: CampaignTemplate) -> str:
        if template.daily_budget <= 0:
            raise BadRequest("template daily_budget must be positive")
        campaign: dict[str, Any] = {
            "Name": template.name,
            "Status": "Paused",
            "CampaignType": template.extra.get("campaign_type", "Search"),
            "BudgetType": "DailyBudgetStandard",
            "DailyBudget": round(template.daily_budget, 2),
            "Languages": ["All"],
            "TimeZone": self._meta().get("TimeZone"),
            "BiddingScheme": (
                {"Type": "MaxConversions", "TargetCpa": round(template.bid_amount, 2)}
                if template.bid_amount
                else {"Type": "EnhancedCpc"}
            ),
        }
        ids = self.client.add_campaigns([campaign])
        if not ids:
            raise BadRequest("microsoft_ads: AddCampaigns returned no campaign id")
        return ids[0]

    # ------------------------------------------------------------------ helpers

    def _warn_refresh_token(self) -> None:
        warning = self.client.refresh_token_warning()
        if warning and warning not in self.warnings:
            self.warnings.append(warning)
            log.warning(warning)
            try:
                from adops import store

                store.events.publish(
                    "connector.token_expiring",
                    {"platform": self.platform, "account_id": self.client.account_id, "message": warning},
                )
            except Exception:  # noqa: BLE001 - a warning must never stop a read
                log.debug("could not publish the token warning", exc_info=True)

    def _meta(self) -> dict[str, Any]:
        if self._account is None:
            self._account = self.client.get_account()
        return {"CurrencyCode": "USD", **self._account}

    def _report(self, kind: str, columns: list[str], since: date, until: date) -> list[dict[str, str]]:
        zone = self._meta().get("TimeZone") or "GreenwichMeanTimeDublinEdinburghLisbonLondon"
        rows: list[dict[str, str]] = []
        for start, end in date_chunks(since, until):
            rows.extend(
                self.client.run_report(
                    {
                        "Type": kind,
                        "ReportName": f"adops {kind} {start}..{end}",
                        "Format": "Csv",
                        "FormatVersion": "2.0",
                        "ExcludeColumnHeaders": False,
                        "ExcludeReportHeader": True,
                        "ExcludeReportFooter": True,
                        "ReturnOnlyCompleteData": False,
                        "Aggregation": "Daily",
                        "Columns": columns,
                        "Scope": {"AccountIds": [int(self.client.account_id)]},
                        "Time": {
                            "CustomDateRangeStart": _day(start),
                            "CustomDateRangeEnd": _day(end),
                            "ReportTimeZone": zone,
                        },
                    }
                )
            )
        return rows

    def _campaign(self, campaign_id: str) -> dict[str, Any]:
        found = self.client.campaigns([campaign_id])
        if not found:
            raise BadRequest(f"microsoft_ads: no campaign {campaign_id} in account {self.client.account_id}")
        return found[0]

    def _walk(self) -> dict[str, dict[str, Any]]:
        """Campaigns -> ad groups -> ads (Campaign Management has no account-wide ad query)."""
        if self._tree is not None:
            return self._tree
        groups: dict[str, Any] = {}
        ads: dict[str, Any] = {}
        for c in self.client.campaigns():
            for g in self.client.ad_groups(str(c["Id"])):
                gid = str(g["Id"])
                bid = (g.get("CpcBid") or {}).get("Amount")
                groups[gid] = {
                    "campaign_id": str(c["Id"]),
                    "name": g.get("Name", ""),
                    "status": _status(g.get("Status")),
                    "bid": float(bid) if bid is not None else None,
                }
                for a in self.client.ads_of(gid):
                    urls = a.get("FinalUrls") or []
                    headline = _headline(a)
                    ads[str(a["Id"])] = {
                        "campaign_id": str(c["Id"]),
                        "ad_group_id": gid,
                        "type": a.get("Type"),
                        "status": _status(a.get("Status")),
                        "headline": headline,
                        "name": headline or f"{a.get('Type') or 'Ad'} {a['Id']}",
                        "url": urls[0] if urls else None,
                    }
        self._tree = {"groups": groups, "ads": ads}
        return self._tree

    @staticmethod
    def _in(items: dict[str, Any], key: str, what: str) -> dict[str, Any]:
        if str(key) not in items:
            raise BadRequest(f"microsoft_ads: no {what} {key} in this account")
        found: dict[str, Any] = items[str(key)]
        return found


def _metrics(r: dict[str, str]) -> dict[str, Any]:
    return {
        "impressions": int(number(r.get("Impressions"))),
        "clicks": int(number(r.get("Clicks"))),
        "spend": number(r.get("Spend")),
        "conversions": number(r.get("Conversions")),
        "conversion_value": number(r.get("Revenue")),
    }


def _collapse(frame: pd.DataFrame, key: list[str]) -> pd.DataFrame:
    """One row per key: the report splits rows by any further attribute (e.g. a status change)."""
    if frame.empty or not frame.duplicated(key).any():
        return frame
    others = [c for c in frame.columns if c not in key and c not in METRICS]
    out = frame.groupby(key, as_index=False).agg(
        {**{c: "last" for c in others}, **{m: "sum" for m in METRICS}}
    )
    return out[frame.columns]


def _status(value: Any) -> str | None:
    if value is None:
        return None
    return STATUS.get(str(value), str(value).upper())


def _headline(ad: dict[str, Any]) -> str | None:
    for h in ad.get("Headlines") or []:
        text = ((h or {}).get("Asset") or {}).get("Text")
        if text:
            return str(text)
    return ad.get("TitlePart1") or ad.get("Title") or None


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


def connector(account: AccountConfig) -> MicrosoftAdsConnector:
    """The Microsoft Advertising connector for one configured ad account."""
    return MicrosoftAdsConnector(MicrosoftAdsClient(account, sleep=lambda seconds: time.sleep(seconds)))


__all__ = ["MicrosoftAdsClient", "MicrosoftAdsConnector", "connector", "refresh_token_status"]
