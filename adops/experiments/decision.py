"""The winner rule: when may an experiment's status become "winner: X"?

A treatment wins when, after the minimum runtime, with the split on plan (no SRM):
  - its primary metric improves, and
  - either its sequential p-value (Holm-adjusted across treatments) is below alpha — valid at any
    look, so checking daily is safe — or, once the planned end is reached, its chance to beat
    control exceeds the threshold (a fixed-horizon Bayesian call), and
  - no guardrail is harmed: harmed means P(guardrail worse) above `guardrail_harm_threshold`, or its
    sequential interval lying wholly on the bad side.
If every treatment is significantly worse (sequential), the control wins.

False positives: on a true-null experiment looked at every day, the sequential path declares with
probability at most alpha; the Bayesian path, used once at the planned end, adds at most
1 - threshold (a one-sided fixed test). `WinnerRule.false_positive_rate` states that bound; with
`chance_to_win_threshold=None` it is alpha. Without a planned end the Bayesian path is open at every
look and the bound does not hold (peeking) — give a planned end.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from adops.experiments.corrections import holm_with_gaps
from adops.experiments.readout import MetricComparison
from adops.experiments.srm import SRM_THRESHOLD

__all__ = ["Decision", "VariantEvidence", "WinnerRule", "decide"]


@dataclass(frozen=True)
class WinnerRule:
    alpha: float = 0.05
    chance_to_win_threshold: float | None = 0.95
    min_runtime_days: float = 7
    guardrail_harm_threshold: float = 0.95

    @property
    def false_positive_rate(self) -> float:
        """Bound on declaring a winner in a true-null experiment looked at daily (with a planned end)."""
        bayes = 0.0 if self.chance_to_win_threshold is None else 1 - self.chance_to_win_threshold
        return self.alpha + bayes


@dataclass(frozen=True)
class VariantEvidence:
    """A treatment's comparison with control on the primary metric and on each guardrail."""

    variant: str
    primary: MetricComparison
    guardrails: Sequence[MetricComparison] = ()


@dataclass(frozen=True)
class Decision:
    """`status` is "winner: X", "running", "no winner", "sample ratio mismatch" or "guardrail harmed: X"."""

    status: str
    winner: str | None
    reasons: tuple[str, ...] = ()


def decide(
    rule: WinnerRule,
    evidence: Sequence[VariantEvidence],
    runtime_days: float,
    planned_days: float | None = None,
    srm_p_value: float | None = None,
    control: str = "control",
) -> Decision:
    """Apply `rule` to the treatments' evidence after `runtime_days` of a test planned for `planned_days`."""
    if srm_p_value is not None and srm_p_value < SRM_THRESHOLD:
        return Decision(
            "sample ratio mismatch",
            None,
            (f"users are off the planned split (SRM p = {srm_p_value:.2g}); fix assignment first",),
        )
    if runtime_days < rule.min_runtime_days:
        return Decision("running", None, (f"minimum runtime is {rule.min_runtime_days:g} days",))
    at_end = planned_days is None or runtime_days >= planned_days
    seq = holm_with_gaps([e.primary.sequential_p_value for e in evidence])

    candidates: list[tuple[float, str]] = []
    harmed: list[str] = []
    reasons: list[str] = []
    for e, p in zip(evidence, seq, strict=True):
        m = e.primary
        significant = p is not None and p < rule.alpha
        bayes = (
            rule.chance_to_win_threshold is not None
            and at_end
            and m.chance_to_win is not None
            and m.chance_to_win > rule.chance_to_win_threshold
        )
        if not m.improves or not (significant or bayes):
            continue
        bad = [g.metric for g in e.guardrails if _harmed(g, rule)]
        if bad:
            harmed.append(e.variant)
            reasons.append(f"{e.variant} harms {', '.join(bad)}")
            continue
        why = f"sequential p = {p:.3g}" if significant else f"chance to win = {m.chance_to_win:.3f}"
        reasons.append(f"{e.variant}: lift {m.lift:+.2%}, {why}")
        assert m.lift is not None
        candidates.append((abs(m.lift), e.variant))
    if candidates:
        winner = max(candidates)[1]
        return Decision(f"winner: {winner}", winner, tuple(reasons))
    losers = [
        p is not None and p < rule.alpha and not e.primary.improves
        for e, p in zip(evidence, seq, strict=True)
    ]
    if evidence and all(losers):
        return Decision(f"winner: {control}", control, ("every treatment is significantly worse",))
    if harmed:
        return Decision(f"guardrail harmed: {', '.join(harmed)}", None, tuple(reasons))
    return Decision("no winner" if planned_days is not None and at_end else "running", None, tuple(reasons))


def _harmed(g: MetricComparison, rule: WinnerRule) -> bool:
    if g.chance_to_win is not None and 1 - g.chance_to_win > rule.guardrail_harm_threshold:
        return True
    lo, hi = g.sequential_ci_low, g.sequential_ci_high
    if lo is None or hi is None:
        return False
    return lo > 0 if g.inverse else hi < 0
