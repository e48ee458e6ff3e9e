"""Rolling out a winner through the sandbox connector: dry run, approval, audit log, budget shift, failures."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from adops.connectors.sandbox import SandboxConnector, init_state, load_world
from adops.experiments import rollout, store
from adops.store import events
from adops.store.db import session
from adops.store.models import AuditEntry

TODAY = date(2026, 11, 24)


@pytest.fixture
def sandbox(workspace: Path) -> Path:
    """An isolated sandbox world in the test's own workspace."""
    init_state(7, TODAY, (3, 5))
    return workspace


def ad_status(platform: str, account_id: str, ad_id: str) -> str:
    ads = SandboxConnector(platform).ads(account_id)  # a fresh connector reads the stored state
    return str(ads.loc[ads.ad_id == ad_id, "status"].iloc[0])


def campaign(platform: str, account_id: str, campaign_id: str) -> dict:
    frame = SandboxConnector(platform).campaigns(account_id)
    return dict(frame.loc[frame.campaign_id == campaign_id].iloc[0])


def audit_rows() -> list[AuditEntry]:
    with session() as s:
        return list(s.scalars(select(AuditEntry).order_by(AuditEntry.id)))


def ad_test(winner: str = "new headline") -> store.ExperimentRecord:
    """The sandbox's first planted test, stored with a declared winner."""
    e = load_world().experiments[0]
    exp = store.create(
        e.name,
        [
            store.Variant("control", e.platform, e.account_id, "ad", e.control_ad),
            store.Variant("new headline", e.platform, e.account_id, "ad", e.treatment_ad),
        ],
        start=e.start,
        end=e.end,
    )
    return store.declare_winner(exp.id, winner, actor="test")


def campaign_test() -> tuple[store.ExperimentRecord, list[str]]:
    """Two enabled campaigns of one account as variants; B is declared the winner."""
    world = load_world()
    for acc in world.accounts:
        ids = [c.id for c in world.campaigns(acc.id) if c.status == "ENABLED"]
        if len(ids) >= 2:
            break
    exp = store.create(
        "Campaign split",
        [
            store.Variant("A", acc.platform, acc.id, "campaign", ids[0]),
            store.Variant("B", acc.platform, acc.id, "campaign", ids[1]),
        ],
        start=date(2026, 11, 1),
        end=date(2026, 11, 28),
    )
    return store.declare_winner(exp.id, "B", actor="test"), ids[:2]


def test_no_winner_no_plan(sandbox: Path) -> None:
    e = load_world().experiments[0]
    exp = store.create(
        "Undecided",
        [
            store.Variant("a", e.platform, e.account_id, "ad", e.control_ad),
            store.Variant("b", e.platform, e.account_id, "ad", e.treatment_ad),
        ],
        start=e.start,
    )
    with pytest.raises(rollout.RolloutError, match="no declared winner"):
        rollout.plan(exp.id)


def test_dry_run_changes_nothing_and_is_audited(sandbox: Path) -> None:
    exp = ad_test()
    plan = rollout.plan(exp.id)
    assert [(a.action, a.entity_id, a.before, a.after) for a in plan.actions] == [
        ("pause", exp.control.entity_id, "ENABLED", "PAUSED")
    ]
    result = rollout.run(exp.id, "ana")
    assert result.dry_run and result.status == "rehearsed"
    assert ad_status(exp.control.platform, exp.control.account_id, exp.control.entity_id) == "ENABLED"
    (row,) = audit_rows()
    assert row.dry_run and row.status == "rehearsed" and row.actor == "ana" and row.action == "pause"
    assert row.reference == f"experiment:{exp.key}" and row.before == {"status": "ENABLED"}
    assert store.get(exp.id).status == "winner: new headline"  # type: ignore[union-attr]
    assert [e.type for e in events.after(0, types=("experiment.rollout.rehearsed",))]


def test_approval_needs_the_reviewed_plan(sandbox: Path) -> None:
    exp = ad_test()
    with pytest.raises(rollout.RolloutError, match="plan changed"):
        rollout.run(exp.id, "ana", approve=True)
    with pytest.raises(rollout.RolloutError, match="plan changed"):
        rollout.run(exp.id, "ana", approve=True, fingerprint="0" * 12)
    with pytest.raises(rollout.RolloutError, match="who approves"):
        rollout.run(exp.id, " ")
    assert audit_rows() == []
    assert ad_status(exp.control.platform, exp.control.account_id, exp.control.entity_id) == "ENABLED"


def test_approved_rollout_pauses_the_loser_and_writes_the_audit_log(sandbox: Path) -> None:
    exp = ad_test()
    plan = rollout.plan(exp.id)
    result = rollout.run(exp.id, "ana", approve=True, fingerprint=plan.fingerprint)
    assert result.status == "applied" and not result.dry_run
    c, t = exp.control, exp.treatments[0]
    assert ad_status(c.platform, c.account_id, c.entity_id) == "PAUSED"
    assert ad_status(t.platform, t.account_id, t.entity_id) == "ENABLED"
    (row,) = audit_rows()
    assert (row.dry_run, row.status, row.error, row.entity, row.entity_id) == (
        0,
        "applied",
        None,
        "ad",
        c.entity_id,
    )
    assert row.before == {"status": "ENABLED"} and row.after == {"status": "PAUSED"}
    assert store.get(exp.id).status == "rolled out"  # type: ignore[union-attr]
    assert [e.data["status"] for e in events.after(0, types=("experiment.rollout.applied",))] == ["applied"]
    trail = rollout.audit_trail(exp.id)
    assert list(trail["status"]) == ["applied"] and list(trail["after"]) == ["PAUSED"]
    again = rollout.plan(exp.id)  # nothing left to do
    assert again.actions == () and any("already paused" in n for n in again.notes)


def test_control_winner_pauses_the_treatment(sandbox: Path) -> None:
    exp = ad_test(winner="control")
    plan = rollout.plan(exp.id)
    rollout.run(exp.id, "ana", approve=True, fingerprint=plan.fingerprint)
    t = exp.treatments[0]
    assert ad_status(t.platform, t.account_id, t.entity_id) == "PAUSED"


def test_campaign_variants_move_the_losers_budget_to_the_winner(sandbox: Path) -> None:
    exp, (loser, winner) = campaign_test()
    v = exp.control
    before_loser, before_winner = (
        campaign(v.platform, v.account_id, loser),
        campaign(v.platform, v.account_id, winner),
    )
    plan = rollout.plan(exp.id)
    assert [a.action for a in plan.actions] == ["pause", "set_daily_budget"]
    expected = round(before_winner["daily_budget"] + before_loser["daily_budget"], 2)
    assert plan.actions[1].after == expected and plan.actions[1].entity_id == winner

    rollout.run(exp.id, "ana")  # rehearsal first: nothing moves
    assert campaign(v.platform, v.account_id, winner)["daily_budget"] == before_winner["daily_budget"]

    result = rollout.run(exp.id, "ana", approve=True, fingerprint=plan.fingerprint)
    assert result.status == "applied"
    assert campaign(v.platform, v.account_id, loser)["status"] == "PAUSED"
    assert campaign(v.platform, v.account_id, winner)["daily_budget"] == pytest.approx(expected)
    rows = audit_rows()
    assert [(r.dry_run, r.action, r.status) for r in rows] == [
        (1, "pause", "rehearsed"),
        (1, "set_daily_budget", "rehearsed"),
        (0, "pause", "applied"),
        (0, "set_daily_budget", "applied"),
    ]
    assert rows[-1].before == {"daily_budget": pytest.approx(before_winner["daily_budget"])}


def test_a_plan_that_changed_since_review_is_refused(sandbox: Path) -> None:
    exp, (_, winner) = campaign_test()
    plan = rollout.plan(exp.id)
    v = exp.control
    SandboxConnector(v.platform).set_daily_budget(v.account_id, winner, 123.0)  # someone else changed it
    with pytest.raises(rollout.RolloutError, match="plan changed"):
        rollout.run(exp.id, "ana", approve=True, fingerprint=plan.fingerprint)
    assert campaign(v.platform, v.account_id, winner)["daily_budget"] == 123.0
    assert audit_rows() == []


def test_a_failed_pause_is_recorded_and_its_budget_is_not_moved(
    sandbox: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    exp, (loser, winner) = campaign_test()
    v = exp.control
    budget = campaign(v.platform, v.account_id, winner)["daily_budget"]
    plan = rollout.plan(exp.id)

    def refuse(self, account_id, entity, entity_id, status):  # type: ignore[no-untyped-def]
        from adops.connectors import PermissionDenied

        raise PermissionDenied("the token may not change campaigns")

    monkeypatch.setattr(SandboxConnector, "set_status", refuse)
    result = rollout.run(exp.id, "ana", approve=True, fingerprint=plan.fingerprint)
    assert result.status == "failed"
    assert [(o.action.action, o.status) for o in result.outcomes] == [
        ("pause", "failed"),
        ("set_daily_budget", "skipped"),
    ]
    rows = audit_rows()
    assert [r.status for r in rows] == ["failed", "skipped"]
    assert "PermissionDenied: the token may not change campaigns" in (rows[0].error or "")
    assert "could not be paused" in (rows[1].error or "")
    assert campaign(v.platform, v.account_id, winner)["daily_budget"] == budget
    assert store.get(exp.id).status == "winner: B"  # type: ignore[union-attr]
    assert events.after(0, types=("experiment.rollout.failed",))


def test_entities_outside_the_workspace_cannot_be_planned(sandbox: Path) -> None:
    exp = store.create(
        "Elsewhere",
        [store.Variant("a", "meta", "act_999", "ad", "1"), store.Variant("b", "meta", "act_999", "ad", "2")],
        start=date(2026, 11, 1),
    )
    store.declare_winner(exp.id, "b")
    with pytest.raises(rollout.RolloutError, match="act_999 is not in this workspace"):
        rollout.plan(exp.id)
