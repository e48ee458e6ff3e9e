"""The PRD → Asana page: empty state, a pasted PRD previewed and edited, bad PRDs, unknown owners
flagged against the (fake) Asana workspace, and Push queuing the prd.push job with the edited plan."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from adops import jobs
from adops.integrations.prd_jobs import run_push
from tests.connectors.conftest import serve
from tests.connectors.fakes.asana import FakeAsana

PAGE = str(Path(__file__).resolve().parents[2] / "pages" / "prd.py")
PRD = """\
# Holiday push
## Creative
- [ ] Write the brief @ada due 2026-12-20
  - [ ] Collect references
- [ ] Book the shoot @zed
"""


def run_page(text: str = "") -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    if text:
        at.text_area(key="prd-text").input(text).run()
    return at


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch, workspace: Path) -> Iterator[FakeAsana]:
    state = FakeAsana()
    with serve(state.app) as url:
        monkeypatch.setenv("ADOPS_ASANA_BASE_URL", url)
        monkeypatch.setenv("ASANA_PAT", state.token)
        workspace.mkdir(parents=True, exist_ok=True)
        (workspace / "adops.toml").write_text(
            f'[integrations.asana]\naccess_token = "env:ASANA_PAT"\nworkspace = "{state.workspace["gid"]}"\n'
        )
        yield state


def test_empty_state_says_what_to_write(workspace: Path) -> None:
    at = run_page()
    assert not at.exception and at.title[0].value == "PRD → Asana"
    assert "`#` heading" in at.info[0].value and not at.dataframe and not at.button


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("just prose\n", "no # heading"),
        ("# P\nonly prose\n```\n- [ ] code\n```\n", "no tasks"),
        ("# P\n- [ ] Ship due 2026-02-30\n", "is not a date"),
    ],
)
def test_bad_prd_says_what_to_fix(workspace: Path, text: str, message: str) -> None:
    at = run_page(text)
    assert not at.exception and at.error and message in at.error[0].value.replace("\\", "")
    assert "Please check the input" in at.error[0].value and not at.button


def test_preview_without_asana_settings(workspace: Path) -> None:
    at = run_page(PRD)
    assert not at.exception
    assert at.text_input(key="prd-project").value == "Holiday push"
    assert "not checked against Asana" in at.info[0].value and "not configured" in at.info[0].value
    assert "1 sections, 3 tasks and subtasks" in at.caption[0].value
    assert [b.label for b in at.button] == ["Push to Asana"]


def test_unknown_owner_flagged_and_push_queues_the_edited_plan(
    fake: FakeAsana, monkeypatch: pytest.MonkeyPatch
) -> None:
    queued: list[tuple[str, dict[str, Any]]] = []
    monkeypatch.setattr(jobs, "enqueue", lambda kind, params: queued.append((kind, params)) or "job-1")
    at = run_page(PRD)
    assert not at.exception
    assert [w.value for w in at.warning] == ["Unknown assignee 'zed' (left unassigned): Book the shoot"]
    at.text_input(key="prd-project").input("Q4 push").run()
    at.button(key="prd-push").click()
    monkeypatch.setattr(jobs, "get", lambda job_id: None)
    at.run()
    assert not at.exception
    [(kind, params)] = queued
    assert kind == "prd.push" and params["project"] == "Q4 push"
    assert params["plan"]["sections"][0]["tasks"][0]["subtasks"][0]["name"] == "Collect references"
    # what the job does with those params: the plan lands in Asana
    result = run_push(params)
    assert result["created"] == 5 and fake.projects[result["project_gid"]]["name"] == "Q4 push"
    done = jobs.Job(id="job-1", kind="prd.push", status="done", result=result)
    monkeypatch.setattr(jobs, "get", lambda job_id: done)
    at.run()
    assert "Q4 push: 5 created, 0 updated" in at.success[0].value
