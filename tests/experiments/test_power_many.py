"""`days_to_significance_many` gives the scalar `days_to_significance`'s integers, question by question."""

from __future__ import annotations

import numpy as np

from adops.experiments.power import days_to_significance, days_to_significance_many


def _scalar(lift, baseline, per_day, so_far, variance, alpha, tuning):  # type: ignore[no-untyped-def]
    try:
        return days_to_significance(
            lift, baseline, per_day, so_far, variance, alpha, 0.8, sequential=True, tuning=tuning
        )
    except (ValueError, ZeroDivisionError, OverflowError):
        return None


def test_many_matches_the_scalar_search_on_random_and_edge_questions() -> None:
    rng = np.random.default_rng(18)
    questions = []
    for _ in range(300):
        rate = rng.random() < 0.6
        baseline = float(rng.uniform(0.005, 0.3)) if rate else float(rng.uniform(0.5, 80))
        questions.append(
            (
                float(rng.choice([-1, 1]) * rng.uniform(0.001, 0.6)),
                baseline,
                float(rng.uniform(1, 5000)) if rate else 1.0,
                float(rng.uniform(0, 100000)) if rate else float(rng.integers(1, 60)),
                None if rate else float(rng.uniform(0.1, 500)),
                float(rng.choice([0.01, 0.05, 0.1])),
                float(rng.choice([5000.0, 56.0, 2e5])),
            )
        )
    questions += [
        (0.1, 0.05, 1000.0, 0.0, None, 0.05, 5000.0),  # the documented example
        (0.0, 0.05, 1000.0, 0.0, None, 0.05, 5000.0),  # no lift: None
        (0.1, 0.05, 0.0, 0.0, None, 0.05, 5000.0),  # no traffic: None
        (0.1, 0.0, 10.0, 0.0, None, 0.05, 5000.0),  # zero baseline: None
        (0.1, 1.5, 10.0, 0.0, None, 0.05, 5000.0),  # a rate above 1: None
        (0.1, 3.0, 1.0, 5.0, 0.0, 0.05, 56.0),  # zero variance: None
        (0.1, 3.0, 1.0, 5.0, -2.0, 0.05, 56.0),  # negative variance: None
        (1e-9, 0.05, 10.0, 0.0, None, 0.05, 5000.0),  # too small for any sample: None
        (0.1, 0.05, 1000.0, 1e9, None, 0.05, 5000.0),  # already powered: 0
    ]
    got = days_to_significance_many(*map(list, zip(*questions, strict=True)))
    want = [_scalar(*q) for q in questions]
    assert got == want
    assert got[-9:] == [want[-9], None, None, None, None, None, None, None, 0]
    assert isinstance(got[-9], int) and got[-9] > 0
    assert days_to_significance_many([], [], [], [], [], [], []) == []
