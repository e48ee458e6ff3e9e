"""Experiment readouts from the warehouse recover the sandbox's planted lifts, and the rule declares correctly.

The demo workspace holds the sandbox's planted A/B tests (control ad vs treatment ad, known true
lift in conversion rate per click), seeded into the store by `build_demo`.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest

from adops.connectors.sandbox import load_world
from adops.experiments import VariantCounts, analyze_counts, results, store
from adops.experiments.cli import analyze_document, parse_ab_csv
from adops.ingest import build_demo, sync


def planted() -> list[tuple[store.ExperimentRecord, float]]:
    """(stored experiment, true lift) for every sandbox experiment of the current workspace."""
    truth = {e.control_ad: e.true_lift for e in load_world().experiments}
    out = [(e, truth[e.control.entity_id]) for e in store.list_experiments() if e.key.startswith("sandbox-")]
    assert len(out) == len(truth) >= 3
    return out


def test_demo_readouts_cover_the_true_lift_and_never_call_the_null(demo: Path) -> None:
    positive, covered = 0, 0
    for exp, truth in planted():
        res = results.readout(exp)
        assert res.has_data and res.runtime_days >= 30
        c = res.primary["new headline"]
        assert c.ci_low is not None and c.ci_high is not None
        if truth in (0.15, 0.25):
            assert c.lift is not None and c.lift > 0, (exp.name, c.lift)
            # the always-valid interval holds at every look; the 95% one misses 1 time in 20
            assert c.sequential_ci_low <= truth <= c.sequential_ci_high, (exp.name, truth)  # type: ignore[operator]
            positive += 1
            covered += c.ci_low <= truth <= c.ci_high
        if truth == 0:
            assert res.decision.winner is None and not res.decision.status.startswith("winner")
            assert c.sequential_p_value is not None and c.sequential_p_value >= 0.05
        assert not res.srm_flag  # the sandbox splits the test ads' traffic evenly
    assert positive == 2 and covered >= 1


def test_readout_is_the_cli_readout_of_the_same_counts(demo: Path) -> None:
    exp, _ = planted()[0]
    res = results.readout(exp)
    document = analyze_document(parse_ab_csv(res.ab_csv().splitlines()), exp.rule.alpha)
    variant = document["experiments"][0]["variants"][1]
    c = res.primary["new headline"]
    assert variant["lift"] == pytest.approx(c.lift, rel=1e-6)
    assert variant["lift_ci_low"] == pytest.approx(c.ci_low, rel=1e-6)
    assert variant["chance_to_win"] == pytest.approx(c.chance_to_win, rel=1e-6)
    # the CLI sees totals only; the warehouse readout also allows for the daily clumping of traffic
    assert (
        res.srm_p_value is not None and res.srm_p_value >= document["experiments"][0]["srm_p_value"] - 1e-12
    )
    totals = res.totals.set_index("variant")
    direct = analyze_counts(
        [
            VariantCounts(v, int(totals.loc[v, "clicks"]), float(totals.loc[v, "conversions"]))
            for v in ("control", "new headline")
        ]
    )
    assert direct.variants[1].conversion.lift == pytest.approx(c.lift)  # type: ignore[union-attr]


def test_lift_over_time_has_a_row_per_day_and_the_sequential_band_is_wider(demo: Path) -> None:
    exp, _ = planted()[0]
    res = results.readout(exp)
    frame = res.over_time
    assert len(frame) == res.runtime_days and frame["date"].is_monotonic_increasing
    last = frame.iloc[-1]
    c = res.primary["new headline"]
    assert last["lift"] == pytest.approx(c.lift) and last["ci_low"] == pytest.approx(c.ci_low)
    both = frame.dropna(subset=["ci_low", "sequential_ci_low"])
    assert len(both) >= res.runtime_days - 2
    assert (both["sequential_ci_low"] <= both["ci_low"]).all() and (
        both["sequential_ci_high"] >= both["ci_high"]
    ).all()
    assert frame["units"].is_monotonic_increasing


def test_power_and_days_to_significance(demo: Path) -> None:
    exp, _ = planted()[0]
    res = results.readout(exp)
    (p,) = res.power
    assert p.unit == "clicks" and p.units_so_far > 0 and p.units_per_day > 0
    assert p.target_lift == 0.10 and 0 < p.power_now < 1  # type: ignore[operator]
    assert p.detectable_now is not None and p.detectable_now > 0
    assert p.days_to_significance is not None and p.days_to_significance >= 0
    assert p.power_at_end is not None and p.power_at_end >= p.power_now  # type: ignore[operator]


def test_guardrails_and_ratio_metrics_over_days(demo: Path) -> None:
    exp, truth = next((e, t) for e, t in planted() if t == 0.15)
    res = results.readout(exp)
    (ctr, cpa) = res.guardrails["new headline"]
    assert ctr.metric == "ctr" and cpa.metric == "cpa" and cpa.inverse
    assert ctr.ci_low is not None and ctr.ci_low < 0 < ctr.ci_high  # type: ignore[operator]
    assert cpa.lift is not None and cpa.lift < 0  # more conversions for the same spend
    per_click = results.readout(replace(exp, primary_metric="value_per_click", guardrail_metrics=()))
    c = per_click.primary["new headline"]
    assert c.lift is not None and c.lift > 0 and per_click.power[0].unit == "days"
    assert c.ci_low is not None and c.ci_low <= truth <= c.ci_high  # type: ignore[operator]


def test_an_experiment_without_rows_says_so(workspace: Path) -> None:
    exp = store.create(
        "Nothing yet",
        [store.Variant("a", "meta", "act_1", "ad", "1"), store.Variant("b", "meta", "act_1", "ad", "2")],
        start=date(2026, 11, 1),
    )
    res = results.readout(exp)
    assert not res.has_data and res.decision.status == "running"
    assert "no data in the warehouse" in res.decision.reasons[0]


def test_at_the_planned_end_the_rule_declares_the_true_lifts_only(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_demo(days=60, seed=7, campaigns_per_account=(3, 5))
    end = max(e.end for e in load_world().experiments)
    monkeypatch.setenv("ADOPS_TODAY", (end + timedelta(days=1)).isoformat())
    assert sync().status == "success"
    declared = {}
    for exp, truth in planted():
        updated, res = results.refresh_status(exp.id)
        assert res.last_day == exp.end_date
        declared[truth] = updated.winner
        if updated.winner == "new headline":
            assert truth > 0, exp.name
            assert updated.status == "winner: new headline"
        elif updated.winner == "control":
            assert truth < 0, exp.name
        if truth == 0:
            assert updated.winner is None and updated.status == "running"
    assert declared[0.15] == "new headline"  # the busiest test with a real lift is called


@pytest.mark.slow
def test_the_winner_rule_runs_as_a_job_after_each_sync_not_in_the_page(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from streamlit.testing.v1 import AppTest

    from adops import jobs
    from tests.jobs.support import run_next

    build_demo(days=60, seed=7, campaigns_per_account=(3, 5))
    end = max(e.end for e in load_world().experiments)
    monkeypatch.setenv("ADOPS_TODAY", (end + timedelta(days=1)).isoformat())
    jobs.enqueue("sync", {"trigger": "test"})
    assert run_next() is not None  # the sidecar's worker runs the sync
    assert "experiments.decide" in {j.kind for j in jobs.recent(10) if j.status == "queued"}  # a follow-up

    page = Path(__file__).resolve().parents[2] / "pages" / "ab_testing.py"
    at = AppTest.from_file(str(page), default_timeout=120).run()
    for exp, _ in planted():
        at.selectbox(key="ab-experiment").set_value(exp.id).run()
        assert not at.exception, at.exception
    assert {e.status for e, _ in planted()} == {"running"}  # the page showed the verdicts, declared none

    while run_next("experiments.decide") is not None:  # the other follow-ups (forecast, scan) aside
        pass
    (decide,) = jobs.recent(1, kind="experiments.decide")
    assert decide.status == "done", decide.error
    by_id = {d["experiment_id"]: d["winner"] for d in (decide.result or {})["experiments"]}
    for exp, truth in planted():
        assert by_id[exp.id] == exp.winner
        if truth == 0:
            assert exp.winner is None and exp.status == "running"
    assert "new headline" in by_id.values()  # the busiest test with a real lift is called


def test_a_lopsided_split_is_a_sample_ratio_mismatch_and_blocks_the_call(demo: Path) -> None:
    exp, _ = planted()[0]
    v = exp.control
    big = store.Variant("control", v.platform, v.account_id, "ad", v.entity_id, weight=1)
    small = store.Variant("half", v.platform, v.account_id, "ad", exp.treatments[0].entity_id, weight=1)
    # planned 1:3 while the ads get the same traffic: a broken split
    res = results.readout(replace(exp, variants=(big, replace(small, weight=3))))
    assert res.srm_flag and res.srm_p_value is not None and res.srm_p_value < 1e-6
    assert res.decision.status == "sample ratio mismatch" and res.decision.winner is None
