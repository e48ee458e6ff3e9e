"""Response curves: how a channel's daily outcome (conversions or revenue) answers its daily spend.

The model is the one Robyn and Meridian use for media: geometric adstock, then Hill saturation,

    a_t  = theta * a_{t-1} + (1 - theta) * x_t          (adstock, weights sum to 1)
    mu_t = beta * dow[t] * a_t^S / (a_t^S + K^S)        (Hill; S > 1 gives an S-shaped curve)

with an optional multiplicative day-of-week factor (mean 1). Because the adstock weights sum to one,
a spend held at x every day settles at a = x, so the steady-state daily response is simply
``beta * hill(x; K, S)`` — the curve the allocator works on (`HillCurves`).

Fitting: a coarse grid over (K, S, theta) with beta in closed form picks starting points, then
`scipy.optimize.least_squares` (robust soft-L1 loss, so tracking outages and spend spikes do not
drag the curve) polishes the best few, each day weighted for a quasi-Poisson variance (proportional
to its expected outcome). Uncertainty: the posterior of (beta, K, S) given the data, on a grid over
(K, S) with beta integrated out, theta and the controls held at their estimates (`_Problem.posterior`).
Its mean outcome, summarised as one Hill curve (`mean_curve`), is the curve the allocator works on:
the expected outcome, where a point fit can read a noisy channel as saturated that the data do not
rule out rising further, or land in a side basin that steepens beyond the spend it has seen.
A curve is flagged not identifiable when the data cannot pin it down.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import least_squares
from scipy.signal import lfilter

S_BOUNDS = (0.3, 5.0)
THETA_MAX = 0.9
MIN_DAYS = 21
MIN_SPEND_CV = 0.08
DOW_MIN_DAYS = 28
YEARLY_MIN_DAYS = 300
STARTS = 1  # grid starts polished by least squares (more did not change the benchmark)
MEAN_CURVE_SPAN = 2.0  # the mean curve is fitted on [0, span × largest observed spend] (default bounds: 2×)
MEAN_CURVE_POINTS = 40
# the posterior's grid over (log K, log S): nodes per axis over the whole bounds, then per axis of the
# (up to two) zoomed grids, which span the nodes within POSTERIOR_CUT of the best log posterior
POSTERIOR_GRID = (24, 32)
POSTERIOR_CUT = 12.0
# weak priors (as Meridian's): half-saturation near the typical spend, a mildly S-shaped Hill; (centre, sd of log)
PRIOR_K = (1.0, 1.0)  # centre as a multiple of the median daily spend
PRIOR_S = (1.5, 0.6)
# quasi-Poisson: a day's variance grows in proportion to its expected outcome (conversion counts, and
# revenue as a sum of order values, both behave so); days expected below this quantile of the
# expected outcomes count as if at it (a paused day's near-zero mean must not get near-infinite weight)
VARIANCE_POWER = 1.0
VARIANCE_FLOOR_QUANTILE = 0.1


@dataclass(frozen=True)
class HillCurves:
    """Steady-state Hill curves for n channels (arrays of shape (n,) or broadcastable, e.g. (B, n))."""

    beta: np.ndarray
    k: np.ndarray
    s: np.ndarray

    def value(self, x: np.ndarray) -> np.ndarray:
        """Expected daily outcome at daily spend x."""
        return self.beta * hill(x, self.k, self.s)

    def marginal(self, x: np.ndarray) -> np.ndarray:
        """d value / d spend at x: the extra outcome per extra unit of spend."""
        return self.beta * hill_derivative(x, self.k, self.s)

    def take(self, index: np.ndarray | list[int]) -> HillCurves:
        """The curves of some channels (last axis)."""
        return HillCurves(self.beta[..., index], self.k[..., index], self.s[..., index])


def hill(x: np.ndarray | float, k: np.ndarray | float, s: np.ndarray | float) -> np.ndarray:
    """Hill saturation x^S / (x^S + K^S), 0 at x <= 0."""
    x = np.maximum(np.asarray(x, dtype=float), 0.0)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        ratio = np.where(x > 0, (np.asarray(k, dtype=float) / np.where(x > 0, x, 1.0)) ** s, np.inf)
        return np.where(x > 0, 1.0 / (1.0 + ratio), 0.0)


def hill_derivative(x: np.ndarray | float, k: np.ndarray | float, s: np.ndarray | float) -> np.ndarray:
    """d hill / dx = S/x · h · (1 − h)."""
    x = np.maximum(np.asarray(x, dtype=float), 0.0)
    h = hill(x, k, s)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(x > 0, np.asarray(s) / np.where(x > 0, x, 1.0) * h * (1 - h), 0.0)
    # at x = 0 the slope is beta/K for S = 1 and 0 for S > 1; S < 1 is unbounded, report a large finite slope
    s_arr = np.broadcast_to(np.asarray(s, dtype=float), out.shape)
    k_arr = np.broadcast_to(np.asarray(k, dtype=float), out.shape)
    at_zero = (x == 0) & (s_arr <= 1.0)
    if np.any(at_zero):
        out = np.where(at_zero, np.where(s_arr == 1.0, 1.0 / k_arr, 1e6 / k_arr), out)
    return out


def adstock(x: np.ndarray, theta: float) -> np.ndarray:
    """Normalised geometric adstock along the last axis, started at steady state (a_0 = x_0)."""
    x = np.asarray(x, dtype=float)
    if theta <= 0:
        return x.copy()
    zi = theta * x[..., :1]
    out, _ = lfilter([1 - theta], [1.0, -theta], x, axis=-1, zi=zi)
    return np.asarray(out)


def inflection(k: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Spend where the marginal return peaks: K·((S−1)/(S+1))^(1/S) for S > 1, else 0."""
    s = np.asarray(s, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(s > 1, np.asarray(k) * np.clip((s - 1) / (s + 1), 0, None) ** (1 / s), 0.0)


@dataclass
class CurveFit:
    """A fitted channel curve, draws from its posterior (`boot_*`) and what the data could (not) tell."""

    beta: float
    k: float
    s: float
    theta: float
    observed_min: float  # smallest and largest daily spend seen (days with spend > 0)
    observed_max: float
    n_days: int
    r2: float
    boot_beta: np.ndarray = field(default_factory=lambda: np.empty(0))
    boot_k: np.ndarray = field(default_factory=lambda: np.empty(0))
    boot_s: np.ndarray = field(default_factory=lambda: np.empty(0))
    warnings: list[str] = field(default_factory=list)
    yearly: np.ndarray = field(default_factory=lambda: np.empty(0))  # log-multipliers of `yearly_terms`
    yearly_shared: bool = False  # `yearly` was given (pooled over channels), not fitted to this one
    # the Hill curve nearest the posterior's mean outcome (nan without a posterior: n_boot=0)
    mean_beta: float = float("nan")
    mean_k: float = float("nan")
    mean_s: float = float("nan")

    @property
    def identifiable(self) -> bool:
        """True when no warning says the data cannot pin the curve down."""
        return not self.warnings

    @property
    def has_mean(self) -> bool:
        return bool(np.isfinite(self.mean_beta) and np.isfinite(self.mean_k) and np.isfinite(self.mean_s))

    @property
    def expected_params(self) -> tuple[float, float, float]:
        """(β, K, S) of the expected curve: the posterior's mean curve, or the point fit without one."""
        if self.has_mean:
            return self.mean_beta, self.mean_k, self.mean_s
        return self.beta, self.k, self.s

    def value(self, x: np.ndarray | float) -> np.ndarray:
        """The point fit's value at x."""
        return self.beta * hill(x, self.k, self.s)

    def marginal(self, x: np.ndarray | float) -> np.ndarray:
        return self.beta * hill_derivative(x, self.k, self.s)

    def expected(self, x: np.ndarray | float) -> np.ndarray:
        """The expected curve's value at x: the mean over the posterior (see `mean_curve`)."""
        beta, k, s = self.expected_params
        return beta * hill(x, k, s)

    def boot_value(self, x: np.ndarray | float) -> np.ndarray:
        """Posterior draws of the value at x: shape (B,) + shape(x)."""
        x = np.asarray(x, dtype=float)
        shape = (-1,) + (1,) * x.ndim
        return self.boot_beta.reshape(shape) * hill(x, self.boot_k.reshape(shape), self.boot_s.reshape(shape))

    def to_dict(self) -> dict[str, object]:
        return {
            "beta": self.beta,
            "k": self.k,
            "s": self.s,
            "theta": self.theta,
            "observed_min": self.observed_min,
            "observed_max": self.observed_max,
            "n_days": self.n_days,
            "r2": self.r2,
            "identifiable": self.identifiable,
            "warnings": list(self.warnings),
            "mean": ({"beta": self.mean_beta, "k": self.mean_k, "s": self.mean_s} if self.has_mean else None),
        }


def fit_curve(
    spend: np.ndarray,
    outcome: np.ndarray,
    dates: np.ndarray | None = None,
    *,
    n_boot: int = 100,
    seed: int = 0,
    fit_adstock: bool = True,
    priors: bool = True,
    yearly: np.ndarray | None = None,
) -> CurveFit:
    """Fit adstock + Hill to one channel's consecutive daily (spend, outcome) history.

    `dates` (datetime64[D]) turns on multiplicative controls: day-of-week factors from four weeks of
    data, and a yearly cycle (two Fourier pairs) from 300 days (YEARLY_MIN_DAYS), so seasonal demand that
    happens to move with spend is not read as the spend's effect. The curve is that of an average day.
    `n_boot` draws from the posterior give the intervals, and the posterior the mean curve (0: neither).
    `priors` adds the weak priors on K and S (a MAP fit): where the data pin the curve down they change
    nothing, and where they do not (no saturation visible in the observed range) they keep the
    extrapolation from running off.
    `yearly` holds the yearly cycle at given coefficients (of `yearly_terms`) instead of fitting it:
    one channel's year of history rarely tells a yearly cycle from its own budget changes, so
    `fit_channels` pools the cycle over the channels that share it (`pool_yearly`).
    """
    x = np.asarray(spend, dtype=float)
    y = np.asarray(outcome, dtype=float)
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError("spend and outcome must be 1-d arrays of the same length")
    n = len(x)
    positive = x[x > 0]
    if len(positive) == 0 or not np.any(y > 0):
        return _degenerate(x, y, positive)
    controls, n_yearly = _controls(dates, n, fit_yearly=yearly is None)
    log_offset = None
    if yearly is not None and dates is not None and n >= YEARLY_MIN_DAYS:
        log_offset = np.asarray(yearly, dtype=float) @ yearly_terms(dates)
    problem = _Problem(
        x,
        y,
        controls,
        fit_adstock,
        float(np.median(positive)),
        float(positive.max()),
        priors,
        log_offset,
    )

    p_hat = problem.fit()
    mu = problem.predict(p_hat)
    ss_res = float(np.sum((y - mu) ** 2))
    ss_tot = float(np.sum((y - y.mean()) ** 2))
    beta, k, s, theta = problem.unpack(p_hat)

    boot, posterior = np.empty((0, 3)), None
    if n_boot > 0:
        posterior = problem.posterior(p_hat, n_boot, np.random.default_rng(seed))
        boot = posterior.draws
    fit = CurveFit(
        beta=beta,
        k=k,
        s=s,
        theta=theta,
        observed_min=float(positive.min()),
        observed_max=float(positive.max()),
        n_days=n,
        r2=1 - ss_res / ss_tot if ss_tot > 0 else 0.0,
        boot_beta=boot[:, 0],
        boot_k=boot[:, 1],
        boot_s=boot[:, 2],
        yearly=np.asarray(p_hat[len(p_hat) - n_yearly :]) if n_yearly else np.empty(0),
    )
    if log_offset is not None:
        fit.yearly, fit.yearly_shared = np.asarray(yearly, dtype=float), True
    if posterior is not None:
        nodes = HillCurves(*posterior.nodes.T)
        fit.mean_beta, fit.mean_k, fit.mean_s = mean_curve(nodes, posterior.weights, fit)
    fit.warnings = _identifiability(fit, x, problem, p_hat)
    return fit


def mean_curve(
    curves: HillCurves, weights: np.ndarray, fit: CurveFit, span: float = MEAN_CURVE_SPAN
) -> tuple[float, float, float]:
    """(β, K, S) of the Hill curve nearest the weighted mean outcome of `curves` on [0, span × observed max].

    The allocator maximises the expected outcome, and with an uncertain curve that is the mean over
    the posterior, not the point fit's value: where the data barely pin the curve down, the point fit
    can land in a side basin (a half-saturation spend beyond anything observed, so the curve still
    steepens where it has never been seen), or read a curve as saturated that the data do not rule
    out rising further. A mean of Hill curves is not a Hill curve, but close to one; the nearest one
    keeps the allocator exact and fast. `fit` gives the range and the starting point.
    """
    top = span * fit.observed_max
    x = np.linspace(0.0, top, MEAN_CURVE_POINTS + 1)[1:]
    y = curves.value(x[:, None]) @ np.asarray(weights, dtype=float)
    scale = float(np.max(y)) if len(y) else 0.0
    if not top > 0 or not scale > 0 or not np.all(np.isfinite(y)):
        return fit.beta, fit.k, fit.s
    target = y / scale

    def residuals(p: np.ndarray) -> np.ndarray:
        return np.exp(p[0]) * hill(x, np.exp(p[1]), np.exp(p[2])) - target

    lower = np.array([np.log(1e-6), np.log(1e-6 * top), np.log(S_BOUNDS[0])])
    upper = np.array([np.log(1e6), np.log(1e3 * top), np.log(S_BOUNDS[1])])
    start = np.clip(np.log([max(fit.beta / scale, 1e-6), max(fit.k, 1e-6 * top), fit.s]), lower, upper)
    res = least_squares(residuals, start, bounds=(lower, upper), method="trf")
    return float(np.exp(res.x[0]) * scale), float(np.exp(res.x[1])), float(np.exp(res.x[2]))


# ---------------------------------------------------------------------------- fitting internals


def yearly_terms(dates: np.ndarray) -> np.ndarray:
    """(4, n) yearly Fourier terms (two cos/sin pairs) of calendar days: the same phase for every channel."""
    day = np.asarray(dates).astype("datetime64[D]").astype(np.int64)
    angle = 2 * np.pi * day / 365.25
    return np.vstack([f(order * angle) for order in (1, 2) for f in (np.cos, np.sin)])


def variance_weights(mu: np.ndarray) -> np.ndarray:
    """Per-day residual weights 1/sd for the quasi-Poisson variance sd² ∝ mu (mean square 1).

    Days with an expected outcome below the VARIANCE_FLOOR_QUANTILE of the positive ones are weighted
    as if at it, so near-empty days (a pause, its adstock tail) do not dominate.
    """
    mu = np.asarray(mu, dtype=float)
    positive = mu[mu > 0]
    if len(positive) == 0:
        return np.ones_like(mu)
    floor = max(float(np.quantile(positive, VARIANCE_FLOOR_QUANTILE)), 1e-12)
    w = np.maximum(mu, floor) ** (-VARIANCE_POWER / 2)
    return np.asarray(w / np.sqrt(np.mean(w**2)))


def _controls(dates: np.ndarray | None, n: int, fit_yearly: bool = True) -> tuple[np.ndarray | None, int]:
    """(m, n) design of the multiplicative controls (day-of-week dummies, then yearly Fourier terms)
    and how many of its rows are yearly terms (the last ones)."""
    if dates is None:
        return None, 0
    day = np.asarray(dates).astype("datetime64[D]").astype(np.int64)
    rows = []
    if n >= DOW_MIN_DAYS:
        weekday = (day + 3) % 7  # 0 = Monday
        rows += [(weekday == d).astype(float) for d in range(1, 7)]
    n_yearly = 0
    if fit_yearly and n >= YEARLY_MIN_DAYS:
        terms = yearly_terms(dates)
        rows += list(terms)
        n_yearly = len(terms)
    return (np.vstack(rows) if rows else None), n_yearly


class _Problem:
    """The least-squares problem for one channel, in parameters p = [log β, log K, log S, θ, c_1..c_m]
    (c: log-multipliers of the controls), with optional weak Gaussian priors as extra residuals."""

    def __init__(
        self,
        x: np.ndarray,
        y: np.ndarray,
        controls: np.ndarray | None,
        fit_adstock: bool,
        x_median: float,
        x_max: float,
        priors: bool,
        log_offset: np.ndarray | None = None,
    ) -> None:
        self.x, self.y, self.controls = x, y, controls
        self.log_offset = np.zeros(len(x)) if log_offset is None else log_offset  # fixed, not fitted
        m = 0 if controls is None else controls.shape[0]
        self.priors = priors
        # priors on log K, log S and the control coefficients (a control rarely moves demand by e^±0.5)
        self.prior_idx = np.arange(1, 4 + m)[np.arange(1, 4 + m) != 3]
        self.prior_mean = np.concatenate([[np.log(PRIOR_K[0] * x_median), np.log(PRIOR_S[0])], np.zeros(m)])
        self.prior_sd = np.concatenate([[PRIOR_K[1], PRIOR_S[1]], np.full(m, 0.5)])
        self.prior_weight = 0.0  # the noise scale once known: prior residuals in the data's units
        self.theta_max = THETA_MAX if fit_adstock else 0.0
        self.k_lo, self.k_hi = 0.05 * x_median, 10.0 * x_max
        log_y = float(np.log(max(float(np.max(y)), 1e-12)))  # β: saturation within e^±25 of the largest day
        self.lower = np.array([log_y - 25, np.log(self.k_lo), np.log(S_BOUNDS[0]), 0.0] + [-2.0] * m)
        self.upper = np.array(
            [log_y + 25, np.log(self.k_hi), np.log(S_BOUNDS[1]), max(self.theta_max, 1e-9)] + [2.0] * m
        )
        self.n_params = 4 + m
        self.a_floor = 1e-9 * x_max  # adstock below this (the tail of a pause) counts as no spend
        self.f_scale = 1.0
        self.weights = np.ones(len(x))  # per-day residual weights, 1/sd (see `variance_weights`)

    def unpack(self, p: np.ndarray) -> tuple[float, float, float, float]:
        """(beta, K, S, theta), beta on an average day of the history (controls' multiplier of mean 1)."""
        scale = float(np.mean(np.exp(self.log_multiplier(p))))
        return float(np.exp(p[0]) * scale), float(np.exp(p[1])), float(np.exp(p[2])), float(p[3])

    def _parts(self, p: np.ndarray, need_da: bool) -> tuple[np.ndarray, ...]:
        theta = float(p[3])
        a = self.adstock(theta)
        da = _adstock_dtheta(self.x, a, theta) if need_da else np.zeros(0)
        k, s = np.exp(p[1]), np.exp(p[2])
        h = hill(a, k, s)
        m = np.exp(p[0] + self.log_multiplier(p))
        return a, da, h, m * h, k, s

    def log_multiplier(self, p: np.ndarray) -> np.ndarray:
        """Per-day log demand multiplier: the fixed offset plus the fitted controls."""
        if self.controls is None:
            return self.log_offset
        return self.log_offset + p[4:] @ self.controls

    def adstock(self, theta: float) -> np.ndarray:
        a = adstock(self.x, theta)
        return np.where(a > self.a_floor, a, 0.0)

    def predict(self, p: np.ndarray) -> np.ndarray:
        return self._parts(p, need_da=False)[3]

    def residuals(self, p: np.ndarray, y: np.ndarray) -> np.ndarray:
        data = (self.predict(p) - y) * self.weights
        if not self.prior_weight:
            return data
        return np.concatenate(
            [data, self.prior_weight * (p[self.prior_idx] - self.prior_mean) / self.prior_sd]
        )

    def jacobian(self, p: np.ndarray, y: np.ndarray) -> np.ndarray:
        a, da, h, mu, k, s = self._parts(p, need_da=True)
        safe_a = np.where(a > 0, a, 1.0)
        one_minus_h = np.where(a > 0, 1 - h, 0.0)
        cols = [
            mu,
            -mu * s * one_minus_h,
            -mu * one_minus_h * s * np.log(k / safe_a),
            mu * one_minus_h * s / safe_a * da,
        ]
        jac = np.column_stack(cols)
        if self.controls is not None:
            jac = np.column_stack([jac, (self.controls * mu).T])
        jac *= self.weights[:, None]
        if self.prior_weight:
            prior_rows = np.zeros((len(self.prior_idx), jac.shape[1]))
            prior_rows[np.arange(len(self.prior_idx)), self.prior_idx] = self.prior_weight / self.prior_sd
            jac = np.vstack([jac, prior_rows])
        return jac

    def _solve(self, p0: np.ndarray, y: np.ndarray, loss: str, max_nfev: int | None = None) -> np.ndarray:
        p0 = np.clip(p0, self.lower, self.upper)
        res = least_squares(
            self.residuals,
            p0,
            jac=self.jacobian,
            bounds=(self.lower, self.upper),
            args=(y,),
            loss=loss,
            f_scale=self.f_scale,
            method="trf",
            x_scale="jac",
            max_nfev=max_nfev,
        )
        return np.asarray(res.x)

    def starts(self, n_best: int = 3) -> list[np.ndarray]:
        """The best few (K, S, θ) of a grid, each with its least-squares β (no day-of-week)."""
        ks = np.geomspace(self.k_lo * 2, self.k_hi / 2, 10)
        ss = np.array([0.7, 1.0, 1.5, 2.2, 3.2])
        thetas = [0.0] if self.theta_max == 0 else [0.0, 0.3, 0.6]
        cand = []
        for theta in thetas:
            a = self.adstock(theta)
            h = hill(a[None, None, :], ks[:, None, None], ss[None, :, None])  # (K, S, T)
            hh = np.einsum("kst,kst->ks", h, h)
            beta = np.einsum("kst,t->ks", h, self.y) / np.maximum(hh, 1e-300)
            beta = np.maximum(beta, 1e-12)
            sse = np.sum((self.y - beta[..., None] * h) ** 2, axis=-1)
            for i, j in zip(*np.unravel_index(np.argsort(sse, axis=None)[:n_best], sse.shape), strict=True):
                cand.append((float(sse[i, j]), np.log(beta[i, j]), np.log(ks[i]), np.log(ss[j]), theta))
        cand.sort(key=lambda c: c[0])
        m = self.n_params - 4
        return [np.array([b, lk, ls, th] + [0.0] * m) for _, b, lk, ls, th in cand[:n_best]]

    def fit(self) -> np.ndarray:
        """Robust (and, with priors, MAP) least squares from the grid's best start and the prior's centre,
        then once more with each day weighted by 1/sd under the quasi-Poisson variance (`variance_weights`).

        Unweighted, the busiest days (the highest spend, the most conversions, and the noisiest in
        absolute terms) weigh as much as quiet ones and look like outliers to the robust loss; they are
        the days that show where the curve saturates. The noise scale for the robust loss and the
        priors is the MAD of the (weighted) residuals.
        """
        starts = self.starts(n_best=STARTS)
        self._set_scale(starts[0])
        centre = starts[0].copy()
        centre[1:3] = self.prior_mean[:2]  # the prior's centre may sit in another basin
        p = self._best(starts + ([centre] if self.priors else []))
        self.weights = variance_weights(self.predict(p))
        self._set_scale(p)
        return self._best([p] + ([centre] if self.priors else []))

    def _set_scale(self, p: np.ndarray) -> None:
        """The robust loss's scale (and the priors' weight) from the MAD of the data residuals at p."""
        resid = (self.predict(p) - self.y) * self.weights
        mad = float(np.median(np.abs(resid - np.median(resid)))) * 1.4826
        self.f_scale = max(mad, 1e-6 * max(float(np.abs(self.y * self.weights).max()), 1e-12))
        if self.priors:
            self.prior_weight = self.f_scale

    def _best(self, starts: list[np.ndarray]) -> np.ndarray:
        return min((self._solve(p0, self.y, "soft_l1") for p0 in starts), key=self._robust_cost)

    def _robust_cost(self, p: np.ndarray) -> float:
        z = (self.residuals(p, self.y) / self.f_scale) ** 2
        return float(np.sum(2 * (np.sqrt(1 + z) - 1)))

    def posterior(self, p_hat: np.ndarray, n_draws: int, rng: np.random.Generator) -> Posterior:
        """The posterior of (β, K, S) given the data, with θ and the controls held at their estimates.

        On a grid over (log K, log S), with β integrated out in closed form: the likelihood is the
        fit's, made quadratic at the estimate (each day's robust-loss weight held fixed, as in IRLS),
        so for given K and S it is Gaussian in β; priors as in the fit, flat in log β. The grid starts
        over the whole bounds and zooms in on where the mass is (POSTERIOR_GRID). Its nodes and
        weights give the mean curve; `n_draws` draws (a node by weight, jittered within its cell, β
        from its conditional) give the intervals.
        """
        a = self.adstock(float(p_hat[3]))
        offset = np.exp(self.log_multiplier(p_hat))
        resid = (self.predict(p_hat) - self.y) * self.weights
        v = self.weights**2 / np.sqrt(1 + (resid / self.f_scale) ** 2) / self.f_scale**2
        positive = a > 0
        log_a = np.log(np.where(positive, a, 1.0))
        vy, c0 = v * self.y, float(np.sum(v * self.y**2))
        prior_mean, prior_sd = self.prior_mean[:2], self.prior_sd[:2]

        def evaluate(lk: np.ndarray, ls: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            """log posterior of (log K, log S) with β integrated out, and β's conditional mean and precision."""
            z = np.clip(np.exp(ls)[:, None] * (lk[:, None] - log_a[None, :]), -200.0, 200.0)
            mh = np.where(positive, 1.0 / (1.0 + np.exp(z)), 0.0) * offset  # μ_t / β
            prec = (mh * mh) @ v
            b = mh @ vy
            ok = (prec > 1e-300) & (b > 0)
            prec, b = np.where(ok, prec, 1.0), np.where(ok, b, 1.0)
            beta = b / prec
            # ∫ exp(−½ Σ v (β·mh − y)²) dβ/β ≈ exp(½(b²/prec − c0)) · sqrt(2π/prec) / β̂ (flat prior on log β)
            lp = 0.5 * (b * beta - c0) - 0.5 * np.log(prec) - np.log(beta)
            if self.priors:
                lp -= 0.5 * (
                    ((lk - prior_mean[0]) / prior_sd[0]) ** 2 + ((ls - prior_mean[1]) / prior_sd[1]) ** 2
                )
            return np.where(ok, lp, -np.inf), beta, prec

        bounds = np.array([self.lower[1], self.upper[1], self.lower[2], self.upper[2]])
        box, size = bounds.copy(), POSTERIOR_GRID[0]
        for zoom in range(3):
            lk, ls = np.linspace(box[0], box[1], size), np.linspace(box[2], box[3], size)
            cell = np.array([lk[1] - lk[0], ls[1] - ls[0]])
            grid_k, grid_s = (g.ravel() for g in np.meshgrid(lk, ls, indexing="ij"))
            lp, beta, prec = evaluate(grid_k, grid_s)
            if zoom == 2 or not np.isfinite(lp.max()):
                break
            mass = lp >= lp.max() - POSTERIOR_CUT
            near = np.concatenate([grid_k[mass], [p_hat[1]]]), np.concatenate([grid_s[mass], [p_hat[2]]])
            new = np.array(
                [
                    near[0].min() - cell[0],
                    near[0].max() + cell[0],
                    near[1].min() - cell[1],
                    near[1].max() + cell[1],
                ]
            )
            new = np.clip(new, bounds[[0, 0, 2, 2]], bounds[[1, 1, 3, 3]])
            if zoom == 1 and (new[1] - new[0]) * (new[3] - new[2]) > 0.25 * (box[1] - box[0]) * (
                box[3] - box[2]
            ):
                break  # the mass fills the box: no further zoom needed
            box, size = new, POSTERIOR_GRID[1]

        scale = float(np.mean(offset))  # β on an average day of the history
        weight = np.zeros(len(lp))
        keep = lp >= lp.max() - 40.0 if np.isfinite(lp.max()) else np.zeros(len(lp), dtype=bool)
        if not keep.any():  # nothing the data allow on the grid: the estimate alone
            point = np.array([np.exp(p_hat[0]) * scale, np.exp(p_hat[1]), np.exp(p_hat[2])])
            return Posterior(np.tile(point, (n_draws, 1)), point[None, :], np.ones(1))
        weight[keep] = np.exp(lp[keep] - lp.max())
        weight /= weight.sum()
        nodes = np.column_stack([beta * scale, np.exp(grid_k), np.exp(grid_s)])[keep]

        pick = rng.choice(len(weight), size=n_draws, p=weight)
        dk = np.clip(grid_k[pick] + rng.uniform(-0.5, 0.5, n_draws) * cell[0], bounds[0], bounds[1])
        ds = np.clip(grid_s[pick] + rng.uniform(-0.5, 0.5, n_draws) * cell[1], bounds[2], bounds[3])
        d_lp, d_beta, d_prec = evaluate(dk, ds)
        inside = np.isfinite(d_lp)
        dk, ds = np.where(inside, dk, grid_k[pick]), np.where(inside, ds, grid_s[pick])
        d_beta, d_prec = np.where(inside, d_beta, beta[pick]), np.where(inside, d_prec, prec[pick])
        log_beta = np.clip(
            np.log(d_beta) + rng.standard_normal(n_draws) / (np.sqrt(d_prec) * d_beta),
            self.lower[0],
            self.upper[0],
        )
        draws = np.column_stack([np.exp(log_beta) * scale, np.exp(dk), np.exp(ds)])
        return Posterior(draws, nodes, weight[keep])


@dataclass(frozen=True)
class Posterior:
    """Draws of (β, K, S) (rows), and the grid's nodes with their posterior weights (summing to 1)."""

    draws: np.ndarray
    nodes: np.ndarray
    weights: np.ndarray


def _adstock_dtheta(x: np.ndarray, a: np.ndarray, theta: float) -> np.ndarray:
    """d a_t / d theta for a_t = θ a_{t−1} + (1−θ) x_t, a_0 = x_0: d_t = θ d_{t−1} + a_{t−1} − x_t."""
    drive = np.concatenate([[0.0], a[:-1] - x[1:]])
    if theta <= 0:
        return drive
    out, _ = lfilter([1.0], [1.0, -theta], drive, zi=[0.0])
    return np.asarray(out)


def _identifiability(fit: CurveFit, x: np.ndarray, problem: _Problem, p: np.ndarray) -> list[str]:
    """Why the data may not pin the curve down (empty when it does)."""
    out = []
    positive = x[x > 0]
    if fit.n_days < MIN_DAYS:
        out.append(f"only {fit.n_days} day{'s' if fit.n_days != 1 else ''} of history (want >= {MIN_DAYS})")
    cv = float(np.std(positive) / np.mean(positive)) if len(positive) > 1 else 0.0
    if cv < MIN_SPEND_CV:
        out.append(f"spend barely varied (coefficient of variation {cv:.2f})")
    tol = 1e-3
    if p[1] <= problem.lower[1] + tol or p[1] >= problem.upper[1] - tol:
        out.append("half-saturation spend K at its bound")
    if p[2] <= problem.lower[2] + tol or p[2] >= problem.upper[2] - tol:
        out.append("Hill shape S at its bound")
    if problem.theta_max > 0 and p[3] >= problem.upper[3] - tol:
        out.append("adstock decay at its bound")
    if len(fit.boot_beta) >= 10:
        ref = np.array([np.median(positive)])
        slope = fit.boot_beta[:, None] * hill_derivative(ref, fit.boot_k[:, None], fit.boot_s[:, None])
        lo, mid, hi = np.quantile(slope[:, 0], [0.1, 0.5, 0.9])
        if mid <= 0 or (hi - lo) / mid > 2.0:
            out.append("marginal return at typical spend is very uncertain (posterior)")
    return out


def _degenerate(x: np.ndarray, y: np.ndarray, positive: np.ndarray) -> CurveFit:
    """No spend or no outcome at all: a flat zero curve, flagged."""
    k = float(np.median(positive)) if len(positive) else 1.0
    reason = "no spend in the history" if len(positive) == 0 else "no outcome in the history"
    return CurveFit(
        beta=0.0,
        k=k,
        s=1.0,
        theta=0.0,
        observed_min=float(positive.min()) if len(positive) else 0.0,
        observed_max=float(positive.max()) if len(positive) else 0.0,
        n_days=len(x),
        r2=0.0,
        boot_beta=np.zeros(0),
        boot_k=np.zeros(0),
        boot_s=np.zeros(0),
        warnings=[reason],
    )
