"""`adops trends` and `adops fatigue`: JSON out, and one line with exit 2 for every kind of bad input."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from adops.analytics import inputs
from tests.cli_support import run


def write(tmp_path: Path, text: str, name: str = "in.csv") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def series_csv(tmp_path: Path) -> str:
    x = [12.9, 14.8, 13.2, 15.7, 13.8, 15.6, 12.9, 11.0, 17.3, 15.9, 19.0, 18.3, 20.1, 21.7]
    lines = ["ds,y,series"]
    lines += [f"{date(2026, 11, 1) + timedelta(days=i)},{v},rising" for i, v in enumerate(x)]
    lines += [f"{date(2026, 11, 1) + timedelta(days=i)},{[3, 1, 2][i % 3]},flat" for i in range(14)]
    return write(tmp_path, "\n".join(lines) + "\n")


def test_trends_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["trends", "--input", series_csv(tmp_path), "--json"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    assert doc["alpha"] == 0.05
    rising, flat = doc["trends"]
    assert rising["series"] == "rising" and rising["s"] == 54 and rising["verdict"] == "real"
    assert rising["p_value"] == pytest.approx(0.00366, abs=5e-5)  # the published example, two-sided
    assert rising["q_value"] == pytest.approx(2 * rising["p_value"])  # BH over two series: rank 1 of 2
    assert flat["verdict"] == "noise" and flat["direction"] in ("flat", "increasing", "decreasing")
    again = run(["trends", "--input", series_csv(tmp_path), "--json"], capsys)[1]
    assert again == out  # the same file again: the same answer


def test_trends_without_a_series_column(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "ds,y\n2026-11-01,1\n2026-11-02,2\n2026-11-03,4\n2026-11-04,3\n2026-11-05,6\n")
    code, out, _ = run(["trends", "--input", path, "--json"], capsys)
    assert code == 0 and json.loads(out)["trends"][0]["series"] is None


def ad_csv(tmp_path: Path) -> str:
    """`worn` goes from 40 to 30 clicks a day on 2,000 impressions; `steady` stays at 40."""
    lines = ["date,platform,account_id,ad_id,impressions,clicks"]
    for i in range(28):
        day = date(2026, 11, 1) + timedelta(days=i)
        lines.append(f"{day},meta,act_1,worn,2000,{40 if i < 7 else 35 if i < 21 else 30}")
        lines.append(f"{day},meta,act_1,steady,2000,40")
    return write(tmp_path, "\n".join(lines) + "\n")


def test_fatigue_json_and_overrides(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["fatigue", "--input", ad_csv(tmp_path), "--json"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    assert doc["as_of"] == "2026-11-28"
    assert doc["thresholds"] == {"window_days": 7, "min_drop": 0.2, "min_impressions": 10000, "min_days": 7}
    worn, steady = doc["ads"]
    assert worn["ad_id"] == "worn" and worn["status"] == "fatigued"
    assert worn["ctr_change"] == pytest.approx(-0.25) and worn["first_clicks"] == 280 and worn["days"] == 28
    assert steady["status"] == "healthy"
    code, out, _ = run(["fatigue", "--input", ad_csv(tmp_path), "--min-drop", "0.3", "--json"], capsys)
    assert code == 0 and json.loads(out)["ads"][0]["status"] == "healthy"
    code, out, _ = run(["fatigue", "--input", ad_csv(tmp_path), "--as-of", "2026-11-21", "--json"], capsys)
    assert json.loads(out)["ads"][0]["ctr_change"] == pytest.approx(-0.125)


def test_fatigue_frequency_from_reach(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`worn` is seen by fewer people ever more often (2,000 impressions on 1,600 people, then 1,000);
    `steady`'s reach is blank on its last days: its last window's frequency comes from the days that
    have one. Frequency is the average daily frequency: impressions over summed daily reach."""
    lines = ["date,platform,account_id,ad_id,impressions,clicks,reach"]
    for i in range(28):
        day = date(2026, 11, 1) + timedelta(days=i)
        lines.append(f"{day},meta,act_1,worn,2000,{40 if i < 7 else 30},{1600 if i < 7 else 1000}")
        lines.append(f"{day},meta,act_1,steady,2000,40,{1600 if i < 24 else ''}")
    path = write(tmp_path, "\n".join(lines) + "\n")
    code, out, err = run(["fatigue", "--input", path, "--json"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    worn, steady = doc["ads"]
    assert worn["first_frequency"] == pytest.approx(1.25) and worn["last_frequency"] == pytest.approx(2.0)
    assert worn["frequency_change"] == pytest.approx(0.6)
    assert steady["last_frequency"] == pytest.approx(1.25)  # 3 of its 7 last days have a reach
    ages = {row["age_days"]: row for row in doc["by_age"]}
    assert sorted(ages) == [0, 7, 14, 21]
    assert ages[0]["frequency"] == pytest.approx(1.25) and ages[0]["ctr"] == pytest.approx(0.02)
    # age 21-27: worn 7 days at 2,000/1,000; steady 3 days at 2,000/1,600 (its 4 blank days left out)
    assert ages[21]["frequency"] == pytest.approx((7 * 2000 + 3 * 2000) / (7 * 1000 + 3 * 1600))
    assert ages[21]["ads"] == 2 and ages[21]["impressions"] == 28_000


def test_fatigue_without_reach_has_no_frequency(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["fatigue", "--input", ad_csv(tmp_path), "--json"], capsys)
    doc = json.loads(out)
    assert code == 0 and doc["ads"][0]["last_frequency"] is None
    assert all(row["frequency"] is None and row["ctr"] is not None for row in doc["by_age"])


@pytest.mark.parametrize(
    ("command", "text", "message"),
    [
        ("fatigue", "date,ad_id,impressions,clicks,reach\n2026-11-01,a,10,1,11\n", "more people reached"),
        ("fatigue", "date,ad_id,impressions,clicks,reach\n2026-11-01,a,10,1,-1\n", "line 2, column 'reach'"),
        (
            "fatigue",
            "date,ad_id,impressions,clicks,reach\n2026-11-01,a,10,1,\n2026-11-02,a,10,1,x\n",
            "line 3",
        ),
        ("fatigue", "date,ad_id,impressions,clicks,reach\n2026-11-01,a,10,1,nan\n", "column 'reach'"),
        ("trends", "", "the file is empty"),
        ("trends", "ds,value\n2026-11-01,1\n", "missing column 'y'"),
        ("trends", "ds,y\n", "no data rows"),
        ("trends", "ds,y\n2026-11-01,1\n2026-13-01,2\n", "line 3, column 'ds'"),
        ("trends", "ds,y\n2026-11-01,abc\n", "line 2, column 'y'"),
        ("trends", "ds,y\n2026-11-01,inf\n", "line 2, column 'y'"),
        ("trends", "ds,y\n2026-11-01,1\n2026-11-01,2\n", "duplicate day"),
        ("trends", 'ds,y,series\n2026-11-01,1,=HYPERLINK("x")\x01\n', "control characters"),
        ("trends", "ds,y,series\n2026-11-01,1," + "x" * 300 + "\n", "longer than 200"),
        ("trends", "ds,y\n2026-11-01T00:00:00,1\n", "YYYY-MM-DD"),
        ("trends", 'ds,y\n"unterminated,1\n', "not a readable CSV"),
        ("fatigue", "date,ad_id,impressions\n2026-11-01,a,1\n", "missing column 'clicks'"),
        ("fatigue", "date,ad_id,impressions,clicks\n2026-11-01,a,-5,0\n", "line 2, column 'impressions'"),
        ("fatigue", "date,ad_id,impressions,clicks\n2026-11-01,a,10.5,0\n", "whole number"),
        ("fatigue", "date,ad_id,impressions,clicks\n2026-11-01,a,10,11\n", "more clicks than impressions"),
        ("fatigue", "date,ad_id,impressions,clicks\n2026-11-01,,10,1\n", "column 'ad_id'"),
        ("fatigue", "date,ad_id,impressions,clicks\n2026-11-01,a,10,1\n2026-11-01,a,10,1\n", "appears twice"),
        ("fatigue", "date,ad_id,impressions,clicks\n2026-11-01,a,1e300,1\n", "whole number"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str, text: str, message: str
) -> None:
    code, out, err = run([command, "--input", write(tmp_path, text), "--json"], capsys)
    assert code == 2, (out, err)
    assert message in err and err.count("\n") == 1 and "Traceback" not in err
    assert out == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["trends", "--alpha", "0"], "--alpha"),
        (["trends", "--alpha", "1.5"], "--alpha"),
        (["fatigue", "--min-drop", "2"], "min_drop"),
        (["fatigue", "--as-of", "yesterday"], "--as-of"),
        (["fatigue", "--window-days", "0"], "window-days"),
    ],
)
def test_bad_options(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    path = series_csv(tmp_path) if args[0] == "trends" else ad_csv(tmp_path)
    code, _, err = run([*args, "--input", path, "--json"], capsys)
    assert code == 2 and message in err and err.count("\n") == 1


def test_missing_and_oversized_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, _, err = run(["trends", "--input", str(tmp_path / "nope.csv"), "--json"], capsys)
    assert code == 2 and "no such file" in err
    monkeypatch.setattr(inputs, "MAX_BYTES", 100)
    code, _, err = run(["fatigue", "--input", ad_csv(tmp_path), "--json"], capsys)
    assert code == 2 and "the limit is 100" in err
