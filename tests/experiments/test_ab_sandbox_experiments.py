"""The sandbox's planted experiments (known true lifts) are read out correctly from its ad rows.

Users = clicks of the control and treatment ads over the test window, conversions = their
conversions. Many planted tests have little traffic, so the check is what a correct engine must
do at any power: never call the true-null test, never call a lift with the wrong sign, and cover
the true lift with the 95% interval (where the simulator's 0.95 per-click CVR cap does not bend it).
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from adops.connectors.sandbox.world import World
from adops.experiments import VariantCounts, analyze_counts

ANCHOR = date(2026, 11, 24)
SEEDS = range(1, 13)


def readouts() -> list[tuple[int, float, int, float, dict[str, float | None]]]:
    """(seed, true lift, control clicks, control CVR, conversion comparison) for every planted experiment."""
    out = []
    for seed in SEEDS:
        world = World(seed=seed, anchor=ANCHOR)
        for exp in world.experiments:
            rows = world.ad_daily(exp.account_id, exp.start, ANCHOR - timedelta(days=1))
            sums = (
                rows[rows.ad_id.isin([exp.control_ad, exp.treatment_ad])]
                .groupby("ad_id")[["clicks", "conversions"]]
                .sum()
            )
            if exp.control_ad not in sums.index or exp.treatment_ad not in sums.index:
                continue
            totals = sums.to_dict("index")
            c, t = totals[exp.control_ad], totals[exp.treatment_ad]
            readout = analyze_counts(
                [
                    VariantCounts("control", int(c["clicks"]), float(c["conversions"])),
                    VariantCounts("treatment", int(t["clicks"]), float(t["conversions"])),
                ]
            )
            conv = readout.variants[1].conversion
            assert conv is not None
            cvr = float(c["conversions"]) / float(c["clicks"]) if c["clicks"] else 0.0
            out.append((seed, exp.true_lift, int(c["clicks"]), cvr, conv.__dict__))
    return out


@pytest.fixture(scope="module")
def planted() -> list[tuple[int, float, int, float, dict[str, float | None]]]:
    return readouts()


def test_no_false_or_wrong_sign_declarations(planted: list) -> None:
    declared = 0
    for seed, truth, _, _, conv in planted:
        p, lift = conv["sequential_p_value"], conv["lift"]
        if p is not None and p < 0.05:
            declared += 1
            assert truth != 0, f"seed {seed}: the true-null experiment was declared"
            assert lift is not None and (lift > 0) == (truth > 0), (
                f"seed {seed}: wrong sign {lift} vs {truth}"
            )
    assert declared >= 3  # the engine does call the ones with enough traffic


def test_intervals_cover_the_true_lift(planted: list) -> None:
    readable = [(truth, conv) for _, truth, clicks, cvr, conv in planted if clicks >= 100 and cvr < 0.5]
    assert len(readable) >= 20
    covered = sum(
        conv["ci_low"] is not None and conv["ci_low"] <= truth <= conv["ci_high"] for truth, conv in readable
    )
    assert covered / len(readable) >= 0.85
