"""Across many seeds, true-null experiments looked at every day are falsely declared at most at alpha.

Traffic is simulated with numpy (binomial conversions per arm and day, cumulated); the tests are the
production ones. The fixed-horizon test peeked at daily is shown to inflate the rate, so the check
has teeth; the sequential test and the winner rule keep to their stated rates.
"""

from __future__ import annotations

import numpy as np
import pytest

from adops.experiments import (
    SequentialTwoSidedTTest,
    TwoSidedTTest,
    VariantEvidence,
    WinnerRule,
    compare,
    decide,
    proportion,
)

SEEDS, DAYS, USERS_PER_DAY, RATE, ALPHA = 2000, 28, 400, 0.05, 0.05


def null_experiments(seed: int, seeds: int = SEEDS) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cumulative (users, control conversions, treatment conversions) per seed and day, no true effect."""
    rng = np.random.default_rng(seed)
    daily_users = rng.poisson(USERS_PER_DAY, size=(seeds, DAYS, 2))
    conversions = rng.binomial(daily_users, RATE)
    users = daily_users.cumsum(axis=1)
    conv = conversions.cumsum(axis=1)
    return users, conv[..., 0], conv[..., 1]


def first_declaring_day(
    users: np.ndarray, conv_c: np.ndarray, conv_t: np.ndarray, test: type[TwoSidedTTest]
) -> int:
    """Count experiments whose test has p < alpha on any day (stopping at the first such day)."""
    declared = 0
    for s in range(users.shape[0]):
        for d in range(DAYS):
            res = test(
                proportion(conv_c[s, d], users[s, d, 0]), proportion(conv_t[s, d], users[s, d, 1])
            ).compute_result()
            if res.p_value is not None and res.p_value < ALPHA:
                declared += 1
                break
    return declared


def test_sequential_test_keeps_alpha_under_daily_looks() -> None:
    users, conv_c, conv_t = null_experiments(seed=20261124)
    rate = first_declaring_day(users, conv_c, conv_t, SequentialTwoSidedTTest) / SEEDS
    assert rate <= ALPHA


def test_fixed_horizon_test_peeked_daily_inflates_false_positives() -> None:
    users, conv_c, conv_t = null_experiments(seed=20261125)
    peeking = first_declaring_day(users, conv_c, conv_t, TwoSidedTTest) / SEEDS
    assert peeking > 2 * ALPHA  # why the sequential test exists
    once = sum(
        (r := TwoSidedTTest(proportion(c, u[0]), proportion(t, u[1])).compute_result()).p_value is not None
        and r.p_value < ALPHA
        for u, c, t in zip(users[:, -1], conv_c[:, -1], conv_t[:, -1], strict=True)
    )
    assert once / SEEDS == pytest.approx(ALPHA, abs=0.025)  # one look at the end is calibrated


@pytest.mark.parametrize("threshold", [None, 0.95])
def test_winner_rule_looked_at_daily_stays_within_its_stated_rate(threshold: float | None) -> None:
    rule = WinnerRule(alpha=ALPHA, chance_to_win_threshold=threshold, min_runtime_days=7)
    seeds = 500
    users, conv_c, conv_t = null_experiments(seed=7 if threshold is None else 8, seeds=seeds)
    false_winners = 0
    for s in range(seeds):
        for d in range(DAYS):
            runtime = d + 1
            if runtime < rule.min_runtime_days:
                continue
            primary = compare(
                proportion(conv_c[s, d], users[s, d, 0]), proportion(conv_t[s, d], users[s, d, 1])
            )
            decision = decide(rule, [VariantEvidence("B", primary)], runtime_days=runtime, planned_days=DAYS)
            if decision.winner is not None:
                false_winners += 1
                break
    # binomial slack of two standard errors over the stated bound
    bound = rule.false_positive_rate
    assert false_winners / seeds <= bound + 2 * np.sqrt(bound * (1 - bound) / seeds)
