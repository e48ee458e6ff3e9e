"""`adops forecast` as a user runs it: the JSON contract of INTERFACES.md, many series, exit 2 on bad input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from tests.cli_support import run


def csv_text(days: int = 28, series: list[str] | None = None, start: str = "2026-10-01") -> str:
    ds = pd.date_range(start, periods=days, freq="D")
    rows = []
    for i, name in enumerate(series or [""]):
        y = 50 + 10 * np.sin(2 * np.pi * np.arange(days) / 7) + i * 100
        rows += [(name, d.date().isoformat(), round(float(v), 2)) for d, v in zip(ds, y, strict=True)]
    if series is None:
        return "ds,y\n" + "".join(f"{d},{v}\n" for _, d, v in rows)
    return "series,ds,y\n" + "".join(f"{s},{d},{v}\n" for s, d, v in rows)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "series.csv"
    path.write_text(text)
    return path


def forecast_json(path: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> dict[str, Any]:
    code, out, err = run(["forecast", "--input", str(path), "--json", *extra], capsys)
    assert code == 0, err
    assert len(out.strip().splitlines()) == 1  # one JSON document
    return json.loads(out)


def test_single_series_contract(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = forecast_json(write(tmp_path, csv_text()), capsys, "--horizon", "10")
    assert doc["interval_width"] == 0.8 and isinstance(doc["interval_width"], float)
    rows = doc["forecast"]
    assert len(rows) == 10
    assert [r["ds"] for r in rows] == [d.date().isoformat() for d in pd.date_range("2026-10-29", periods=10)]
    for r in rows:
        assert set(r) == {"series", "ds", "yhat", "yhat_lower", "yhat_upper"}
        assert r["series"] is None
        assert all(isinstance(r[k], float) for k in ("yhat", "yhat_lower", "yhat_upper"))
        assert r["yhat_lower"] <= r["yhat"] <= r["yhat_upper"]


def test_many_series_in_one_call(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = csv_text(series=["meta", "google_ads"])
    doc = forecast_json(write(tmp_path, text), capsys, "--horizon", "3", "--interval", "0.9")
    assert doc["interval_width"] == 0.9
    assert [r["series"] for r in doc["forecast"]] == ["meta"] * 3 + ["google_ads"] * 3
    meta, google = doc["forecast"][0], doc["forecast"][3]
    assert google["yhat"] > meta["yhat"] + 50  # each series forecast on its own level
    assert [m["series"] for m in doc["models"]] == ["meta", "google_ads"]
    assert all(m["backtest"]["mase"] >= 0 for m in doc["models"])


def test_rows_in_any_order(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = csv_text().splitlines()
    shuffled = "\n".join([lines[0], *reversed(lines[1:])]) + "\n"
    doc = forecast_json(write(tmp_path, shuffled), capsys, "--horizon", "2")
    assert doc["forecast"][0]["ds"] == "2026-10-29"


@pytest.mark.parametrize(
    ("text", "args", "message"),
    [
        ("date,y\n2026-01-01,1\n", [], "missing column 'ds'"),
        ("ds,value\n2026-01-01,1\n", [], "missing column 'y'"),
        (csv_text().replace("2026-10-05", "2026-13-05"), [], "line 6, column 'ds'"),
        (csv_text().replace("2026-10-05", "yesterday"), [], "line 6, column 'ds'"),
        (csv_text().replace("2026-10-03,", "2026-10-03,abc"), [], "line 4, column 'y'"),
        (csv_text() + "2026-10-03,7\n", [], "line 30, column 'ds': duplicate day 2026-10-03"),
        (csv_text(days=5), [], "at least 14"),
        ("ds,y\n", [], "no data rows"),
        (csv_text(), ["--horizon", "0"], "--horizon"),
        (csv_text(), ["--interval", "1"], "--interval"),
        (csv_text(), ["--interval", "0"], "--interval"),
        (csv_text(series=["a", "b"]) + "a,2026-10-02,3\n", [], "series 'a'"),
    ],
)
def test_bad_input_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, args: list[str], message: str
) -> None:
    path = write(tmp_path, text)
    horizon = [] if "--horizon" in args else ["--horizon", "5"]
    code, out, err = run(["forecast", "--input", str(path), "--json", *horizon, *args], capsys)
    assert code == 2, (out, err)
    assert out == ""
    assert message in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_missing_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(
        ["forecast", "--input", str(tmp_path / "nope.csv"), "--horizon", "3", "--json"], capsys
    )
    assert code == 2 and "no such file" in err
