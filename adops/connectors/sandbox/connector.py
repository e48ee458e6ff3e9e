"""The sandbox connector: the connector protocol over the simulator, with writes that stick.

Its state (seed, anchor date, and every budget, status and bid change pushed to it) lives in
`$ADOPS_HOME/sandbox.json`, so a budget applied today changes the spend the simulator reports from
today on, and a rollback restores it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from adops import clock, config, files
from adops.connectors.base import AccountInfo, AdGroupTemplate, AdTemplate, CampaignTemplate, Entity, Status
from adops.connectors.errors import BadRequest, PermissionDenied
from adops.connectors.sandbox.world import Account, World
from adops.store import locks

STATE_FILE = "sandbox.json"


def state_path() -> Path:
    return config.home() / STATE_FILE


def init_state(
    seed: int, anchor: date, campaigns_per_account: tuple[int, int] = (10, 60), wasted_campaigns: int = 0
) -> None:
    """Start a fresh simulated world (used by `adops demo`); `wasted_campaigns`: planted wasted spend."""
    state: dict[str, object] = {
        "seed": seed,
        "anchor": anchor.isoformat(),
        "campaigns_per_account": list(campaigns_per_account),
        "budgets": {},
        "statuses": {},
        "bids": {},
        "created": [],
    }
    if wasted_campaigns > 0:  # only when asked: a world without the key is the simulator's default
        state["wasted_campaigns"] = int(wasted_campaigns)
    files.write_private(state_path(), json.dumps(state, indent=1))


def load_world() -> World:
    """The simulated world of this workspace (a default one, anchored today, if none was built)."""
    state = _read_state()
    return World(
        seed=int(state["seed"]),
        anchor=date.fromisoformat(state["anchor"]),
        campaigns_per_account=tuple(state.get("campaigns_per_account", (10, 60))),  # type: ignore[arg-type]
        accounts_scale=float(state.get("accounts_scale", 1.0)),  # more accounts per platform (benchmarks)
        budget_overrides={
            k: [(date.fromisoformat(d), float(v)) for d, v in items]
            for k, items in state.get("budgets", {}).items()
        },
        status_overrides={
            k: [(date.fromisoformat(d), str(v)) for d, v in items]
            for k, items in state.get("statuses", {}).items()
        },
        created=list(state.get("created", [])),
        bids={k: float(v) for k, v in state.get("bids", {}).items()},
        wasted_campaigns=int(state.get("wasted_campaigns", 0)),
        untracked_campaigns=int(state.get("untracked_campaigns", 0)),
    )


def _read_state() -> dict[str, Any]:
    try:
        return dict(json.loads(state_path().read_text()))
    except FileNotFoundError:
        return {"seed": config.load().sandbox_seed, "anchor": clock.today().isoformat()}


@contextmanager
def _editing() -> Iterator[dict[str, Any]]:
    with locks.exclusive("sandbox", wait=60):
        state = _read_state()
        yield state
        files.write_private(state_path(), json.dumps(state, indent=1))


class SandboxConnector:
    """One platform of the simulator, behind the same protocol as the real clients."""

    def __init__(self, platform: str, world: World | None = None) -> None:
        self.platform = platform
        self._world = world

    @property
    def world(self) -> World:
        """The simulated world, read from the workspace on first use: a sync hands every account's
        connector the one world it shares before any use, so no connector reads its own."""
        if self._world is None:
            self._world = load_world()
        return self._world

    @world.setter
    def world(self, value: World) -> None:
        self._world = value

    # reads
    def account(self, account_id: str) -> AccountInfo:
        acc = self._account(account_id)
        return AccountInfo(acc.platform, acc.id, acc.name, acc.currency, acc.timezone)

    def campaigns(self, account_id: str) -> pd.DataFrame:
        acc = self._account(account_id)
        budgets = self.world.budget_overrides
        today = clock.today(acc.timezone)
        rows = []
        for c in self.world.campaigns(account_id):
            budget = c.budget
            for effective, amount in budgets.get(c.id, []):
                if effective <= today:
                    budget = amount
            rows.append(
                {
                    "platform": self.platform,
                    "account_id": account_id,
                    "campaign_id": c.id,
                    "campaign_name": c.name,
                    "status": self._status(c.id, c.status, today),
                    "objective": c.objective,
                    "daily_budget": budget,
                    "lifetime_budget": None,
                    "bidding_strategy": "MAXIMIZE_CONVERSIONS",
                    "bid_amount": c.bid,
                    "currency": acc.currency,
                    "start_date": c.start,
                    "conversion_actions": self.world.conversion_actions(c, today),
                }
            )
        return pd.DataFrame(rows)

    def ads(self, account_id: str) -> pd.DataFrame:
        acc = self._account(account_id)
        today = clock.today(acc.timezone)
        learning = self.world.learning(account_id, today)  # Meta ad sets' learning phase (else empty)
        return pd.DataFrame(
            [
                {
                    "platform": self.platform,
                    "account_id": account_id,
                    "ad_id": a.id,
                    "ad_group_id": a.ad_group_id,
                    "ad_group_name": a.ad_group_name,
                    "campaign_id": a.campaign_id,
                    "ad_name": a.name,
                    "status": self._status(a.id, a.status, today),
                    "creative_type": "IMAGE",
                    "headline": a.headline,
                    "landing_url": a.landing_url or f"https://shop.example.com/lp/{a.campaign_id}",
                    "ad_group_learning_stage": learning[a.ad_group_id][0]
                    if a.ad_group_id in learning
                    else None,
                }
                for a in self.world.ads(account_id)
            ]
        )

    def campaign_daily(self, account_id: str, since: date, until: date) -> pd.DataFrame:
        acc = self._account(account_id)
        return self.world.campaign_daily(account_id, since, until, as_of=clock.today(acc.timezone))

    def ad_daily(self, account_id: str, since: date, until: date) -> pd.DataFrame:
        acc = self._account(account_id)
        return self.world.ad_daily(account_id, since, until, as_of=clock.today(acc.timezone))

    def ad_daily_table(self, account_id: str, since: date, until: date) -> pa.Table | None:
        """`ad_daily` as Arrow sorted by date, without pandas (the sync's fast path); None: no rows."""
        acc = self._account(account_id)
        return self.world.ad_daily_table(account_id, since, until, as_of=clock.today(acc.timezone))

    # writes
    def set_daily_budget(self, account_id: str, campaign_id: str, amount: float) -> float | None:
        if amount <= 0:
            raise BadRequest(f"daily budget must be positive, got {amount}")
        before = self._campaign_row(account_id, campaign_id)["daily_budget"]
        today = clock.today(self._account(account_id).timezone).isoformat()
        with _editing() as state:
            items = [i for i in state.setdefault("budgets", {}).get(campaign_id, []) if i[0] != today]
            state["budgets"][campaign_id] = [*items, [today, float(amount)]]
        # the world reads its overrides on every query: update them in place (rebuilding the world's
        # accounts and campaigns after every write made a plan over 1,000 campaigns take a minute)
        self.world.budget_overrides[campaign_id] = [
            (date.fromisoformat(d), float(v)) for d, v in state["budgets"][campaign_id]
        ]
        return float(before)

    def set_status(self, account_id: str, entity: Entity, entity_id: str, status: Status) -> str | None:
        if status not in ("ENABLED", "PAUSED"):
            raise BadRequest(f"status must be ENABLED or PAUSED, got {status}")
        return self._set_status(account_id, entity, entity_id, status)

    def _set_status(self, account_id: str, entity: Entity, entity_id: str, status: str) -> str:
        group = self._created_group(account_id, entity_id) if entity == "ad_group" else None
        if entity == "campaign":
            before = self._campaign_row(account_id, entity_id)["status"]
            if before == "REMOVED":
                raise BadRequest(f"campaign {entity_id} is removed")
        elif group is not None:
            before = self._status(entity_id, "PAUSED", clock.today(self._account(account_id).timezone))
        else:
            frame = self.ads(account_id)
            match = (
                frame[frame.ad_id == entity_id] if entity == "ad" else frame[frame.ad_group_id == entity_id]
            )
            if match.empty:
                raise BadRequest(f"no {entity} {entity_id} in account {account_id}")
            before = match.iloc[0]["status"]
        today = clock.today(self._account(account_id).timezone).isoformat()
        ids = [entity_id]
        if entity == "ad_group":
            ids = [a.id for a in self.world.ads(account_id) if a.ad_group_id == entity_id]
            if group is not None:
                ids.append(entity_id)  # a launched ad group keeps its own status, ads or not
        with _editing() as state:
            for i in ids:
                items = [x for x in state.setdefault("statuses", {}).get(i, []) if x[0] != today]
                state["statuses"][i] = [*items, [today, status]]
        for i in ids:  # in place, as for budgets
            self.world.status_overrides[i] = [
                (date.fromisoformat(d), str(v)) for d, v in state["statuses"][i]
            ]
        return str(before)

    def set_bid(self, account_id: str, entity: Entity, entity_id: str, amount: float) -> float | None:
        if amount <= 0:
            raise BadRequest(f"bid must be positive, got {amount}")
        if entity != "campaign":
            raise BadRequest("the sandbox sets bids on campaigns")
        before = self._campaign_row(account_id, entity_id)["bid_amount"]
        with _editing() as state:
            state.setdefault("bids", {})[entity_id] = float(amount)
        self.world = load_world()
        return None if pd.isna(before) else float(before)

    def create_campaign(self, account_id: str, template: CampaignTemplate) -> str:
        if template.daily_budget <= 0:
            raise BadRequest("template daily_budget must be positive")
        acc = self._account(account_id)
        today = clock.today(acc.timezone).isoformat()
        with _editing() as state:
            created = state.setdefault("created", [])
            campaign_id = f"{account_id.removeprefix('act_')}9{len(created) + 1:03d}"
            created.append(
                {
                    "account_id": account_id,
                    "id": campaign_id,
                    "name": template.name,
                    "objective": template.objective,
                    "budget": template.daily_budget,
                    "bid": template.bid_amount,
                    "start": today,
                    "structure": True,  # its ad groups and ads come from create_ad_group / create_ad
                }
            )
            state.setdefault("statuses", {})[campaign_id] = [[today, "PAUSED"]]
        self.world = load_world()
        return campaign_id

    def create_ad_group(self, account_id: str, campaign_id: str, template: AdGroupTemplate) -> str:
        """A PAUSED ad group in a campaign launched here (find-or-create by name)."""
        camp = self._campaign_row(account_id, campaign_id)
        if not template.name.strip():
            raise BadRequest("ad group name is required")
        found = [g for g in self.world.ad_groups(account_id) if g["campaign_id"] == campaign_id]
        for g in found:
            if g["name"] == template.name and self._status(g["id"], "PAUSED", date.max) != "REMOVED":
                return str(g["id"])
        if camp["status"] == "REMOVED":
            raise BadRequest(f"campaign {campaign_id} is removed")
        today = clock.today(self._account(account_id).timezone).isoformat()
        group_id = f"{campaign_id}{len(found) + 1:02d}"
        with _editing() as state:
            state.setdefault("created", []).append(
                {
                    "kind": "ad_group",
                    "account_id": account_id,
                    "campaign_id": campaign_id,
                    "id": group_id,
                    "name": template.name,
                    "budget": template.daily_budget,
                    "bid": template.bid_amount,
                    "start": today,
                }
            )
            state.setdefault("statuses", {})[group_id] = [[today, "PAUSED"]]
        self.world = load_world()
        return group_id

    def create_ad(self, account_id: str, ad_group_id: str, template: AdTemplate) -> str:
        """A PAUSED ad in an ad group launched here (find-or-create by name)."""
        group = self._created_group(account_id, ad_group_id)
        if group is None:
            raise BadRequest(f"no ad group {ad_group_id} launched in account {account_id}")
        if not template.name.strip() or not template.headlines or not template.landing_url:
            raise BadRequest("an ad needs a name, a headline and a landing URL")
        mine = [a for a in self.world.ads(account_id) if a.ad_group_id == ad_group_id]
        for a in mine:
            if a.name == template.name and self._status(a.id, "PAUSED", date.max) != "REMOVED":
                return a.id
        today = clock.today(self._account(account_id).timezone).isoformat()
        ad_id = f"{ad_group_id}{len(mine) + 1:03d}"
        with _editing() as state:
            state.setdefault("created", []).append(
                {
                    "kind": "ad",
                    "account_id": account_id,
                    "campaign_id": group["campaign_id"],
                    "ad_group_id": ad_group_id,
                    "ad_group_name": group["name"],
                    "id": ad_id,
                    "name": template.name,
                    "headline": template.headlines[0],
                    "landing_url": template.landing_url,
                    "start": today,
                }
            )
            state.setdefault("statuses", {})[ad_id] = [[today, "PAUSED"]]
        self.world = load_world()
        return ad_id

    def remove(self, account_id: str, entity: Entity, entity_id: str) -> str:
        """REMOVED from today on (an ad group's ads with it); a removed entity stays removed."""
        today = clock.today(self._account(account_id).timezone)
        if self._status(entity_id, "", today) != "REMOVED":
            self._set_status(account_id, entity, entity_id, "REMOVED")
        return "REMOVED"

    # helpers
    def _created_group(self, account_id: str, ad_group_id: str) -> dict[str, Any] | None:
        return next((g for g in self.world.ad_groups(account_id) if g["id"] == ad_group_id), None)

    def _account(self, account_id: str) -> Account:
        try:
            acc = self.world.account(account_id)
        except KeyError:
            raise PermissionDenied(f"the sandbox has no {self.platform} account {account_id}") from None
        if acc.platform != self.platform:
            raise PermissionDenied(f"account {account_id} belongs to {acc.platform}, not {self.platform}")
        return acc

    def _campaign_row(self, account_id: str, campaign_id: str) -> pd.Series:
        frame = self.campaigns(account_id)
        match = frame[frame.campaign_id == campaign_id]
        if match.empty:
            raise BadRequest(f"no campaign {campaign_id} in account {account_id}")
        return match.iloc[0]

    def _status(self, entity_id: str, default: str, today: date) -> str:
        status = default
        for effective, value in self.world.status_overrides.get(entity_id, []):
            if effective <= today:
                status = value
        return status
