"""A fake Microsoft Advertising API (v13 REST: Customer Management, Campaign Management, Reporting).

It holds one ad account with campaigns, ad groups and ads, and daily stats generated
deterministically (`ad_stats`), so tests know the true numbers. It checks the Authorization,
DeveloperToken, CustomerId and CustomerAccountId headers, the `v13` service paths, required body
fields, the report request (`Type`, `Columns`, `Aggregation`, `Scope`, `Time` with `ReportTimeZone`),
and that the pre-signed download is fetched without credentials. Reports are async: Submit gives
an id, Poll answers Pending first, then Success with a URL to a ZIP holding one CSV (with `--`
cells and `5.26%` percentages).

Faults: `faults` is a queue consumed by the next API requests ("429", "500", "expired",
"malformed", "report_error"); `fail_reports` names report types that always fail (code 106).
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

ACCOUNT = "180000123"
CUSTOMER = "25000999"
TIME_ZONE = "AmsterdamBerlinBernRomeStockholmVienna"
REPORT_COLUMNS = {
    "CampaignPerformanceReportRequest": {
        "TimePeriod", "AccountId", "CampaignId", "CampaignName", "CampaignStatus", "CurrencyCode",
        "Impressions", "Clicks", "Ctr", "Spend", "Conversions", "Revenue",
    },
    "AdPerformanceReportRequest": {
        "TimePeriod", "AccountId", "CampaignId", "AdGroupId", "AdId", "AdTitle", "AdType", "CurrencyCode",
        "Impressions", "Clicks", "Ctr", "Spend", "Conversions", "Revenue",
    },
}  # fmt: skip


def ad_stats(ad_id: str, day: date) -> dict[str, Any]:
    """The true metrics of one ad on one day (all zero: no row in the report)."""
    n = int(ad_id) % 100
    if n % 5 == 4 and day.day % 3 == 0:
        return {"impressions": 0, "clicks": 0, "spend": 0.0, "conversions": 0.0, "revenue": 0.0}
    seed = n * 17 + day.toordinal()
    impressions = 300 + (seed * 104729) % 2200
    clicks = impressions * (1 + seed % 7) // 100
    spend_cents = clicks * (35 + seed % 40)
    conversions = (seed % 5) * 0.5 if clicks else 0.0
    return {
        "impressions": impressions,
        "clicks": clicks,
        "spend": spend_cents / 100,
        "conversions": conversions,
        "revenue": round(conversions * 37.3, 2),
    }


@dataclass
class FakeMicrosoftAds:
    developer_token: str = "ms-dev-token"
    access_token: str = "ms-access-good"
    refresh_token: str = "ms-refresh-1"
    client_id: str = "ms-client"
    client_secret: str = "ms-secret"
    account: dict[str, Any] = field(
        default_factory=lambda: {
            "Id": int(ACCOUNT), "Name": "Shop DE Bing", "CurrencyCode": "EUR", "TimeZone": TIME_ZONE,
            "AccountLifeCycleStatus": "Active", "ParentCustomerId": int(CUSTOMER), "Number": "F1234ABC",
        }
    )  # fmt: skip
    campaigns: dict[int, dict[str, Any]] = field(
        default_factory=lambda: {
            501: {"Id": 501, "Name": "Brand", "Status": "Active", "CampaignType": "Search", "BudgetType": "DailyBudgetStandard",
                  "DailyBudget": 40.0, "BudgetId": None, "BiddingScheme": {"Type": "EnhancedCpc"}, "TimeZone": TIME_ZONE},
            502: {"Id": 502, "Name": "Generic", "Status": "Paused", "CampaignType": "Search", "BudgetType": "DailyBudgetStandard",
                  "DailyBudget": 75.5, "BudgetId": None, "BiddingScheme": {"Type": "TargetCpa", "TargetCpa": 18.0}, "TimeZone": TIME_ZONE},
            503: {"Id": 503, "Name": "Shared", "Status": "BudgetPaused", "CampaignType": "Shopping", "BudgetType": "DailyBudgetStandard",
                  "DailyBudget": 30.0, "BudgetId": 9001, "BiddingScheme": {"Type": "ManualCpc"}, "TimeZone": TIME_ZONE},
        }
    )  # fmt: skip
    ad_groups: dict[int, dict[str, Any]] = field(
        default_factory=lambda: {
            601: {
                "Id": 601,
                "CampaignId": 501,
                "Name": "Brand exact",
                "Status": "Active",
                "CpcBid": {"Amount": 1.25},
            },
            602: {
                "Id": 602,
                "CampaignId": 502,
                "Name": "Shoes",
                "Status": "Active",
                "CpcBid": {"Amount": 0.8},
            },
            603: {
                "Id": 603,
                "CampaignId": 503,
                "Name": "All products",
                "Status": "Paused",
                "CpcBid": {"Amount": 0.5},
            },
        }
    )
    ads: dict[int, dict[str, Any]] = field(default_factory=dict)
    faults: list[str] = field(default_factory=list)
    fail_reports: set[str] = field(default_factory=set)
    pending_polls: int = 1
    reports: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[dict[str, Any]] = field(default_factory=list)
    token_requests: list[dict[str, str]] = field(default_factory=list)
    include_report_header: bool = False

    def __post_init__(self) -> None:
        if not self.ads:
            n = 0
            for gid, g in sorted(self.ad_groups.items()):
                for j in range(3):
                    n += 1
                    ad_id = 7000 + n
                    self.ads[ad_id] = {
                        "Id": ad_id, "AdGroupId": gid, "Type": "ResponsiveSearch" if j < 2 else "ExpandedText",
                        "Status": "Active" if j != 1 else "Paused", "FinalUrls": [f"https://shop.example.de/b/{ad_id}"],
                        "Headlines": [{"Asset": {"Type": "TextAsset", "Text": f"{g['Name']} {j}"}, "PinnedField": None}]
                        if j < 2 else None,
                        "TitlePart1": f"{g['Name']} classic" if j == 2 else None,
                    }  # fmt: skip

    # ------------------------------------------------------------------ the truth, for tests

    def expected_ad_daily(self, since: date, until: date) -> list[dict[str, Any]]:
        rows = []
        day = since
        while day <= until:
            for ad_id, ad in sorted(self.ads.items()):
                s = ad_stats(str(ad_id), day)
                if s["impressions"]:
                    group = self.ad_groups[ad["AdGroupId"]]
                    rows.append({"date": day, "ad_id": str(ad_id), "ad_group_id": str(ad["AdGroupId"]),
                                 "campaign_id": str(group["CampaignId"]), "impressions": s["impressions"],
                                 "clicks": s["clicks"], "spend": s["spend"], "conversions": s["conversions"],
                                 "conversion_value": s["revenue"]})  # fmt: skip
            day += timedelta(days=1)
        return rows

    def expected_campaign_daily(self, since: date, until: date) -> list[dict[str, Any]]:
        totals: dict[tuple[date, str], dict[str, Any]] = {}
        for r in self.expected_ad_daily(since, until):
            t = totals.setdefault((r["date"], r["campaign_id"]), dict.fromkeys(
                ("impressions", "clicks", "spend", "conversions", "conversion_value"), 0))  # fmt: skip
            for k in t:
                t[k] += r[k]
        return [
            {"date": d, "campaign_id": c, **{k: round(v, 2) for k, v in t.items()}}
            for (d, c), t in sorted(totals.items())
        ]

    # ------------------------------------------------------------------ reports

    def report_csv(self, job: dict[str, Any]) -> str | None:
        kind, columns = job["Type"], job["Columns"]
        t = job["Time"]
        start = date(
            t["CustomDateRangeStart"]["Year"],
            t["CustomDateRangeStart"]["Month"],
            t["CustomDateRangeStart"]["Day"],
        )
        end = date(
            t["CustomDateRangeEnd"]["Year"], t["CustomDateRangeEnd"]["Month"], t["CustomDateRangeEnd"]["Day"]
        )
        if kind == "AdPerformanceReportRequest":
            records = self.expected_ad_daily(start, end)
        else:
            records = self.expected_campaign_daily(start, end)
        if not records:
            return None
        out = io.StringIO()
        writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        if not job.get("ExcludeReportHeader"):
            for line in (f"Report Name: {job.get('ReportName')}", "Report Time: 11/24/2026",
                         "Time Zone: (GMT+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna",
                         "Report Aggregation: Daily", f"Rows: {len(records)}"):  # fmt: skip
                writer.writerow([line])
            writer.writerow([])
        writer.writerow(columns)
        for r in records:
            c = self.campaigns[int(r["campaign_id"])]
            ad = self.ads.get(int(r.get("ad_id", 0) or 0), {})
            values = {
                "TimePeriod": r["date"].isoformat(), "AccountId": ACCOUNT, "CampaignId": r["campaign_id"],
                "CampaignName": c["Name"], "CampaignStatus": c["Status"], "CurrencyCode": "EUR",
                "AdGroupId": r.get("ad_group_id"), "AdId": r.get("ad_id"),
                "AdTitle": "--" if ad.get("Type") == "ResponsiveSearch" else (ad.get("TitlePart1") or "--"),
                "AdType": "Responsive search ad" if ad.get("Type") == "ResponsiveSearch" else "Expanded text ad",
                "Impressions": f"{r['impressions']:,}", "Clicks": str(r["clicks"]),
                "Ctr": f"{100 * r['clicks'] / r['impressions']:.2f}%", "Spend": f"{r['spend']:.2f}",
                "Conversions": f"{r['conversions']:g}" if r["conversions"] else "--",
                "Revenue": f"{r['conversion_value']:.2f}",
            }  # fmt: skip
            writer.writerow([values[col] for col in columns])
        if not job.get("ExcludeReportFooter"):
            writer.writerow([])
            writer.writerow(["\u00a92026 Microsoft Corporation. All rights reserved. "])
        return "\ufeff" + out.getvalue()


def _fault(code: int, name: str, message: str, status: int, kind: str = "AdApiFaultDetail") -> JSONResponse:
    key = "Errors" if kind == "AdApiFaultDetail" else "OperationErrors"
    body: dict[str, Any] = {"TrackingId": "fake-tracking-id", "Type": kind,
                            key: [{"Code": code, "Detail": None, "ErrorCode": name, "Message": message}]}  # fmt: skip
    if kind == "ApiFaultDetail":
        body["BatchErrors"] = []
    return JSONResponse(body, status_code=status)


def make_app(fake: FakeMicrosoftAds) -> Starlette:
    def check(request: Request, service: str) -> Response | None:
        h = request.headers
        if h.get("developertoken") != fake.developer_token:
            return _fault(
                105,
                "InvalidCredentials",
                "Authentication failed. Either supplied credentials are invalid or the account is inactive.",
                401,
            )
        if h.get("authorization") != f"Bearer {fake.access_token}":
            return _fault(
                109,
                "AuthenticationTokenExpired",
                "Authentication token expired. Please renew it or obtain a new token.",
                401,
            )
        if service != "customer" and h.get("customerid") != CUSTOMER:
            return _fault(
                106, "UserIsNotAuthorized", "The user does not represent a authorized developer.", 403
            )
        if service != "customer" and h.get("customeraccountid") != ACCOUNT:
            return _fault(
                1102, "CampaignServiceInvalidAccountId", "The account ID is not valid.", 400, "ApiFaultDetail"
            )
        return None

    def fault() -> Response | None:
        if not fake.faults:
            return None
        kind = fake.faults.pop(0)
        if kind == "429":
            return _fault(
                117,
                "CallRateExceeded",
                "You have exceeded the number of calls that you are allowed to make in a minute.",
                429,
            )
        if kind == "500":
            return _fault(0, "InternalError", "An internal error has occurred.", 500)
        if kind == "expired":
            fake.access_token = "ms-access-expired-away"
            return _fault(
                109,
                "AuthenticationTokenExpired",
                "Authentication token expired. Please renew it or obtain a new token.",
                401,
            )
        if kind == "malformed":
            return PlainTextResponse('{"Campaigns": [{"Id": 5', media_type="application/json")
        if kind == "report_error":
            fake.faults.insert(0, "__poll_error__")
            return None
        if kind == "__poll_error__":
            fake.faults.insert(0, kind)
            return None
        raise AssertionError(kind)

    async def token(request: Request) -> Response:
        form = dict(await request.form())
        fake.token_requests.append({k: str(v) for k, v in form.items()})
        if (
            form.get("scope") != "https://ads.microsoft.com/msads.manage offline_access"
            or form.get("client_id") != fake.client_id
        ):
            return JSONResponse(
                {
                    "error": "invalid_scope",
                    "error_description": "AADSTS70011: The provided scope is not valid.",
                },
                status_code=400,
            )
        if form.get("refresh_token") != fake.refresh_token:
            return JSONResponse(
                {
                    "error": "invalid_grant",
                    "error_description": "AADSTS700082: The refresh token has expired due to inactivity.",
                },
                status_code=400,
            )
        n = len(fake.token_requests)
        fake.access_token, fake.refresh_token = f"ms-access-{n}", f"ms-refresh-{n + 1}"
        return JSONResponse({"token_type": "Bearer", "scope": "https://ads.microsoft.com/msads.manage", "expires_in": 3600,
                             "access_token": fake.access_token, "refresh_token": fake.refresh_token})  # fmt: skip

    async def download(request: Request) -> Response:
        if request.headers.get("authorization") or request.headers.get("developertoken"):
            return PlainTextResponse("credentials sent to the storage host", status_code=400)
        job = fake.reports.get(request.path_params["rid"])
        if not job:
            return PlainTextResponse("BlobNotFound", status_code=404)
        text = fake.report_csv(job) or ""
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr(f"{request.path_params['rid']}.csv", text.encode("utf-8"))
        return Response(buf.getvalue(), media_type="application/zip")

    async def api(request: Request) -> Response:
        path = request.url.path
        m = re.fullmatch(r"/(CustomerManagement|CampaignManagement|Reporting)/(v\d+)/(.+)", path)
        if not m or m[2] != "v13":
            return PlainTextResponse("Not Found", status_code=404)
        service = {
            "CustomerManagement": "customer",
            "CampaignManagement": "campaign",
            "Reporting": "reporting",
        }[m[1]]
        op = f"{request.method} {m[3]}"
        try:
            body = await request.json()
        except ValueError:
            return _fault(100, "NullRequest", "The request message is null.", 400, "ApiFaultDetail")
        fake.requests.append({"op": op, "body": body, "headers": dict(request.headers)})
        denied = check(request, service) or fault()
        if denied:
            return denied
        handler = ROUTES.get(op)
        if handler is None:
            return PlainTextResponse("Not Found", status_code=404)
        return handler(request, body)

    def account_query(request: Request, body: dict[str, Any]) -> Response:
        if str(body.get("AccountId")) != ACCOUNT:
            return _fault(
                1102, "CampaignServiceInvalidAccountId", "The account ID is not valid.", 400, "ApiFaultDetail"
            )
        return JSONResponse({"Account": fake.account})

    def campaigns_by_account(request: Request, body: dict[str, Any]) -> Response:
        if str(body.get("AccountId")) != ACCOUNT:
            return _fault(
                1102, "CampaignServiceInvalidAccountId", "The account ID is not valid.", 400, "ApiFaultDetail"
            )
        types = set(str(body.get("CampaignType") or "Search").split())
        return JSONResponse(
            {"Campaigns": [c for _, c in sorted(fake.campaigns.items()) if c["CampaignType"] in types]}
        )

    def campaigns_by_ids(request: Request, body: dict[str, Any]) -> Response:
        ids = body.get("CampaignIds") or []
        return JSONResponse({"Campaigns": [fake.campaigns.get(int(i)) for i in ids], "PartialErrors": []})

    def ad_groups_by_campaign(request: Request, body: dict[str, Any]) -> Response:
        cid = int(body.get("CampaignId") or 0)
        return JSONResponse(
            {"AdGroups": [g for _, g in sorted(fake.ad_groups.items()) if g["CampaignId"] == cid]}
        )

    def ads_by_ad_group(request: Request, body: dict[str, Any]) -> Response:
        if not body.get("AdTypes"):
            return _fault(1201, "CampaignServiceAdTypesNull", "AdTypes is required.", 400, "ApiFaultDetail")
        gid = int(body.get("AdGroupId") or 0)
        return JSONResponse(
            {
                "Ads": [
                    a
                    for _, a in sorted(fake.ads.items())
                    if a["AdGroupId"] == gid and a["Type"] in body["AdTypes"]
                ]
            }
        )

    def partial(index: int, code: int, name: str, message: str) -> dict[str, Any]:
        return {"Code": code, "ErrorCode": name, "Index": index, "Message": message, "Type": "BatchError"}

    def campaign_problem(i: int, item: dict[str, Any]) -> dict[str, Any] | None:
        """The BatchError Microsoft answers for one campaign of an add or update (the reference's
        operation error codes), or None."""
        name = item.get("Name")
        if name is not None and (not isinstance(name, str) or not name.strip() or len(name) > 128):
            return partial(i, 1101, "CampaignServiceInvalidCampaignName", "The campaign name is not valid.")
        if item.get("Status") not in (None, "Active", "Paused"):
            return partial(
                i,
                1120,
                "CampaignServiceInvalidCampaignStatus",
                "The campaign status is not valid for the requested operation.",
            )
        budget = item.get("DailyBudget")
        if budget is not None and (
            isinstance(budget, bool) or not isinstance(budget, int | float) or budget <= 0
        ):
            return partial(
                i, 1106, "CampaignServiceInvalidDailyBudget", "The campaign daily budget is not valid."
            )
        return None

    def update_campaigns(request: Request, body: dict[str, Any]) -> Response:
        errors = []
        for i, item in enumerate(body.get("Campaigns") or []):
            c = fake.campaigns.get(int(item["Id"]))
            if c is None:
                errors.append(
                    partial(i, 1100, "CampaignServiceInvalidCampaignId", "The campaign ID is not valid.")
                )
                continue
            if problem := campaign_problem(i, item):
                errors.append(problem)
                continue
            c.update({k: v for k, v in item.items() if k != "Id" and v is not None})
        return JSONResponse({"PartialErrors": errors})

    def add_campaigns(request: Request, body: dict[str, Any]) -> Response:
        ids: list[int | None] = []
        errors = []
        for i, item in enumerate(body.get("Campaigns") or []):
            if (problem := campaign_problem(i, item)) or not item.get("Name"):
                ids.append(None)
                errors.append(
                    problem
                    or partial(
                        i, 1101, "CampaignServiceInvalidCampaignName", "The campaign name is not valid."
                    )
                )
                continue
            if any(c["Name"] == item.get("Name") for c in fake.campaigns.values()):
                ids.append(None)
                errors.append(
                    partial(
                        i,
                        1115,
                        "CampaignServiceCannotCreateDuplicateCampaign",
                        "An attempt was made to create a duplicate of a campaign that already exists.",
                    )
                )
                continue
            if item.get("BudgetType") not in (
                "DailyBudgetStandard",
                "DailyBudgetAccelerated",
            ) or not item.get("Languages"):
                ids.append(None)
                errors.append(
                    partial(
                        i,
                        1121,
                        "CampaignServiceInvalidBudgetType",
                        "The campaign budget type is missing or is not valid.",
                    )
                )
                continue
            new_id = max(fake.campaigns) + 1
            fake.campaigns[new_id] = {**item, "Id": new_id, "BudgetId": None}
            ids.append(new_id)
        return JSONResponse({"CampaignIds": ids, "PartialErrors": errors})

    def update_ad_groups(request: Request, body: dict[str, Any]) -> Response:
        errors = []
        for i, item in enumerate(body.get("AdGroups") or []):
            g = fake.ad_groups.get(int(item["Id"]))
            if g is None or g["CampaignId"] != int(body.get("CampaignId") or 0):
                errors.append(
                    partial(i, 1201, "CampaignServiceInvalidAdGroupId", "The ad group ID is not valid.")
                )
                continue
            g.update({k: v for k, v in item.items() if k != "Id"})
        return JSONResponse({"PartialErrors": errors})

    def update_ads(request: Request, body: dict[str, Any]) -> Response:
        errors = []
        for i, item in enumerate(body.get("Ads") or []):
            a = fake.ads.get(int(item["Id"]))
            if (
                a is None
                or a["AdGroupId"] != int(body.get("AdGroupId") or 0)
                or item.get("Type") != a["Type"]
            ):
                errors.append(partial(i, 1302, "CampaignServiceInvalidAdId", "The ad ID is not valid."))
                continue
            a.update({k: v for k, v in item.items() if k not in ("Id", "Type")})
        return JSONResponse({"PartialErrors": errors})

    def add_ad_groups(request: Request, body: dict[str, Any]) -> Response:
        """AddAdGroups: a name of 1-256 characters unique in the campaign, a status of Active or
        Paused, a positive CPC bid; the campaign must exist (and not be deleted)."""
        cid = int(body.get("CampaignId") or 0)
        if cid not in fake.campaigns:
            return _fault(
                1100,
                "CampaignServiceInvalidCampaignId",
                "The campaign ID is not valid.",
                400,
                "ApiFaultDetail",
            )
        ids: list[int | None] = []
        errors = []
        for i, item in enumerate(body.get("AdGroups") or []):
            name, bid = item.get("Name"), (item.get("CpcBid") or {}).get("Amount")
            problem = None
            if not isinstance(name, str) or not name.strip() or len(name) > 256:
                problem = partial(
                    i, 1207, "CampaignServiceInvalidAdGroupName", "The ad group name is not valid."
                )
            elif any(g["CampaignId"] == cid and g["Name"] == name for g in fake.ad_groups.values()):
                problem = partial(i, 1211, "CampaignServiceDuplicateAdGroup", "The ad group already exists.")
            elif item.get("Status") not in (None, "Active", "Paused"):
                problem = partial(
                    i, 1214, "CampaignServiceInvalidAdGroupStatus", "The ad group status is not valid."
                )
            elif bid is not None and (not isinstance(bid, int | float) or bid <= 0):
                problem = partial(i, 1225, "CampaignServiceInvalidCpcBid", "The CPC bid amount is not valid.")
            if problem:
                ids.append(None)
                errors.append(problem)
                continue
            new_id = max(fake.ad_groups) + 1
            fake.ad_groups[new_id] = {"Status": "Active", **item, "Id": new_id, "CampaignId": cid}
            ids.append(new_id)
        return JSONResponse({"AdGroupIds": ids, "PartialErrors": errors})

    def add_ads(request: Request, body: dict[str, Any]) -> Response:
        """AddAds with ResponsiveSearchAd: 3-15 headlines of at most 30 characters, 2-4 descriptions
        of at most 90, final URLs required (6212/6213 below the minimum, 6206/6207 a bad text)."""
        gid = int(body.get("AdGroupId") or 0)
        if gid not in fake.ad_groups:
            return _fault(
                1201,
                "CampaignServiceInvalidAdGroupId",
                "The ad group ID is not valid.",
                400,
                "ApiFaultDetail",
            )
        ids: list[int | None] = []
        errors = []
        for i, item in enumerate(body.get("Ads") or []):
            heads = [((h or {}).get("Asset") or {}).get("Text") or "" for h in item.get("Headlines") or []]
            descs = [((d or {}).get("Asset") or {}).get("Text") or "" for d in item.get("Descriptions") or []]
            problem = None
            if item.get("Type") != "ResponsiveSearch":
                problem = partial(i, 1318, "CampaignServiceInvalidAdType", "The ad type is not valid.")
            elif len(heads) < 3:
                problem = partial(i, 6212, "CampaignServiceResponsiveSearchAdHeadlinesLessThanMinRequired",
                                  "The minimum number of eligible headlines has not been met.")  # fmt: skip
            elif len(descs) < 2:
                problem = partial(i, 6213, "CampaignServiceResponsiveSearchAdDescriptionsLessThanMinRequired",
                                  "The minimum number of eligible descriptions has not been met.")  # fmt: skip
            elif len(heads) > 15 or any(not h.strip() or len(h) > 30 for h in heads):
                problem = partial(i, 6206, "CampaignServiceResponsiveSearchAdInvalidHeadline",
                                  "One or more headlines are invalid.")  # fmt: skip
            elif len(descs) > 4 or any(not d.strip() or len(d) > 90 for d in descs):
                problem = partial(i, 6207, "CampaignServiceResponsiveSearchAdInvalidDescription",
                                  "One or more descriptions are invalid.")  # fmt: skip
            elif not item.get("FinalUrls") or not all(item["FinalUrls"]):
                problem = partial(i, 1349, "CampaignServiceFinalUrlRequired", "The final URL is required.")
            if problem:
                ids.append(None)
                errors.append(problem)
                continue
            new_id = max(fake.ads) + 1
            fake.ads[new_id] = {"Status": "Active", **item, "Id": new_id, "AdGroupId": gid}
            ids.append(new_id)
        return JSONResponse({"AdIds": ids, "PartialErrors": errors})

    def delete(kept: dict[int, dict[str, Any]], parent_key: str, ids_key: str, code: int, error: str) -> Any:
        """DeleteCampaigns / DeleteAdGroups / DeleteAds: gone for good (queries no longer return
        them); an id not under the parent is a partial error."""

        def handler(request: Request, body: dict[str, Any]) -> Response:
            parent = int(body.get(parent_key) or 0)
            errors = []
            for i, raw in enumerate(body.get(ids_key) or []):
                item = kept.get(int(raw))
                owner = {"AccountId": int(ACCOUNT), "CampaignId": (item or {}).get("CampaignId"),
                         "AdGroupId": (item or {}).get("AdGroupId")}[parent_key]  # fmt: skip
                if item is None or owner != parent:
                    errors.append(partial(i, code, error, "The ID is not valid."))
                    continue
                del kept[int(raw)]
            return JSONResponse({"PartialErrors": errors})

        return handler

    def submit(request: Request, body: dict[str, Any]) -> Response:
        job = body.get("ReportRequest") or {}
        kind = job.get("Type")
        if kind not in REPORT_COLUMNS:
            return _fault(
                2001,
                "InvalidReportRequestType",
                "The report request type is not valid. Use Type, not __type.",
                400,
                "ApiFaultDetail",
            )
        columns = job.get("Columns") or []
        if not columns or set(columns) - REPORT_COLUMNS[kind] or "TimePeriod" not in columns:
            return _fault(
                2004,
                "ReportingServiceInvalidReportColumns",
                "The report columns are not valid.",
                400,
                "ApiFaultDetail",
            )
        if job.get("Aggregation") != "Daily" or job.get("Format") != "Csv":
            return _fault(
                2006,
                "ReportingServiceInvalidReportAggregation",
                "Aggregation must be Daily here.",
                400,
                "ApiFaultDetail",
            )
        if [str(a) for a in (job.get("Scope") or {}).get("AccountIds") or []] != [ACCOUNT]:
            return _fault(
                2010,
                "ReportingServiceInvalidAccountIds",
                "The account IDs are not valid.",
                400,
                "ApiFaultDetail",
            )
        time_ = job.get("Time") or {}
        if (
            not time_.get("CustomDateRangeStart")
            or not time_.get("CustomDateRangeEnd")
            or not time_.get("ReportTimeZone")
        ):
            return _fault(
                2015,
                "ReportingServiceInvalidCustomDateRange",
                "A custom date range and ReportTimeZone are required.",
                400,
                "ApiFaultDetail",
            )
        if kind in fake.fail_reports:
            return _fault(
                106, "UserIsNotAuthorized", "The user is not authorized to request this report.", 403
            )
        rid = f"{len(fake.reports) + 1:04d}-report"
        fake.reports[rid] = {**job, "polls": 0}
        return JSONResponse({"ReportRequestId": rid})

    def poll(request: Request, body: dict[str, Any]) -> Response:
        rid = str(body.get("ReportRequestId") or "")
        job = fake.reports.get(rid)
        if job is None:
            return _fault(
                2100,
                "ReportingServiceInvalidReportId",
                "The report request ID is not valid.",
                400,
                "ApiFaultDetail",
            )
        if fake.faults[:1] == ["__poll_error__"]:
            fake.faults.pop(0)
            return JSONResponse({"ReportRequestStatus": {"ReportDownloadUrl": None, "Status": "Error"}})
        job["polls"] += 1
        if job["polls"] <= fake.pending_polls:
            return JSONResponse({"ReportRequestStatus": {"ReportDownloadUrl": None, "Status": "Pending"}})
        if fake.report_csv(job) is None:
            return JSONResponse({"ReportRequestStatus": {"ReportDownloadUrl": None, "Status": "Success"}})
        url = f"{request.base_url}download/{rid}?sv=2026&sig=presigned"
        return JSONResponse({"ReportRequestStatus": {"ReportDownloadUrl": url, "Status": "Success"}})

    ROUTES = {
        "POST Account/Query": account_query,
        "POST Campaigns/QueryByAccountId": campaigns_by_account,
        "POST Campaigns/QueryByIds": campaigns_by_ids,
        "POST AdGroups/QueryByCampaignId": ad_groups_by_campaign,
        "POST Ads/QueryByAdGroupId": ads_by_ad_group,
        "PUT Campaigns": update_campaigns,
        "POST Campaigns": add_campaigns,
        "PUT AdGroups": update_ad_groups,
        "PUT Ads": update_ads,
        "POST AdGroups": add_ad_groups,
        "POST Ads": add_ads,
        "DELETE Campaigns": delete(
            fake.campaigns, "AccountId", "CampaignIds", 1100, "CampaignServiceInvalidCampaignId"
        ),
        "DELETE AdGroups": delete(
            fake.ad_groups, "CampaignId", "AdGroupIds", 1201, "CampaignServiceInvalidAdGroupId"
        ),
        "DELETE Ads": delete(fake.ads, "AdGroupId", "AdIds", 1302, "CampaignServiceInvalidAdId"),
        "POST GenerateReport/Submit": submit,
        "POST GenerateReport/Poll": poll,
    }

    return Starlette(
        routes=[
            Route("/token", token, methods=["POST"]),
            Route("/download/{rid}", download, methods=["GET"]),
            Route("/{path:path}", api, methods=["GET", "POST", "PUT", "DELETE"]),
        ]
    )
