"""Every workflow run that changes a platform records what it predicted, and the memory measures it:
a bulk run (budgets up, a pause) applied on the sandbox, the clock advanced past its window and
synced, the outcome measured and listed by `adops recommend outcomes`; a workflow's own numbers
(budget-optimization, pacing-guard) win over history; once per run; an undone run is not measured."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from adops import warehouse
from adops.intelligence import memory, predictions
from adops.intelligence.recommend import FOLLOW_UP_DAYS, LAG_DAYS
from tests.cli_support import run
from tests.workflows import support

TODAY = date(2026, 11, 24)


@pytest.fixture
def home(demo_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return support.private_demo(demo_home, tmp_path, monkeypatch)


def spenders(n: int, platform: str = "meta") -> list[dict[str, Any]]:
    """The enabled campaigns of one account that spent most over the last four weeks."""
    frame = warehouse.query(
        """SELECT c.account_id, c.campaign_id, sum(d.spend) AS spend
           FROM campaign_daily d JOIN campaigns c USING (platform, account_id, campaign_id)
           WHERE c.platform = ? AND c.status = 'ENABLED' AND d.date >= DATE '2026-10-24'
           GROUP BY ALL ORDER BY spend DESC""",
        [platform],
    )
    account = frame["account_id"].iloc[0]
    mine = frame[frame.account_id == account].head(n)
    return [{"platform": platform, "account_id": account, "entity_id": c} for c in mine["campaign_id"]]


def applied(name: str, params: dict[str, Any]) -> dict[str, Any]:
    started = support.start(name, params)
    assert started["status"] == "awaiting_approval", started
    done = support.approve(started["run_id"])
    assert done["status"] == "succeeded", done
    return done


@pytest.mark.slow
def test_a_bulk_run_predicts_and_is_measured_after_its_window(
    home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from adops.ingest import sync

    three = spenders(3)
    raised = applied("bulk", {"action": "budget", "percent": 20, "entities": three[:2]})
    paused = applied("bulk", {"action": "pause", "entities": three[2:]})
    step = next(s for s in raised["steps"] if s["name"] == "remember prediction")
    assert step["status"] == "succeeded" and step["output"] == {
        "memory": {"predictions": 2, "from_history": 2}
    }

    mine = {
        o["entity_id"]: o for o in memory.outcomes() if o["run_id"] in (raised["run_id"], paused["run_id"])
    }
    assert set(mine) == {e["entity_id"] for e in three}
    for e in three[:2]:
        o = mine[e["entity_id"]]
        assert o["kind"] == "workflow:bulk" and o["workflow"] == "bulk" and o["measured"] is None
        p = o["predicted"]
        assert (
            p["metric"] == "spend" and p["low"] == 0 and p["delta"] == pytest.approx(p["high"] / 2, abs=0.01)
        )
        assert p["high"] > 0 and "daily budget x1.2" in o["basis"]
    from adops.intelligence import board

    shown = board.outcomes_frame()  # the Recommendations page's outcomes table
    assert (shown["kind"] == "Workflow run: bulk").sum() == 3 and shown["measured"].isna().all()
    pause = mine[three[2]["entity_id"]]["predicted"]
    assert pause["metric"] == "spend" and pause["low"] < pause["delta"] < pause["high"] < 0
    assert memory.measure_due() == []  # the window has not passed

    later = TODAY + timedelta(days=FOLLOW_UP_DAYS + LAG_DAYS)
    monkeypatch.setenv("ADOPS_TODAY", later.isoformat())
    assert sync(["meta"], since=TODAY - timedelta(days=7), until=later).status == "success"
    measured = {m["application_id"]: m for m in memory.measure_due()}
    assert len(measured) == 3 and all(m["method"] == "matched_unchanged_did" for m in measured.values())
    assert memory.measure_due() == []  # once

    code, out, err = run(["recommend", "outcomes", "--json"], capsys)
    assert code == 0, err
    listed = {o["entity_id"]: o for o in json.loads(out)["outcomes"] if o["workflow"] == "bulk"}
    stopped = listed[three[2]["entity_id"]]["measured"]
    # the pause stopped its spend: the realized loss is the spend the account's trend predicted
    assert stopped["delta"] < 0 and 0.5 < stopped["realized_over_predicted"] < 1.5
    for e in three[:2]:
        assert listed[e["entity_id"]]["measured"]["delta"] is not None


@pytest.mark.slow
def test_a_workflows_own_numbers_win_and_a_run_is_remembered_once(home: Path) -> None:
    from adops.workflows import runner

    spend = warehouse.query(
        """SELECT c.account_id, c.campaign_id, sum(d.spend) AS spend
           FROM campaign_daily d JOIN campaigns c USING (platform, account_id, campaign_id)
           WHERE c.status = 'ENABLED' AND c.platform = 'tiktok' AND d.date >= DATE '2026-11-01'
           GROUP BY ALL ORDER BY spend DESC LIMIT 1"""
    ).iloc[0]
    budgets = [{"platform": "tiktok", "account_id": spend["account_id"], "campaign_id": spend["campaign_id"],
                "monthly_budget": float(spend["spend"]) * 1.03}]  # fmt: skip
    done = applied("pacing-guard", {"budgets": budgets, "platforms": ["tiktok"], "min_budget_fraction": 0.01})
    [own] = [p for p in done["output"]["predictions"] if p["entity_id"] == spend["campaign_id"]]
    [kept] = [
        o
        for o in memory.outcomes()
        if o["run_id"] == done["run_id"] and o["entity_id"] == spend["campaign_id"]
    ]
    assert own["delta"] < 0 and kept["predicted"]["delta"] == pytest.approx(own["delta"], abs=0.01)
    assert kept["basis"].startswith("pacing-guard's run-rate projection")
    again = runner._remember(done["run_id"])  # the step repeated after a crash
    assert again["memory"]["repeated"] is True
    assert len([o for o in memory.outcomes() if o["run_id"] == done["run_id"]]) == len(done["changes"])


@pytest.mark.slow
def test_dry_runs_record_nothing_and_an_undone_run_is_not_measured(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    one = spenders(1)
    dry = support.start("bulk", {"action": "pause", "entities": one}, dry_run=True)
    assert dry["status"] == "succeeded" and memory.outcomes() == []
    done = applied("bulk", {"action": "pause", "entities": one})
    support.undo(done["run_id"])
    monkeypatch.setenv("ADOPS_TODAY", (TODAY + timedelta(days=FOLLOW_UP_DAYS + LAG_DAYS)).isoformat())
    assert memory.measure_due() == []  # reverted: nothing to measure
    [withdrawn] = memory.outcomes()
    assert withdrawn["status"] == "withdrawn" and withdrawn["measured"] is None


def test_history_predictions_per_kind_of_change() -> None:
    key = ("meta", "1", "campaign", "9")
    past = {"spend_per_day": 10.0, "active_spend_per_day": 12.0}
    pause = predictions._from_history(key, [{"field": "status", "after": "PAUSED"}], past)
    assert (pause["delta"], pause["low"], pause["high"]) == (
        -280.0,
        pytest.approx(-364.0),
        pytest.approx(-196.0),
    )
    enable = predictions._from_history(key, [{"field": "status", "after": "ENABLED"}], past)
    assert (enable["delta"], enable["low"], enable["high"]) == (336.0, 0.0, 672.0)
    cut = predictions._from_history(key, [{"field": "daily_budget", "replaced": 50.0, "after": 25.0}], past)
    assert (cut["delta"], cut["low"], cut["high"]) == (-70.0, -140.0, 0.0)
    ad = ("meta", "1", "ad", "7")
    rotated = predictions._from_history(
        ad, [{"field": "status", "after": "PAUSED"}], {"group_clicks_per_day": 5.0}
    )
    assert (rotated["metric"], rotated["delta"], rotated["low"], rotated["high"]) == (
        "clicks",
        0.0,
        -35.0,
        35.0,
    )
    unknown = predictions._from_history(key, [{"field": "status", "after": "ENABLED"}], {})
    assert unknown["delta"] == 0 and "no spend history" in unknown["basis"]


@pytest.mark.slow
def test_a_recommendations_real_run_is_one_prediction_not_two(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`apply` records the recommendation's prediction at its dry run; the real run that makes the
    change takes that prediction over (measured from the day the change was made, withdrawn if the
    run is undone) instead of recording a `workflow:<name>` one beside it."""
    from adops.intelligence.models import RecommendationApplication
    from adops.store import session

    rec = next(r for r in memory.ranked() if r.workflow["name"] == "bulk" and r.entity_type == "campaign")
    applied_rec = memory.apply(rec.id, by="ada")
    dry_id = applied_rec["run_id"]
    key = (rec.platform, rec.account_id, rec.entity_type, rec.entity_id)
    other = next(
        e
        for e in spenders(5, rec.platform)
        if (e["account_id"], e["entity_id"]) != (rec.account_id, rec.entity_id)
    )
    params = dict(rec.workflow["params"])
    real = support.start("bulk", params)
    if real["status"] == "awaiting_approval":
        real = support.approve(real["run_id"])
    assert real["status"] == "succeeded", real
    step = next(s for s in real["steps"] if s["name"] == "remember prediction")
    assert step["output"]["memory"]["from_recommendation"] == 1
    mine = [
        o
        for o in memory.outcomes()
        if (o["platform"], o["account_id"], o["entity_type"], o["entity_id"]) == key
    ]
    assert len(mine) == 1, mine  # one change, one prediction
    [only] = mine
    assert (
        only["recommendation_id"] == rec.id and only["kind"] == rec.kind and only["run_id"] == real["run_id"]
    )
    with session() as s:
        row = s.get(RecommendationApplication, only["id"])
        assert row is not None and row.evidence["dry_run_id"] == dry_id
    # another real run of the same change is a change of its own: nothing left to adopt
    again = memory.adopt("wf_other", "bulk", [key], TODAY)
    assert again == set()
    # a run of another entity is not adopted either, and records its own prediction
    pause = support.start("bulk", {"action": "pause", "entities": [other]})
    if pause["status"] == "awaiting_approval":
        pause = support.approve(pause["run_id"])
    out = next(s for s in pause["steps"] if s["name"] == "remember prediction")["output"]["memory"]
    assert out["predictions"] == 1 and "from_recommendation" not in out

    support.undo(real["run_id"])  # the adopted prediction follows its run: undone, withdrawn
    monkeypatch.setenv("ADOPS_TODAY", (TODAY + timedelta(days=FOLLOW_UP_DAYS + LAG_DAYS)).isoformat())
    memory.measure_due()
    [withdrawn] = [o for o in memory.outcomes() if o["id"] == only["id"]]
    assert withdrawn["status"] == "withdrawn"
