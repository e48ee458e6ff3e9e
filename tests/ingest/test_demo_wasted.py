"""`adops demo` plants a few wasted campaigns (known truth for the wasted-spend advice) while
`build_demo` and the simulator keep their default world (the pinned demo numbers do not move)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from adops import ingest
from adops.connectors.sandbox import init_state, load_world
from adops.connectors.sandbox.connector import state_path
from tests.cli_support import run


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []

    def fake(**kwargs: Any) -> Any:
        seen.append(kwargs)
        raise SystemExit(0)  # the build itself is tested elsewhere

    monkeypatch.setattr(ingest, "build_demo", fake)
    return seen


def test_adops_demo_plants_six_wasted_campaigns_by_default(
    workspace: Path, calls: list[dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["demo", "--days", "30"], capsys)[0] == 0
    assert run(["demo", "--days", "30", "--wasted-campaigns", "0"], capsys)[0] == 0
    assert [c["wasted_campaigns"] for c in calls] == [6, 0]


@pytest.mark.parametrize("value", ["-1", "51", "many", "1e9", "6; rm -rf /"])
def test_a_bad_wasted_campaigns_count_is_refused(
    value: str, workspace: Path, calls: list[dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(["demo", "--wasted-campaigns", value], capsys)
    assert code == 2 and "--wasted-campaigns" in err and "Traceback" not in err
    assert calls == []


def test_the_simulator_default_plants_none_and_a_count_plants_that_many(workspace: Path) -> None:
    anchor = date(2026, 11, 24)
    init_state(7, anchor, (10, 20))
    assert "wasted_campaigns" not in json.loads(state_path().read_text())  # the default world
    assert load_world().wasted == {}
    init_state(7, anchor, (10, 20), wasted_campaigns=6)
    world = load_world()
    planted = [(camp, since) for items in world.wasted.values() for camp, since in items]
    assert len(planted) == 6 and len({c for c, _ in planted}) == 6
    assert all(40 <= (anchor - since).days < 70 for _, since in planted)
