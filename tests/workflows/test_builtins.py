"""Every built-in workflow end to end on the sandbox: dry run (nothing changes anywhere), approval,
apply (a later sync shows the change in the warehouse), undo (a later sync shows the old value)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from adops import warehouse
from adops.connectors.sandbox import SandboxConnector
from tests.workflows import support

pytestmark = pytest.mark.slow


@pytest.fixture
def home(demo_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return support.private_demo(demo_home, tmp_path, monkeypatch)


def enabled_campaigns(limit: int = 3, platform: str = "meta") -> list[dict[str, str]]:
    frame = warehouse.query(
        "SELECT platform, account_id, campaign_id FROM campaigns WHERE platform = ? AND status = 'ENABLED' "
        "ORDER BY account_id, campaign_id LIMIT ?",
        [platform, limit],
    )
    return [
        {
            "platform": r.platform,
            "account_id": r.account_id,
            "entity_type": "campaign",
            "entity_id": r.campaign_id,
        }
        for r in frame.itertuples()
    ]


def test_bulk_pause_across_platforms(home: Path) -> None:
    entities = enabled_campaigns(2, "meta") + enabled_campaigns(1, "google_ads")
    run = support.end_to_end(home, "bulk", {"action": "pause", "entities": entities})
    assert {c["platform"] for c in run["changes"]} == {"meta", "google_ads"}
    assert len(support.audit_rows(run["run_id"])) == 6  # three applied, three undone


def test_bulk_budget_by_percent(home: Path) -> None:
    run = support.end_to_end(
        home, "bulk", {"action": "budget", "percent": -15, "entities": enabled_campaigns(2)}
    )
    for c in run["changes"]:
        assert c["after"] == round(c["before"] * 0.85, 2)


def test_pacing_guard_slows_what_overspends(home: Path) -> None:
    spend = warehouse.query(
        """SELECT c.platform, c.account_id, c.campaign_id, sum(d.spend) AS spend
           FROM campaign_daily d JOIN campaigns c USING (platform, account_id, campaign_id)
           WHERE c.status = 'ENABLED' AND c.platform = 'tiktok' AND d.date >= DATE '2026-11-01' AND d.date < DATE '2026-11-24'
           GROUP BY ALL ORDER BY spend DESC LIMIT 1"""
    ).iloc[0]
    # a cap the month to date has nearly used: what is left cannot carry the run rate
    cap = float(spend["spend"]) * 1.03
    budgets = [
        {
            "platform": "tiktok",
            "account_id": spend["account_id"],
            "campaign_id": spend["campaign_id"],
            "monthly_budget": cap,
        }
    ]
    run = support.end_to_end(
        home, "pacing-guard", {"budgets": budgets, "platforms": ["tiktok"], "min_budget_fraction": 0.01}
    )
    [change] = [c for c in run["changes"] if c["entity_id"] == spend["campaign_id"]]
    assert change["field"] == "daily_budget" and change["after"] < change["before"]
    left = cap - float(spend["spend"])  # what the cap leaves for the 7 days from today, the 24th
    assert change["after"] == pytest.approx(left / 7, abs=0.01)
    assert all(c["after"] == "PAUSED" or c["after"] < c["before"] for c in run["changes"])


def test_bid_adjustment_moves_bids_toward_the_target_cpa(home: Path) -> None:
    # campaigns with manual bids: set on the platform, then synced
    entities = enabled_campaigns(3, "linkedin")
    conn = SandboxConnector("linkedin")
    for e in entities:
        conn.set_bid(e["account_id"], "campaign", e["entity_id"], 10.0)
    support.sync(["linkedin"])
    run = support.end_to_end(
        home,
        "bid-adjustment",
        {"target_cpa": 1.0, "platforms": ["linkedin"], "max_step": 0.2, "min_conversions": 0},
    )
    assert all(c["after"] == 8.0 for c in run["changes"])  # far above target: the full 20% step down


def test_anomaly_response_pauses_and_notifies(home: Path) -> None:
    [e] = enabled_campaigns(1, "pinterest")
    params = {
        "platform": "pinterest", "account_id": e["account_id"], "campaign_id": e["entity_id"],
        "metric": "spend", "direction": "spike", "severity": "critical", "pause": True,
    }  # fmt: skip
    run = support.end_to_end(home, "anomaly-response", params)
    notify = next(s for s in run["steps"] if s["name"] == "notify")
    assert notify["status"] == "succeeded" and notify["output"]["paused"] == [e["entity_id"]]
    from adops.store import events

    assert any(ev.type == "anomaly.response" for ev in events.after(0, 5000))


def test_creative_rotation_pauses_fatigued_ads(home: Path) -> None:
    run = support.end_to_end(
        home, "creative-rotation", {"min_drop": 0.05, "min_impressions": 100, "max_pauses": 3}
    )
    assert all(c["entity_type"] == "ad" and c["after"] == "PAUSED" for c in run["changes"])


def test_ab_test_rolls_out_a_declared_winner(home: Path) -> None:
    from adops.experiments import store

    frame = warehouse.query(
        "SELECT account_id, campaign_id FROM campaigns WHERE platform = 'meta' AND status = 'ENABLED' ORDER BY account_id, campaign_id"
    )
    account = frame["account_id"].iloc[0]
    ids = frame[frame["account_id"] == account]["campaign_id"].tolist()[:2]
    exp = store.create(
        "budget split",
        [
            store.Variant("A", "meta", account, "campaign", ids[0]),
            store.Variant("B", "meta", account, "campaign", ids[1]),
        ],
        start=date(2026, 10, 1),
    )
    store.declare_winner(exp.id, "B", actor="test")
    run = support.end_to_end(home, "ab-test", {"action": "rollout", "experiment_id": exp.id})
    fields = sorted((c["entity_id"], c["field"]) for c in run["changes"])
    assert fields == sorted([(ids[0], "status"), (ids[1], "daily_budget")])


def test_ab_test_setup_enables_paused_variants_and_stores_the_experiment(home: Path) -> None:
    from adops.experiments import store

    ads = warehouse.query(
        "SELECT account_id, ad_group_id, ad_id FROM ads WHERE platform = 'google_ads' ORDER BY ad_group_id, ad_id LIMIT 2"
    )
    account, a, b = ads["account_id"].iloc[0], ads["ad_id"].iloc[0], ads["ad_id"].iloc[1]
    SandboxConnector("google_ads").set_status(account, "ad", b, "PAUSED")
    variants = [
        {"name": "control", "platform": "google_ads", "account_id": account, "level": "ad", "entity_id": a},
        {"name": "new", "platform": "google_ads", "account_id": account, "level": "ad", "entity_id": b},
    ]
    support.sync(["google_ads"])
    run = support.end_to_end(
        home, "ab-test", {"action": "setup", "name": "headline test", "variants": variants}
    )
    assert [(c["entity_id"], c["after"]) for c in run["changes"]] == [(b, "ENABLED")]
    stored = [e for e in store.list_experiments() if e.name == "headline test"]
    assert len(stored) == 1  # the record step ran once, not in the dry run


def saved_plan() -> int:
    """A draft campaign plan over one meta account of the demo: +100%, -20%."""
    from datetime import UTC, datetime

    from adops.store.db import session
    from adops.store.models import BudgetPlan, BudgetPlanLine

    frame = warehouse.query(
        "SELECT account_id, campaign_id FROM campaigns WHERE platform = 'meta' AND status = 'ENABLED' "
        "ORDER BY account_id, campaign_id LIMIT 2"
    )
    p = BudgetPlan(name="test", level="campaign", objective="conversions", total_budget=280.0, max_step=0.3,
                   status="draft", created_at=datetime.now(UTC))  # fmt: skip
    for i, (row, factor) in enumerate(zip(frame.itertuples(), (2.0, 0.8), strict=True)):
        p.lines.append(
            BudgetPlanLine(
                position=i,
                channel=f"meta:{row.account_id}:{row.campaign_id}",
                platform="meta",
                account_id=row.account_id,
                campaign_id=row.campaign_id,
                current_spend=100.0,
                recommended_spend=100.0 * factor,
                locked=0,
                status="pending",
            )  # fmt: skip
        )
    with session() as s:
        s.add(p)
        s.flush()
        return int(p.id)


def test_budget_optimization_takes_the_plans_step_with_guardrails(home: Path) -> None:
    from adops.optimize.plans import audit_trail, get_plan

    plan_id = saved_plan()
    run = support.end_to_end(home, "budget-optimization", {"plan_id": plan_id})
    moves = sorted(round(c["after"] / c["before"] - 1, 3) for c in run["changes"])
    assert moves == [-0.2, 0.3]  # +100% wanted, +30% today; -20% at once
    assert get_plan(plan_id).status == "rolled_back"
    assert get_plan(plan_id).approved_by == "Dana"
    trail = audit_trail(plan_id)
    assert not trail["dry_run"].any()  # the workflow's dry run wrote no rehearsal rows
    assert set(trail["status"]) == {"applied"} and len(trail) == 4  # two steps, two restores
