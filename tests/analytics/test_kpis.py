"""Number formats shared by the pages."""

from pages.components.formatting import compact


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
