"""`adops prd push` against the fake Asana: the plan created once, a second push changes nothing, an
edited PRD updates, adds and completes (never deletes); 429s waited out; unknown assignees reported."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from adops.connectors.retry import RetryPolicy
from adops.errors import ConfigError
from adops.integrations.asana import AsanaClient
from adops.integrations.prd import parse
from adops.integrations.prd_push import Directory, push
from tests.cli_support import run
from tests.connectors.conftest import serve
from tests.connectors.fakes.asana import FakeAsana

PRD = """\
# Holiday push

## Creative
- [ ] Write the brief @ada due 2026-12-20
  - [ ] Collect references
  - [ ] Draft copy @ben
- [ ] Book the shoot ben@example.com

## Media
| Task | Owner | Due |
|------|-------|-----|
| Set budgets | @adaops | 2026-12-10 |
| Traffic tags | @zed | |
"""

EDITED = """\
# Holiday push

## Creative
- [ ] Write the brief @ben due 2026-12-22
  - [x] Collect references
  - [ ] Draft copy @ben
  - [ ] Legal review
- [ ] Book the shoot ben@example.com

## Media
| Task | Owner | Due |
|------|-------|-----|
| Set budgets | @adaops | 2026-12-10 |
"""


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch, workspace: Path) -> Iterator[FakeAsana]:
    state = FakeAsana()
    with serve(state.app) as url:
        monkeypatch.setenv("ADOPS_ASANA_BASE_URL", url)
        workspace.mkdir(parents=True, exist_ok=True)
        (workspace / "adops.toml").write_text(
            f'[integrations.asana]\naccess_token = "env:ASANA_PAT"\nworkspace = "{state.workspace["gid"]}"\n'
        )
        monkeypatch.setenv("ASANA_PAT", state.token)
        yield state


def client(sleeps: list[float]) -> AsanaClient:
    return AsanaClient({"access_token": "asana-pat-1"}, sleep=sleeps.append, policy=RetryPolicy(attempts=5))


def writes(fake: FakeAsana) -> list[tuple[str, str]]:
    return [(c["method"], c["path"]) for c in fake.calls if c["method"] in ("POST", "PUT", "DELETE")]


def project_tasks(fake: FakeAsana, project_gid: str) -> dict[str, dict]:
    top = {
        t["name"]: t
        for t in fake.tasks.values()
        if project_gid in {m["project"]["gid"] for m in t["memberships"]}
    }
    subs = {t["name"]: t for t in fake.tasks.values() if t.get("parent")}
    return top | subs


@pytest.mark.stores
def test_push_creates_the_plan_then_changes_nothing_then_follows_edits(fake: FakeAsana) -> None:
    sleeps: list[float] = []
    result = push(parse(PRD), client=client(sleeps))
    project = fake.projects[result.project_gid]
    assert project["name"] == "Holiday push"
    # project + 2 sections + 4 tasks + 2 subtasks
    assert (result.created, result.updated, result.unchanged) == (9, 0, 0)
    assert result.unknown_assignees == [{"assignee": "zed", "tasks": ["Traffic tags"]}]
    sections = {s["name"]: s for s in fake.sections.values() if s["project"]["gid"] == project["gid"]}
    assert set(sections) == {"Creative", "Media"}
    tasks = project_tasks(fake, project["gid"])
    brief = tasks["Write the brief"]
    assert brief["assignee"]["email"] == "ada@example.com" and brief["due_on"] == "2026-12-20"
    assert brief["memberships"][0]["section"]["name"] == "Creative"
    assert tasks["Collect references"]["parent"]["gid"] == brief["gid"]
    assert tasks["Collect references"]["assignee"]["email"] == "ada@example.com"  # inherited
    assert tasks["Draft copy"]["assignee"]["email"] == "ben@example.com"
    assert tasks["Set budgets"]["assignee"]["name"] == "Ada Ops"  # handle = name without spaces
    assert tasks["Traffic tags"]["assignee"] is None  # unknown: reported, never guessed
    assert tasks["Set budgets"]["memberships"][0]["section"]["name"] == "Media"

    before = len(writes(fake))
    again = push(parse(PRD), client=client(sleeps))
    assert again.project_gid == result.project_gid
    assert (again.created, again.updated, again.unchanged) == (0, 0, 9)
    assert len(writes(fake)) == before  # not one write

    edited = push(parse(EDITED), client=client(sleeps))
    assert (edited.created, edited.updated, edited.completed) == (1, 3, 1)
    tasks = project_tasks(fake, project["gid"])
    assert tasks["Write the brief"]["assignee"]["email"] == "ben@example.com"
    assert tasks["Write the brief"]["due_on"] == "2026-12-22"
    assert tasks["Collect references"]["completed"] is True
    assert tasks["Legal review"]["parent"]["gid"] == brief["gid"]
    assert tasks["Traffic tags"]["completed"] is True  # left the PRD: completed, not deleted
    assert len([t for t in fake.tasks.values() if t["name"] == "Traffic tags"]) == 1
    assert (
        len(fake.projects) == 121
        and sum(s["project"]["gid"] == project["gid"] for s in fake.sections.values()) == 2
    )
    assert not [w for w in writes(fake) if w[0] == "DELETE"]

    # the edited PRD again: nothing to do; and putting the removed task back reopens it
    assert push(parse(EDITED), client=client(sleeps)).updated == 0
    back = push(parse(EDITED + "| Traffic tags | @zed | |\n"), client=client(sleeps))
    assert back.created == 0 and project_tasks(fake, project["gid"])["Traffic tags"]["completed"] is False
    assert sleeps == []


def test_push_survives_429_with_retry_after(fake: FakeAsana) -> None:
    sleeps: list[float] = []
    fake.fail("/api/1.0/tasks", "429", times=2)
    fake.fail("/sections", "429")
    result = push(parse(PRD), client=client(sleeps))
    assert result.created == 9
    assert sleeps.count(7.0) == 3  # the fake's Retry-After, honoured each time
    assert len([t for t in fake.tasks.values() if t["name"] == "Write the brief"]) == 1


def test_an_interrupted_push_adopts_what_it_made_instead_of_duplicating(fake: FakeAsana) -> None:
    from adops.store import session

    sleeps: list[float] = []
    first = push(parse(PRD), client=client(sleeps))
    with session() as s:  # as if the process died after Asana answered and before our rows were written
        from sqlalchemy import delete

        from adops.integrations.prd_store import PrdItem

        s.execute(delete(PrdItem))
    second = push(parse(PRD), client=client(sleeps))
    assert second.project_gid == first.project_gid and second.created == 0
    assert len(fake.tasks) == 6 and len(fake.sections) == 2


def test_project_name_from_option_and_separate_projects(fake: FakeAsana) -> None:
    sleeps: list[float] = []
    a = push(parse(PRD), project="Q4 plan", client=client(sleeps))
    b = push(parse(PRD), client=client(sleeps))
    assert fake.projects[a.project_gid]["name"] == "Q4 plan" and a.project_gid != b.project_gid


def test_assignee_directory_never_guesses() -> None:
    directory = Directory(
        [
            {"gid": "1", "name": "Ada Ops", "email": "ada@example.com"},
            {"gid": "2", "name": "Ada Lovelace", "email": "ada@other.com"},
            {"gid": "3", "name": "Ben Buyer", "email": "ben@example.com"},
        ]
    )
    assert directory.resolve("ada@other.com") == "2"
    assert directory.resolve("ADA@EXAMPLE.COM") == "1"
    assert directory.resolve("ada") is None  # two users' local part: ambiguous
    assert directory.resolve("adaops") == "1" and directory.resolve("@benbuyer") == "3"
    assert directory.resolve("ben") == "3"
    assert directory.resolve("carl@example.com") is None and directory.resolve("bo") is None


def test_settings_are_required(workspace: Path) -> None:
    workspace.mkdir(parents=True, exist_ok=True)
    with pytest.raises(ConfigError, match="not configured"):
        push(parse(PRD))
    (workspace / "adops.toml").write_text('[integrations.asana]\naccess_token = "x"\n')
    with pytest.raises(ConfigError, match="workspace is missing"):
        push(parse(PRD))


def test_cli_push_json_and_errors(
    fake: FakeAsana, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    prd = tmp_path / "prd.md"
    prd.write_text(PRD)
    code, out, err = run(["prd", "push", "--input", str(prd), "--json"], capsys)
    assert code == 0, err
    document = json.loads(out)
    assert set(document) >= {"project_gid", "created", "updated", "unchanged"}
    assert document["created"] == 9
    code, out, _ = run(["prd", "push", "--input", str(prd), "--json"], capsys)
    assert json.loads(out)["unchanged"] == 9 and json.loads(out)["created"] == 0
    code, out, err = run(["prd", "push", "--input", str(prd), "--project", " ", "--json"], capsys)
    assert code == 2 and err.count("\n") == 1 and "--project" in err
    prd.write_text("# Only prose\n")
    code, out, err = run(["prd", "push", "--input", str(prd), "--json"], capsys)
    assert code == 2 and out == "" and "no tasks" in err and "Traceback" not in err
    assert "asana-pat-1" not in out + err


def test_fake_refuses_what_asana_refuses(fake: FakeAsana) -> None:
    from adops.connectors import BadRequest, PermissionDenied

    asana = client([])
    project = asana.create_project("P", fake.workspace["gid"])
    task = asana.create_task("T", project=project["gid"])
    with pytest.raises(BadRequest, match="colour: Unknown field"):
        asana.update_task(task["gid"], colour="red")
    with pytest.raises(BadRequest, match="task: Not a Long"):
        asana.task("abc")
    with pytest.raises(BadRequest, match="Not a valid GID type"):
        asana.send("POST", "/tasks", {"name": "x", "workspace": 42})
    with pytest.raises(BadRequest, match="specify one of workspace"):
        asana.send("POST", "/tasks", {"name": "x"})
    with pytest.raises(PermissionDenied, match="OAuth"):  # external data is for OAuth apps only
        asana.update_task(task["gid"], external={"gid": "prd:1", "data": "{}"})
    sub = asana.create_subtask(task["gid"], "S", assignee="ben@example.com")
    assert [s["gid"] for s in asana.subtasks(task["gid"])] == [sub["gid"]]
    fake.oauth = True
    asana.update_task(task["gid"], external={"gid": "prd:1", "data": "{}"})
    assert asana.task("external:prd:1")["gid"] == task["gid"]
    with pytest.raises(BadRequest, match="Duplicate external gid"):
        asana.update_task(sub["gid"], external={"gid": "prd:1"})
    with pytest.raises(BadRequest, match="at most 1024"):
        asana.update_task(sub["gid"], external={"gid": "x" * 1025})
