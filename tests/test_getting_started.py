"""docs/getting-started.md, steps 2-5, run as written: a new workspace connects a TikTok account on the
practice server (the fake API from tests/connectors/fakes) and its numbers land in the warehouse."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from adops import warehouse
from tests.cli_support import run
from tests.connectors.conftest import serve
from tests.connectors.fakes import practice
from tests.connectors.fakes.tiktok import FakeTikTok

DOC = Path(__file__).resolve().parents[1] / "docs" / "getting-started.md"


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", DOC.read_text(), flags=re.S)


def test_the_walkthrough_connects_an_account_and_shows_its_data(
    workspace: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (toml,) = blocks("toml")
    workspace.mkdir(parents=True, exist_ok=True)  # the doc's `mkdir -p $ADOPS_HOME`
    (workspace / "adops.toml").write_text(toml)
    commands: list[list[str]] = []
    for block in blocks("sh"):
        for line in block.splitlines():
            if line.startswith("export ") and "ADOPS_HOME" not in line:  # the fixture's workspace instead
                name, value = line.removeprefix("export ").split("=", 1)
                monkeypatch.setenv(name, value)
            elif line.startswith(".venv/bin/adops "):
                commands.append(shlex.split(line)[1:])
    assert [c[0] for c in commands] == ["connectors", "sync", "query"], commands
    assert "tests.connectors.fakes.practice tiktok" in DOC.read_text()

    with serve(practice.app("tiktok")) as url:
        monkeypatch.setenv("ADOPS_TIKTOK_BASE_URL", url)  # the doc's port 9100 may be taken here
        outputs = []
        for args in commands:
            code, out, err = run(args, capsys)
            assert code == 0, (args, out, err)
            outputs.append(out)
    assert "7100000000000000001" in outputs[0]
    spend = warehouse.query(
        "SELECT sum(spend) AS s FROM campaign_daily WHERE platform = 'tiktok' AND date BETWEEN ? AND ?",
        ["2026-11-01", "2026-11-23"],
    )["s"].iloc[0]
    truth = FakeTikTok().truth_campaign_daily(*map(_day, ("2026-11-01", "2026-11-23")))
    assert spend == pytest.approx(truth["spend"].sum(), rel=1e-6)
    names = set(truth["campaign_name"]) if "campaign_name" in truth else set()
    assert all(name in outputs[2] for name in names), outputs[2]


def test_the_practice_server_refuses_an_unknown_platform() -> None:
    with pytest.raises(SystemExit, match="no practice server"):
        practice.app("nope")


def _day(text: str):  # type: ignore[no-untyped-def]
    from datetime import date

    return date.fromisoformat(text)
