"""The memory: an applied recommendation's outcome measured after its window (the sandbox clock
advanced and synced), track records in the ranking, dismissals with reasons, and the CLI's errors."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from adops import warehouse
from adops.connectors.sandbox.connector import SandboxConnector
from adops.intelligence import memory
from adops.intelligence.recommend import LAG_DAYS
from tests.cli_support import run

TODAY = date(2026, 11, 24)


@pytest.fixture
def small_demo(workspace: Path) -> Path:
    from adops.ingest import build_demo

    assert build_demo(days=120, seed=7, campaigns_per_account=(3, 5)).status == "success"
    return workspace


@pytest.mark.slow
def test_an_applied_recommendation_is_measured_after_its_window(
    small_demo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from adops.ingest import sync

    rec = next(r for r in memory.ranked() if r.kind == "budget_limited")
    application = memory.record(rec)  # what `apply` records; the change below is what its approved run makes
    budget = float(
        warehouse.query(
            "SELECT daily_budget FROM campaigns WHERE account_id = ? AND campaign_id = ?",
            [rec.account_id, rec.entity_id],
        )["daily_budget"].iloc[0]
    )
    SandboxConnector(rec.platform).set_daily_budget(rec.account_id, rec.entity_id, budget * 1.2)
    assert rec.id not in {r.id for r in memory.ranked()}  # applied and waiting: not offered again
    assert memory.measure_due() == []  # its window has not passed
    [waiting] = memory.outcomes()
    assert waiting["id"] == application and waiting["measured"] is None

    later = TODAY + timedelta(days=rec.expected_impact["window_days"] + LAG_DAYS)
    monkeypatch.setenv("ADOPS_TODAY", later.isoformat())
    assert sync(since=TODAY - timedelta(days=7), until=later).status == "success"
    [stored] = memory.measure_due()
    assert stored["application_id"] == application and stored["method"] == "matched_unchanged_did"
    assert memory.measure_due() == []  # measured once

    code, out, err = run(["recommend", "outcomes", "--json"], capsys)
    assert code == 0, err
    [outcome] = json.loads(out)["outcomes"]
    assert set(outcome) >= {"id", "applied_at", "predicted", "measured", "window_days"}
    predicted, measured = outcome["predicted"], outcome["measured"]
    assert predicted["metric"] == "conversions" and predicted["delta"] > 0
    # the raise bought conversions beyond what the account's other campaigns' trend explains
    assert measured["delta"] > 0
    assert 0.2 < measured["realized_over_predicted"] < 3
    record = memory.track_records()[(rec.platform, rec.account_id, "budget_limited")]
    assert record.n == 1 and record.mean_realized_over_predicted == pytest.approx(
        measured["realized_over_predicted"], abs=1e-3
    )
    same_kind = [r for r in memory.ranked() if r.kind == "budget_limited" and r.account_id == rec.account_id]
    for r in same_kind:
        assert r.track_record == record.to_dict()
        assert r.score == pytest.approx(abs(r.value) * record.factor, rel=1e-3)


def test_track_record_factor_is_shrunk_and_bounded() -> None:
    assert memory.TrackRecord(0, None).factor == 1.0
    assert memory.TrackRecord(1, 0.0).factor == pytest.approx(2 / 3)
    assert memory.TrackRecord(3, 0.82).factor == pytest.approx((3 * 0.82 + 2) / 5)
    assert memory.TrackRecord(100, 5.0).factor == 2.0 and memory.TrackRecord(100, -3.0).factor == 0.0


def test_dismiss_with_a_reason_hides_it(demo_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = memory.ranked()[0]
    code, out, err = run(["recommend", "dismiss", first.id, "--json"], capsys)
    assert code == 2 and "--reason" in err and err.count("\n") == 1
    code, out, err = run(["recommend", "dismiss", first.id, "--reason", "   ", "--json"], capsys)
    assert code == 2 and "reason is required" in err
    code, out, err = run(["recommend", "dismiss", first.id, "--reason", "x" * 501, "--json"], capsys)
    assert code == 2 and "most is 500" in err
    code, out, err = run(
        ["recommend", "dismiss", first.id, "--reason", "seasonal <b>campaign</b>", "--by", "ada", "--json"],
        capsys,
    )
    assert code == 0, err
    assert json.loads(out) == {
        "recommendation_id": first.id,
        "dismissed": True,
        "reason": "seasonal <b>campaign</b>",
    }
    assert first.id not in {r.id for r in memory.ranked()}
    code, out, err = run(["recommend", "dismiss", first.id, "--reason", "again"], capsys)  # replayed
    assert code == 2 and "no open recommendation" in err


@pytest.mark.parametrize("bad", ["nope", "rec_" + "0" * 16, "rec_" + "x" * 100, "rec_'; drop table x;--"])
def test_unknown_or_malformed_ids_exit_2(
    demo_copy: Path, capsys: pytest.CaptureFixture[str], bad: str
) -> None:
    for command in (["apply", bad], ["dismiss", bad, "--reason", "r"]):
        code, out, err = run(["recommend", *command, "--json"], capsys)
        assert code == 2 and out == "" and err.count("\n") == 1 and "Traceback" not in err


@pytest.fixture
def demo_copy(demo_home: Path, workspace: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The shared demo's warehouse read from a workspace of this test's own (its store is fresh)."""
    from adops import store

    monkeypatch.setenv("ADOPS_WAREHOUSE_URI", str(demo_home / "warehouse"))
    store.reset()
    return workspace


def test_apply_records_the_prediction_and_starts_a_dry_run(
    demo_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from adops.workflows import api as workflows

    recs = memory.ranked()
    by_kind = {r.kind: r for r in reversed(recs)}  # the best of each kind
    for rec in by_kind.values():  # every kind's workflow params are valid for its workflow
        workflows.resolve_params(rec.workflow["name"], rec.workflow["params"])
    first = recs[0]
    code, out, err = run(["recommend", "apply", first.id, "--by", "ada", "--json"], capsys)
    assert code == 0, err
    result = json.loads(out)
    assert result["recommendation_id"] == first.id and result["dry_run"] is True
    run_ = workflows.show(result["run_id"])
    assert run_["workflow"] == first.workflow["name"] and run_["dry_run"] is True
    [outcome] = memory.outcomes()
    assert outcome["predicted"] == {
        "metric": first.expected_impact["metric"],
        "delta": first.expected_impact["delta"],
        "low": first.expected_impact["low"],
        "high": first.expected_impact["high"],
    }
    assert outcome["measured"] is None and outcome["window_days"] == 28
    code, out, err = run(["recommend", "apply", first.id, "--json"], capsys)  # replayed: already applied
    assert code == 2 and "no open recommendation" in err


@pytest.mark.slow
def test_planted_truth_precision_and_recall(small_demo: Path) -> None:
    """One sync over planted truth (one demo build and sync for three kinds of check):
    - six campaigns planted to spend without converting (`World.wasted_campaigns`): wasted_spend finds
      them, and nothing else;
    - three Google campaigns planted without conversion tracking (`World.untracked_campaigns`): the
      no_conversion_tracking check finds them, and wasted_spend leaves them alone (their zero is not
      measured);
    - the Meta ad sets the simulator makes learning limited: the learning_limited check finds them.
    Precision and recall >= 0.8 against the simulator's truth, with the platform's field in the evidence."""
    import json as _json

    from adops.connectors.sandbox.connector import load_world, state_path
    from adops.ingest import sync
    from adops.intelligence.recommend import recommend
    from adops.intelligence.truth import learning_limited_truth, precision, untracked_truth

    state = _json.loads(state_path().read_text())
    state["wasted_campaigns"] = 6
    state["untracked_campaigns"] = 3
    state_path().write_text(_json.dumps(state))
    assert sync(since=TODAY - timedelta(days=100)).status == "success"
    world = load_world()
    recs = recommend()
    truth = {campaign for planted in world.wasted.values() for campaign, _ in planted}
    assert len(truth) == 6
    wasted = {r.entity_id for r in recs if r.kind == "wasted_spend"}
    p, recall = precision(wasted, truth)
    assert p >= 0.8 and recall >= 0.8, (wasted, truth)

    checks: dict[str, list] = {}
    for r in recs:
        if r.kind == "best_practice":
            checks.setdefault(r.evidence["check"], []).append(r)
    untracked = untracked_truth(world, TODAY)
    assert len(untracked) == 3
    found = {r.entity_id for r in checks.get("no_conversion_tracking", [])}
    p, recall = precision(found, untracked)
    assert p >= 0.8 and recall >= 0.8, (found, untracked)
    assert all(r.evidence["conversion_actions"] == 0 for r in checks["no_conversion_tracking"])
    assert not untracked & wasted
    limited = learning_limited_truth(world, TODAY)
    found = {r.entity_id for r in checks.get("learning_limited", [])}
    p, recall = precision(found, limited)
    assert len(found) >= 5 and p >= 0.8 and recall >= 0.8, (p, recall, len(found), len(limited))
    sample = checks["learning_limited"][0]
    assert sample.entity_type == "ad_group" and sample.evidence["learning_stage"] == "FAIL"
    assert sample.evidence["events_last_7_days"] < 50


def test_conversion_value_is_measured_in_the_reporting_currency(demo_copy: Path) -> None:
    """A revenue plan predicts value in the reporting currency (the optimizer reads
    conversion_value_reporting): its outcome is measured in that currency too, not the account's."""
    from datetime import UTC, datetime

    from adops.intelligence.models import RecommendationApplication

    row = warehouse.query(
        """SELECT platform, account_id, campaign_id, any_value(currency) AS currency,
                  any_value(reporting_currency) AS reporting
           FROM campaign_daily WHERE currency <> reporting_currency AND date >= DATE '2026-10-01'
           GROUP BY ALL ORDER BY sum(conversion_value) DESC LIMIT 1"""
    ).iloc[0]
    applied_on = date(2026, 10, 27)
    app = RecommendationApplication(
        recommendation_id="run:wf_x", kind="workflow:budget-optimization", platform=row.platform,
        account_id=row.account_id, entity_type="campaign", entity_id=row.campaign_id,
        workflow="budget-optimization", params={}, run_id="wf_x", metric="conversion_value",
        predicted_delta=100.0, predicted_low=50.0, predicted_high=150.0, window_days=14,
        evidence={"applied_on": applied_on.isoformat()}, applied_at=datetime(2026, 10, 27, tzinfo=UTC),
        due_at=datetime(2026, 11, 20, tzinfo=UTC), status="applied",
    )  # fmt: skip
    sums = warehouse.query(
        """SELECT sum(conversion_value)::DOUBLE AS own, sum(conversion_value_reporting)::DOUBLE AS reporting
           FROM campaign_daily WHERE platform = ? AND account_id = ? AND campaign_id = ?
             AND date BETWEEN ? AND ?""",
        [row.platform, row.account_id, row.campaign_id, applied_on, applied_on + timedelta(days=13)],
    ).iloc[0]
    assert abs(sums.own - sums.reporting) > 1.0  # the two currencies differ here: the test can tell
    measured = memory.measure(app)
    assert measured["after"] == pytest.approx(sums.reporting, abs=0.01)
    assert measured["currency"] == row.reporting
    spend = memory.measure(
        RecommendationApplication(**{**{c: getattr(app, c) for c in ("recommendation_id", "kind", "platform",
            "account_id", "entity_type", "entity_id", "workflow", "params", "run_id", "predicted_delta",
            "predicted_low", "predicted_high", "window_days", "evidence", "applied_at", "due_at", "status")},
            "metric": "spend"})
    )  # fmt: skip
    assert "currency" not in spend  # spend predictions come from the account's own history
