"""Experiment results from the warehouse: totals, readout, lift over time, power and the winner rule.

Each variant's rows come from `ad_daily` (level ad or ad_group) or `campaign_daily` (level campaign)
between the experiment's start and end, summed per day. The statistics are the package's own
(`compare`, `decide`, `srm_daily`, `power`), on two kinds of metric:

- per-unit rates, tested as proportions over their units: conversion rate per click (`cvr`: users =
  clicks, conversions) and CTR (`ctr`: users = impressions, clicks);
- ratios of sums (value per click, CPA, ROAS, CPC), tested with the delta method over days as units
  (a `RatioStatistic` of daily numerator and denominator sums), since the warehouse holds daily totals,
  not per-user values. Their sequential test is tuned to the planned number of days.

The sample-ratio check runs on the primary metric's users (clicks for `cvr` and the ratios,
impressions for `ctr`), per day: platform traffic moves in daily clumps, so the test divides out
the day-to-day over-dispersion (`srm_daily`) instead of flagging every large, evenly split test.
Money is in the account currency when all variants share one, otherwise
in the reporting currency.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from adops import clock, warehouse
from adops.analytics import kpis
from adops.experiments import store
from adops.experiments.corrections import holm_with_gaps
from adops.experiments.decision import Decision, VariantEvidence, decide
from adops.experiments.frequentist import DEFAULT_SEQUENTIAL_TUNING
from adops.experiments.power import days_to_significance_many, mde, power
from adops.experiments.readout import MetricComparison, compare, compare_columns
from adops.experiments.srm import SRM_THRESHOLD, srm_daily
from adops.experiments.statistics import ProportionStatistic, RatioStatistic, SampleMeanStatistic, Statistic

__all__ = [
    "METRICS",
    "ExperimentResults",
    "MetricSpec",
    "PowerSummary",
    "decide_winners",
    "entity_options",
    "readout",
    "readouts",
    "refresh_status",
]

COLUMNS = ("impressions", "clicks", "conversions", "value", "spend")
TARGET_POWER = 0.8


@dataclass(frozen=True)
class MetricSpec:
    """How a metric is computed from daily sums: numerator / denominator, per unit or over days."""

    key: str
    label: str
    numerator: str
    denominator: str
    per_unit: bool  # True: a proportion over the denominator's units; False: a ratio over days
    inverse: bool = False  # lower is better (CPA, CPC)


def _kpi_spec(key: str, per_unit: bool) -> MetricSpec:
    """An experiment metric that is one of the house KPIs: its formula and direction from
    adops.analytics.kpis (defined once), in this module's column names (`value` is conversion value)."""
    numerator, denominator, scale, _ = kpis.KPIS[key]
    assert scale == 1.0, key  # per-mille KPIs (CPM) are not experiment metrics
    column = {"conversion_value": "value"}
    return MetricSpec(
        key,
        store.METRIC_NAMES[key],
        column.get(numerator, numerator),
        column.get(denominator, denominator),
        per_unit,
        inverse=not kpis.higher_is_better(key),
    )


METRICS: dict[str, MetricSpec] = {
    "cvr": _kpi_spec("cvr", per_unit=True),
    "ctr": _kpi_spec("ctr", per_unit=True),
    "value_per_click": MetricSpec(
        "value_per_click", store.METRIC_NAMES["value_per_click"], "value", "clicks", False
    ),
    "cpa": _kpi_spec("cpa", per_unit=False),
    "roas": _kpi_spec("roas", per_unit=False),
    "cpc": _kpi_spec("cpc", per_unit=False),
}
_UNIT_NAMES = {"clicks": "clicks", "impressions": "impressions"}


@dataclass(frozen=True)
class PowerSummary:
    """Power of the primary metric's sequential test for one treatment, at the current traffic.

    `target_lift` is the experiment's minimum detectable effect. `days_to_significance` is how many
    more days (at the traffic so far) until that lift would be declared with 80% power (0: already
    powered); `detectable_now` the lift the sample so far detects with 80% power.
    """

    variant: str
    unit: str
    units_so_far: float  # per variant
    units_per_day: float  # per variant
    baseline: float | None
    target_lift: float | None
    power_now: float | None
    power_at_end: float | None
    days_to_significance: int | None
    detectable_now: float | None
    observed_days_to_significance: int | None


@dataclass(frozen=True)
class ExperimentResults:
    """An experiment read out from the warehouse (see the module docstring for how)."""

    experiment: store.ExperimentRecord
    first_day: date | None
    last_day: date | None
    runtime_days: int
    currency: str
    daily: pd.DataFrame  # variant, date and the COLUMNS, one row per variant and day
    totals: pd.DataFrame  # one row per variant: sums, metric values, observed share of users vs plan
    srm_p_value: float | None
    srm_dispersion: float
    primary: dict[str, MetricComparison]  # treatment -> comparison with control
    guardrails: dict[str, list[MetricComparison]]
    over_time: pd.DataFrame  # date, variant, cumulative lift with fixed and sequential intervals
    power: list[PowerSummary]
    decision: Decision
    tuning: float
    notes: tuple[str, ...] = ()
    p_value_holm: dict[str, float | None] = field(default_factory=dict)

    @property
    def has_data(self) -> bool:
        return self.last_day is not None

    @property
    def srm_flag(self) -> bool:
        """True when the split is so far off plan (p < 0.001) that nothing here should be trusted."""
        return self.srm_p_value is not None and self.srm_p_value < SRM_THRESHOLD

    @property
    def metric(self) -> MetricSpec:
        return METRICS[self.experiment.primary_metric]

    @property
    def srm_unit(self) -> str:
        """What the split is checked on (the primary metric's users)."""
        return _srm_unit(self.metric)

    def summary(self) -> pd.DataFrame:
        """One row per treatment: the primary metric's lift, intervals, p-values and chance to win."""
        rows = []
        for name, c in self.primary.items():
            rows.append(
                {
                    "variant": name,
                    "lift": c.lift,
                    "ci_low": c.ci_low,
                    "ci_high": c.ci_high,
                    "p_value": c.p_value,
                    "p_value_holm": self.p_value_holm.get(name),
                    "sequential_ci_low": c.sequential_ci_low,
                    "sequential_ci_high": c.sequential_ci_high,
                    "sequential_p_value": c.sequential_p_value,
                    "chance_to_win": c.chance_to_win,
                    "expected_loss": c.expected_loss,
                    "error": c.error,
                }
            )
        return pd.DataFrame(rows)

    def guardrail_table(self) -> pd.DataFrame:
        """One row per treatment and guardrail metric."""
        rows = [
            {
                "variant": name,
                "metric": METRICS[c.metric].label,
                "lift": c.lift,
                "ci_low": c.ci_low,
                "ci_high": c.ci_high,
                "chance_worse": None if c.chance_to_win is None else 1 - c.chance_to_win,
                "sequential_p_value": c.sequential_p_value,
                "lower_is_better": c.inverse,
            }
            for name, comparisons in self.guardrails.items()
            for c in comparisons
        ]
        return pd.DataFrame(rows)

    def power_table(self) -> pd.DataFrame:
        return pd.DataFrame([p.__dict__ for p in self.power])

    def ab_csv(self) -> str:
        """The primary metric's counts in the `adops ab` CSV format (per-unit metrics only)."""
        spec = self.metric
        if not spec.per_unit or self.totals.empty:
            return ""
        frame = pd.DataFrame(
            {
                "experiment": self.experiment.name,
                "variant": self.totals["variant"],
                "users": self.totals[spec.denominator].round().astype("int64"),
                "conversions": self.totals[spec.numerator].round(4),
                "weight": self.totals["planned_share"].round(6),
            }
        )
        return frame.to_csv(index=False)


def readout(experiment: store.ExperimentRecord | int, until: date | None = None) -> ExperimentResults:
    """Read an experiment out from the warehouse, with data up to `until` (default: its end or today)."""
    return readouts([experiment], until)[0]


def readouts(
    experiments: Sequence[store.ExperimentRecord | int], until: date | None = None
) -> list[ExperimentResults]:
    """Several experiments read out, in order, with one warehouse query for all of them (each the
    same as its own `readout`): what the winner rule reads after every sync."""
    ids = [e for e in experiments if not isinstance(e, store.ExperimentRecord)]
    found = store.get_many(ids) if len(ids) > 1 else {}
    exps = [e if isinstance(e, store.ExperimentRecord) else found.get(e) or _load(e) for e in experiments]
    windows = [(exp, exp.start_date, _last_day(exp, until)) for exp in exps]
    asks: list[_Ask] = []
    results = [_result(exp, raw, asks) for exp, raw in zip(exps, _query(windows), strict=True)]
    _answer(asks)
    return results


def _last_day(exp: store.ExperimentRecord, until: date | None) -> date:
    return min(d for d in (exp.end_date, until or clock.today()) if d is not None)


def _result(exp: store.ExperimentRecord, raw: _Raw, asks: list[_Ask]) -> ExperimentResults:
    """The readout of one experiment from its daily sums per variant (`_query`); its days to
    significance are left to `_answer`, which takes the questions from `asks`, all experiments' at once."""
    currency, money = _currency(raw)
    grid = _fill(raw, exp, money)
    daily = _daily(grid)
    notes: list[str] = []
    tuning = exp.sequential_tuning or DEFAULT_SEQUENTIAL_TUNING
    if not grid.days or not grid.sums["impressions"].any():
        why = "it starts on " + str(exp.start_date) if exp.start_date > clock.today() else "no rows yet"
        return ExperimentResults(
            experiment=exp,
            first_day=None,
            last_day=None,
            runtime_days=0,
            currency=currency,
            daily=daily,
            totals=_totals(grid, exp),
            srm_p_value=None,
            srm_dispersion=1.0,
            primary={},
            guardrails={},
            over_time=pd.DataFrame(),
            power=[],
            decision=Decision("running", None, (f"no data in the warehouse for these variants ({why})",)),
            tuning=tuning,
        )
    first_day, last_day = grid.days[0], grid.days[-1]
    runtime = (last_day - exp.start_date).days + 1
    totals = _totals(grid, exp)
    missing = [
        name for name, n in zip(grid.names, grid.sums["impressions"].sum(axis=1), strict=True) if n == 0
    ]
    if missing:
        notes.append(f"no impressions yet for {', '.join(missing)}: check the entity ids")
    srm, dispersion = _srm(grid, exp)

    spec = METRICS[exp.primary_metric]
    stats = _statistics(spec, grid, exp, last=True)
    primary_tuning = _tuning(spec, exp, tuning)
    primary = {
        t.name: compare(
            stats[exp.control.name][-1],
            stats[t.name][-1],
            spec.key,
            exp.rule.alpha,
            spec.inverse,
            primary_tuning,
        )
        for t in exp.treatments
    }
    holm = holm_with_gaps([c.p_value for c in primary.values()])
    guardrails: dict[str, list[MetricComparison]] = {t.name: [] for t in exp.treatments}
    for key in exp.guardrail_metrics:
        g = METRICS[key]
        g_stats = {name: series[-1] for name, series in _statistics(g, grid, exp, last=True).items()}
        for t in exp.treatments:
            guardrails[t.name].append(
                compare(
                    g_stats[exp.control.name],
                    g_stats[t.name],
                    g.key,
                    exp.rule.alpha,
                    g.inverse,
                    _tuning(g, exp, tuning),
                )
            )
    powers: list[PowerSummary] = []
    for t in exp.treatments:
        powers.append(_power(exp, spec, grid, stats, t.name, primary[t.name], primary_tuning, asks, powers))
    evidence = [VariantEvidence(t.name, primary[t.name], guardrails[t.name]) for t in exp.treatments]
    decision = decide(exp.rule, evidence, runtime, exp.planned_days, srm, exp.control.name)
    return ExperimentResults(
        experiment=exp,
        first_day=first_day,
        last_day=last_day,
        runtime_days=runtime,
        currency=currency,
        daily=daily,
        totals=totals,
        srm_p_value=srm,
        srm_dispersion=dispersion,
        primary=primary,
        guardrails=guardrails,
        over_time=_over_time(exp, spec, grid, primary_tuning),
        power=powers,
        decision=decision,
        tuning=primary_tuning,
        notes=tuple(notes),
        p_value_holm=dict(zip(primary, holm, strict=True)),
    )


def refresh_status(experiment_id: int) -> tuple[store.ExperimentRecord, ExperimentResults]:
    """Read the experiment out and, when it is running and the winner rule holds, declare the winner.

    A write: it runs in the `experiments.decide` job after each sync (`decide_winners`), never while a
    page renders; the A/B page reads with `readout` and declares only on its button.
    """
    return _apply_rule(readout(experiment_id))


def _apply_rule(result: ExperimentResults) -> tuple[store.ExperimentRecord, ExperimentResults]:
    """Declare the winner the readout found, when the experiment is still running."""
    exp = result.experiment
    if exp.status == "running" and result.decision.winner is not None:
        exp = store.declare_winner(
            exp.id, result.decision.winner, actor="winner rule", reason="; ".join(result.decision.reasons)
        )
        result = replace(result, experiment=exp)
    return exp, result


def decide_winners() -> list[dict[str, Any]]:
    """Apply the winner rule to every running experiment; what the `experiments.decide` job does.

    Returns one entry per running experiment: its id, name, the winner declared now (or None) and,
    when the readout failed, the error. One failing experiment does not stop the others.
    """
    decided: list[dict[str, Any]] = []
    running = store.list_experiments(status="running")
    try:
        read = readouts(running)  # one warehouse query for all of them
    except store.ExperimentError:
        read = None  # one of them cannot be read: each on its own, so the others still are
    for n, exp in enumerate(running):
        try:
            updated, _ = _apply_rule(read[n]) if read is not None else refresh_status(exp.id)
        except store.ExperimentError as exc:
            decided.append({"experiment_id": exp.id, "name": exp.name, "winner": None, "error": str(exc)})
            continue
        decided.append({"experiment_id": exp.id, "name": exp.name, "winner": updated.winner, "error": None})
    return decided


def entity_options(platform: str, account_id: str, level: str) -> pd.DataFrame:
    """The campaigns, ad groups or ads of one account in the warehouse: id, name, status (for pickers)."""
    if level == "campaign":
        sql = """SELECT campaign_id AS id, campaign_name AS name, status FROM campaigns
                 WHERE platform = ? AND account_id = ? ORDER BY campaign_name"""
    elif level == "ad_group":
        sql = """SELECT ad_group_id AS id, any_value(ad_group_name) AS name,
                        CASE WHEN bool_or(status = 'ENABLED') THEN 'ENABLED' ELSE 'PAUSED' END AS status
                 FROM ads WHERE platform = ? AND account_id = ? GROUP BY ad_group_id ORDER BY name"""
    elif level == "ad":
        sql = """SELECT ad_id AS id, ad_name AS name, status FROM ads
                 WHERE platform = ? AND account_id = ? ORDER BY ad_name"""
    else:
        raise ValueError(f"level must be one of {', '.join(store.LEVELS)}, not {level!r}")
    return warehouse.query(sql, [platform, account_id])


# ---------------------------------------------------------------- the warehouse


_SOURCES = {
    "ad": ("ad_daily", "ad_id"),
    "ad_group": ("ad_daily", "ad_group_id"),
    "campaign": ("campaign_daily", "campaign_id"),
}


def _load(experiment: store.ExperimentRecord | int) -> store.ExperimentRecord:
    if isinstance(experiment, store.ExperimentRecord):
        return experiment
    found = store.get(experiment)
    if found is None:
        raise store.ExperimentError(f"no experiment {experiment}")
    return found


_DAILY_COLUMNS = """sum(d.impressions)::DOUBLE AS impressions, sum(d.clicks)::DOUBLE AS clicks,
       sum(d.conversions)::DOUBLE AS conversions, sum(d.conversion_value)::DOUBLE AS value,
       sum(d.spend)::DOUBLE AS spend, sum(d.conversion_value_reporting)::DOUBLE AS value_reporting,
       sum(d.spend_reporting)::DOUBLE AS spend_reporting, any_value(d.currency) AS currency,
       any_value(d.reporting_currency) AS reporting_currency"""


def _query(windows: Sequence[tuple[store.ExperimentRecord, date, date]]) -> list[_Raw]:
    """Daily sums per variant, in account and reporting currency, of each (experiment, first day,
    last day): one query for all, each table joined once with the list of variants it holds."""
    parts: list[str] = []
    params: list[Any] = []
    for table, column in sorted(set(_SOURCES.values())):
        rows = [
            (i, v, start, end)
            for i, (exp, start, end) in enumerate(windows)
            for v in exp.variants
            if _SOURCES[v.level] == (table, column)
        ]
        if not rows:
            continue
        # the variants as one list-of-structs parameter (a VALUES list of 7 parameters per variant
        # costs DuckDB more to parse and bind than the query costs to run)
        params.append(
            [
                {
                    "k": i,
                    "variant": v.name,
                    "platform": v.platform,
                    "account_id": v.account_id,
                    "entity": v.entity_id,
                    "since": start,
                    "until": end,
                }
                for i, v, start, end in rows
            ]
        )
        params += [min(r[2] for r in rows), max(r[3] for r in rows)]
        parts.append(
            f"""SELECT p.k, p.variant, d.date, {_DAILY_COLUMNS}
                FROM {table} d JOIN (SELECT unnest(?, recursive := true)) p
                  ON d.platform = p.platform AND d.account_id = p.account_id AND d.{column} = p.entity
                 AND d.date BETWEEN p.since AND p.until
                WHERE d.date BETWEEN ? AND ?
                GROUP BY p.k, p.variant, d.date"""
        )
    if not parts:
        return [_Raw.empty() for _ in windows]
    frame = warehouse.query(" UNION ALL ".join(parts), params)
    keys = frame["k"].to_numpy(dtype=np.int64)
    order = np.argsort(keys, kind="stable")
    days = pd.to_datetime(frame["date"]).to_numpy(dtype="datetime64[D]").astype(np.int64)[order]
    variant = frame["variant"].to_numpy(dtype=object)[order]
    sums = {c: frame[c].to_numpy(dtype=float)[order] for c in _RAW_SUMS}
    currency = frame["currency"].to_numpy(dtype=object)[order]
    reporting = frame["reporting_currency"].to_numpy(dtype=object)[order]
    cuts = np.searchsorted(keys[order], np.arange(len(windows) + 1))
    return [
        _Raw(variant[a:b], days[a:b], {c: v[a:b] for c, v in sums.items()}, currency[a:b], reporting[a:b])
        for a, b in zip(cuts[:-1], cuts[1:], strict=True)
    ]


_RAW_SUMS = (*COLUMNS, "value_reporting", "spend_reporting")


@dataclass(frozen=True)
class _Raw:
    """One experiment's rows of `_query` as arrays: variant, day (days since 1970-01-01), the sums."""

    variant: np.ndarray
    day: np.ndarray
    sums: dict[str, np.ndarray]
    currency: np.ndarray
    reporting_currency: np.ndarray

    @classmethod
    def empty(cls) -> _Raw:
        none = np.array([], dtype=object)
        return cls(none, np.array([], dtype=np.int64), {c: np.array([]) for c in _RAW_SUMS}, none, none)


@dataclass(frozen=True)
class _Grid:
    """An experiment's daily sums as arrays (variants x days, the experiment's variant order), from the
    first to the last day with data; zeros where a variant had none."""

    names: list[str]
    days: list[date]
    sums: dict[str, np.ndarray]

    def column(self, name: str) -> np.ndarray:
        """One column as (days, variants)."""
        return self.sums[name].T


def _currency(raw: _Raw) -> tuple[str, str]:
    """(currency label, "account" or "reporting"): the account currency when every variant shares it."""
    currencies = {c for c in raw.currency if isinstance(c, str)}
    if len(currencies) <= 1:
        return (next(iter(currencies)) if currencies else ""), "account"
    reporting = {c for c in raw.reporting_currency if isinstance(c, str)}
    return (next(iter(reporting)) if reporting else ""), "reporting"


def _fill(raw: _Raw, exp: store.ExperimentRecord, money: str) -> _Grid:
    """The variant x day grid from the first to the last day with data (zeros where a variant had none;
    rows of variants the experiment does not have are left out)."""
    names = [v.name for v in exp.variants]
    if not len(raw.day):
        return _Grid(names, [], {c: np.zeros((len(names), 0)) for c in COLUMNS})
    first, last = int(raw.day.min()), int(raw.day.max())
    epoch = date(1970, 1, 1).toordinal()
    days = [date.fromordinal(epoch + d) for d in range(first, last + 1)]
    where = {name: i for i, name in enumerate(names)}
    variant = np.array([where.get(v, -1) for v in raw.variant], dtype=np.int64)
    mine = variant >= 0
    cell = (variant[mine], raw.day[mine] - first)
    source = {"value": "value_reporting", "spend": "spend_reporting"} if money == "reporting" else {}
    sums = {}
    for c in COLUMNS:
        grid = np.zeros((len(names), len(days)))
        np.add.at(grid, cell, raw.sums[source.get(c, c)][mine])
        sums[c] = grid
    return _Grid(names, days, sums)


def _daily(grid: _Grid) -> pd.DataFrame:
    """The grid as a frame: variant, date and the COLUMNS, one row per variant and day."""
    if not grid.days:
        return pd.DataFrame(columns=["variant", "date", *COLUMNS])
    columns: dict[str, Any] = {
        "variant": np.repeat(np.array(grid.names, dtype=object), len(grid.days)),
        "date": np.tile(np.array(grid.days, dtype=object), len(grid.names)),
    }
    for c in COLUMNS:
        columns[c] = grid.sums[c].ravel()
    return pd.DataFrame(columns)


def _totals(grid: _Grid, exp: store.ExperimentRecord) -> pd.DataFrame:
    """One row per variant: sums, every metric's value (NaN over a zero denominator), shares of users."""
    sums = {c: grid.sums[c].sum(axis=1) for c in COLUMNS}
    columns: dict[str, Any] = {"variant": np.array(grid.names, dtype=object), **sums}
    columns["role"] = np.array(["control"] + ["treatment"] * (len(grid.names) - 1), dtype=object)
    for key, spec in METRICS.items():
        den = sums[spec.denominator]
        with np.errstate(divide="ignore", invalid="ignore"):
            columns[key] = sums[spec.numerator] / np.where(den == 0, np.nan, den)
    units = sums[_srm_unit(METRICS[exp.primary_metric])]
    total = units.sum()
    columns["observed_share"] = units / total if total else np.full(len(units), np.nan)
    columns["planned_share"] = np.array(exp.planned_split, dtype=float)
    return pd.DataFrame(columns)


def _srm_unit(spec: MetricSpec) -> str:
    """The units the split is checked on: the primary metric's users (clicks for ratios over days)."""
    return spec.denominator if spec.per_unit else "clicks"


def _srm(grid: _Grid, exp: store.ExperimentRecord) -> tuple[float | None, float]:
    """(p-value, over-dispersion) of the daily split of the primary metric's users against the plan."""
    table = grid.column(_srm_unit(METRICS[exp.primary_metric]))  # (days, variants)
    if table.sum() == 0:
        return None, 1.0
    result = srm_daily(table.round().tolist(), list(exp.planned_split))
    return result.p_value, result.dispersion


# ---------------------------------------------------------------- statistics


def _statistics(
    spec: MetricSpec, grid: _Grid, exp: store.ExperimentRecord, last: bool = False
) -> dict[str, list[Statistic]]:
    """Per variant, the metric's statistic cumulated through each day (`_fill`'s grid); with `last`,
    through the last day only (a one-item list: the guardrails need no series)."""
    num, den = grid.column(spec.numerator), grid.column(spec.denominator)
    return {v.name: _statistic_series(spec, num[:, i], den[:, i], last) for i, v in enumerate(exp.variants)}


def _statistic_series(
    spec: MetricSpec, num: np.ndarray, den: np.ndarray, last: bool = False
) -> list[Statistic]:
    """The metric's statistic cumulated through each day, from the daily numerators and denominators
    (with `last`, only through the last day)."""
    keep = slice(-1, None) if last else slice(None)
    if spec.per_unit and np.all(num <= den):
        n, s = np.cumsum(den)[keep], np.cumsum(num)[keep]
        return [ProportionStatistic(int(round(a)), float(b)) for a, b in zip(n, s, strict=True)]
    # a ratio over days (also a per-unit rate above 1, e.g. several conversions per click)
    days = np.arange(1, len(num) + 1)[keep]
    sx, sxx = np.cumsum(num)[keep], np.cumsum(num * num)[keep]
    sy, syy = np.cumsum(den)[keep], np.cumsum(den * den)[keep]
    sxy = np.cumsum(num * den)[keep]
    return [
        RatioStatistic(
            int(d),
            SampleMeanStatistic(int(d), float(a), float(b)),
            SampleMeanStatistic(int(d), float(c), float(e)),
            float(f),
        )
        for d, a, b, c, e, f in zip(days, sx, sxx, sy, syy, sxy, strict=True)
    ]


def _tuning(spec: MetricSpec, exp: store.ExperimentRecord, unit_tuning: float) -> float:
    """Sequential tuning: the planned total sample; for ratios over days, the planned days × variants."""
    if spec.per_unit:
        return unit_tuning
    return float(len(exp.variants) * max(exp.planned_days or 28, 7))


def _moments(spec: MetricSpec, num: np.ndarray, den: np.ndarray) -> tuple[np.ndarray, ...]:
    """(n, mean, per-unit variance) of the metric's statistic cumulated through each day, as arrays:
    the numbers `_statistic_series`' objects give (ProportionStatistic or RatioStatistic)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        if spec.per_unit and np.all(num <= den):
            n = np.round(np.cumsum(den))
            p = np.where(n > 0, np.cumsum(num) / n, 0.0)
            return n, p, p * (1.0 - p)
        d = np.arange(1, len(num) + 1, dtype=float)
        sx, sxx = np.cumsum(num), np.cumsum(num * num)
        sy, syy = np.cumsum(den), np.cumsum(den * den)
        sxy = np.cumsum(num * den)
        pw = np.float_power  # libm's pow, as Python's ** on floats (numpy's ** may differ in the last bit)
        several = d > 1
        v_m = np.where(several, (sxx - pw(sx, 2) / d) / (d - 1), 0.0)
        v_d = np.where(several, (syy - pw(sy, 2) / d) / (d - 1), 0.0)
        cov = np.where(several, (sxy - sx * sy / d) / (d - 1), 0.0)
        mean_m, mean_d = sx / d, sy / d
        variance = (
            v_m / pw(mean_d, 2) - 2 * cov * mean_m / pw(mean_d, 3) + v_d * pw(mean_m, 2) / pw(mean_d, 4)
        )
        variance = np.where((mean_d == 0) | ~several, 0.0, variance)
        return d, np.where(sy != 0, sx / sy, 0.0), variance


def _over_time(exp: store.ExperimentRecord, spec: MetricSpec, grid: _Grid, tuning: float) -> pd.DataFrame:
    """The primary metric's cumulative lift per treatment and day, with fixed and sequential intervals
    (every day's tests as array steps: `compare_columns`)."""
    days = grid.days
    if not days or not exp.treatments:
        return pd.DataFrame()
    num, den = grid.column(spec.numerator), grid.column(spec.denominator)
    index = {v.name: i for i, v in enumerate(exp.variants)}
    n_c, m_c, v_c = _moments(spec, num[:, 0], den[:, 0])
    parts: list[dict[str, Any]] = []
    for t in exp.treatments:
        i = index[t.name]
        n_t, m_t, v_t = _moments(spec, num[:, i], den[:, i])
        r = compare_columns(n_c, m_c, v_c, n_t, m_t, v_t, exp.rule.alpha, spec.inverse, tuning)
        r["units"] = (n_c + n_t).astype(np.int64)
        r["significant"] = r["sequential_p_value"] < exp.rule.alpha  # NaN (no test): False
        parts.append(r)
    columns: dict[str, Any] = {
        "date": np.tile(np.array(days, dtype=object), len(parts)),
        "variant": np.repeat(np.array([t.name for t in exp.treatments], dtype=object), len(days)),
    }
    for key in ("units", "lift", "ci_low", "ci_high", "sequential_ci_low", "sequential_ci_high"):
        columns[key] = np.concatenate([r[key] for r in parts])
    for key in ("p_value", "sequential_p_value", "chance_to_win"):  # no test on any day: None
        values = np.concatenate([r[key] for r in parts])
        columns[key] = [None] * len(values) if np.isnan(values).all() else values
    columns["significant"] = np.concatenate([r["significant"] for r in parts])
    return pd.DataFrame(columns)


def _power(
    exp: store.ExperimentRecord,
    spec: MetricSpec,
    grid: _Grid,
    stats: dict[str, list[Statistic]],
    treatment: str,
    comparison: MetricComparison,
    tuning: float,
    asks: list[_Ask],
    summaries: list[PowerSummary],
) -> PowerSummary:
    """The treatment's power summary (to become `summaries[len(summaries)]`); its two days to
    significance are questions added to `asks`."""
    control = stats[exp.control.name][-1]
    days = len(grid.days)
    if isinstance(control, ProportionStatistic):
        unit = _UNIT_NAMES[spec.denominator]
        so_far = (control.n + stats[treatment][-1].n) / 2
        per_day = so_far / days
        variance: float | None = None
    else:
        unit, so_far, per_day, variance = "days", float(days), 1.0, control.variance
    baseline = control.mean if control.n > 0 else None
    alpha = exp.rule.alpha
    planned = exp.planned_days

    def attempt(fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            value = fn(*args, **kwargs)
        except (ValueError, ZeroDivisionError, OverflowError):
            return None
        return None if isinstance(value, float) and not math.isfinite(value) else value

    power_now = power_end = detectable = None
    if baseline:
        question = (baseline, per_day, so_far, variance, alpha, tuning)
        common: dict[str, Any] = {
            "baseline_variance": variance,
            "alpha": alpha,
            "sequential": True,
            "tuning": tuning,
        }
        if exp.mde:
            power_now = attempt(power, exp.mde, baseline, so_far, **common)
            if planned:
                power_end = attempt(power, exp.mde, baseline, per_day * planned, **common)
            asks.append(_Ask(summaries, len(summaries), "days_to_significance", exp.mde, *question))
        detectable = attempt(mde, baseline, so_far, target_power=TARGET_POWER, **common)
        if comparison.lift:
            asks.append(
                _Ask(summaries, len(summaries), "observed_days_to_significance", comparison.lift, *question)
            )
    return PowerSummary(
        variant=treatment,
        unit=unit,
        units_so_far=so_far,
        units_per_day=per_day,
        baseline=baseline,
        target_lift=exp.mde,
        power_now=power_now,
        power_at_end=power_end,
        days_to_significance=None,  # `_answer`
        detectable_now=detectable,
        observed_days_to_significance=None,
    )


@dataclass(frozen=True)
class _Ask:
    """A days-to-significance question of the power summary `summaries[index]`, for its `field`."""

    summaries: list[PowerSummary]
    index: int
    field: str
    lift: float
    baseline: float
    per_day: float
    so_far: float
    variance: float | None
    alpha: float
    tuning: float


def _answer(asks: list[_Ask]) -> None:
    """Every question's days to significance (at the sequential test's 80% power) in one array
    search, written into its power summary."""
    days = days_to_significance_many(
        [a.lift for a in asks],
        [a.baseline for a in asks],
        [a.per_day for a in asks],
        [a.so_far for a in asks],
        [a.variance for a in asks],
        [a.alpha for a in asks],
        [a.tuning for a in asks],
        target_power=TARGET_POWER,
    )
    for a, d in zip(asks, days, strict=True):
        changes: dict[str, Any] = {a.field: d}
        a.summaries[a.index] = replace(a.summaries[a.index], **changes)
