"""Recommendations on the sandbox demo: shape, evidence and workflow per kind; precision (and recall
where the truth is a set) against the simulator's known truth, target >= 0.8 per kind."""

from __future__ import annotations

import json
import math
from datetime import date, timedelta
from pathlib import Path

import pytest

from adops.connectors.sandbox.connector import load_world
from adops.intelligence import recommend as R
from adops.intelligence.truth import budget_truth, last_week, precision, true_ctr
from tests.cli_support import run


@pytest.fixture(scope="module")
def recs(demo_home: Path) -> list[R.Recommendation]:
    import os

    from adops import store

    old = os.environ.get("ADOPS_HOME")
    os.environ["ADOPS_HOME"] = str(demo_home)
    store.reset()
    try:
        return R.recommend()
    finally:
        if old is None:
            os.environ.pop("ADOPS_HOME", None)
        else:
            os.environ["ADOPS_HOME"] = old
        store.reset()


def test_every_recommendation_has_evidence_impact_and_a_workflow(recs: list[R.Recommendation]) -> None:
    assert {r.kind for r in recs} >= {"budget_limited", "creative_fatigue", "creative_winner"}
    for r in recs:
        doc = r.to_dict()
        assert doc["id"].startswith("rec_") and doc["kind"] in R.KINDS
        assert doc["evidence"]["window"]["start"] <= doc["evidence"]["window"]["end"]
        impact = doc["expected_impact"]
        assert impact["metric"] in ("spend", "conversions", "clicks")
        assert impact["low"] <= impact["delta"] <= impact["high"] or r.kind == "best_practice"
        assert 0 <= doc["confidence"] <= 1
        assert doc["workflow"]["name"] and isinstance(doc["workflow"]["params"], dict)
        json.dumps(doc, allow_nan=False)  # plain JSON, no infinities
    assert len({r.id for r in recs}) == len(recs)


def test_budget_kinds_precision_against_the_true_curves(demo: Path, recs: list[R.Recommendation]) -> None:
    end = R._last_day()
    assert end is not None
    limited, donors = budget_truth(load_world(), end)
    p, recall = precision({r.entity_id for r in recs if r.kind == "budget_limited"}, limited)
    assert p >= 0.8, (p, recall)
    assert recall >= 0.4
    moved = {r.entity_id for r in recs if r.kind == "budget_reallocation"}
    if moved:
        assert precision(moved, donors)[0] >= 0.8


def test_creative_kinds_precision_against_the_true_ctr(demo: Path, recs: list[R.Recommendation]) -> None:
    world = load_world()
    end = R._last_day()
    assert end is not None
    winners = [r for r in recs if r.kind == "creative_winner"]
    right = [
        true_ctr(world, r.evidence["winner"], last_week(end)) > true_ctr(world, r.entity_id, last_week(end))
        for r in winners
    ]
    assert winners and sum(right) / len(right) >= 0.8
    tired = [r for r in recs if r.kind == "creative_fatigue"]
    dropped = []
    for r in tired:
        first = date.fromisoformat(r.evidence["first_day"])
        fresh = true_ctr(world, r.entity_id, [first + timedelta(days=i) for i in range(7)])
        dropped.append(true_ctr(world, r.entity_id, last_week(end)) / fresh - 1 <= -0.2)
    assert tired and sum(dropped) / len(dropped) >= 0.8


def test_elasticity_recovers_a_known_slope() -> None:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(3)
    days = pd.date_range("2026-01-01", periods=120)
    spend = np.exp(rng.uniform(3, 5, len(days)))
    conversions = 0.2 * spend**0.6 * np.exp(rng.normal(0, 0.05, len(days)))
    frame = pd.DataFrame(
        {
            "platform": "meta",
            "account_id": "a",
            "campaign_id": "c",
            "date": days,
            "spend": spend,
            "conversions": conversions,
        }
    )
    fit = R.elasticities(frame)[("meta", "a", "c")]
    assert abs(fit.value - 0.6) < 3 * fit.se + 0.02 and fit.se < 0.05


def test_wasted_spend_needs_evidence() -> None:
    import pandas as pd

    data = object.__new__(R._Data)
    data.start, data.end = date(2026, 11, 1), date(2026, 11, 28)
    data.campaigns = pd.DataFrame(
        [
            # 400 spent, 300 clicks, no conversion; the account converts 5% of clicks: wasted
            {
                "platform": "meta",
                "account_id": "a",
                "campaign_id": "dead",
                "name": "Dead",
                "currency": "USD",
                "spend": 400.0,
                "clicks": 300.0,
                "conversions": 0.0,
                "spend_sd": 3.0,
            },
            # the same spend over 20 clicks: a zero is not yet evidence
            {
                "platform": "meta",
                "account_id": "a",
                "campaign_id": "thin",
                "name": "Thin",
                "currency": "USD",
                "spend": 400.0,
                "clicks": 20.0,
                "conversions": 0.0,
                "spend_sd": 3.0,
            },
            # converting
            {
                "platform": "meta",
                "account_id": "a",
                "campaign_id": "live",
                "name": "Live",
                "currency": "USD",
                "spend": 5000.0,
                "clicks": 4000.0,
                "conversions": 220.0,
                "spend_sd": 30.0,
            },
        ]
    )
    totals = data.campaigns.groupby(["platform", "account_id"])[["spend", "clicks", "conversions"]].sum()
    totals["cpa"] = totals["spend"] / totals["conversions"]
    totals["cvr"] = totals["conversions"] / totals["clicks"]
    data.totals = totals
    [rec] = R.wasted_spend(data)
    assert rec.entity_id == "dead" and rec.confidence >= 0.95
    assert rec.expected_impact["metric"] == "spend" and rec.expected_impact["delta"] == pytest.approx(-400.0)
    assert rec.workflow == {
        "name": "bulk",
        "params": {
            "action": "pause",
            "entities": [
                {"platform": "meta", "account_id": "a", "entity_type": "campaign", "entity_id": "dead"}
            ],
            "reason": "recommendation: wasted spend",
        },
    }
    assert math.isclose(rec.evidence["account_cpa"], 5800 / 220, rel_tol=1e-3)


def test_cli_recommend_json_shape(demo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["recommend", "--json"], capsys)
    assert code == 0, err
    recs = json.loads(out)["recommendations"]
    assert recs
    first = recs[0]
    assert set(first) >= {
        "id",
        "kind",
        "platform",
        "account_id",
        "entity_type",
        "entity_id",
        "title",
        "evidence",
        "expected_impact",
        "workflow",
        "track_record",
    }
    assert set(first["expected_impact"]) >= {"metric", "delta", "low", "high"}
    assert set(first["workflow"]) == {"name", "params"}
    scores = [r["score"] for r in recs]
    assert scores == sorted(scores, reverse=True)
    account = next(r["account_id"] for r in recs if r["account_id"] != "all")  # "all": a platform-level move
    code, out, _ = run(["recommend", "--account", account, "--json"], capsys)
    assert {r["account_id"] for r in json.loads(out)["recommendations"]} == {account}
    for bad in ("x'; drop", "a b", ""):
        code, out, err = run(["recommend", "--account", bad, "--json"], capsys)
        assert code == 2 and out == "" and err.count("\n") == 1


def test_poisson_slope_matches_statsmodels() -> None:
    import numpy as np
    import pandas as pd
    import statsmodels.api as sm

    rng = np.random.default_rng(5)
    n = 90
    x = rng.normal(0, 0.4, n)
    wd = np.arange(n) % 7
    y = rng.poisson(np.exp(1.5 + 0.7 * x + 0.1 * wd)).astype(float)
    b, se = R.poisson_slope(y, x, wd)
    design = np.column_stack([x, pd.get_dummies(wd).to_numpy(dtype=float)])
    fit = sm.GLM(y, design, family=sm.families.Poisson()).fit(scale="X2")
    assert b == pytest.approx(fit.params[0], rel=1e-6) and se == pytest.approx(fit.bse[0], rel=1e-6)


def test_best_practice_checks_name_a_valid_workflow() -> None:
    from types import SimpleNamespace

    from adops.workflows import api as workflows

    data = object.__new__(R._Data)
    data.start, data.end = date(2026, 11, 1), date(2026, 11, 28)
    row = SimpleNamespace(platform="meta", account_id="act_1", campaign_id="c1", name="Solo")
    rec = R._practice(data, row, "one_ad", "Solo runs one ad only", {"enabled_ads": 1})
    assert rec.kind == "best_practice" and rec.evidence["check"] == "one_ad"
    workflows.resolve_params(rec.workflow["name"], rec.workflow["params"])


def test_platform_selection_moves_money_toward_the_truly_cheaper_margin(
    demo: Path, recs: list[R.Recommendation]
) -> None:
    from adops.intelligence.truth import platform_marginal_cpa

    end = R._last_day()
    assert end is not None
    truth = platform_marginal_cpa(load_world(), end)
    moves = [r for r in recs if r.kind == "platform_selection"]
    assert len(moves) <= 1
    for r in moves:
        assert truth[r.evidence["to_platform"]] < truth[r.entity_id]
        assert r.workflow["params"]["percent"] < 0 and r.workflow["params"]["entities"]
        assert all(e["platform"] == r.entity_id for e in r.workflow["params"]["entities"])


def test_every_kind_has_a_label_for_people():
    """The page shows kinds by name, never as identifiers like platform_selection."""
    from adops.intelligence import board
    from adops.intelligence.recommend import KINDS

    assert set(KINDS) <= set(board.KIND_LABELS)
    assert all("_" not in label for label in board.KIND_LABELS.values())


def test_a_reallocation_names_the_campaign_it_feeds(demo: Path, recs: list[R.Recommendation]) -> None:
    """The title names the receiving campaign, not its id (as evidence["to_campaign"] holds)."""
    for r in recs:
        if r.kind == "budget_reallocation":
            assert str(r.evidence["to_campaign"]) not in r.title
