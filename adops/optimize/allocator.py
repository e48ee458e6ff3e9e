"""Budget allocation: split a daily budget across channels to maximise the total expected outcome.

    maximise  sum_i r_i(x_i)   subject to   sum_i x_i = budget,   lower_i <= x_i <= upper_i

where r_i is a steady-state Hill curve (`HillCurves`), possibly S-shaped, so the problem is not
concave. Three solvers run and the best feasible answer wins:

- **dual**: Lagrangian relaxation. For a price λ each channel's best response maximises
  r_i(x) − λx over its bounds — one of lower, upper, or the root of r_i'(x) = λ on the falling side of
  the marginal curve — and a bisection on λ meets the budget. The channel that jumps at the final λ
  (an S-curve crossing its hump) is settled by trying both of its states. Exact for concave curves,
  near-exact otherwise, and vectorised, so it scales to thousands of channels.
- **greedy** marginal return (the fallback, run only when the dual is not exact — some channel
  jumps at the final price; otherwise the dual's split is a global optimum and the greedy cannot win): from the lower bounds, hand out the budget in small
  steps, each to the channel whose next steps return most per unit spent (looking a few steps
  ahead, so an S-curve's flat start does not hide its steep middle).
- **SLSQP** from several starts (the two answers above, the current split, the bounds' midpoints and
  random feasible points), for up to `slsqp_max_channels` free channels (its cost grows as n³).

Locked channels are channels with lower == upper.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

from adops.errors import InputError
from adops.optimize.curves import HillCurves, hill, hill_derivative, inflection


class InfeasibleBudget(InputError):
    """The bounds cannot meet the budget."""


@dataclass(frozen=True)
class Allocation:
    spend: np.ndarray
    expected: np.ndarray
    total: float
    method: str  # which solver's answer won


def check_feasible(budget: float, lower: np.ndarray, upper: np.ndarray) -> None:
    """Raise InfeasibleBudget when no split within [lower, upper] sums to the budget."""
    lo, hi = float(np.sum(lower)), float(np.sum(upper))
    tol = 1e-9 * max(abs(budget), 1.0)
    if np.any(lower > upper + tol):
        raise InfeasibleBudget("a channel's minimum is above its maximum")
    if lo > budget + tol:
        raise InfeasibleBudget(
            f"the channels' minimums add up to {lo:,.2f}, more than the budget {budget:,.2f}"
        )
    if hi < budget - tol:
        raise InfeasibleBudget(
            f"the channels' maximums add up to {hi:,.2f}, less than the budget {budget:,.2f}"
        )


def allocate(
    curves: HillCurves,
    budget: float,
    lower: np.ndarray,
    upper: np.ndarray,
    *,
    starts: int = 4,
    seed: int = 0,
    slsqp_max_channels: int = 40,
    greedy_steps: int | None = None,
) -> Allocation:
    """The best split of `budget` over the channels of `curves` within [lower, upper]."""
    lower = np.asarray(lower, dtype=float)
    upper = np.maximum(np.asarray(upper, dtype=float), lower)
    check_feasible(budget, lower, upper)
    free = upper - lower > 1e-12 * max(budget, 1.0)
    candidates: list[tuple[str, np.ndarray]] = []
    if not np.any(free) or float(np.sum(upper - lower)) <= 0:
        candidates.append(("fixed", lower.copy()))
    else:
        dual, exact = _solve_dual(curves, budget, lower, upper)
        candidates.append(("dual", dual))
        if not exact:  # a duality gap: only then can the greedy find a better split
            candidates.append(("greedy", solve_greedy(curves, budget, lower, upper, steps=greedy_steps)))
        if int(free.sum()) <= slsqp_max_channels:
            slsqp = solve_slsqp(
                curves, budget, lower, upper, [x for _, x in candidates], starts=starts, seed=seed
            )
            if slsqp is not None:
                candidates.append(("slsqp", slsqp))
    best_name, best_x, best_total = "", lower, -np.inf
    for name, x in candidates:
        x = _project(x, budget, lower, upper)
        total = float(np.sum(curves.value(x)))
        if best_name == "" or total > best_total + 1e-12 * abs(best_total):
            best_name, best_x, best_total = name, x, total
    return Allocation(spend=best_x, expected=curves.value(best_x), total=best_total, method=best_name)


# ---------------------------------------------------------------------------- dual (Lagrangian)


def solve_dual(curves: HillCurves, budget: float, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Lagrangian best responses with a search on the price λ; see the module docstring."""
    return _solve_dual(curves, budget, lower, upper)[0]


def _solve_dual(
    curves: HillCurves, budget: float, lower: np.ndarray, upper: np.ndarray
) -> tuple[np.ndarray, bool]:
    """The dual's split, and whether it is exact.

    When no channel jumps at the final price λ*, the best response at λ* meets the budget, and a
    split that maximises r(x) − λ*·(Σx − budget) over the box while meeting the budget is a global
    optimum (Lagrangian sufficiency): no other solver can beat it, so none needs to run.
    """
    lam_lo, lam_hi = _price_bracket(curves, budget, lower, upper)
    x_under = _best_response(curves, lam_hi, lower, upper)  # sums to <= budget
    x_over = _best_response(curves, lam_lo, lower, upper)  # sums to >= budget
    jumped = np.nonzero(np.abs(x_over - x_under) > 1e-6 * max(budget, 1.0))[0]
    if len(jumped) == 0:
        return _project(x_under, budget, lower, upper), True
    # the channels that change state at λ*: either all stay low (fixed), or all climb onto their concave part
    fixed = np.zeros(len(lower), dtype=bool)
    fixed[jumped] = True
    climbed = lower.copy()
    climbed[jumped] = np.maximum(
        lower[jumped], np.minimum(inflection(curves.k, curves.s)[jumped], upper[jumped])
    )
    options = [
        _fill_concave(curves, budget, lower, upper, x_under, fixed),
        _fill_concave(curves, budget, climbed, upper, x_over, np.zeros(len(lower), dtype=bool)),
    ]
    best, best_total = _project(x_under, budget, lower, upper), -np.inf
    for x in options:
        if x is not None and float(np.sum(curves.value(x))) > best_total:
            best, best_total = x, float(np.sum(curves.value(x)))
    return best, False


def _price_bracket(
    curves: HillCurves, budget: float, lower: np.ndarray, upper: np.ndarray
) -> tuple[float, float]:
    """λ_lo < λ_hi with total best-response spend >= budget at λ_lo and <= budget at λ_hi.

    The total is non-increasing in λ; each pass evaluates 32 prices at once and keeps the crossing.
    """
    lam_lo, lam_hi = 0.0, float(_peak_marginal(curves, lower, upper).max()) * 1.01 + 1e-300
    for _ in range(7):
        grid = np.linspace(lam_lo, lam_hi, 33)
        totals = _best_response(curves, grid[:, None], lower, upper).sum(axis=1)
        over = np.nonzero(totals > budget)[0]
        i = int(over[-1]) if len(over) else 0
        lam_lo, lam_hi = float(grid[i]), float(grid[min(i + 1, 32)])
        if lam_hi - lam_lo <= 1e-12 * lam_hi:
            break
    return lam_lo, lam_hi


def _best_response(
    curves: HillCurves, lam: float | np.ndarray, lower: np.ndarray, upper: np.ndarray
) -> np.ndarray:
    """argmax over [lower, upper] of r(x) − λx, per channel (λ may be a column of prices: (L, 1) → (L, n))."""
    lam = np.asarray(lam, dtype=float)
    x_root = np.clip(_falling_root(curves, lam, lower, upper), lower, upper)
    lo, hi = np.broadcast_to(lower, x_root.shape), np.broadcast_to(upper, x_root.shape)
    gains = [curves.value(x) - lam * x for x in (lo, hi, x_root)]
    best = np.where(gains[1] > gains[0], hi, lo)
    return np.where(gains[2] > np.maximum(gains[0], gains[1]), x_root, best)


def _falling_root(
    curves: HillCurves, lam: float | np.ndarray, lower: np.ndarray, upper: np.ndarray
) -> np.ndarray:
    """x in [max(lower, inflection), upper] with r'(x) = λ on the falling side of r' (clipped to the ends)."""
    a = np.maximum(lower, inflection(curves.k, curves.s))
    b = np.maximum(upper, a)
    shape = np.broadcast_shapes(np.shape(lam), a.shape)
    lo, hi = np.broadcast_to(a, shape).copy(), np.broadcast_to(b, shape).copy()
    for _ in range(42):
        mid = 0.5 * (lo + hi)
        above = curves.marginal(mid) > lam
        lo = np.where(above, mid, lo)
        hi = np.where(above, hi, mid)
    return 0.5 * (lo + hi)


def _fill_concave(
    curves: HillCurves,
    budget: float,
    lower: np.ndarray,
    upper: np.ndarray,
    state: np.ndarray,
    fixed: np.ndarray,
) -> np.ndarray | None:
    """Keep `fixed` channels at `state`; give the others equal marginal return μ on their falling parts."""
    rest = budget - float(np.sum(state[fixed]))
    idx = np.nonzero(~fixed)[0]
    if len(idx) == 0:
        return state.copy() if abs(rest) <= 1e-9 * max(budget, 1.0) else None
    sub = curves.take(idx)
    lo_b, hi_b = lower[idx], upper[idx]
    if rest < float(lo_b.sum()) - 1e-9 * max(budget, 1.0) or rest > float(hi_b.sum()) + 1e-9 * max(
        budget, 1.0
    ):
        return None
    _, mu_hi = _price_bracket(sub, rest, lo_b, hi_b)
    out = state.copy()
    out[idx] = _best_response(sub, mu_hi, lo_b, hi_b)
    return _project(out, budget, lower, upper, movable=~fixed)


def _peak_marginal(curves: HillCurves, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """The largest marginal return each channel reaches within its bounds."""
    x_peak = np.clip(inflection(curves.k, curves.s), lower, upper)
    x_peak = np.where(x_peak <= 0, np.minimum(upper, 1e-9 * np.maximum(curves.k, 1e-300)), x_peak)
    return np.maximum(curves.marginal(x_peak), curves.marginal(np.maximum(lower, 1e-12)))


# ---------------------------------------------------------------------------- greedy


def solve_greedy(
    curves: HillCurves, budget: float, lower: np.ndarray, upper: np.ndarray, *, steps: int | None = None
) -> np.ndarray:
    """Marginal-return greedy from the lower bounds, in steps of 1/`steps` of the budget to hand out.

    Each move goes to the channel whose best jump — one step, or several up to its upper bound —
    returns most per unit spent, so an S-curve's flat start does not hide its steep middle.
    """
    n = len(lower)
    room = budget - float(np.sum(lower))
    x = lower.copy()
    if room <= 0:
        return x
    steps = steps or max(1000, 2 * n)
    delta = room / steps
    beta, k, s = (np.asarray(a, dtype=float) for a in (curves.beta, curves.k, curves.s))

    def best_move(i: int) -> tuple[float, int]:
        cap = int(np.floor((upper[i] - x[i]) / delta + 1e-9))
        if cap <= 0:
            return -np.inf, 0
        jumps = np.unique(
            np.concatenate([np.arange(1, min(cap, 8) + 1), np.round(np.geomspace(1, cap, 24)).astype(int)])
        )
        gains = beta[i] * (hill(x[i] + jumps * delta, k[i], s[i]) - hill(x[i], k[i], s[i]))
        rates = gains / (jumps * delta)
        m = int(np.argmax(rates))
        return float(rates[m]), int(jumps[m])

    heap = []
    for i in range(n):
        rate, j = best_move(i)
        if j > 0:
            heap.append((-rate, i, j))
    heapq.heapify(heap)
    left = steps
    while left > 0 and heap:
        _, i, j = heapq.heappop(heap)  # only channel i moved since its entry was pushed: still current
        j = min(j, left)
        x[i] += j * delta
        left -= j
        rate, j_next = best_move(i)
        if j_next > 0:
            heapq.heappush(heap, (-rate, i, j_next))
    return _project(x, budget, lower, upper)


# ---------------------------------------------------------------------------- SLSQP


def solve_slsqp(
    curves: HillCurves,
    budget: float,
    lower: np.ndarray,
    upper: np.ndarray,
    warm: list[np.ndarray],
    *,
    starts: int = 4,
    seed: int = 0,
) -> np.ndarray | None:
    """SLSQP on the free channels, from the warm answers plus `starts` other feasible points."""
    free = np.nonzero(upper - lower > 0)[0]
    sub = curves.take(free)
    lo, width = lower[free], upper[free] - lower[free]
    rest = budget - float(np.sum(lower))
    scale = max(float(np.sum(sub.value(lo + 0.5 * width))), 1e-12)
    rng = np.random.default_rng(seed)

    def objective(u: np.ndarray) -> tuple[float, np.ndarray]:
        x = lo + u * width
        return -float(np.sum(sub.value(x))) / scale, -sub.marginal(x) * width / scale

    constraint = {
        "type": "eq",
        "fun": lambda u: (float(u @ width) - rest) / max(rest, 1e-12),
        "jac": lambda u: width / max(rest, 1e-12),
    }
    points = [w[free] for w in warm]
    points.append(np.full(len(free), 0.5) * width + lo)
    for _ in range(max(starts - 1, 0)):
        points.append(lo + rng.dirichlet(np.ones(len(free))) * rest)
    best_u, best_val = None, np.inf
    for p in points:
        u0 = np.clip((_project_free(p, rest + float(lo.sum()), lo, lo + width) - lo) / width, 0, 1)
        res = minimize(
            objective,
            u0,
            jac=True,
            method="SLSQP",
            bounds=[(0.0, 1.0)] * len(free),
            constraints=[constraint],
            options={"maxiter": 100, "ftol": 1e-10},
        )
        u = np.clip(res.x, 0, 1)
        if abs(float(u @ width) - rest) > 1e-6 * max(rest, 1.0):
            continue
        val = objective(u)[0]
        if val < best_val:
            best_u, best_val = u, val
    if best_u is None:
        return None
    out = lower.copy()
    out[free] = lo + best_u * width
    return out


# ---------------------------------------------------------------------------- helpers


def _project(
    x: np.ndarray, budget: float, lower: np.ndarray, upper: np.ndarray, movable: np.ndarray | None = None
) -> np.ndarray:
    """The nearest split to x within the bounds that sums to the budget (shift-and-clip on `movable`)."""
    x = np.clip(np.asarray(x, dtype=float), lower, upper)
    movable = np.ones(len(x), dtype=bool) if movable is None else movable
    out = x.copy()
    out[movable] = _project_free(
        x[movable], budget - float(np.sum(x[~movable])), lower[movable], upper[movable]
    )
    return out


def _project_free(x: np.ndarray, total: float, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """clip(x + t, lower, upper) with t chosen so the sum is `total` (Euclidean projection)."""
    x = np.clip(x, lower, upper)
    gap = total - float(np.sum(x))
    if abs(gap) <= 1e-12 * max(abs(total), 1.0) or len(x) == 0:
        return x
    span = float(np.max(upper - lower)) + abs(gap)
    t_lo, t_hi = (0.0, span) if gap > 0 else (-span, 0.0)
    for _ in range(200):
        t = 0.5 * (t_lo + t_hi)
        if float(np.sum(np.clip(x + t, lower, upper))) < total:
            t_lo = t
        else:
            t_hi = t
    out = np.clip(x + 0.5 * (t_lo + t_hi), lower, upper)
    # put the last rounding residue on a channel with room
    residue = total - float(np.sum(out))
    room = (upper - out) if residue > 0 else (out - lower)
    i = int(np.argmax(room))
    out[i] += np.sign(residue) * min(abs(residue), float(room[i]))
    return out


def marginal_at(curves: HillCurves, x: np.ndarray) -> np.ndarray:
    """Marginal return (outcome per unit of spend) of each channel at x."""
    return np.asarray(curves.beta * hill_derivative(x, curves.k, curves.s))
