"""Asana REST API 1.0 client: workspaces, teams, projects, sections and tasks (create, assign, due dates).

Workflows use it to turn findings (an anomaly, a pacing alert, a test readout) into tasks people
own. Asana wraps every body in `{"data": ...}` both ways; lists page with `limit` and the opaque
`next_page.offset`; errors come as `{"errors": [{"message": ...}]}`; 429 carries Retry-After. It
authenticates with a bearer token: a personal access token, or an OAuth2 access token refreshed
with `refresh_token` + `client_id` + `client_secret`. `ADOPS_ASANA_BASE_URL` overrides the host.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

import httpx

from adops.config import AccountConfig
from adops.connectors import paging
from adops.connectors.errors import BadRequest, ConnectorError, PermissionDenied
from adops.connectors.http import ApiClient

API = "/api/1.0"
PAGE_LIMIT = 100  # Asana's largest page
TASK_FIELDS = [
    "name",
    "notes",
    "completed",
    "assignee.name",
    "assignee.email",
    "due_on",
    "due_at",
    "permalink_url",
    "memberships.project.name",
    "memberships.section.name",
]
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class AsanaClient(ApiClient):
    """One method per Asana endpoint; returns the `data` of each answer."""

    platform = "asana"
    default_base_url = "https://app.asana.com"
    default_token_url = "https://app.asana.com/-/oauth_token"

    def __init__(
        self,
        credentials: dict[str, str] | None = None,
        *,
        name: str = "default",
        **kwargs: Any,
    ) -> None:
        """`credentials`: access_token (a PAT or OAuth token), optionally refresh_token, client_id,
        client_secret; values may be `env:NAME` references. `name` keys the persisted OAuth tokens."""
        super().__init__(AccountConfig("asana", name, "api", name, dict(credentials or {})), **kwargs)

    def error_for(self, response: httpx.Response, body: Any) -> ConnectorError | None:
        error = super().error_for(response, body)
        if error is None:
            return None
        errors = body.get("errors") if isinstance(body, dict) else None
        messages = [str(e.get("message")) for e in errors or [] if isinstance(e, dict)]
        if messages and messages[0] not in str(error):
            error.args = (f"{error.args[0]}: {'; '.join(messages)[:300]}",)
        if response.status_code == 402:  # a premium-only feature: not something a retry fixes
            return PermissionDenied(f"{error.args[0]} (needs a paid Asana plan)", status=402)
        return error

    # ------------------------------------------------------------------ plumbing

    def data(self, method: str, path: str, **kwargs: Any) -> Any:
        body = self.request(method, f"{API}{path}", **kwargs)
        if not isinstance(body, dict) or "data" not in body:
            raise BadRequest(f"asana {path}: the answer has no data envelope")
        return body["data"]

    def items(self, path: str, params: dict[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        """Every item of a list endpoint, following `next_page.offset`."""
        return self.paginate(
            f"{API}{path}",
            {**(params or {}), "limit": PAGE_LIMIT},
            items=paging.dig("data"),
            next_page=paging.cursor("offset", paging.dig("next_page", "offset")),
        )

    def send(
        self, method: str, path: str, fields: dict[str, Any], opt_fields: list[str] | None = None
    ) -> Any:
        """POST/PUT a `{"data": fields}` body; returns the answer's `data`."""
        params = {"opt_fields": ",".join(opt_fields)} if opt_fields else None
        return self.data(method, path, json={"data": fields}, params=params)

    # ------------------------------------------------------------------ reads

    def me(self) -> dict[str, Any]:
        return dict(self.data("GET", "/users/me"))

    def workspaces(self) -> list[dict[str, Any]]:
        return list(self.items("/workspaces"))

    def teams(self, workspace: str) -> list[dict[str, Any]]:
        return list(self.items(f"/workspaces/{workspace}/teams"))

    def users(self, workspace: str) -> list[dict[str, Any]]:
        return list(self.items(f"/workspaces/{workspace}/users", {"opt_fields": "name,email"}))

    def projects(
        self, workspace: str | None = None, team: str | None = None, archived: bool = False
    ) -> list[dict[str, Any]]:
        """Projects of a team, or of a workspace."""
        if team:
            return list(self.items(f"/teams/{team}/projects", {"archived": str(archived).lower()}))
        if not workspace:
            raise BadRequest("asana projects: give a workspace or a team")
        return list(self.items("/projects", {"workspace": workspace, "archived": str(archived).lower()}))

    def sections(self, project: str) -> list[dict[str, Any]]:
        return list(self.items(f"/projects/{project}/sections"))

    def tasks(
        self,
        *,
        project: str | None = None,
        section: str | None = None,
        assignee: str | None = None,
        workspace: str | None = None,
        completed_since: str | None = None,
    ) -> list[dict[str, Any]]:
        """Tasks of a project or a section, or of an assignee in a workspace. `completed_since="now"`
        lists only incomplete tasks."""
        params: dict[str, Any] = {"opt_fields": ",".join(TASK_FIELDS)}
        if completed_since:
            params["completed_since"] = completed_since
        if section:
            return list(self.items(f"/sections/{section}/tasks", params))
        if project:
            return list(self.items(f"/projects/{project}/tasks", params))
        if assignee and workspace:
            return list(self.items("/tasks", {**params, "assignee": assignee, "workspace": workspace}))
        raise BadRequest("asana tasks: give a project, a section, or an assignee and a workspace")

    def task(self, task: str) -> dict[str, Any]:
        return dict(self.data("GET", f"/tasks/{task}", params={"opt_fields": ",".join(TASK_FIELDS)}))

    # ------------------------------------------------------------------ writes

    def create_project(
        self, name: str, workspace: str, team: str | None = None, notes: str = ""
    ) -> dict[str, Any]:
        fields: dict[str, Any] = {"name": name, "workspace": workspace, "notes": notes}
        if team:
            fields["team"] = team
        return dict(self.send("POST", "/projects", fields))

    def create_section(self, project: str, name: str) -> dict[str, Any]:
        return dict(self.send("POST", f"/projects/{project}/sections", {"name": name}))

    def ensure_section(self, project: str, name: str) -> dict[str, Any]:
        """The project's section of that name, created when missing (workflows file into fixed columns)."""
        for section in self.sections(project):
            if section.get("name") == name:
                return section
        return self.create_section(project, name)

    def create_task(
        self,
        name: str,
        *,
        workspace: str | None = None,
        project: str | None = None,
        section: str | None = None,
        assignee: str | None = None,
        due_on: date | str | None = None,
        due_at: datetime | str | None = None,
        notes: str = "",
        followers: list[str] | None = None,
    ) -> dict[str, Any]:
        """A task in a project (and section), or in a workspace; assignee is a user gid, an email or "me"."""
        fields: dict[str, Any] = {"name": name, "notes": notes}
        if project:
            fields["projects"] = [project]
            if section:
                fields["memberships"] = [{"project": project, "section": section}]
                del fields["projects"]
        elif workspace:
            fields["workspace"] = workspace
        else:
            raise BadRequest("asana create_task: give a project or a workspace")
        if assignee:
            fields["assignee"] = assignee
        if followers:
            fields["followers"] = followers
        fields.update(_due(due_on, due_at))
        return dict(self.send("POST", "/tasks", fields, TASK_FIELDS))

    def update_task(self, task: str, **fields: Any) -> dict[str, Any]:
        return dict(self.send("PUT", f"/tasks/{task}", fields, TASK_FIELDS))

    def assign_task(self, task: str, assignee: str | None) -> dict[str, Any]:
        """Assign to a user gid, an email or "me"; None unassigns."""
        return self.update_task(task, assignee=assignee)

    def set_due(
        self, task: str, due_on: date | str | None = None, due_at: datetime | str | None = None
    ) -> dict[str, Any]:
        """Set a due day or a due instant; neither clears the due date."""
        fields = _due(due_on, due_at) or {"due_on": None}
        return self.update_task(task, **fields)

    def complete_task(self, task: str, completed: bool = True) -> dict[str, Any]:
        return self.update_task(task, completed=completed)

    def subtasks(self, task: str) -> list[dict[str, Any]]:
        return list(self.items(f"/tasks/{task}/subtasks", {"opt_fields": ",".join(TASK_FIELDS)}))

    def create_subtask(
        self,
        parent: str,
        name: str,
        *,
        assignee: str | None = None,
        due_on: date | str | None = None,
        notes: str = "",
    ) -> dict[str, Any]:
        """A subtask of `parent` (subtasks belong to no project of their own)."""
        fields: dict[str, Any] = {"name": name, "notes": notes}
        if assignee:
            fields["assignee"] = assignee
        fields.update(_due(due_on, None))
        return dict(self.send("POST", f"/tasks/{parent}/subtasks", fields, TASK_FIELDS))

    def update_section(self, section: str, name: str) -> dict[str, Any]:
        return dict(self.send("PUT", f"/sections/{section}", {"name": name}))

    def add_to_section(self, section: str, task: str) -> None:
        self.send("POST", f"/sections/{section}/addTask", {"task": task})

    def comment(self, task: str, text: str) -> dict[str, Any]:
        return dict(self.send("POST", f"/tasks/{task}/stories", {"text": text}))


def _due(due_on: date | str | None, due_at: datetime | str | None) -> dict[str, Any]:
    """Asana takes either `due_on` (YYYY-MM-DD) or `due_at` (an ISO 8601 instant), never both."""
    if due_on is not None and due_at is not None:
        raise BadRequest("asana: give due_on or due_at, not both")
    if due_on is not None:
        value = due_on.isoformat() if isinstance(due_on, date) else str(due_on)
        if not _DAY.match(value):
            raise BadRequest(f"asana due_on must be YYYY-MM-DD, got {value!r}")
        return {"due_on": value}
    if due_at is not None:
        if isinstance(due_at, datetime):
            if due_at.tzinfo is None:
                raise BadRequest("asana due_at needs a time zone")
            return {"due_at": due_at.isoformat()}
        return {"due_at": str(due_at)}
    return {}
