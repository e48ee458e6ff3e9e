"""compare_many: the vectorised readout gives the same numbers as `compare`, pair by pair."""

from __future__ import annotations

import math

import numpy as np
import pytest

from adops.experiments.readout import compare, compare_many
from adops.experiments.statistics import ProportionStatistic, RatioStatistic, SampleMeanStatistic, Statistic


def _pairs(rng: np.random.Generator) -> tuple[list[Statistic], list[Statistic]]:
    controls: list[Statistic] = []
    treatments: list[Statistic] = []
    for _ in range(200):
        n_c, n_t = int(rng.integers(0, 5000)), int(rng.integers(0, 5000))
        controls.append(ProportionStatistic(n_c, float(rng.binomial(n_c, 0.05))))
        treatments.append(ProportionStatistic(n_t, float(rng.binomial(n_t, 0.06))))
    # edge cases: no units, zero baseline, zero variance (all converted)
    controls += [ProportionStatistic(0, 0.0), ProportionStatistic(100, 0.0), ProportionStatistic(50, 50.0)]
    treatments += [ProportionStatistic(10, 1.0), ProportionStatistic(100, 3.0), ProportionStatistic(50, 50.0)]
    for d in range(2, 30):
        x, y = rng.uniform(10, 100, (2, d)), rng.uniform(100, 1000, (2, d))
        c, t = (
            RatioStatistic(
                d,
                SampleMeanStatistic(d, float(x[i].sum()), float((x[i] ** 2).sum())),
                SampleMeanStatistic(d, float(y[i].sum()), float((y[i] ** 2).sum())),
                float((x[i] * y[i]).sum()),
            )
            for i in (0, 1)
        )
        controls.append(c)
        treatments.append(t)
    return controls, treatments


@pytest.mark.parametrize("inverse", [False, True])
def test_same_numbers_as_compare(inverse: bool) -> None:
    controls, treatments = _pairs(np.random.default_rng(18))
    many = compare_many(controls, treatments, "cvr", 0.05, inverse, 2000.0)
    assert len(many) == len(controls)
    errors = 0
    for c, t, got in zip(controls, treatments, many, strict=True):
        want = compare(c, t, "cvr", 0.05, inverse, 2000.0)
        errors += want.error is not None
        assert got.error == want.error and got.metric == want.metric and got.inverse == want.inverse
        for name in (
            "lift",
            "ci_low",
            "ci_high",
            "p_value",
            "sequential_ci_low",
            "sequential_ci_high",
            "sequential_p_value",
            "chance_to_win",
            "expected_loss",
            "stddev",
        ):
            a, b = getattr(got, name), getattr(want, name)
            assert (a is None) == (b is None), name
            if a is not None:
                assert math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-15), (name, a, b)
    assert errors >= 3  # the error branch is exercised


def test_refuses_bad_arguments() -> None:
    c = [ProportionStatistic(100, 5.0)]
    with pytest.raises(ValueError, match="alpha"):
        compare_many(c, c, alpha=1.5)
    with pytest.raises(ValueError, match="tuning"):
        compare_many(c, c, tuning=0)
    with pytest.raises(ValueError, match="pair up"):
        compare_many(c, c + c)
    assert compare_many([], []) == []
