"""`adops ab` as a user runs it: the JSON contract of INTERFACES.md, many experiments, exit 2 on bad rows."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from adops.experiments import SampleMeanStatistic, TwoSidedTTest, proportion
from tests.cli_support import run

REQUIRED_VARIANT_KEYS = [
    "variant", "users", "conversions", "rate", "lift", "lift_ci_low", "lift_ci_high", "p_value", "chance_to_win",
]  # fmt: skip


def write(tmp_path: Path, text: str, name: str = "ab.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def ab_json(path: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> dict[str, Any]:
    code, out, err = run(["ab", "--input", str(path), "--json", *extra], capsys)
    assert code == 0, err
    assert len(out.strip().splitlines()) == 1  # one JSON document
    return json.loads(out)


def test_single_experiment_contract(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = ab_json(write(tmp_path, "variant,users,conversions\nA,10000,420\nB,10000,480\n"), capsys)
    assert list(doc) == ["experiments"] and len(doc["experiments"]) == 1
    exp = doc["experiments"][0]
    assert exp["experiment"] is None
    assert isinstance(exp["srm_p_value"], float) and exp["srm_p_value"] == pytest.approx(1.0)
    control, treat = exp["variants"]
    for v in (control, treat):
        assert all(k in v for k in REQUIRED_VARIANT_KEYS)
    assert (control["variant"], control["users"], control["conversions"], control["rate"]) == (
        "A",
        10000,
        420,
        0.042,
    )
    assert all(
        control[k] is None for k in ("lift", "lift_ci_low", "lift_ci_high", "p_value", "chance_to_win")
    )
    assert treat["lift"] == pytest.approx(0.048 / 0.042 - 1)
    expected = TwoSidedTTest(proportion(420, 10000), proportion(480, 10000)).compute_result()
    assert expected.ci is not None
    assert (treat["lift_ci_low"], treat["lift_ci_high"]) == pytest.approx(expected.ci)
    assert treat["p_value"] == pytest.approx(expected.p_value)
    assert (treat["p_value"] < 0.05) == (treat["lift_ci_low"] > 0 or treat["lift_ci_high"] < 0)
    assert 0.9 < treat["chance_to_win"] < 1


def test_gbstats_welch_numbers_through_the_library_match_cli_conventions() -> None:
    # the CLI's conversion-rate lift is the same delta-method test that reproduces gbstats' Welch case
    a = SampleMeanStatistic(sum=1396.87, sum_squares=52377.9767, n=3407)
    b = SampleMeanStatistic(sum=2422.7, sum_squares=134698.29, n=3461)
    res = TwoSidedTTest(a, b).compute_result()
    assert res.ci is not None and res.p_value is not None
    assert (round(res.ci[0], 5), round(res.ci[1], 5), round(res.p_value, 5)) == (-0.03526, 1.44989, 0.06191)


def test_many_experiments_weights_and_alpha(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(
        tmp_path,
        "experiment,variant,users,conversions,weight\n"
        "headline,A,10000,420,\n"
        "headline,B,10000,480,\n"
        "cta,control,5000,100,0.5\n"
        "cta,v1,5100,130,0.25\n"
        "cta,v2,2400,50,0.25\n",
    )
    doc = ab_json(path, capsys)
    names = [e["experiment"] for e in doc["experiments"]]
    assert names == ["headline", "cta"]
    headline, cta = doc["experiments"]
    assert headline["srm_p_value"] == pytest.approx(1.0)  # blank weights: equal split
    assert cta["srm_p_value"] < 0.001 and cta["srm_flag"] is True  # 5000/5100/2400 against 50/25/25
    assert [v["variant"] for v in cta["variants"]] == ["control", "v1", "v2"]
    assert cta["variants"][0]["lift"] is None and cta["variants"][2]["lift"] is not None
    wide = ab_json(path, capsys, "--alpha", "0.01")["experiments"][0]["variants"][1]
    narrow = headline["variants"][1]
    assert wide["lift_ci_low"] < narrow["lift_ci_low"] and wide["lift_ci_high"] > narrow["lift_ci_high"]
    assert wide["p_value"] == pytest.approx(narrow["p_value"])


def test_fractional_conversions_revenue_and_zero_control(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(
        tmp_path,
        "variant,users,conversions,revenue,revenue_sum_squares\n"
        "A,2000,90.5,4500,60000\n"
        "B,2000,101.25,5200,71000\n"
        "C,0,0,,\n",
    )
    a, b, c = ab_json(path, capsys)["experiments"][0]["variants"]
    assert b["conversions"] == 101.25 and b["revenue_per_user"] == 2.6
    assert b["revenue_lift"] == pytest.approx(2.6 / 2.25 - 1)
    assert c["rate"] is None and c["lift"] is None and c["p_value"] is None and "error" in c
    zero = write(tmp_path, "variant,users,conversions\nA,1000,0\nB,1000,5\n", "zero.csv")
    b0 = ab_json(zero, capsys)["experiments"][0]["variants"][1]
    assert b0["lift"] is None and b0["lift_ci_low"] is None and b0["chance_to_win"] is None


def test_human_output_without_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        ["ab", "--input", str(write(tmp_path, "variant,users,conversions\nA,100,5\nB,100,9\n"))], capsys
    )
    assert code == 0 and "control" in out and "B" in out


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("variant,users\nA,100\nB,100\n", "missing column 'conversions'"),
        ("variant,users,conversions\nA,100,5\nB,-3,1\n", "row 3: users is negative"),
        ("variant,users,conversions\nA,100,5\nB,100,-1\n", "row 3: conversions is negative"),
        ("variant,users,conversions\nA,100,5\nB,100,120\n", "row 3: conversions (120) exceed users (100)"),
        ("variant,users,conversions\nA,100,5\nB,abc,1\n", "row 3: users 'abc' is not a number"),
        ("variant,users,conversions\nA,100,5\nB,100,\n", "row 3: conversions is empty"),
        ("variant,users,conversions\nA,100.5,5\nB,100,5\n", "row 2: users must be a whole number"),
        (
            "variant,users,conversions\nA,100,nan\nB,100,5\n",
            "row 2: conversions 'nan' is not a finite number",
        ),
        ("variant,users,conversions\nA,100,5\n", "only one variant"),
        ("variant,users,conversions\nA,100,5\nA,100,6\n", "row 3: variant 'A' repeats row 2"),
        ("variant,users,conversions,weight\nA,100,5,0.5\nB,100,6,\n", "row 3: weight is empty"),
        ("variant,users,conversions,weight\nA,100,5,0\nB,100,6,1\n", "row 2: weight must be positive"),
        ("experiment,variant,users,conversions\nx,A,100,5\n,B,100,6\n", "row 3: experiment is empty"),
        ("", "empty"),
        ("variant,users,conversions\n", "no data rows"),
    ],
)
def test_bad_rows_exit_2_naming_the_row(
    text: str, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(["ab", "--input", str(write(tmp_path, text)), "--json"], capsys)
    assert code == 2, (out, err)
    assert out == ""
    assert len(err.strip().splitlines()) == 1 and message in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--alpha", "1.5"], "--alpha"), (["--alpha", "x"], "--alpha"), (["--tuning", "0"], "--tuning")],
)
def test_bad_options_exit_2(
    args: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "variant,users,conversions\nA,100,5\nB,100,6\n")
    code, _, err = run(["ab", "--input", str(path), *args], capsys)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1


def test_missing_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["ab", "--input", str(tmp_path / "nope.csv"), "--json"], capsys)
    assert code == 2 and "no such file" in err


def test_console_script_in_a_subprocess(tmp_path: Path) -> None:
    good = write(tmp_path, "variant,users,conversions\nA,1000,40\nB,1000,55\n")
    bad = write(tmp_path, "variant,users,conversions\nA,1000,40\nB,10,55\n", "bad.csv")
    cmd = [sys.executable, "-c", "from adops.cli import main; main()", "ab", "--json", "--input"]
    ok = subprocess.run([*cmd, str(good)], capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0 and json.loads(ok.stdout)["experiments"][0]["variants"][1][
        "lift"
    ] == pytest.approx(0.375)
    fail = subprocess.run([*cmd, str(bad)], capture_output=True, text=True, timeout=60)
    assert fail.returncode == 2 and "row 3" in fail.stderr and "Traceback" not in fail.stderr
