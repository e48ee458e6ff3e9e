"""`campaign-launch`: a template to one or more platforms, validated, created paused, checked, enabled.

The plan reads every target account (its currency, its campaigns) and checks the template against
the platform's documented limits there; any violation stops the run before anything changes, with
one message per violation. The changes are, per account: create the campaign (PAUSED), then
`checked_status` PAUSED -> ENABLED, whose step first reads the new campaign back and checks it
(there, paused, the budget asked) before enabling it. A failure compensates what the run made:
created campaigns are left paused (the connector protocol has no delete), and the audit trail
records each step. Undo pauses them again, newest first.

A crash between the platform's answer and the record is safe: the creation's `read` looks for the
campaign by its name in the account before creating (names are checked free at plan time).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field
from sqlalchemy import select

from adops import store
from adops.connectors.base import CampaignTemplate, Connector
from adops.errors import Conflict, InputError
from adops.templates import campaign_template, get, validate
from adops.templates.model import MAX_BUDGET, Template
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
    enable: bool = Field(
        True, description="Enable the campaigns once created and checked (false: leave them paused)"
    )


def plan(params: LaunchParams, ctx: Context) -> Plan:
    template = _template(params)
    targets = _targets(params, template, ctx)
    changes: list[Change] = []
    violations: list[str] = []
    notes: list[str] = []
    for i, (platform, account_id) in enumerate(targets):
        conn = ctx.connector(platform, account_id)
        currency = conn.account(account_id).currency
        violations += [f"{account_id}: {v}" for v in validate(template, platform, currency)]
        existing = conn.campaigns(account_id)
        if (existing["campaign_name"].astype(str) == template.campaign_name).any():
            violations.append(
                f"{account_id}: {platform}: campaign_name: a campaign named {template.campaign_name!r} exists; "
                "choose another name"
            )
        if violations:
            continue
        spec = campaign_template(template, platform)
        key = f"new{i}:{ctx.run_id}"[:100]
        after = {
            "name": spec.name,
            "objective": spec.objective,
            "daily_budget": spec.daily_budget,
            "bid_amount": spec.bid_amount,
            "extra": dict(spec.extra),
            "currency": currency,
        }
        reason = f"launch of template {template.name}"
        changes.append(Change(platform, account_id, "campaign", "new", "campaign", None, after, reason, key))
        if params.enable:
            changes.append(
                Change(
                    platform,
                    account_id,
                    "campaign",
                    f"@{key}",
                    "checked_status",
                    "PAUSED",
                    "ENABLED",
                    f"{reason}: enable once checked",
                )
            )
        notes.append(f"{platform} {account_id}: {spec.objective}, {spec.daily_budget:,.2f} {currency} a day")
    if violations:
        raise InputError(
            f"template {template.name} breaks {len(violations)} platform rule(s): " + "; ".join(violations)
        )
    output = {"template": template.name, "targets": [f"{p}:{a}" for p, a in targets]}
    return Plan(changes, notes, output)


def _template(params: LaunchParams) -> Template:
    template = get(params.template)
    updates: dict[str, Any] = {}
    if params.name is not None:
        updates["campaign_name"] = params.name
    if params.daily_budget is not None:
        updates["daily_budget"] = params.daily_budget
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


# ---------------------------------------------------------------------------- the two kinds of change


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
    match = frame[(frame["campaign_name"].astype(str) == name) & (frame["status"].astype(str) != "REMOVED")]
    return None if match.empty else str(match.iloc[-1]["campaign_id"])


def create(conn: Connector, account_id: str, entity_type: str, entity_id: str, value: Any) -> str:
    """Create the campaign PAUSED; returns its id."""
    spec = CampaignTemplate(
        name=str(value["name"]),
        objective=str(value["objective"]),
        daily_budget=float(value["daily_budget"]),
        bid_amount=None if value.get("bid_amount") is None else float(value["bid_amount"]),
        extra={str(k): str(v) for k, v in (value.get("extra") or {}).items()},
    )
    return conn.create_campaign(account_id, spec)


def leave_paused(conn: Connector, account_id: str, entity_type: str, entity_id: str, before: Any) -> None:
    """Compensation and undo of a creation: the campaign stays, paused (no delete in the protocol)."""
    if read_status(conn, account_id, "campaign", entity_id) != "PAUSED":
        conn.set_status(account_id, "campaign", entity_id, "PAUSED")


def check_and_enable(conn: Connector, account_id: str, entity_type: str, entity_id: str, value: Any) -> None:
    """Read the new campaign back; enable it only if it is there, paused, with the budget asked."""
    frame = conn.campaigns(account_id)
    match = frame[frame["campaign_id"].astype(str) == str(entity_id)]
    if match.empty:
        raise Conflict(f"the new campaign {entity_id} is not in {conn.platform} account {account_id}")
    row = match.iloc[0]
    if str(row["status"]) not in ("PAUSED", "ENABLED"):
        raise Conflict(f"the new campaign {entity_id} is {row['status']}, not paused")
    conn.set_status(account_id, "campaign", str(entity_id), str(value))  # type: ignore[arg-type]


register_field(
    FieldSpec("campaign", read_created, create, leave_paused, entity_types=("campaign",), creates=True)
)
register_field(
    FieldSpec(
        "checked_status",
        read_status,
        check_and_enable,
        lambda conn, a, t, e, before: conn.set_status(a, "campaign", e, "PAUSED"),
        entity_types=("campaign",),
    )
)

WORKFLOW = register(
    Workflow(
        "campaign-launch",
        "Launch a campaign template on one or more platforms: validated against each platform's rules, "
        "created paused, checked, then enabled.",
        LaunchParams,
        plan,
        category="launch",
    )
)
