"""`campaign-launch`: a template to one or more platforms, validated, created paused, checked, enabled.

The plan reads every target account (its currency, its campaigns) and checks the template against
the platform's documented limits there; any violation stops the run before anything changes, with
one message per violation. The changes are, per account: create the campaign, its ad group (Meta:
ad set) and its ad, each PAUSED and each under the one created before it (`@KEY` ids); then
`checked_status` PAUSED -> ENABLED for the ad group, the ad and last the campaign, each step first
reading the entity back (there, not removed) before enabling it, so nothing delivers before the
whole tree exists. On LinkedIn the campaign is the creative's ad group, so there is no middle step.

A failure compensates what the run made, newest first: enabled entities are paused, created ones
removed (deleted where the platform deletes, archived where it only archives: `Connector.remove`);
undo does the same. The audit trail records each step.

A crash between the platform's answer and the record is safe: the campaign's creation looks for the
campaign by its name in the account before creating (names are checked free at plan time), and a
connector's `create_ad_group` / `create_ad` find the parent's entity of that name before creating.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, field_validator
from sqlalchemy import select

from adops import store
from adops.connectors.base import AdGroupTemplate, AdTemplate, CampaignTemplate, Connector
from adops.connectors.sandbox import SandboxConnector
from adops.errors import Conflict, InputError, NotFound
from adops.templates import RULES, ad_group_template, ad_template, campaign_template, get, validate
from adops.templates.model import MAX_BUDGET, Template, check_assets
from adops.workflows.engine import (
    Change,
    Context,
    FieldSpec,
    Params,
    Plan,
    Workflow,
    register,
    register_field,
)
from adops.workflows.fields import read_status
from adops.workflows.library.common import PlatformName

#: accounts one launch may target
MAX_ACCOUNTS = 24


class LaunchParams(Params):
    template: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9-]*$")] = Field(
        description="The template's name (built-in or custom)"
    )
    platforms: Annotated[list[PlatformName], Field(max_length=6)] = Field(
        default_factory=list, description="Platforms to launch on (default: the template's own)"
    )
    accounts: Annotated[list[Annotated[str, Field(max_length=120)]], Field(max_length=MAX_ACCOUNTS)] = Field(
        default_factory=list,
        description="platform:account_id targets (default: the first account of each platform)",
    )
    name: Annotated[str, Field(max_length=1000)] | None = Field(
        None, description="The campaign's name (default: the template's campaign name)"
    )
    daily_budget: Annotated[float, Field(gt=0, le=MAX_BUDGET)] | None = Field(
        None, description="Daily budget in each account's currency (default: the template's)"
    )
    assets: Annotated[dict[str, Annotated[str, Field(max_length=200)]], Field(max_length=20)] = Field(
        default_factory=dict,
        description="What the ads need besides text, as platform.reference: id (meta.page_id, "
        "pinterest.pin_id, linkedin.post, tiktok.identity_id, tiktok.video_id); added to the template's",
    )
    enable: bool = Field(True, description="Enable what it created once checked (false: leave it all paused)")

    @field_validator("assets")
    @classmethod
    def _assets(cls, value: dict[str, str]) -> dict[str, str]:
        return check_assets(value)  # refused when the run is started, not when it plans


def plan(params: LaunchParams, ctx: Context) -> Plan:
    template = _template(params)
    targets = _targets(params, template, ctx)
    changes: list[Change] = []
    violations: list[str] = []
    notes: list[str] = []
    for i, (platform, account_id) in enumerate(targets):
        conn = ctx.connector(platform, account_id)
        currency = conn.account(account_id).currency
        sandbox = isinstance(conn, SandboxConnector)
        found = [
            f"{account_id}: {v}" for v in validate(template, platform, currency, check_assets=not sandbox)
        ]
        existing = conn.campaigns(account_id)
        live = ~existing["status"].astype(str).isin(_GONE)
        if ((existing["campaign_name"].astype(str) == template.campaign_name) & live).any():
            found.append(
                f"{account_id}: {platform}: campaign_name: a campaign named {template.campaign_name!r} exists; "
                "choose another name"
            )
        violations += found
        if violations:
            continue
        changes += _account_changes(
            template, platform, account_id, currency, f"{i}:{ctx.run_id}", params.enable
        )
        spec = campaign_template(template, platform)
        levels = " / ".join(RULES[platform].levels)
        notes.append(
            f"{platform} {account_id}: {levels}, {spec.objective}, {spec.daily_budget:,.2f} {currency} a day"
        )
    if violations:
        raise InputError(
            f"template {template.name} breaks {len(violations)} platform rule(s): " + "; ".join(violations)
        )
    output = {"template": template.name, "targets": [f"{p}:{a}" for p, a in targets]}
    return Plan(changes, notes, output)


def _account_changes(
    template: Template, platform: str, account_id: str, currency: str, suffix: str, enable: bool
) -> list[Change]:
    """Create campaign, ad group, ad (each paused, each under the one before), then enable them
    checked, the campaign last, so nothing delivers before the whole tree is there. The ad group
    goes before its ad: an ad group's status is read through its ads, so once its ad is enabled
    it would read as enabled already.

    On LinkedIn the campaign is also the creative's ad group (its canonical `ad_group_id`), so the
    creative goes straight under it."""
    spec = campaign_template(template, platform)
    group = ad_group_template(template, platform)
    ad = ad_template(template, platform)
    reason = f"launch of template {template.name}"
    keys = {level: f"new-{level}{suffix}"[:100] for level in ("campaign", "ad_group", "ad")}
    created = [
        Change(
            platform,
            account_id,
            "campaign",
            "new",
            "campaign",
            None,
            {
                "name": spec.name,
                "objective": spec.objective,
                "daily_budget": spec.daily_budget,
                "bid_amount": spec.bid_amount,
                "extra": dict(spec.extra),
                "currency": currency,
            },
            reason,
            keys["campaign"],
        )
    ]
    parent = keys["campaign"]
    if platform != "linkedin":
        after = {
            "name": group.name,
            "objective": group.objective,
            "daily_budget": group.daily_budget,
            "bid_amount": group.bid_amount,
            "extra": dict(group.extra),
            "currency": currency,
        }
        created.append(
            Change(
                platform,
                account_id,
                "ad_group",
                f"@{parent}",
                "ad_group",
                None,
                after,
                reason,
                keys["ad_group"],
            )
        )
        parent = keys["ad_group"]
    ad_after = {
        "name": ad.name,
        "headlines": list(ad.headlines),
        "descriptions": list(ad.descriptions),
        "landing_url": ad.landing_url,
        "extra": dict(ad.extra),
    }
    created.append(Change(platform, account_id, "ad", f"@{parent}", "ad", None, ad_after, reason, keys["ad"]))
    if not enable:
        return created
    enables = [
        Change(
            platform,
            account_id,
            c.entity_type,
            f"@{c.key}",
            "checked_status",
            "PAUSED",
            "ENABLED",
            f"{reason}: enable once checked",
        )
        for c in (created[1:] + created[:1])  # ad group, ad, then the campaign
    ]
    return created + enables


def _template(params: LaunchParams) -> Template:
    template = get(params.template)
    updates: dict[str, Any] = {}
    if params.name is not None:
        updates["campaign_name"] = params.name
    if params.daily_budget is not None:
        updates["daily_budget"] = params.daily_budget
    if params.assets:
        updates["assets"] = {**template.assets, **params.assets}
    if not updates:
        return template
    from adops.templates.model import parse

    return parse({**template.model_dump(mode="json"), **updates})


def _targets(params: LaunchParams, template: Template, ctx: Context) -> list[tuple[str, str]]:
    platforms: list[str] = list(params.platforms) or list(template.platforms)
    accounts = ctx.accounts()
    known = {(a.platform, a.id) for a in accounts}
    if params.accounts:
        out = []
        for item in params.accounts:
            platform, _, account_id = item.partition(":")
            if (platform, account_id) not in known:
                raise InputError(f"no account {item[:120]!r} in this workspace (write platform:account_id)")
            out.append((platform, account_id))
        return list(dict.fromkeys(out))
    out = []
    for platform in platforms:
        ids = sorted(a.id for a in accounts if a.platform == platform)
        if ids:
            out.append((platform, ids[0]))
    if not out:
        raise InputError(f"no account of {', '.join(platforms)} in this workspace")
    return out


# ---------------------------------------------------------------------------- the kinds of change


def _planned(key: str) -> dict[str, Any]:
    from adops.workflows.models import WorkflowChange

    with store.session() as s:
        row = s.scalars(select(WorkflowChange).where(WorkflowChange.key == key)).first()
        if row is None or not isinstance(row.after, dict):
            raise Conflict(f"no planned campaign creation with key {key[:100]!r}")
        return dict(row.after)


def read_created(conn: Connector, account_id: str, entity_type: str, key: str) -> str | None:
    """The campaign this creation made, found by its name (None: not created yet)."""
    name = _planned(key)["name"]
    frame = conn.campaigns(account_id)
    match = frame[(frame["campaign_name"].astype(str) == name) & (~frame["status"].astype(str).isin(_GONE))]
    return None if match.empty else str(match.iloc[-1]["campaign_id"])


def create(conn: Connector, account_id: str, entity_type: str, entity_id: str, value: Any) -> str:
    """Create the campaign PAUSED; returns its id."""
    spec = CampaignTemplate(
        name=str(value["name"]),
        objective=str(value["objective"]),
        daily_budget=float(value["daily_budget"]),
        bid_amount=_number(value.get("bid_amount")),
        extra=_texts(value.get("extra")),
    )
    return conn.create_campaign(account_id, spec)


def not_read(conn: Connector, account_id: str, entity_type: str, key: str) -> None:
    """An ad group or ad is not looked up here: the connector's create finds the parent's entity
    of that name before it creates one (so a step repeated after a crash makes nothing twice)."""
    return None


def create_ad_group(conn: Connector, account_id: str, entity_type: str, campaign_id: str, value: Any) -> str:
    """Create the ad group (ad set) PAUSED in the new campaign; returns its id."""
    spec = AdGroupTemplate(
        name=str(value["name"]),
        objective=str(value.get("objective") or ""),
        daily_budget=_number(value.get("daily_budget")),
        bid_amount=_number(value.get("bid_amount")),
        extra=_texts(value.get("extra")),
    )
    return conn.create_ad_group(account_id, campaign_id, spec)


def create_ad(conn: Connector, account_id: str, entity_type: str, ad_group_id: str, value: Any) -> str:
    """Create the ad PAUSED in the new ad group; returns its id."""
    spec = AdTemplate(
        name=str(value["name"]),
        headlines=tuple(str(h) for h in value.get("headlines") or ()),
        descriptions=tuple(str(d) for d in value.get("descriptions") or ()),
        landing_url=str(value.get("landing_url") or ""),
        extra=_texts(value.get("extra")),
    )
    return conn.create_ad(account_id, ad_group_id, spec)


def take_away(conn: Connector, account_id: str, entity_type: str, entity_id: str, before: Any) -> None:
    """Compensation and undo of a creation: the entity is removed (deleted, or archived where the
    platform cannot delete). Paused first, so it stops at once even where removal is slow."""
    if entity_type == "ad_group":
        # an ad group's status is read through its ads, which are removed (or never made) by now
        conn.remove(account_id, "ad_group", entity_id)
        return
    status = _status_or_none(conn, account_id, entity_type, entity_id)
    if status in _GONE:
        return
    # None: not readable (gone from the platform's lists); removed all the same
    if status == "ENABLED":
        conn.set_status(account_id, entity_type, entity_id, "PAUSED")  # type: ignore[arg-type]
    conn.remove(account_id, entity_type, entity_id)  # type: ignore[arg-type]


def check_and_enable(conn: Connector, account_id: str, entity_type: str, entity_id: str, value: Any) -> None:
    """Read the new entity back; enable it only if it is there and paused (or enabled already)."""
    status = _status_or_none(conn, account_id, entity_type, entity_id)
    label = entity_type.replace("_", " ")
    if status is None:
        raise Conflict(f"the new {label} {entity_id} is not in {conn.platform} account {account_id}")
    if status not in ("PAUSED", "ENABLED"):
        raise Conflict(f"the new {label} {entity_id} is {status}, not paused")
    conn.set_status(account_id, entity_type, str(entity_id), str(value))  # type: ignore[arg-type]


def pause_again(conn: Connector, account_id: str, entity_type: str, entity_id: str, before: Any) -> None:
    """Undo of an enable: paused again (skipped when the entity is gone already). Not read first:
    an ad group's status is read through its ads, which say PAUSED once its ad is paused."""
    if _status_or_none(conn, account_id, entity_type, entity_id) not in _GONE:
        conn.set_status(account_id, entity_type, entity_id, "PAUSED")  # type: ignore[arg-type]


#: statuses of an entity that is gone (each platform's word)
_GONE = ("REMOVED", "DELETED", "ARCHIVED")


def _status_or_none(conn: Connector, account_id: str, entity_type: str, entity_id: str) -> str | None:
    try:
        status = read_status(conn, account_id, entity_type, entity_id)
    except NotFound:
        return None
    return None if status is None else str(status)


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def _texts(value: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in (value or {}).items()}


register_field(
    FieldSpec("campaign", read_created, create, take_away, entity_types=("campaign",), creates=True)
)
register_field(
    FieldSpec("ad_group", not_read, create_ad_group, take_away, entity_types=("ad_group",), creates=True)
)
register_field(FieldSpec("ad", not_read, create_ad, take_away, entity_types=("ad",), creates=True))
register_field(FieldSpec("checked_status", read_status, check_and_enable, pause_again))

WORKFLOW = register(
    Workflow(
        "campaign-launch",
        "Launch a campaign template on one or more platforms: validated against each platform's rules, "
        "campaign, ad group and ad created paused, checked, then enabled.",
        LaunchParams,
        plan,
        category="launch",
    )
)
