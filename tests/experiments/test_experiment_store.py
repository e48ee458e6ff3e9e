"""Experiments in the operational store: the migration, create/list/get/update, validation, sandbox seeding."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import inspect

from adops import store as opstore
from adops.connectors.sandbox import init_state, load_world
from adops.experiments import WinnerRule, store
from adops.store import events

START, END = date(2026, 11, 1), date(2026, 11, 28)
A = store.Variant("control", "meta", "act_1", "ad", "111")
B = store.Variant("new copy", "meta", "act_1", "ad", "112")


def test_migration_adds_experiment_tables_and_audit_reference() -> None:
    inspector = inspect(opstore.engine())
    assert {"experiments", "experiment_variants"} <= set(inspector.get_table_names())
    assert "reference" in {c["name"] for c in inspector.get_columns("audit_log")}


def test_create_get_list_update_round_trip() -> None:
    rule = WinnerRule(alpha=0.1, chance_to_win_threshold=None, min_runtime_days=3)
    exp = store.create(
        "Headline test",
        [A, B],
        start=START,
        end=END,
        hypothesis="Shorter copy lifts CVR",
        primary_metric="cvr",
        guardrail_metrics=["ctr", "cpa"],
        mde=0.08,
        rule=rule,
        actor="ana",
    )
    assert exp.status == "running"  # started before today (2026-11-24)
    got = store.get(exp.id)
    assert got == exp
    assert got.control == A and got.treatments == (B,)
    assert got.rule == rule and got.planned_days == 28 and got.planned_split == (0.5, 0.5)
    assert got.guardrail_metrics == ("ctr", "cpa")
    assert [e.id for e in store.list_experiments()] == [exp.id]
    assert store.list_experiments("draft") == []

    updated = store.update(
        exp.id, actor="ana", hypothesis="Short copy lifts CVR by 8%", end_date=date(2026, 12, 5)
    )
    assert updated.hypothesis == "Short copy lifts CVR by 8%" and updated.planned_days == 35
    won = store.declare_winner(exp.id, "new copy", actor="ana")
    assert won.status == "winner: new copy" and won.winner == "new copy"
    assert [e.id for e in store.list_experiments("winner")] == [exp.id]
    rolled = store.update(exp.id, status="rolled out")
    assert rolled.status == "rolled out" and rolled.winner == "new copy"  # the winner is kept
    kinds = [e.type for e in events.after(0)]
    assert kinds.count("experiment.created") == 1 and "experiment.winner" in kinds
    assert kinds.count("experiment.updated") == 3


def test_future_start_is_a_draft_and_weights_give_the_split() -> None:
    exp = store.create(
        "Later",
        [A, store.Variant("b", "meta", "act_1", "ad", "112", weight=3.0)],
        start=date(2026, 12, 1),
    )
    assert exp.status == "draft" and exp.end_date is None and exp.planned_days is None
    assert exp.planned_split == (0.25, 0.75)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": " "}, "give the experiment a name"),
        ({"variants": [A]}, "a control and at least one treatment"),
        ({"variants": [A, store.Variant("control", "meta", "act_1", "ad", "9")]}, "two variants are named"),
        ({"variants": [A, store.Variant("b", "myspace", "1", "ad", "9")]}, "unknown platform 'myspace'"),
        ({"variants": [A, store.Variant("b", "meta", "act_1", "keyword", "9")]}, "level must be"),
        ({"variants": [A, store.Variant("b", "meta", "act_1", "ad", "")]}, "give the ad id"),
        ({"variants": [A, store.Variant("b", "meta", "act_1", "ad", "111")]}, "already uses ad 111"),
        ({"variants": [A, store.Variant("b", "meta", "act_1", "ad", "9", 0)]}, "weight must be positive"),
        ({"end": date(2026, 10, 1)}, "before the start date"),
        ({"primary_metric": "likes"}, "unknown metric 'likes'"),
        ({"guardrail_metrics": ["cvr"]}, "cannot also be a guardrail"),
        ({"mde": -0.1}, "positive relative lift"),
        ({"rule": WinnerRule(alpha=0.7)}, "alpha must be between"),
    ],
)
def test_bad_experiments_are_refused_with_what_to_fix(kwargs: dict, message: str) -> None:
    args = {"name": "Test", "variants": [A, B], "start": START, "end": END} | kwargs
    with pytest.raises(store.ExperimentError, match=message):
        store.create(**args)
    assert store.list_experiments() == []


def test_update_refuses_unknown_fields_statuses_and_winners() -> None:
    exp = store.create("Test", [A, B], start=START, end=END)
    with pytest.raises(store.ExperimentError, match="cannot update variants"):
        store.update(exp.id, variants=[])
    with pytest.raises(store.ExperimentError, match="status must be one of"):
        store.update(exp.id, status="paused")
    with pytest.raises(store.ExperimentError, match="winner 'C' is not a variant"):
        store.declare_winner(exp.id, "C")
    with pytest.raises(store.ExperimentError, match="before the start date"):
        store.update(exp.id, end_date=date(2026, 10, 1))
    assert store.get(exp.id) == exp  # nothing half-applied
    with pytest.raises(store.ExperimentError, match="no experiment 999"):
        store.update(999, name="x")


def test_sandbox_experiments_are_seeded_once_and_replaced_with_a_new_world() -> None:
    init_state(7, date(2026, 11, 24), (3, 5))
    world = load_world()
    seeded = store.seed_sandbox_experiments()
    assert len(seeded) == len(world.experiments) >= 3
    truth = {e.control_ad: e for e in world.experiments}
    for exp in seeded:
        planted = truth[exp.control.entity_id]
        assert exp.treatments[0].entity_id == planted.treatment_ad
        assert (exp.start_date, exp.end_date) == (planted.start, planted.end)
        assert exp.status == "running" and exp.primary_metric == "cvr" and exp.mde == 0.10
    assert store.seed_sandbox_experiments() == []  # idempotent
    assert len(store.list_experiments()) == len(seeded)
    store.declare_winner(seeded[0].id, "new headline")
    rebuilt = store.seed_sandbox_experiments(fresh=True)  # a rebuilt demo starts its tests over
    assert {e.status for e in store.list_experiments()} == {"running"}
    assert len(rebuilt) == len(seeded) and not {e.key for e in rebuilt} & {e.key for e in seeded}

    mine = store.create("Mine", [A, B], start=START, end=END)
    init_state(8, date(2026, 11, 24), (3, 5))
    reseeded = store.seed_sandbox_experiments()
    keys = {e.key for e in store.list_experiments()}
    assert keys == {mine.key} | {e.key for e in reseeded}  # the old world's tests are gone, mine stays
