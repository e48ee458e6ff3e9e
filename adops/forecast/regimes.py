"""Bottom-up forecasts of a total from its parts' budget regimes (a semi-Markov level model).

Ad spend moves in steps: a campaign's budget is set, holds for a while and is changed again. In an
account total those steps blur into a wandering level, but each campaign's own steps are visible in
its history. This method splits every part's spend into constant-level regimes (binary
segmentation), then forecasts each part as its current regime's level for as long as that regime
is likely to last and its long-run level after: the probability that the regime is still running
h days ahead comes from the durations of the part's past regimes, given how long the current one
has run. The parts' levels are summed and the total's weekday profile applied. Sample paths
simulate the regime changes (their days from the same durations, the new levels from the part's
past regimes) and the total's day-to-day noise.

It forecasts any metric of the parts (spend, conversions, ...) from the regimes of their spend,
since the budget drives them all. Used when the caller has the parts (`forecast_many(parts=...)`),
as one candidate among the others, chosen by the same backtest.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

LONG_RUN_DAYS = 365  # the long-run level and the regime durations come from the last year
MIN_REGIME_DAYS = 3  # shorter steps (a spike, a one-off) are not regimes
STOPPED_CHANCE = 0.01  # a run of days without spend this unlikely by chance means the part stopped
PROFILE_WEEKS = 26
PENALTY = 3.0  # a split must cut the squared error by PENALTY × noise variance × log(n)


@dataclass(frozen=True)
class Parts:
    """Daily spend and metric per part on the total's daily grid: arrays of shape (parts, days)."""

    spend: np.ndarray
    metric: np.ndarray

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, days: pd.DatetimeIndex) -> Parts:
        """From a long frame of `ds`, `part`, `spend`, `y` (a missing day is a day without delivery)."""
        frame = frame.assign(ds=pd.to_datetime(frame["ds"]))

        def wide(column: str) -> np.ndarray:
            table = frame.pivot_table(index="part", columns="ds", values=column, aggfunc="sum")
            return table.reindex(columns=days, fill_value=0.0).fillna(0.0).to_numpy(dtype=float)

        return cls(spend=wide("spend"), metric=wide("y"))

    def until(self, n: int) -> Parts:
        """The first n days (a backtest origin's view)."""
        return Parts(self.spend[:, :n], self.metric[:, :n])


def segment(x: np.ndarray, min_len: int = MIN_REGIME_DAYS, penalty: float = PENALTY) -> list[int]:
    """Ends (exclusive) of the constant-mean segments of x, by binary segmentation; the last is len(x).

    The noise variance comes from the median absolute day-to-day difference, so the steps
    themselves do not inflate it.
    """
    x = np.asarray(x, dtype=float)
    n = len(x)
    if n < 2 * min_len:
        return [n]
    diff = np.diff(x)
    sigma = 1.4826 * float(np.median(np.abs(diff - np.median(diff)))) / np.sqrt(2.0)
    threshold = penalty * max(sigma, 1e-6) ** 2 * np.log(n)
    c1 = np.concatenate([[0.0], np.cumsum(x)])
    ends, stack = [n], [(0, n)]
    while stack:
        a, b = stack.pop()
        if b - a < 2 * min_len:
            continue
        k = np.arange(a + min_len, b - min_len + 1)
        left, right = c1[k] - c1[a], c1[b] - c1[k]
        # squared-error reduction of splitting [a, b) at k
        gain = left**2 / (k - a) + right**2 / (b - k) - (c1[b] - c1[a]) ** 2 / (b - a)
        best = int(np.argmax(gain))
        if gain[best] > threshold:
            ends.append(int(k[best]))
            stack += [(a, int(k[best])), (int(k[best]), b)]
    return sorted(ends)


@dataclass(frozen=True)
class _PartModel:
    current: float  # the metric's mean in the current regime
    elapsed: int  # days the current regime has run
    durations: np.ndarray  # lengths of the past regimes that began and ended inside the window
    levels: np.ndarray  # the metric's mean in every regime of the window ...
    weights: np.ndarray  # ... and its length (new levels are drawn in proportion to it)
    causal: np.ndarray  # each day of the window, the level known the day before (see `_causal`)

    @property
    def long_run(self) -> float:
        return float(np.average(self.levels, weights=self.weights))

    def still_running(self, horizon: int) -> np.ndarray:
        """P(the current regime lasts past day h | it has run `elapsed` days), h = 1..horizon."""
        steps = np.arange(1, horizon + 1)
        if len(self.durations) == 0:
            return np.ones(horizon)  # never changed: it holds
        alive = self.durations > self.elapsed
        if not alive.any():  # longer than any seen: a constant hazard at the mean duration
            return np.exp(-steps / float(self.durations.mean()))
        d = self.durations[alive]
        return (d[None, :] > self.elapsed + steps[:, None]).mean(axis=1)

    def point(self, horizon: int) -> np.ndarray:
        p = self.still_running(horizon)
        return p * self.current + (1 - p) * self.long_run

    def paths(self, horizon: int, n_samples: int, rng: np.random.Generator) -> np.ndarray:
        out = np.full((n_samples, horizon), self.current)
        if len(self.durations) == 0:
            return out
        alive = self.durations[self.durations > self.elapsed]
        if len(alive):
            change = rng.choice(alive, n_samples) - self.elapsed
        else:
            change = 1 + rng.geometric(1.0 / float(self.durations.mean()), n_samples)
        steps = np.arange(1, horizon + 1)[None, :]
        probs = self.weights / self.weights.sum()
        while (change <= horizon).any():
            level = rng.choice(self.levels, n_samples, p=probs)
            out = np.where(steps >= change[:, None], level[:, None], out)
            change = change + rng.choice(self.durations, n_samples)
        return out


def _part_model(spend: np.ndarray, metric: np.ndarray, window: int) -> _PartModel | None:
    """The regimes of one part over the window, or None for a part that is not spending."""
    active = np.flatnonzero(spend > 0)
    if len(active) == 0 or _stopped(spend[active[0] :]):
        return None
    start = max(int(active[0]), len(spend) - window)
    ends = segment(np.log1p(spend[start:]))
    bounds = list(zip([0, *ends[:-1]], ends, strict=True))
    m = metric[start:]
    levels = np.array([m[a:b].mean() for a, b in bounds])
    lengths = np.array([b - a for a, b in bounds], dtype=float)
    a, b = bounds[-1]
    return _PartModel(
        current=float(levels[-1]),
        elapsed=b - a,
        durations=lengths[1:-1].astype(int),  # the first may have begun before the window
        levels=levels,
        weights=lengths,
        causal=_causal(m, bounds, levels),
    )


def _causal(m: np.ndarray, bounds: list[tuple[int, int]], levels: np.ndarray) -> np.ndarray:
    """The level a forecaster had for each day: the mean of the regime's earlier days, or on a
    regime's first day the previous regime's level. Its errors include the days a step had not been
    seen yet, which the in-sample regime means hide."""
    cum = np.concatenate([[0.0], np.cumsum(m)])
    out = np.empty(len(m))
    for i, (a, b) in enumerate(bounds):
        out[a] = levels[i - 1] if i else m[a]
        days = np.arange(a + 1, b)
        out[a + 1 : b] = (cum[days] - cum[a]) / (days - a)
    return out


def _stopped(spend: np.ndarray) -> bool:
    """Whether the trailing days without spend are too many to be the part's usual idle days.

    A campaign that always spends has stopped (paused, ended) after one day at zero; one that often
    skips days needs a longer run before it counts as stopped.
    """
    idle = len(spend) - 1 - int(np.flatnonzero(spend > 0)[-1])
    if idle == 0:
        return False
    before = spend[: len(spend) - idle]
    zero_share = float(np.mean(before <= 0))
    return bool(zero_share**idle < STOPPED_CHANCE)


def forecast(
    parts: Parts, total: np.ndarray, horizon: int, n_samples: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Point path and sample paths (n_samples, horizon) of the total, on its own (original) scale."""
    total = np.asarray(total, dtype=float)
    n = len(total)
    profile = weekday_profile(total)
    weekday = profile[np.arange(n, n + horizon) % 7]
    point = np.zeros(horizon)
    paths = np.zeros((n_samples, horizon))
    fitted = np.zeros(n)
    for spend, metric in zip(parts.spend, parts.metric, strict=True):
        model = _part_model(spend, metric, LONG_RUN_DAYS)
        if model is None:
            continue
        point += model.point(horizon)
        paths += model.paths(horizon, n_samples, rng)
        fitted[n - len(model.causal) :] += model.causal
    # day-to-day noise of the total around the levels known the day before, on the log scale
    recent = slice(max(0, n - LONG_RUN_DAYS), n)
    ratio = np.log1p(total[recent]) - np.log1p(fitted[recent] * profile[np.arange(n)[recent] % 7])
    sd = float(np.std(ratio[np.isfinite(ratio)])) if np.isfinite(ratio).sum() > 1 else 0.0
    noise = np.exp(rng.normal(0.0, sd, size=paths.shape))
    return point * weekday, paths * weekday[None, :] * noise


def weekday_profile(y: np.ndarray, weeks: int = PROFILE_WEEKS) -> np.ndarray:
    """Multiplicative weekday factors (mean 1) of y against its centred 7-day mean, by index % 7."""
    y = np.asarray(y, dtype=float)
    n = len(y)
    w = min(weeks * 7, n - n % 7)
    if w < 14:
        return np.ones(7)
    part = y[n - w :]
    mean = pd.Series(part).rolling(7, center=True).mean().to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(mean > 0, part / mean, np.nan)
    pos = np.arange(n - w, n) % 7
    prof = np.array(
        [np.nanmean(ratio[pos == j]) if np.isfinite(ratio[pos == j]).any() else 1.0 for j in range(7)]
    )
    prof = np.where(np.isfinite(prof) & (prof > 0), prof, 1.0)
    return prof / prof.mean()
