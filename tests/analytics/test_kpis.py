"""KPIs are defined once: formulas from sums, labels and formats that pages, reports and notebooks share."""

import math

import pandas as pd
import pytest

from adops.analytics import kpis
from adops.experiments.results import METRICS
from pages.components.formatting import compact, fmt


def test_kpis_are_ratios_of_sums_not_means_of_ratios() -> None:
    rows = pd.DataFrame(
        {"clicks": [1, 99], "impressions": [10, 9900], "spend": [5.0, 95.0], "conversions": [0, 4]}
    )
    sums = rows.sum()
    assert kpis.kpi("ctr", sums) == pytest.approx(100 / 9910)  # the mean of the row CTRs would be 5.5%
    assert kpis.kpi("cpm", sums) == pytest.approx(100 / 9910 * 1000)
    assert math.isnan(kpis.kpi("cpa", {"spend": 10.0, "conversions": 0}))  # no division by zero
    table = kpis.add_kpis(rows)
    assert math.isnan(table["cpa"][0]) and table["cpa"][1] == pytest.approx(95 / 4)
    assert "roas" not in table  # no conversion_value column: no ROAS


@pytest.mark.parametrize(
    ("name", "value", "text", "short"),
    [
        ("spend", 6_123_456.7, "USD 6,123,457", "USD 6.12M"),
        ("spend", 812.345, "USD 812.35", "USD 812.35"),
        ("cpa", 43.128, "USD 43.13", "USD 43.13"),
        ("ctr", 0.01117, "1.12%", "1.12%"),
        ("roas", 3.7449, "3.74×", "3.74×"),
        ("conversions", 142_102.4, "142,102", "142,102"),
        ("conversions", 2.5, "2.5", "2.5"),
        ("impressions", 1_412_108, "1,412,108", "1.41M"),
        ("cpa", float("nan"), "–", "–"),
        ("cpa", None, "–", "–"),
    ],
)
def test_one_format_per_kind(name: str, value: float | None, text: str, short: str) -> None:
    assert fmt(name, value) == kpis.format_value(name, value) == text
    assert fmt(name, value, short=True) == short
    assert kpis.format_value(name, 1.0, "EUR").startswith("EUR ") == (kpis.kind(name) == "money")


def test_labels_and_column_formats_follow_the_kind() -> None:
    assert kpis.label("spend", "EUR") == "Spend (EUR)" and kpis.label("ctr", "EUR") == "CTR"
    assert kpis.label("cvr") == "Conversion rate" and kpis.label("new_metric") == "New metric"
    assert [kpis.column_format(k) for k in ("ctr", "cpa", "roas", "clicks", "conversions")] == [
        "percent",
        "%,.2f",
        "%.2f",
        "%,.0f",
        "%,.1f",
    ]
    assert set(kpis.KPIS) <= set(kpis.KINDS) and set(kpis.KINDS) == set(kpis.LABELS)


def test_experiment_metrics_take_their_formulas_from_the_kpis() -> None:
    for key in ("cvr", "ctr", "cpa", "roas", "cpc"):
        numerator, denominator, _, better = kpis.KPIS[key]
        spec = METRICS[key]
        assert (spec.numerator, spec.denominator) == (
            {"conversion_value": "value"}.get(numerator, numerator),
            denominator,
        )
        assert spec.inverse is not better


def test_compact_numbers_fit_a_metric_tile() -> None:
    assert [compact(v) for v in (0, 950.4, 12_345, 552_361, 4_712_329, 1.2e9, -4_200)] == [
        "0",
        "950",
        "12.3k",
        "552k",
        "4.71M",
        "1.2B",
        "-4.2k",
    ]
    assert compact(999_999) == "1M" and compact(999_400) == "999k"  # rounding moves up a unit
    assert compact(1.5e12) == "1,500B"
