"""Recommendations on the full sandbox demo (400 days, 10-60 campaigns per account): how long
`recommend()` takes, how many of each kind, and precision / recall per kind against the simulator's
truth (true Hill curves for the budget kinds, true CTR by day for the creative kinds).

`python -m benchmarks recommend`; figures in docs/benchmarks.md ("Recommendations").
"""

from __future__ import annotations

import json
import time
from collections import Counter
from datetime import date, timedelta

from adops import clock
from adops.connectors.sandbox.connector import load_world, state_path
from adops.ingest import build_demo, sync
from adops.intelligence import recommend as R
from adops.intelligence.truth import (
    budget_truth,
    last_week,
    learning_limited_truth,
    platform_marginal_cpa,
    precision,
    true_ctr,
    untracked_truth,
)
from benchmarks._workspace import workspace

WASTED = 20
UNTRACKED = 6


def main() -> None:
    with workspace():
        t0 = time.perf_counter()
        build_demo()
        # plant WASTED campaigns that spend without converting, and sync their last 100 days again
        state = json.loads(state_path().read_text())
        state["wasted_campaigns"] = WASTED
        state["untracked_campaigns"] = UNTRACKED  # Google campaigns without conversion tracking
        state_path().write_text(json.dumps(state))
        sync(since=clock.today() - timedelta(days=100))
        print(
            f"   demo built (and {WASTED} wasted, {UNTRACKED} untracked campaigns planted) "
            f"in {time.perf_counter() - t0:.1f}s"
        )
        times = []
        for _ in range(3):
            t0 = time.perf_counter()
            recs = R.recommend()
            times.append(time.perf_counter() - t0)
        print(
            f"   recommend(): first {times[0]:.2f}s, then {min(times[1:]):.2f}s; {len(recs):,} recommendations"
        )
        print(
            "   by kind: " + ", ".join(f"{k} {n}" for k, n in sorted(Counter(r.kind for r in recs).items()))
        )
        world = load_world()
        end = R._last_day()
        assert end is not None
        wasted = {c for planted in world.wasted.values() for c, _ in planted}
        p, r = precision({x.entity_id for x in recs if x.kind == "wasted_spend"}, wasted)
        print(f"   wasted_spend: precision {p:.3f}, recall {r:.3f} (truth {len(wasted)})")
        limited, donors = budget_truth(world, end)
        for kind, truth in (("budget_limited", limited), ("budget_reallocation", donors)):
            p, r = precision({x.entity_id for x in recs if x.kind == kind}, truth)
            print(f"   {kind}: precision {p:.3f}, recall {r:.3f} (truth {len(truth)})")
        truth = platform_marginal_cpa(world, end)
        for x in (x for x in recs if x.kind == "platform_selection"):
            right = truth[x.evidence["to_platform"]] < truth[x.entity_id]
            print(
                f"   platform_selection: {x.entity_id} -> {x.evidence['to_platform']} ({'right' if right else 'wrong'}: "
                f"true marginal CPA {truth[x.entity_id]:,.2f} -> {truth[x.evidence['to_platform']]:,.2f})"
            )
        week = last_week(end)
        winners = [x for x in recs if x.kind == "creative_winner"]
        right = sum(
            true_ctr(world, x.evidence["winner"], week) > true_ctr(world, x.entity_id, week) for x in winners
        )
        print(f"   creative_winner: precision {right / max(len(winners), 1):.3f} ({len(winners)})")
        tired = [x for x in recs if x.kind == "creative_fatigue"]
        dropped = 0
        for x in tired:
            first = date.fromisoformat(x.evidence["first_day"])
            fresh = true_ctr(world, x.entity_id, [first + timedelta(days=i) for i in range(7)])
            dropped += true_ctr(world, x.entity_id, week) / fresh - 1 <= -0.2
        print(f"   creative_fatigue: precision {dropped / max(len(tired), 1):.3f} ({len(tired)})")
        checks: dict[str, set[str]] = {}
        for x in recs:
            if x.kind == "best_practice":
                checks.setdefault(x.evidence["check"], set()).add(x.entity_id)
        print("   best_practice checks: " + ", ".join(f"{k} {len(v)}" for k, v in sorted(checks.items())))
        for check, truth in (
            ("no_conversion_tracking", untracked_truth(world, clock.today())),
            ("learning_limited", learning_limited_truth(world, clock.today())),
        ):
            p, r = precision(checks.get(check, set()), truth)
            print(f"   {check}: precision {p:.3f}, recall {r:.3f} (truth {len(truth)})")


if __name__ == "__main__":
    main()
