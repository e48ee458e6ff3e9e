"""From history to a recommended budget split: fit each channel's curve, then allocate.

`fit_channels` does the slow part (curve fits and their posteriors) once; `plan` is fast and can be
called again and again on the same fits (a page's budget slider, a what-if in a notebook).
`recommend` does both. The result's `to_dict()` is the `adops optimize --json` document.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from adops.optimize.allocator import InfeasibleBudget, allocate, check_feasible, solve_dual
from adops.optimize.curves import YEARLY_MIN_DAYS, CurveFit, HillCurves, fit_curve
from adops.optimize.history import ChannelHistory, InputError, load_history

DEFAULT_BOUNDS = (0.5, 2.0)  # × current spend, as Robyn's allocator


@dataclass(frozen=True)
class ChannelCurve:
    """A channel's history and its fitted curve."""

    history: ChannelHistory
    curve: CurveFit

    @property
    def channel(self) -> str:
        return self.history.channel

    @property
    def current_spend(self) -> float:
        return self.history.current_spend


@dataclass
class ChannelPlan:
    channel: str
    current_spend: float
    spend: float
    lower: float
    upper: float
    locked: bool
    current_expected: float
    expected: float
    expected_low: float
    expected_high: float
    marginal_response: float  # extra outcome per extra unit of spend at `spend`
    curve: CurveFit

    def marginal(self, objective: str) -> float | None:
        """Marginal CPA (spend per extra conversion) or marginal ROAS (revenue per extra unit of spend)."""
        if objective == "revenue":
            return self.marginal_response
        return 1.0 / self.marginal_response if self.marginal_response > 1e-12 else None

    @property
    def extrapolated(self) -> bool:
        """The recommended spend lies outside the daily spend the history has seen."""
        c = self.curve
        return bool(self.spend < c.observed_min * 0.999 or self.spend > c.observed_max * 1.001)


@dataclass
class Recommendation:
    objective: str
    budget: float
    channels: list[ChannelPlan]
    expected_total: float
    current_expected_total: float
    uplift_low: float
    uplift_high: float
    interval: float
    method: str
    target_cpa: float | None = None
    target_roas: float | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def spend_total(self) -> float:
        return float(sum(c.spend for c in self.channels))

    @property
    def uplift(self) -> float:
        return self.expected_total - self.current_expected_total

    def to_dict(self) -> dict[str, object]:
        """The `adops optimize --json` document (INTERFACES.md), with extra fields."""
        base = self.current_expected_total
        return {
            "objective": self.objective,
            "budget": self.budget,
            "expected_total": self.expected_total,
            "current_expected_total": self.current_expected_total,
            "allocation": [
                {
                    "channel": c.channel,
                    "current_spend": c.current_spend,
                    "spend": c.spend,
                    "expected": c.expected,
                    "marginal": _finite(c.marginal(self.objective)),
                    "marginal_kind": "roas" if self.objective == "revenue" else "cpa",
                    "marginal_response": c.marginal_response,
                    "change": c.spend - c.current_spend,
                    "current_expected": c.current_expected,
                    "expected_low": c.expected_low,
                    "expected_high": c.expected_high,
                    "lower": c.lower,
                    "upper": c.upper,
                    "locked": c.locked,
                    "extrapolated": c.extrapolated,
                    "curve": c.curve.to_dict(),
                }
                for c in self.channels
            ],
            "spend_total": self.spend_total,
            "uplift": self.uplift,
            "uplift_pct": self.uplift / base if base > 0 else None,
            "uplift_low": self.uplift_low,
            "uplift_high": self.uplift_high,
            "interval": self.interval,
            "method": self.method,
            "target_cpa": self.target_cpa,
            "target_roas": self.target_roas,
            "warnings": list(self.warnings),
        }


def recommend(
    frame: pd.DataFrame,
    budget: float,
    *,
    objective: str = "conversions",
    minimums: Mapping[str, float] | None = None,
    maximums: Mapping[str, float] | None = None,
    locked: Iterable[str] = (),
    target_cpa: float | None = None,
    target_roas: float | None = None,
    n_boot: int = 100,
    interval: float = 0.9,
    seed: int = 0,
) -> Recommendation:
    """Fit curves to a daily history table and recommend the split of a daily budget."""
    fits = fit_channels(load_history(frame, objective), n_boot=n_boot, seed=seed)
    return plan(
        fits,
        budget,
        objective=objective,
        minimums=minimums,
        maximums=maximums,
        locked=locked,
        target_cpa=target_cpa,
        target_roas=target_roas,
        interval=interval,
        seed=seed,
    )


def fit_channels(
    histories: list[ChannelHistory],
    *,
    n_boot: int = 100,
    seed: int = 0,
    shared_yearly: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> list[ChannelCurve]:
    """Fit every channel's curve and its posterior (`n_boot` draws for the intervals; 0: point fits only).

    With `shared_yearly` (the default) the yearly demand cycle is one cycle for all channels, as
    Robyn and Meridian model it: each channel with a year of history is first fitted with its own
    cycle, the cycles are pooled (`pool_yearly`), and those channels are refitted with the pooled
    cycle held fixed. One channel cannot tell the season from its own budget moves (a year holds
    only a dozen 4-week budget regimes, and a busy quarter may happen to get the big budgets);
    several channels with independent budgets can. `progress(done, total)` is called after each fit.
    """
    poolable = [shared_yearly and len(h.dates) >= YEARLY_MIN_DAYS for h in histories]
    pool = sum(poolable) >= 2

    total = len(histories) + (sum(poolable) if pool else 0)
    done = 0

    def fit(i: int, h: ChannelHistory, boot: int, yearly: np.ndarray | None = None) -> CurveFit:
        nonlocal done
        out = fit_curve(h.spend, h.outcome, h.dates, n_boot=boot, seed=seed + i, yearly=yearly)
        done += 1
        if progress is not None:
            progress(done, total)
        return out

    fits = [fit(i, h, 0 if pool and poolable[i] else n_boot) for i, h in enumerate(histories)]
    if pool:
        shared = pool_yearly([f for f, ok in zip(fits, poolable, strict=True) if ok])
        fits = [fit(i, h, n_boot, shared) if poolable[i] else fits[i] for i, h in enumerate(histories)]
    return [ChannelCurve(h, f) for h, f in zip(histories, fits, strict=True)]


def pool_yearly(fits: Sequence[CurveFit]) -> np.ndarray | None:
    """The yearly cycle shared by channels: the median of their own cycles' coefficients.

    The median, not a volume-weighted mean: the channel whose budget happened to follow the season
    is the one whose own cycle is wrong, and it may be the biggest.
    """
    cycles = [f.yearly for f in fits if len(f.yearly)]
    return np.asarray(np.median(np.array(cycles), axis=0)) if len(cycles) >= 2 else None


def bounds_for(
    channels: Sequence[str],
    current: Sequence[float] | np.ndarray,
    minimums: Mapping[str, float] | None = None,
    maximums: Mapping[str, float] | None = None,
    locked: Iterable[str] = (),
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(lower, upper, locked) per channel: [0.5, 2] × current spend unless given; a lock pins current spend.

    An explicit minimum above the default maximum lifts the maximum to it (and the other way round);
    an explicit minimum above an explicit maximum is an error.
    """
    minimums, maximums = dict(minimums or {}), dict(maximums or {})
    locked_set = set(locked)
    names = list(channels)
    for option, given in (
        ("--min", minimums),
        ("--max", maximums),
        ("--lock", dict.fromkeys(locked_set, 0.0)),
    ):
        unknown = sorted(set(given) - set(names))
        if unknown:
            raise InputError(f"{option}: unknown channel '{unknown[0]}' (channels: {', '.join(names)})")
        for channel, value in given.items():
            if not np.isfinite(value) or value < 0:
                raise InputError(f"{option}: {channel}={value} is not a daily spend >= 0")
    lower, upper = np.empty(len(names)), np.empty(len(names))
    is_locked = np.zeros(len(names), dtype=bool)
    for i, (channel, now) in enumerate(zip(names, current, strict=True)):
        lo, hi = DEFAULT_BOUNDS[0] * float(now), DEFAULT_BOUNDS[1] * float(now)
        if channel in minimums and channel in maximums and minimums[channel] > maximums[channel]:
            raise InputError(
                f"--min {channel}={minimums[channel]:g} is above --max {channel}={maximums[channel]:g}"
            )
        if channel in minimums:
            lo = minimums[channel]
            hi = max(hi, lo)
        if channel in maximums:
            hi = maximums[channel]
            lo = min(lo, hi)
        if channel in locked_set:
            lo = hi = float(now)
            is_locked[i] = True
        lower[i], upper[i] = lo, hi
    return lower, upper, is_locked


def check_request(
    channels: Sequence[str],
    current: Sequence[float] | np.ndarray,
    budget: float,
    *,
    objective: str = "conversions",
    minimums: Mapping[str, float] | None = None,
    maximums: Mapping[str, float] | None = None,
    locked: Iterable[str] = (),
    target_cpa: float | None = None,
    target_roas: float | None = None,
    interval: float = 0.9,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Check a request before any fitting; returns `bounds_for`'s (lower, upper, locked)."""
    if not np.isfinite(budget) or budget <= 0:
        raise InputError(f"--budget must be a positive number, not {budget:g}")
    if not 0 < interval < 1:
        raise InputError(f"--interval must be between 0 and 1, not {interval:g}")
    if target_cpa is not None and (objective != "conversions" or not target_cpa > 0):
        raise InputError("--target-cpa needs --objective conversions and a positive value")
    if target_roas is not None and (objective != "revenue" or not target_roas > 0):
        raise InputError("--target-roas needs --objective revenue and a positive value")
    lower, upper, is_locked = bounds_for(channels, current, minimums, maximums, locked)
    try:
        check_feasible(budget, lower, upper)
    except InfeasibleBudget as exc:
        raise InputError(f"bounds cannot meet --budget: {exc}") from None
    return lower, upper, is_locked


def plan(
    fits: list[ChannelCurve],
    budget: float,
    *,
    objective: str = "conversions",
    minimums: Mapping[str, float] | None = None,
    maximums: Mapping[str, float] | None = None,
    locked: Iterable[str] = (),
    target_cpa: float | None = None,
    target_roas: float | None = None,
    interval: float = 0.9,
    seed: int = 0,
    mean_curve: bool = True,
) -> Recommendation:
    """Allocate `budget` (daily) over fitted channels; intervals come from the curves' posterior draws.

    With `mean_curve` (the default) the budget goes where the posterior's mean outcome is highest —
    each fitted channel's `CurveFit.expected_params`, the point fit only where there is no posterior —
    and `expected`, `marginal` and the uplift are read from those curves. Averaging over the
    posterior keeps one point fit's shaky extrapolation from steering the budget (a channel whose fit
    still steepens beyond the spend it has seen would otherwise take the budget of the others, and
    a noisy one that merely looks saturated would be starved).
    """
    current = np.array([f.current_spend for f in fits])
    lower, upper, is_locked = check_request(
        [f.channel for f in fits],
        current,
        budget,
        objective=objective,
        minimums=minimums,
        maximums=maximums,
        locked=locked,
        target_cpa=target_cpa,
        target_roas=target_roas,
        interval=interval,
    )
    params = np.array(
        [f.curve.expected_params if mean_curve else (f.curve.beta, f.curve.k, f.curve.s) for f in fits],
        dtype=float,
    ).reshape(-1, 3)
    curves = HillCurves(params[:, 0], params[:, 1], params[:, 2])
    result = allocate(curves, budget, lower, upper, seed=seed)
    spend, method, warnings = result.spend, result.method, list[str]()
    if target_cpa is not None or target_roas is not None:
        spend, method, warnings = _meet_target(
            curves, budget, lower, upper, spend, method, target_cpa, target_roas
        )
    warnings += [
        f"{f.channel}: curve not identifiable: {'; '.join(f.curve.warnings)}"
        for f in fits
        if not f.curve.identifiable
    ]

    boot = _bootstrap_curves(fits)
    expected, now = curves.value(spend), curves.value(current)
    boot_expected, boot_now = boot.value(spend[None, :]), boot.value(current[None, :])
    q = [(1 - interval) / 2, (1 + interval) / 2]
    exp_lo, exp_hi = np.quantile(boot_expected, q, axis=0)
    up_lo, up_hi = np.quantile(boot_expected.sum(axis=1) - boot_now.sum(axis=1), q)
    marginal = curves.marginal(spend)
    channels = [
        ChannelPlan(
            channel=f.channel,
            current_spend=float(current[i]),
            spend=float(spend[i]),
            lower=float(lower[i]),
            upper=float(upper[i]),
            locked=bool(is_locked[i]),
            current_expected=float(now[i]),
            expected=float(expected[i]),
            expected_low=float(exp_lo[i]),
            expected_high=float(exp_hi[i]),
            marginal_response=float(marginal[i]),
            curve=f.curve,
        )
        for i, f in enumerate(fits)
    ]
    return Recommendation(
        objective=objective,
        budget=float(budget),
        channels=channels,
        expected_total=float(expected.sum()),
        current_expected_total=float(now.sum()),
        uplift_low=float(up_lo),
        uplift_high=float(up_hi),
        interval=interval,
        method=method,
        target_cpa=target_cpa,
        target_roas=target_roas,
        warnings=warnings,
    )


def _meet_target(
    curves: HillCurves,
    budget: float,
    lower: np.ndarray,
    upper: np.ndarray,
    spend: np.ndarray,
    method: str,
    target_cpa: float | None,
    target_roas: float | None,
) -> tuple[np.ndarray, str, list[str]]:
    """With a target, the budget is a cap: spend the most that still meets the target CPA / ROAS on average."""

    def meets(x: np.ndarray) -> bool:
        total = float(np.sum(curves.value(x)))
        if target_cpa is not None:
            return total > 0 and float(np.sum(x)) / total <= target_cpa
        return float(np.sum(x)) == 0 or total / float(np.sum(x)) >= (target_roas or 0.0)

    if meets(spend):
        return spend, method, []
    what = f"target CPA {target_cpa:g}" if target_cpa is not None else f"target ROAS {target_roas:g}"
    # with S-shaped curves efficiency need not fall steadily with spend: scan the frontier, then refine
    floor = float(np.sum(lower))
    totals = np.linspace(floor, budget, 21)
    ok = [meets(solve_dual(curves, t, lower, upper) if t > 0 else lower.copy()) for t in totals]
    if not any(ok):
        return (
            lower.copy(),
            "fixed",
            [f"{what} cannot be met even at the channels' minimums; spending the minimums"],
        )
    i = max(j for j, good in enumerate(ok) if good)
    lo, hi = float(totals[i]), float(totals[min(i + 1, len(totals) - 1)])
    for _ in range(24):
        mid = 0.5 * (lo + hi)
        if meets(solve_dual(curves, mid, lower, upper)):
            lo = mid
        else:
            hi = mid
    final = allocate(curves, lo, lower, upper) if lo > floor else None
    if final is None or not meets(final.spend):
        return (
            solve_dual(curves, lo, lower, upper),
            "dual",
            [f"{what} caps daily spend at {lo:,.2f} of {budget:,.2f}"],
        )
    return final.spend, final.method, [f"{what} caps daily spend at {lo:,.2f} of the {budget:,.2f} budget"]


def _bootstrap_curves(fits: list[ChannelCurve]) -> HillCurves:
    """(B, n) curves from each channel's posterior draws; a channel without draws repeats its estimate."""
    n_boot = max((len(f.curve.boot_beta) for f in fits), default=0)
    n_boot = max(n_boot, 1)
    cols = []
    for f in fits:
        c = f.curve
        if len(c.boot_beta) == n_boot:
            cols.append((c.boot_beta, c.boot_k, c.boot_s))
        else:
            cols.append((np.full(n_boot, c.beta), np.full(n_boot, c.k), np.full(n_boot, c.s)))
    return HillCurves(
        np.column_stack([c[0] for c in cols]),
        np.column_stack([c[1] for c in cols]),
        np.column_stack([c[2] for c in cols]),
    )


def _finite(value: float | None) -> float | None:
    return value if value is not None and np.isfinite(value) else None
