"""`adops optimize`: the INTERFACES.md document on the happy path, exit 2 with one line on bad input."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from adops.cli import main


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    out, err = capsys.readouterr()
    code = exit_info.value.code
    return (code if isinstance(code, int) else 0), out, err


@pytest.fixture
def history(tmp_path: Path, make_channels: Callable) -> tuple[Path, pd.DataFrame]:
    sim = make_channels(3, days=120, seed=5)
    path = tmp_path / "history.csv"
    sim.frame.to_csv(path, index=False)
    return path, sim.frame


def current_spend(frame: pd.DataFrame) -> dict[str, float]:
    last = frame[frame["date"] > sorted(frame["date"].unique())[-29]]
    return (last.groupby("channel")["spend"].sum() / 28).to_dict()


def test_json_document(history: tuple[Path, pd.DataFrame], capsys: pytest.CaptureFixture[str]) -> None:
    path, frame = history
    budget = round(sum(current_spend(frame).values()), 2)
    code, out, err = run(
        ["optimize", "--input", str(path), "--budget", str(budget), "--bootstrap", "5", "--json"], capsys
    )
    assert code == 0, err
    doc = json.loads(out)
    assert set(doc) >= {"objective", "budget", "expected_total", "current_expected_total", "allocation"}
    assert doc["objective"] == "conversions" and doc["budget"] == budget
    assert [a["channel"] for a in doc["allocation"]] == ["ch1", "ch2", "ch3"]
    for row in doc["allocation"]:
        assert set(row) >= {"channel", "current_spend", "spend", "expected", "marginal"}
        assert row["current_spend"] == pytest.approx(current_spend(frame)[row["channel"]])
        assert 0.5 * row["current_spend"] - 1e-6 <= row["spend"] <= 2.0 * row["current_spend"] + 1e-6
    assert sum(a["spend"] for a in doc["allocation"]) == pytest.approx(budget)
    assert doc["expected_total"] >= doc["current_expected_total"] - 1e-9
    assert doc["expected_total"] == pytest.approx(sum(a["expected"] for a in doc["allocation"]))


def test_options(history: tuple[Path, pd.DataFrame], capsys: pytest.CaptureFixture[str]) -> None:
    path, frame = history
    now = current_spend(frame)
    budget = sum(now.values())
    code, out, err = run(
        [
            "optimize",
            "--input",
            str(path),
            "--budget",
            f"{budget:.2f}",
            "--objective",
            "revenue",
            "--min",
            f"ch1={now['ch1'] * 1.1:.2f}",
            "--max",
            "ch2=1.2x",
            "--lock",
            "ch3",
            "--bootstrap",
            "0",
            "--json",
        ],
        capsys,
    )
    assert code == 0, err
    doc = json.loads(out)
    rows = {a["channel"]: a for a in doc["allocation"]}
    assert doc["objective"] == "revenue"
    assert rows["ch1"]["spend"] >= now["ch1"] * 1.1 - 0.01
    assert rows["ch2"]["spend"] <= now["ch2"] * 1.2 + 1e-6
    assert rows["ch3"]["spend"] == pytest.approx(now["ch3"]) and rows["ch3"]["locked"]


def test_table_output(history: tuple[Path, pd.DataFrame], capsys: pytest.CaptureFixture[str]) -> None:
    path, frame = history
    code, out, _ = run(
        [
            "optimize",
            "--input",
            str(path),
            "--budget",
            str(sum(current_spend(frame).values())),
            "--bootstrap",
            "0",
        ],
        capsys,
    )
    assert code == 0
    assert "recommended" in out and "ch2" in out and "expected conversions/day" in out


@pytest.mark.parametrize(
    ("edit", "extra", "message"),
    [
        (lambda f: f.drop(columns=["spend"]), [], "missing column 'spend'"),
        (lambda f: f.drop(columns=["revenue"]), ["--objective", "revenue"], "missing column 'revenue'"),
        (
            lambda f: f.assign(spend=f["spend"].astype(object).where(f.index != 7, "abc")),
            [],
            "row 9: column 'spend'",
        ),
        (
            lambda f: f.assign(conversions=f["conversions"].astype(object).where(f.index != 3, "")),
            [],
            "column 'conversions'",
        ),
        (lambda f: f.assign(date=f["date"].where(f.index != 4, "03/02/2025")), [], "row 6: column 'date'"),
        (
            lambda f: f.assign(spend=f["spend"].where(f.index != 5, -1.0)),
            [],
            "row 7: column 'spend' is negative",
        ),
        (
            lambda f: f.assign(channel=f["channel"].where(f.index != 2, " ")),
            [],
            "row 4: column 'channel' is empty",
        ),
        (lambda f: f.iloc[0:0], [], "no rows"),
        (None, ["--min", "nope=10"], "--min: unknown channel 'nope'"),
        (None, ["--max", "nope=10"], "--max: unknown channel 'nope'"),
        (None, ["--lock", "nope"], "--lock: unknown channel 'nope'"),
        (None, ["--min", "ch1"], "is not CH=V"),
        (None, ["--min", "ch1="], "is not CH=V"),
        (None, ["--max", "=5"], "is not CH=V"),
        (None, ["--max", "ch1=lots"], "not a number"),
        (None, ["--max", "ch1=-5"], ">= 0"),
        (None, ["--min", "ch1=90", "--max", "ch1=80"], "above --max"),
        (None, ["--min", "ch1=1e9"], "minimums add up to"),
        (None, ["--max", "ch1=0", "--max", "ch2=0", "--max", "ch3=0"], "maximums add up to"),
        (None, ["--target-roas", "3"], "--target-roas needs --objective revenue"),
        (None, ["--bootstrap", "-1"], "--bootstrap"),
    ],
)
def test_bad_input_exits_2(
    history: tuple[Path, pd.DataFrame],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    edit: Callable[[pd.DataFrame], pd.DataFrame] | None,
    extra: list[str],
    message: str,
) -> None:
    path, frame = history
    if edit is not None:
        path = tmp_path / "bad.csv"
        edit(frame.copy()).to_csv(path, index=False)
    budget = sum(current_spend(frame).values())
    code, out, err = run(
        ["optimize", "--input", str(path), "--budget", f"{budget:.2f}", "--json", *extra], capsys
    )
    assert code == 2
    assert out == ""
    assert message in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--budget", "0"], "--budget must be a positive number"),
        (["--budget", "-10"], "--budget must be a positive number"),
        (["--budget", "1e12"], "maximums add up to"),
        (["--budget", "1"], "minimums add up to"),
        (["--budget", "abc"], "budget"),
    ],
)
def test_bad_budget_exits_2(
    history: tuple[Path, pd.DataFrame], capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, out, err = run(["optimize", "--input", str(history[0]), "--json", *args], capsys)
    assert code == 2 and out == "" and message in err and len(err.strip().splitlines()) == 1


def test_missing_and_empty_files_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(
        ["optimize", "--input", str(tmp_path / "nope.csv"), "--budget", "100", "--json"], capsys
    )
    assert code == 2 and "no such file" in err
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    code, _, err = run(["optimize", "--input", str(empty), "--budget", "100", "--json"], capsys)
    assert code == 2 and "empty" in err and len(err.strip().splitlines()) == 1
