"""Raw values never reach a person: records as labelled, formatted tables; CSVs without float noise."""

import math
import re
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from pages.components.details import csv_text, details_frame, label, rows_frame, status_label, value_text


def test_labels_statuses_and_values_are_readable() -> None:
    assert label("account_cpa") == "Account CPA"
    assert label("marginal_cpa_90_high") == "Marginal CPA 90 high"
    assert status_label("rolled_back") == "Rolled back"
    assert value_text("platform", "google_ads") == "Google Ads"
    assert value_text("spend", 1023.6125) == "1,023.61"
    assert value_text("clicks", 12345) == "12,345"
    assert value_text("account_conversion_rate", 0.01234) == "1.2%"
    assert value_text("chance_of_zero", 0.000012) == "1.2e-05"
    assert value_text("applied", True) == "Yes"
    assert value_text("x", math.nan) == value_text("x", None) == "–"
    assert value_text("status", "rolled_back") == "Rolled back"


def test_nested_records_become_rows_never_braces() -> None:
    frame = details_frame(
        {
            "window": {"since": "2026-11-01", "until": "2026-11-28"},
            "spend": 34021.39000000001,
            "channels": [{"channel": "a", "days": 3}],
            "deep": {"a": {"b": {"c": {"d": 1}}}},
        }
    )
    assert list(frame["Item"])[:3] == ["Window · Since", "Window · Until", "Spend"]
    assert "34,021.39" in set(frame["Value"]) and "1 rows" in set(frame["Value"])
    assert not any("{" in v for v in frame["Value"])  # hostile nesting is summarised, not dumped
    assert len(details_frame({f"k{i}": i for i in range(10_000)})) == 200  # oversized: capped
    table = rows_frame([{"channel": "meta:act_1", "actual_spend": 1023.6125, "days": 7}])
    assert list(table.columns) == ["Channel", "Actual spend", "Days"]
    assert table.iloc[0].tolist() == ["meta:act_1", "1,023.61", "7"]


def test_csv_has_no_float_noise_and_platform_names() -> None:
    frame = pd.DataFrame({"platform": ["microsoft_ads"], "spend": [34021.39000000001], "n": [3]})
    assert csv_text(frame) == "platform,spend,n\nMicrosoft Ads,34021.39,3\n"


def test_recommendation_evidence_is_a_table(
    demo_home: Path, workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from adops import store

    monkeypatch.setenv("ADOPS_WAREHOUSE_URI", str(demo_home / "warehouse"))  # the demo's data, own store
    store.reset()
    page = Path(__file__).resolve().parents[2] / "pages" / "recommendations.py"
    at = AppTest.from_file(str(page), default_timeout=120).run()
    assert not at.exception, at.exception
    assert not at.json  # no raw {...}
    tables = [df.value for df in at.dataframe if "Item" in df.value.columns]
    assert len(tables) == 2  # evidence and expected impact
    values = [v for t in tables for v in t["Value"]]
    assert values and not any("{" in v or "_" in v for v in values)
    assert not any(re.fullmatch(r"-?\d+\.\d{3,}", v) for v in values)  # no unformatted floats
