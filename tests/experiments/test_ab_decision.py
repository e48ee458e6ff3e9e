"""The winner rule: sequential or (at the planned end) Bayesian evidence, guardrails, runtime, SRM."""

from __future__ import annotations

from adops.experiments import MetricComparison, VariantEvidence, WinnerRule, compare, decide, proportion

RULE = WinnerRule(alpha=0.05, chance_to_win_threshold=0.95, min_runtime_days=7)


def primary(control: tuple[int, int], treatment: tuple[int, int]) -> MetricComparison:
    return compare(proportion(control[1], control[0]), proportion(treatment[1], treatment[0]))


STRONG = primary((50_000, 2_500), (50_000, 2_900))  # +16%, sequentially significant
MILD = primary((20_000, 1_000), (20_000, 1_090))  # +9%: chance to win ~97%, not sequentially significant
FLAT = primary((20_000, 1_000), (20_000, 1_002))


def test_sequential_evidence_declares_a_winner_any_day_after_min_runtime() -> None:
    assert STRONG.sequential_p_value is not None and STRONG.sequential_p_value < 0.05
    d = decide(RULE, [VariantEvidence("B", STRONG)], runtime_days=10, planned_days=28)
    assert d.status == "winner: B" and d.winner == "B"


def test_minimum_runtime_holds_back_the_call() -> None:
    assert decide(RULE, [VariantEvidence("B", STRONG)], runtime_days=3, planned_days=28).status == "running"


def test_chance_to_win_only_counts_at_the_planned_end() -> None:
    assert MILD.chance_to_win is not None and MILD.chance_to_win > 0.95
    assert MILD.sequential_p_value is not None and MILD.sequential_p_value > 0.05
    assert decide(RULE, [VariantEvidence("B", MILD)], runtime_days=14, planned_days=28).status == "running"
    assert decide(RULE, [VariantEvidence("B", MILD)], runtime_days=28, planned_days=28).status == "winner: B"
    frequentist_only = WinnerRule(chance_to_win_threshold=None)
    assert decide(frequentist_only, [VariantEvidence("B", MILD)], 28, planned_days=28).status == "no winner"


def test_harmed_guardrail_blocks_the_winner() -> None:
    harmed = compare(proportion(4_000, 50_000), proportion(3_400, 50_000), "ctr")  # CTR down 15%
    d = decide(RULE, [VariantEvidence("B", STRONG, [harmed])], runtime_days=10, planned_days=28)
    assert d.winner is None and d.status == "guardrail harmed: B"
    fine = compare(proportion(4_000, 50_000), proportion(4_010, 50_000), "ctr")
    assert decide(RULE, [VariantEvidence("B", STRONG, [fine])], 10, planned_days=28).winner == "B"


def test_srm_blocks_any_call() -> None:
    d = decide(RULE, [VariantEvidence("B", STRONG)], runtime_days=10, srm_p_value=1e-6)
    assert d.status == "sample ratio mismatch" and d.winner is None


def test_best_of_several_winners_and_control_wins_when_all_lose() -> None:
    weaker = primary((50_000, 2_500), (50_000, 2_750))
    d = decide(RULE, [VariantEvidence("B", weaker), VariantEvidence("C", STRONG)], 10, planned_days=28)
    assert d.winner == "C"
    worse = primary((50_000, 2_900), (50_000, 2_500))
    d = decide(RULE, [VariantEvidence("B", worse)], 10, planned_days=28, control="A")
    assert d.status == "winner: A"


def test_flat_result_at_the_end_is_no_winner() -> None:
    assert decide(RULE, [VariantEvidence("B", FLAT)], 28, planned_days=28).status == "no winner"
    assert RULE.false_positive_rate == 0.05 + (1 - 0.95)
