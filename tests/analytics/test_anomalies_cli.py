"""`adops anomalies --input FILE --json`: the interface's shape, and one line with exit 2 for bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from adops.analytics import anomaly_input
from tests.cli_support import run


def write(path: Path, frame: pd.DataFrame) -> Path:
    frame.to_csv(path, index=False)
    return path


def weekly(days: int = 70, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    ds = pd.date_range("2026-09-01", periods=days, freq="D")
    y = (
        500
        * np.array([1.0, 1.1, 1.0, 0.95, 0.9, 0.7, 0.7])[ds.dayofweek]
        * (1 + 0.04 * rng.standard_normal(days))
    )
    return pd.DataFrame({"ds": ds.strftime("%Y-%m-%d"), "y": y.round(2)})


def test_json_output_follows_the_interface(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a, b = weekly(seed=1), weekly(seed=2)
    b.loc[50, "y"] *= 4
    a.loc[60, "y"] = 0
    frame = pd.concat([a.assign(series="north"), b.assign(series="south")])
    code, out, err = run(["anomalies", "--input", str(write(tmp_path / "in.csv", frame)), "--json"], capsys)
    assert code == 0 and err == ""
    doc = json.loads(out)
    rows = doc["anomalies"]
    assert [(r["series"], r["ds"], r["direction"], r["kind"]) for r in rows] == [
        ("north", a.loc[60, "ds"], "drop", "outage"),
        ("south", b.loc[50, "ds"], "spike", "spike"),
    ]
    for r in rows:
        assert {"series", "ds", "y", "expected", "score", "direction"} <= set(r)
        assert r["direction"] in ("spike", "drop") and r["severity"] in ("info", "warning", "critical")
    assert rows[1]["expected"] == pytest.approx(b.loc[50, "y"] / 4, rel=0.2)


def test_without_a_series_column_series_is_null(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    frame = weekly()
    frame.loc[40, "y"] *= 5
    code, out, _ = run(["anomalies", "--input", str(write(tmp_path / "in.csv", frame)), "--json"], capsys)
    assert code == 0 and json.loads(out)["anomalies"][0]["series"] is None
    code, out, _ = run(["anomalies", "--input", str(tmp_path / "in.csv")], capsys)
    assert code == 0 and "spike" in out


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "empty"),
        ("ds,value\n2026-01-01,1\n", "missing column 'y'"),
        ("y\n1\n", "missing column 'ds'"),
        ("ds,y\n", "no data rows"),
        ("ds,y\n2026-13-01,1\n", "line 2, column 'ds'"),
        ("ds,y\nyesterday,1\n", "not a date"),
        ("ds,y\n2026-01-01,abc\n", "line 2, column 'y'"),
        ("ds,y\n2026-01-01,inf\n", "not a finite number"),
        ("ds,y\n2026-01-01,-5\n", "negative"),
        ("ds,y\n2026-01-01,1\n2026-01-01,2\n", "line 3, column 'ds': duplicate day 2026-01-01"),
        (
            "series,ds,y\na,2026-01-01,1\nb,2026-01-01,2\na,2026-01-01,3\n",
            "duplicate day 2026-01-01 in series 'a'",
        ),
        ("series,ds,y\n,2026-01-01,1\n", "column 'series': empty"),
        ('ds,y\n"2026-01-01,1\n', "not a readable CSV"),
        ("ds,y\n2026-01-01\x00\x1b[31m,1\n", "not a date"),
    ],
)
def test_bad_input_exits_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content)
    code, out, err = run(["anomalies", "--input", str(path), "--json"], capsys)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and message in err and "Traceback" not in err
    assert "\x1b" not in err


def test_binary_missing_and_oversized_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    binary = tmp_path / "bin.csv"
    binary.write_bytes(b"ds,y\n\xff\xfe\x00\x01,2\n")
    code, _, err = run(["anomalies", "--input", str(binary)], capsys)
    assert code == 2 and err.count("\n") == 1
    code, _, err = run(["anomalies", "--input", str(tmp_path / "nope.csv")], capsys)
    assert code == 2 and "no such file" in err
    code, _, err = run(["anomalies", "--input", str(tmp_path)], capsys)
    assert code == 2 and "not a file" in err
    big = write(tmp_path / "big.csv", weekly())
    monkeypatch.setattr(anomaly_input, "MAX_BYTES", 100)
    code, _, err = run(["anomalies", "--input", str(big)], capsys)
    assert code == 2 and "at most 100 bytes" in err.replace(",", "")
    monkeypatch.setattr(anomaly_input, "MAX_BYTES", 10**9)
    monkeypatch.setattr(anomaly_input, "MAX_ROWS", 10)
    code, _, err = run(["anomalies", "--input", str(big)], capsys)
    assert code == 2 and "at most 10" in err


def test_bad_thresholds_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path / "in.csv", weekly())
    code, _, err = run(["anomalies", "--input", str(path), "--ratio", "0.5"], capsys)
    assert code == 2 and "ratio" in err and err.count("\n") == 1
    code, _, err = run(["anomalies", "--input", str(path), "--weeks", "0"], capsys)
    assert code == 2 and err.count("\n") == 1


def test_the_same_file_twice_gives_the_same_answer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    frame = weekly()
    frame.loc[30, "y"] *= 0.1
    path = write(tmp_path / "in.csv", frame)
    first = run(["anomalies", "--input", str(path), "--json"], capsys)
    assert first == run(["anomalies", "--input", str(path), "--json"], capsys)
    assert json.loads(first[1])["anomalies"]
