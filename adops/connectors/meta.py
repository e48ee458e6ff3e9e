"""Meta (Facebook/Instagram) Marketing API client and connector (the Graph API version: adops.connectors.versions).

Reads the ad account, campaigns, ad sets, ads (with creative fields) and daily insights at
campaign and ad level; writes budgets, statuses, bids and paused campaigns. Short insight windows
are read synchronously (`GET /act_{id}/insights`), longer ones through async report runs
(`POST .../insights` -> poll `async_status` -> page `/{report_run_id}/insights`), in date chunks.

Meta specifics handled here:
- errors come as `{"error": {"code", "error_subcode", "message", ...}}`, usually with HTTP 400,
  so the typed error is chosen by code: 4/17/32/613/80000-range mean rate limiting, 190 an invalid
  or expired token, 10 and 200-299 missing permissions;
- the usage headers (`x-business-use-case-usage`, `x-ad-account-usage`, `x-fb-ads-insights-throttle`)
  say how close the app is to being throttled; the client slows down before it is;
- budgets and bids are integers in the currency's minimum unit (cents; yen for JPY);
- conversions come from `actions` / `action_values` of a configurable action type.
- Meta has no OAuth2 refresh-token grant: a long-lived user token is re-exchanged
  (`grant_type=fb_exchange_token`) before it expires, when the app id and secret are configured;
  system-user tokens do not expire.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any, ClassVar

import httpx
import pandas as pd

from adops.config import AccountConfig
from adops.connectors import paging, tokens, versions
from adops.connectors.base import (
    AD_COLUMNS,
    CAMPAIGN_COLUMNS,
    METRICS,
    AccountInfo,
    AdGroupTemplate,
    AdTemplate,
    CampaignTemplate,
    Entity,
    Status,
    normalise_status,
)
from adops.connectors.errors import (
    AuthError,
    BadRequest,
    ConnectorError,
    PermissionDenied,
    RateLimited,
    TransientError,
)
from adops.connectors.http import ApiClient, named, require, retry_after
from adops.connectors.reports import date_chunks

#: the pinned Graph API version (adops.connectors.versions); ADOPS_META_VERSION overrides it
API_VERSION = versions.PINS["meta"].version
#: Currencies whose minimum unit is the whole unit (Meta's "offset" 1); the rest use cents (100).
WHOLE_UNIT_CURRENCIES = frozenset(
    {"CLP", "COP", "CRC", "HUF", "ISK", "IDR", "JPY", "KRW", "PYG", "TWD", "VND"}
)
#: The default conversion: purchases across web, app and offline (what Ads Manager shows as "Purchases").
DEFAULT_CONVERSION_ACTION = "omni_purchase"
RATE_LIMIT_CODES = frozenset({4, 17, 32, 613})
ACCOUNT_STATUS = {1: "ACTIVE", 2: "DISABLED", 3: "UNSETTLED", 7: "PENDING_RISK_REVIEW", 9: "IN_GRACE_PERIOD"}
ACCOUNT_STATUS.update({8: "PENDING_SETTLEMENT", 100: "PENDING_CLOSURE", 101: "CLOSED"})
OBJECTIVES = {
    "CONVERSIONS": "OUTCOME_SALES",
    "SALES": "OUTCOME_SALES",
    "LEADS": "OUTCOME_LEADS",
    "LEAD_GENERATION": "OUTCOME_LEADS",
    "TRAFFIC": "OUTCOME_TRAFFIC",
    "AWARENESS": "OUTCOME_AWARENESS",
    "REACH": "OUTCOME_AWARENESS",
    "ENGAGEMENT": "OUTCOME_ENGAGEMENT",
    "APP_INSTALLS": "OUTCOME_APP_PROMOTION",
    "APP_PROMOTION": "OUTCOME_APP_PROMOTION",
}

#: the optimisation goal an ad set of each objective gets (a link click wherever the objective
#: allows it, so no pixel, app or lead form is needed to launch; change it in Ads Manager)
OPTIMIZATION_GOALS = {
    "OUTCOME_AWARENESS": "REACH",
    "OUTCOME_TRAFFIC": "LINK_CLICKS",
    "OUTCOME_SALES": "LINK_CLICKS",
    "OUTCOME_LEADS": "LINK_CLICKS",
    "OUTCOME_ENGAGEMENT": "POST_ENGAGEMENT",
    "OUTCOME_APP_PROMOTION": "LINK_CLICKS",
}

CAMPAIGN_FIELDS = "id,name,status,objective,daily_budget,lifetime_budget,bid_strategy,start_time"
ADSET_FIELDS = "id,name,campaign_id,status,daily_budget,bid_amount,bid_strategy,learning_stage_info"
AD_FIELDS = "id,name,status,campaign_id,adset_id,adset{name},creative{id,object_type,title,body,link_url}"
INSIGHT_METRICS = ["impressions", "clicks", "spend", "actions", "action_values"]
INSIGHT_IDS = {
    "campaign": ["campaign_id", "campaign_name"],
    # `reach` per ad and day (people who saw the ad that day; a campaign's is deduplicated across its
    # ads, so it is read where it is stored: on ad rows)
    "ad": ["campaign_id", "adset_id", "ad_id", "ad_name", "reach"],
}


def minor_units(currency: str) -> int:
    """How many minimum units make one unit of the currency in Meta's budget and bid fields."""
    return 1 if currency.upper() in WHOLE_UNIT_CURRENCIES else 100


class MetaClient(ApiClient):
    """The Graph API for one ad account: one method per endpoint, paging and report runs included."""

    platform = "meta"
    default_base_url = "https://graph.facebook.com"
    default_token_url = f"/{API_VERSION}/oauth/access_token"
    page_size: ClassVar[int] = 500
    #: usage percentage from which the client pauses before the next call
    throttle_at: ClassVar[float] = 90.0
    #: exchange a long-lived token this long before it expires
    exchange_margin: ClassVar[timedelta] = timedelta(days=7)

    def __init__(self, account: AccountConfig, **kwargs: Any) -> None:
        super().__init__(account, **kwargs)
        self.usage_wait = 0.0

    @property
    def version(self) -> str:
        """The Graph API version in every path: ADOPS_META_VERSION, else the pin."""
        return versions.version("meta")

    # ------------------------------------------------------------------ auth

    def can_refresh(self) -> bool:
        """A long-lived token can be exchanged for a fresh one with the app's id and secret."""
        return bool(
            self.access_token
            and self.account.credential("client_id")
            and self.account.credential("client_secret")
        )

    def token(self) -> str:
        renew_by = datetime.now(UTC) + self.exchange_margin
        if self.access_token and self.expires_at and self.expires_at < renew_by and self.can_refresh():
            self.refresh()
        return super().token()

    def token_url(self) -> str | None:
        """The token exchange, under the Graph API version in use (ADOPS_META_TOKEN_URL overrides)."""
        return os.environ.get("ADOPS_META_TOKEN_URL") or f"{self.base_url}/{self.version}/oauth/access_token"

    def refresh(self) -> None:
        """Exchange the current long-lived user token for a new one (Meta's only refresh flow)."""
        url = self.token_url()
        assert url is not None
        params = {
            "grant_type": "fb_exchange_token",
            "client_id": self.account.credential("client_id") or "",
            "client_secret": self.account.credential("client_secret") or "",
            "fb_exchange_token": self.access_token or "",
        }
        try:
            response = self.http.get(url, params=params)
        except httpx.HTTPError as exc:
            raise TransientError(f"meta: token exchange failed ({type(exc).__name__})") from None
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code >= 400 or "access_token" not in body:
            detail = _error(body).get("message") or f"HTTP {response.status_code}"
            raise AuthError(
                self.redact(
                    f"{self.account.key}: the access token could not be renewed ({detail}); "
                    "generate a new long-lived or system-user token"
                ),
                status=response.status_code,
            )
        self.access_token = str(body["access_token"])
        self.expires_at = (
            datetime.now(UTC) + timedelta(seconds=float(body["expires_in"]))
            if body.get("expires_in")
            else None
        )
        self._save_rotated_tokens()

    def _load_rotated_tokens(self) -> None:
        """Use a token exchanged by an earlier process while it is valid (Meta rotates access tokens)."""
        saved = tokens.load(self.account.key)
        expires = datetime.fromisoformat(saved["expires_at"]) if saved.get("expires_at") else None
        if (
            saved.get("access_token")
            and self.access_token
            and (expires is None or expires > datetime.now(UTC))
        ):
            self.access_token, self.expires_at = saved["access_token"], expires

    # ------------------------------------------------------------------ errors and pacing

    def error_for(self, response: httpx.Response, body: Any) -> ConnectorError | None:
        """Map Meta's error codes to typed errors, and note how close the usage meters are to 100%."""
        self.usage_wait = usage_wait(response.headers, self.throttle_at)
        err = _error(body)
        if response.status_code < 400 and not err:
            return None
        code = _int(err.get("code"))
        subcode = _int(err.get("error_subcode"))
        text = str(err.get("error_user_msg") or err.get("message") or "")[:300]
        where = f"meta {response.request.method} {response.request.url.path}"
        message = f"{where}: HTTP {response.status_code}" + (f": ({code}) {text}" if code or text else "")
        status = response.status_code
        if code in RATE_LIMIT_CODES or 80000 <= code <= 80099 or status == 429:
            hint = retry_after(response)  # a Retry-After of 0 is honoured as 0
            wait = max(self.usage_wait, 60.0 if code in (4, 17, 32) else 0.0) or None
            return RateLimited(message, retry_after=wait if hint is None else hint, status=status)
        if code in (102, 190) or status == 401:
            if subcode == 463:
                message += (
                    "; the access token has expired: renew it (long-lived token) or use a system-user token"
                )
            return AuthError(message, status=status)
        if code == 10 or 200 <= code <= 299 or status == 403:
            return PermissionDenied(
                message + "; the token needs ads_read (and ads_management to write)", status=status
            )
        if code == 2635:  # "You are calling a deprecated version of the Ads API"
            return BadRequest(f"{message}; {versions.refused_hint('meta', self.version)}", status=status)
        if code in (1, 2) or err.get("is_transient") or status >= 500:
            return TransientError(message, retry_after=retry_after(response), status=status)
        return BadRequest(message, status=status)

    def request(self, method: str, path: str, *, raw: bool = False, **kwargs: Any) -> Any:
        value = super().request(method, path, raw=raw, **kwargs)
        if self.usage_wait > 0:
            # a meter is near 100%: pause before Meta throttles us, never longer than a call's budget
            self.sleep(min(self.usage_wait, self.policy.seconds))
            self.usage_wait = 0.0
        return value

    # ------------------------------------------------------------------ endpoints

    def node(self, node_id: str, fields: str) -> dict[str, Any]:
        """GET /{node}?fields=...: one object (ad account, campaign, ad set, ad)."""
        return dict(self.get(f"/{self.version}/{node_id}", params={"fields": fields}))

    def edge(self, node_id: str, edge: str, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """GET /{node}/{edge}, following the `after` cursor while `paging.next` is present."""
        return self.paginate(
            f"/{self.version}/{node_id}/{edge}",
            {"limit": self.page_size, **params},
            items=paging.dig("data"),
            next_page=paging.cursor("after", _after_cursor),
        )

    def ad_account(self, account_id: str) -> dict[str, Any]:
        return self.node(account_id, "id,name,currency,timezone_name,account_status")

    def campaigns(self, account_id: str) -> list[dict[str, Any]]:
        return list(self.edge(account_id, "campaigns", {"fields": CAMPAIGN_FIELDS}))

    def adsets(self, account_id: str) -> list[dict[str, Any]]:
        return list(self.edge(account_id, "adsets", {"fields": ADSET_FIELDS}))

    def ads(self, account_id: str) -> list[dict[str, Any]]:
        return list(self.edge(account_id, "ads", {"fields": AD_FIELDS}))

    def insights(self, account_id: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        """GET /act_{id}/insights: synchronous, for short windows."""
        return list(self.edge(account_id, "insights", params))

    def start_report(self, account_id: str, params: dict[str, Any]) -> str:
        """POST /act_{id}/insights: an async report run; returns its report_run_id."""
        body = self.post(f"/{self.version}/{account_id}/insights", data=params)
        return str(body["report_run_id"])

    def report_status(self, report_run_id: str) -> dict[str, Any]:
        return self.node(report_run_id, "id,async_status,async_percent_completion")

    def report_rows(self, report_run_id: str) -> list[dict[str, Any]]:
        return list(self.edge(report_run_id, "insights", {}))

    def run_report(self, account_id: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        """Start an async report run, wait for it to complete, then read its rows."""
        run_id = self.start_report(account_id, params)
        self.await_report(
            run_id,
            lambda: self.report_status(run_id),
            done=lambda s: (
                s.get("async_status") == "Job Completed"
                and _int(s.get("async_percent_completion", 100)) >= 100
            ),
            failed=lambda s: (
                f"ended as '{s['async_status']}'"
                if s.get("async_status") in ("Job Failed", "Job Skipped")
                else None
            ),
        )
        return self.report_rows(run_id)

    def update(self, node_id: str, values: dict[str, Any]) -> None:
        """POST /{node}: change fields of a campaign, ad set or ad."""
        body = self.post(f"/{self.version}/{node_id}", data=values)
        if not (isinstance(body, dict) and body.get("success")):
            raise BadRequest(f"meta: update of {node_id} was not confirmed")

    def create_campaign(self, account_id: str, values: dict[str, Any]) -> str:
        body = self.post(f"/{self.version}/{account_id}/campaigns", data=values)
        return str(body["id"])

    def create_object(self, account_id: str, edge: str, values: dict[str, Any]) -> str:
        """POST /act_{id}/adsets or /act_{id}/ads: the new object's id."""
        body = self.post(f"/{self.version}/{account_id}/{edge}", data=values)
        return str(body["id"])


class MetaConnector:
    """The connector protocol over the Marketing API."""

    platform = "meta"
    #: windows up to this many days are read synchronously; longer ones as async report runs
    sync_max_days: ClassVar[int] = 7
    #: days per async report run
    chunk_days: ClassVar[int] = 31

    def __init__(self, account: AccountConfig, client: MetaClient | None = None) -> None:
        require(account, "access_token")
        self.client = client or MetaClient(account)
        self.conversion_actions = [
            a.strip()
            for a in (account.credential("conversion_action_type") or DEFAULT_CONVERSION_ACTION).split(",")
            if a.strip()
        ]
        self._info: dict[str, AccountInfo] = {}

    # reads
    def account(self, account_id: str) -> AccountInfo:
        if account_id not in self._info:
            raw = self.client.ad_account(_act(account_id))
            status = ACCOUNT_STATUS.get(_int(raw.get("account_status")), str(raw.get("account_status")))
            self._info[account_id] = AccountInfo(
                "meta",
                account_id,
                str(raw.get("name") or account_id),
                str(raw["currency"]),
                str(raw.get("timezone_name") or "UTC"),
                status,
            )
        return self._info[account_id]

    def campaigns(self, account_id: str) -> pd.DataFrame:
        info = self.account(account_id)
        unit = minor_units(info.currency)
        adsets = self.client.adsets(_act(account_id))
        bids: dict[str, float] = {}
        for s in adsets:
            if s.get("bid_amount") is not None:
                bids.setdefault(str(s["campaign_id"]), _int(s["bid_amount"]) / unit)
        rows = [
            {
                "platform": "meta",
                "account_id": account_id,
                "campaign_id": str(c["id"]),
                "campaign_name": c.get("name"),
                "status": normalise_status(c.get("status")),
                "objective": c.get("objective"),
                "daily_budget": _money(c.get("daily_budget"), unit),
                "lifetime_budget": _money(c.get("lifetime_budget"), unit),
                "bidding_strategy": c.get("bid_strategy"),
                "bid_amount": bids.get(str(c["id"])),
                "currency": info.currency,
                "start_date": _local_date(c.get("start_time"), info.timezone),
            }
            for c in self.client.campaigns(_act(account_id))
        ]
        return pd.DataFrame(rows, columns=CAMPAIGN_COLUMNS)

    def ads(self, account_id: str) -> pd.DataFrame:
        # each ad set's learning phase (`learning_stage_info.status`: LEARNING, SUCCESS, FAIL =
        # "Learning limited"); Meta leaves it out for ad sets that are not delivering
        stages = {
            str(s["id"]): (s.get("learning_stage_info") or {}).get("status")
            for s in self.client.adsets(_act(account_id))
        }
        rows = []
        for a in self.client.ads(_act(account_id)):
            creative = a.get("creative") or {}
            rows.append(
                {
                    "platform": "meta",
                    "account_id": account_id,
                    "ad_id": str(a["id"]),
                    "ad_group_id": str(a["adset_id"]),
                    "ad_group_name": (a.get("adset") or {}).get("name"),
                    "campaign_id": str(a["campaign_id"]),
                    "ad_name": a.get("name"),
                    "status": normalise_status(a.get("status")),
                    "creative_type": creative.get("object_type"),
                    "headline": creative.get("title") or creative.get("body"),
                    "landing_url": creative.get("link_url"),
                    "ad_group_learning_stage": stages.get(str(a["adset_id"])),
                }
            )
        return pd.DataFrame(rows, columns=AD_COLUMNS)

    def campaign_daily(self, account_id: str, since: date, until: date) -> pd.DataFrame:
        rows = self._insights(account_id, "campaign", since, until)
        frame = pd.DataFrame(
            [
                {
                    "campaign_id": str(r["campaign_id"]),
                    "campaign_name": r.get("campaign_name"),
                    **self._metrics(r),
                }
                for r in rows
            ],
            columns=["campaign_id", "campaign_name", "date", *METRICS],
        )
        return self._finish(
            frame, account_id, ["date", "platform", "account_id", "campaign_id", "campaign_name"]
        )

    def ad_daily(self, account_id: str, since: date, until: date) -> pd.DataFrame:
        rows = self._insights(account_id, "ad", since, until)
        frame = pd.DataFrame(
            [
                {
                    "campaign_id": str(r["campaign_id"]),
                    "ad_group_id": str(r["adset_id"]),
                    "ad_id": str(r["ad_id"]),
                    "ad_name": r.get("ad_name"),
                    **self._metrics(r),
                    "reach": _int(r["reach"]) if r.get("reach") is not None else None,
                }
                for r in rows
            ],
            columns=["campaign_id", "ad_group_id", "ad_id", "ad_name", "date", *METRICS, "reach"],
        )
        keys = ["date", "platform", "account_id", "campaign_id", "ad_group_id", "ad_id", "ad_name"]
        return self._finish(frame, account_id, keys, ["reach"])

    # writes
    def set_daily_budget(self, account_id: str, campaign_id: str, amount: float) -> float | None:
        if amount <= 0:
            raise BadRequest(f"daily budget must be positive, got {amount}")
        unit = minor_units(self.account(account_id).currency)
        before = self.client.node(campaign_id, "id,daily_budget,lifetime_budget")
        if before.get("daily_budget") is None:
            raise BadRequest(
                f"meta campaign {campaign_id} has no campaign daily budget (ad set budgets or a lifetime budget)"
            )
        self.client.update(campaign_id, {"daily_budget": round(amount * unit)})
        return _money(before.get("daily_budget"), unit)

    def set_status(self, account_id: str, entity: Entity, entity_id: str, status: Status) -> str | None:
        if status not in ("ENABLED", "PAUSED"):
            raise BadRequest(f"status must be ENABLED or PAUSED, got {status}")
        before = self.client.node(entity_id, "id,status")
        self.client.update(entity_id, {"status": "ACTIVE" if status == "ENABLED" else "PAUSED"})
        return normalise_status(before.get("status"))

    def set_bid(self, account_id: str, entity: Entity, entity_id: str, amount: float) -> float | None:
        """Meta bids live on ad sets: an ad set's bid, or every ad set of a campaign."""
        if amount <= 0:
            raise BadRequest(f"bid must be positive, got {amount}")
        unit = minor_units(self.account(account_id).currency)
        if entity == "ad_group":
            targets = [self.client.node(entity_id, "id,bid_amount")]
        elif entity == "campaign":
            targets = [s for s in self.client.adsets(_act(account_id)) if str(s["campaign_id"]) == entity_id]
            if not targets:
                raise BadRequest(f"meta campaign {entity_id} has no ad sets to bid on")
        else:
            raise BadRequest("meta bids are set on ad sets (entity ad_group) or on a campaign's ad sets")
        for target in targets:
            self.client.update(str(target["id"]), {"bid_amount": round(amount * unit)})
        return _money(targets[0].get("bid_amount"), unit)

    def create_campaign(self, account_id: str, template: CampaignTemplate) -> str:
        if template.daily_budget <= 0:
            raise BadRequest("template daily_budget must be positive")
        unit = minor_units(self.account(account_id).currency)
        objective = template.objective.upper()
        objective = objective if objective.startswith("OUTCOME_") else OBJECTIVES.get(objective, "")
        if not objective:
            raise BadRequest(f"meta has no objective like '{template.objective}' (use OUTCOME_SALES, ...)")
        values: dict[str, Any] = {
            "name": template.name,
            "objective": objective,
            "status": "PAUSED",
            "special_ad_categories": json.dumps(
                [c for c in template.extra.get("special_ad_categories", "").split(",") if c]
            ),
            "daily_budget": round(template.daily_budget * unit),
            "bid_strategy": template.extra.get(
                "bid_strategy",
                "LOWEST_COST_WITH_BID_CAP" if template.bid_amount else "LOWEST_COST_WITHOUT_CAP",
            ),
        }
        act = _act(account_id)
        return self.client.create(
            lambda: self.client.create_campaign(act, values),
            lambda: named(self.client.campaigns(act), template.name),
        )

    def create_ad_group(self, account_id: str, campaign_id: str, template: AdGroupTemplate) -> str:
        """A PAUSED ad set (POST /act_{id}/adsets) in the campaign: billed on impressions, optimised
        for the objective's usual goal, targeting the template's countries. The campaign holds the
        budget (Advantage campaign budget); a bid cap goes on the ad set when the campaign caps bids."""
        act = _act(account_id)
        objective = template.objective.upper()
        values: dict[str, Any] = {
            "name": template.name,
            "campaign_id": campaign_id,
            "status": "PAUSED",
            "billing_event": "IMPRESSIONS",
            "optimization_goal": OPTIMIZATION_GOALS.get(OBJECTIVES.get(objective, objective), "LINK_CLICKS"),
            "targeting": json.dumps(
                {
                    "geo_locations": {
                        "countries": [c for c in template.extra.get("countries", "US").split(",") if c]
                    }
                }
            ),
        }
        if template.bid_amount:
            unit = minor_units(self.account(account_id).currency)
            values["bid_amount"] = round(template.bid_amount * unit)
        if template.daily_budget:
            unit = minor_units(self.account(account_id).currency)
            values["daily_budget"] = round(template.daily_budget * unit)

        def find() -> str | None:
            mine = [s for s in self.client.adsets(act) if str(s.get("campaign_id")) == str(campaign_id)]
            return named([s for s in mine if s.get("status") != "DELETED"], template.name)

        return find() or self.client.create(lambda: self.client.create_object(act, "adsets", values), find)

    def create_ad(self, account_id: str, ad_group_id: str, template: AdTemplate) -> str:
        """A PAUSED ad (POST /act_{id}/ads) in the ad set, its creative given inline: a link ad of
        the Page `page_id` (`object_story_spec.link_data`: link, message = the text, name = the
        headline)."""
        act = _act(account_id)
        page_id = template.extra.get("page_id")
        if not page_id:
            raise BadRequest("meta: an ad needs the Facebook Page it runs as (asset meta.page_id)")
        link_data = {
            "link": template.landing_url,
            "message": template.descriptions[0] if template.descriptions else "",
            "name": template.headlines[0] if template.headlines else "",
        }
        values = {
            "name": template.name,
            "adset_id": ad_group_id,
            "status": "PAUSED",
            "creative": json.dumps({"object_story_spec": {"page_id": page_id, "link_data": link_data}}),
        }

        def find() -> str | None:
            mine = [a for a in self.client.ads(act) if str(a.get("adset_id")) == str(ad_group_id)]
            return named([a for a in mine if a.get("status") != "DELETED"], template.name)

        return find() or self.client.create(lambda: self.client.create_object(act, "ads", values), find)

    def remove(self, account_id: str, entity: Entity, entity_id: str) -> str:
        """Status DELETED (POST /{id}): Meta keeps it readable as deleted; its children go with it.
        Read first: one deleted already (a removal repeated after a crash) is left as it is."""
        if self.client.node(entity_id, "id,status").get("status") != "DELETED":
            self.client.update(entity_id, {"status": "DELETED"})
        return "DELETED"

    # helpers
    def _insights(self, account_id: str, level: str, since: date, until: date) -> list[dict[str, Any]]:
        """Daily rows of one level over the window: synchronously when short, else report runs per chunk."""
        if since > until:
            return []
        fields = ",".join([*INSIGHT_IDS[level], *INSIGHT_METRICS])
        rows: list[dict[str, Any]] = []
        sync = (until - since).days + 1 <= self.sync_max_days
        for start, end in date_chunks(since, until, self.sync_max_days if sync else self.chunk_days):
            params = {
                "level": level,
                "fields": fields,
                "time_increment": 1,
                "time_range": json.dumps({"since": start.isoformat(), "until": end.isoformat()}),
            }
            if sync:
                rows += self.client.insights(_act(account_id), params)
            else:
                rows += self.client.run_report(_act(account_id), {**params, "limit": self.client.page_size})
        return rows

    def _metrics(self, row: dict[str, Any]) -> dict[str, Any]:
        return {
            "date": date.fromisoformat(str(row["date_start"])),
            "impressions": _int(row.get("impressions")),
            "clicks": _int(row.get("clicks")),
            "spend": float(row.get("spend") or 0.0),
            "conversions": _action_sum(row.get("actions"), self.conversion_actions),
            "conversion_value": _action_sum(row.get("action_values"), self.conversion_actions),
        }

    def _finish(
        self, frame: pd.DataFrame, account_id: str, keys: list[str], extra: tuple[str, ...] | list[str] = ()
    ) -> pd.DataFrame:
        frame["platform"] = "meta"
        frame["account_id"] = account_id
        frame["currency"] = self.account(account_id).currency
        return frame[[*keys, "currency", *METRICS, *extra]].reset_index(drop=True)


def connector(account: AccountConfig) -> MetaConnector:
    """The Meta client for one configured account."""
    return MetaConnector(account)


# ---------------------------------------------------------------------------- helpers


def _act(account_id: str) -> str:
    """The ad account node id: Meta's `act_<digits>`, whichever way the id was configured."""
    return account_id if account_id.startswith("act_") else f"act_{account_id}"


def _error(body: Any) -> dict[str, Any]:
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return dict(body["error"])
    return {}


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _money(value: Any, unit: int) -> float | None:
    """A budget or bid in minimum units (a string in Meta's JSON) as a float in the currency."""
    if value in (None, "", "0"):
        return None
    return int(value) / unit


def _local_date(value: Any, tz: str) -> date | None:
    """Meta's ISO timestamps with offsets, as a date in the account's time zone."""
    if not value:
        return None
    from zoneinfo import ZoneInfo

    stamp = datetime.strptime(str(value), "%Y-%m-%dT%H:%M:%S%z")
    return stamp.astimezone(ZoneInfo(tz)).date()


def _action_sum(actions: Any, wanted: list[str]) -> float:
    """The value of the wanted action types in an `actions` / `action_values` list."""
    total = 0.0
    for item in actions or []:
        if item.get("action_type") in wanted:
            total += float(item.get("value") or 0.0)
    return total


def _after_cursor(body: dict[str, Any]) -> Any:
    """The `after` cursor of a Graph page, only while `paging.next` says there is another page."""
    pages = body.get("paging") or {}
    return (pages.get("cursors") or {}).get("after") if pages.get("next") else None


def usage_wait(headers: httpx.Headers, threshold: float) -> float:
    """Seconds to pause given Meta's usage headers: the time to regain access when a meter is full.

    `x-business-use-case-usage` is `{"<id>": [{"type", "call_count", "total_cputime", "total_time",
    "estimated_time_to_regain_access" (minutes)}]}`; `x-ad-account-usage` is `{"acc_id_util_pct",
    "reset_time_duration" (seconds)}`; `x-fb-ads-insights-throttle` is `{"app_id_util_pct", "acc_id_util_pct"}`.
    """
    wait = 0.0
    buc = _json_header(headers, "x-business-use-case-usage")
    for entries in (buc or {}).values():
        for e in entries if isinstance(entries, list) else []:
            pct = max(_float(e.get(k)) for k in ("call_count", "total_cputime", "total_time"))
            regain = _float(e.get("estimated_time_to_regain_access")) * 60
            if pct >= threshold or regain:
                wait = max(wait, regain or 60.0)
    acc = _json_header(headers, "x-ad-account-usage") or {}
    if _float(acc.get("acc_id_util_pct")) >= threshold:
        wait = max(wait, _float(acc.get("reset_time_duration")) or 60.0)
    ins = _json_header(headers, "x-fb-ads-insights-throttle") or {}
    if max(_float(ins.get("app_id_util_pct")), _float(ins.get("acc_id_util_pct"))) >= threshold:
        wait = max(wait, 60.0)
    return min(wait, 600.0)


def _json_header(headers: httpx.Headers, name: str) -> dict[str, Any] | None:
    raw = headers.get(name)
    if not raw:
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _float(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0
