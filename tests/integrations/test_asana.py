"""Asana client against the fake API: reads with paging, task writes, faults, token refresh."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest

from adops.connectors import AuthError, BadRequest, PermissionDenied, RateLimited, TransientError
from adops.connectors.retry import RetryPolicy
from adops.integrations.asana import AsanaClient
from tests.connectors.conftest import serve
from tests.connectors.fakes.asana import FakeAsana


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeAsana]:
    state = FakeAsana()
    with serve(state.app) as url:
        monkeypatch.setenv("ADOPS_ASANA_BASE_URL", url)
        monkeypatch.setenv("ADOPS_ASANA_TOKEN_URL", f"{url}/-/oauth_token")
        yield state


def client(sleeps: list[float] | None = None, attempts: int = 5, **creds: str) -> AsanaClient:
    record = sleeps.append if sleeps is not None else (lambda s: None)
    return AsanaClient(
        creds or {"access_token": "asana-pat-1"}, sleep=record, policy=RetryPolicy(attempts=attempts)
    )


def test_workspaces_teams_and_paged_projects(fake: FakeAsana) -> None:
    asana = client()
    assert asana.me()["email"] == "ada@example.com"
    [ws] = asana.workspaces()
    assert ws["name"] == "Acme"
    assert len(asana.teams(ws["gid"])) == 3
    projects = asana.projects(workspace=ws["gid"])
    assert len(projects) == 110 and len({p["gid"] for p in projects}) == 110  # 2 pages, archived left out
    pages = [c for c in fake.calls if c["path"] == "/api/1.0/projects"]
    assert len(pages) == 2 and pages[0]["query"]["limit"] == "100" and "offset" in pages[1]["query"]
    assert len(asana.projects(team=fake.team, archived=True)) == 10
    with pytest.raises(BadRequest, match="workspace or a team"):
        asana.projects()


def test_projects_sections_and_tasks(fake: FakeAsana) -> None:
    asana = client()
    ws = fake.workspace["gid"]
    project = asana.create_project("Ad ops: anomalies", ws, team=fake.team)
    assert project["name"] == "Ad ops: anomalies" and project["gid"] in fake.projects
    triage = asana.ensure_section(project["gid"], "Triage")
    assert asana.ensure_section(project["gid"], "Triage")["gid"] == triage["gid"]  # found, not duplicated
    done = asana.create_section(project["gid"], "Done")
    task = asana.create_task(
        "Spend spike on TikTok",
        project=project["gid"],
        section=triage["gid"],
        assignee="ben@example.com",
        due_on=date(2026, 11, 26),
        notes="Spend 3x the forecast on 2026-11-23",
    )
    assert task["assignee"]["name"] == "Ben Buyer" and task["due_on"] == "2026-11-26"
    assert task["memberships"][0]["section"]["name"] == "Triage"
    assert asana.assign_task(task["gid"], "me")["assignee"]["email"] == "ada@example.com"
    due = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
    assert asana.set_due(task["gid"], due_at=due)["due_at"] == due.isoformat()
    assert asana.set_due(task["gid"])["due_on"] is None
    assert [t["gid"] for t in asana.tasks(section=triage["gid"])] == [task["gid"]]
    asana.add_to_section(done["gid"], task["gid"])
    assert asana.tasks(section=triage["gid"]) == [] and len(asana.tasks(section=done["gid"])) == 1
    asana.comment(task["gid"], "Budget capped at 80/day")
    assert fake.tasks[task["gid"]]["stories"][0]["text"] == "Budget capped at 80/day"
    asana.complete_task(task["gid"])
    assert asana.tasks(project=project["gid"], completed_since="now") == []
    assert asana.task(task["gid"])["completed"] is True
    mine = asana.tasks(assignee="me", workspace=ws)
    assert [t["gid"] for t in mine] == [task["gid"]]
    loose = asana.create_task("Check pacing", workspace=ws)
    assert loose["assignee"] is None


def test_bad_input_is_refused_before_or_by_asana(fake: FakeAsana) -> None:
    asana = client()
    with pytest.raises(BadRequest, match="not both"):
        asana.create_task(
            "x", workspace=fake.workspace["gid"], due_on="2026-11-30", due_at="2026-11-30T10:00:00Z"
        )
    with pytest.raises(BadRequest, match="YYYY-MM-DD"):
        asana.create_task("x", workspace=fake.workspace["gid"], due_on="30/11/2026")
    with pytest.raises(BadRequest, match="project or a workspace"):
        asana.create_task("x")
    with pytest.raises(BadRequest, match="Not a recognized ID"):  # Asana's own message comes through
        asana.create_task("x", workspace=fake.workspace["gid"], assignee="nobody@example.com")
    with pytest.raises(BadRequest, match="project, a section"):
        asana.tasks()


def test_429_5xx_and_malformed_bodies_are_retried(fake: FakeAsana) -> None:
    sleeps: list[float] = []
    fake.fail("/projects", "429")
    fake.fail("/projects", "5xx", times=2)
    fake.fail("/projects", "malformed")
    assert len(client(sleeps).projects(workspace=fake.workspace["gid"])) == 110
    assert sleeps[0] == 7.0 and len(sleeps) == 4  # Retry-After honoured
    fake.fail("/workspaces", "429", times=5)
    with pytest.raises(RateLimited, match="too many requests") as exc:
        client(attempts=3).workspaces()
    assert exc.value.retry_after == 7.0
    fake.faults.clear()
    fake.fail("/workspaces", "malformed", times=5)
    with pytest.raises(TransientError):
        client(attempts=2).workspaces()


def test_auth_refresh_and_redaction(fake: FakeAsana) -> None:
    with pytest.raises(AuthError, match="Not Authorized") as exc:
        client(access_token="asana-wrong-pat").workspaces()
    assert "asana-wrong-pat" not in str(exc.value)
    creds = {
        "access_token": "asana-pat-1",
        "refresh_token": "asana-refresh-1",
        "client_id": "asana-client",
        "client_secret": "asana-secret",
    }
    fake.fail("/workspaces", "expired")
    assert len(client(**creds).workspaces()) == 1 and fake.refreshes == 1
    later = client(**creds)  # the refreshed access token is reused while it is valid
    assert later.access_token == "asana-oauth-1" and later.workspaces() and fake.refreshes == 1


def test_env_references_and_premium_only_features(fake: FakeAsana, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASANA_PAT", "asana-pat-1")
    asana = AsanaClient({"access_token": "env:ASANA_PAT"}, sleep=lambda s: None)
    assert asana.me()["name"] == "Ada Ops"
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def premium(request):  # type: ignore[no-untyped-def]
        return JSONResponse(
            {"errors": [{"message": "This feature is only available to premium users."}]}, 402
        )

    with serve(Starlette(routes=[Route("/api/1.0/workspaces", premium)])) as url:
        monkeypatch.setenv("ADOPS_ASANA_BASE_URL", url)
        with pytest.raises(PermissionDenied, match="premium"):
            AsanaClient({"access_token": "env:ASANA_PAT"}).workspaces()
