"""A fake Asana REST API 1.0 that checks requests the way the real one does.

Bearer auth; `{"data": ...}` bodies both ways; `limit` (1-100) with opaque `offset` tokens and
`next_page`; `opt_fields`; the same required filters as Asana (GET /tasks needs an assignee and a
workspace); `{"errors": [{"message", "help"}]}` errors. Task writes refuse fields Asana does not
know, gids that are not strings of digits ("Not a Long", "Not a valid GID type"), and `external` data
from anything but an OAuth token (it is app-specific in Asana), an external gid over 1,024 characters
or one another task of the workspace already has. Faults (`fail(path, kind)`): "429" (with
Retry-After), "5xx", "malformed", "expired" (the token stops working until refreshed).
"""

from __future__ import annotations

import base64
import itertools
import json
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

API = "/api/1.0"


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse(
        {
            "errors": [
                {"message": message, "help": "For more information on API status codes ... see the docs"}
            ]
        },
        status,
    )


@dataclass
class FakeAsana:
    token: str = "asana-pat-1"
    client_id: str = "asana-client"
    client_secret: str = "asana-secret"
    refresh_token: str = "asana-refresh-1"
    faults: list[tuple[str, str]] = field(default_factory=list)
    calls: list[dict[str, Any]] = field(default_factory=list)
    refreshes: int = 0

    def __post_init__(self) -> None:
        self._gids = itertools.count(1_200_000_000_000_001)
        self.workspace = self._new("workspace", name="Acme")
        self.users = {
            u["gid"]: u
            for u in (
                self._new("user", name="Ada Ops", email="ada@example.com"),
                self._new("user", name="Ben Buyer", email="ben@example.com"),
            )
        }
        self.me = next(iter(self.users.values()))
        self.teams = {t["gid"]: t for t in (self._new("team", name=f"Team {i}") for i in range(3))}
        self.team = next(iter(self.teams))
        self.projects: dict[str, dict[str, Any]] = {}
        self.sections: dict[str, dict[str, Any]] = {}
        self.tasks: dict[str, dict[str, Any]] = {}
        for i in range(120):  # more than one page of projects
            p = self._new("project", name=f"Project {i:03d}", archived=i >= 110, notes="")
            p["team"], p["workspace"] = self.team, self.workspace["gid"]
            self.projects[p["gid"]] = p
        self.valid_tokens = {self.token}
        self.oauth = False  # a PAT until a refresh hands out an OAuth token

    def _new(self, kind: str, **fields: Any) -> dict[str, Any]:
        return {"gid": str(next(self._gids)), "resource_type": kind, **fields}

    def fail(self, path: str, kind: str, times: int = 1) -> None:
        self.faults.extend([(path, kind)] * times)

    # ------------------------------------------------------------------ app

    @property
    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route(f"{API}/users/me", self._me),
                Route(f"{API}/workspaces", self._list(lambda r: [self.workspace])),
                Route(f"{API}/workspaces/{{gid}}/teams", self._list(self._teams)),
                Route(f"{API}/workspaces/{{gid}}/users", self._list(self._users)),
                Route(f"{API}/teams/{{gid}}/projects", self._list(self._team_projects)),
                Route(f"{API}/projects", self._projects, methods=["GET", "POST"]),
                Route(f"{API}/projects/{{gid}}/sections", self._sections, methods=["GET", "POST"]),
                Route(f"{API}/projects/{{gid}}/tasks", self._list(self._project_tasks)),
                Route(f"{API}/sections/{{gid}}/tasks", self._list(self._section_tasks)),
                Route(f"{API}/sections/{{gid}}/addTask", self._add_task, methods=["POST"]),
                Route(f"{API}/tasks", self._tasks, methods=["GET", "POST"]),
                Route(f"{API}/tasks/{{gid}}", self._task, methods=["GET", "PUT"]),
                Route(f"{API}/tasks/{{gid}}/stories", self._story, methods=["POST"]),
                Route(f"{API}/tasks/{{gid}}/subtasks", self._subtasks, methods=["GET", "POST"]),
                Route(f"{API}/sections/{{gid}}", self._section, methods=["GET", "PUT"]),
                Route("/-/oauth_token", self._oauth, methods=["POST"]),
            ]
        )

    def _gate(self, request: Request) -> Response | None:
        path = request.url.path
        self.calls.append({"method": request.method, "path": path, "query": dict(request.query_params)})
        for i, (needle, kind) in enumerate(self.faults):
            if needle in path:
                del self.faults[i]
                if kind == "429":
                    return JSONResponse(
                        {"errors": [{"message": "You have made too many requests recently."}]},
                        429,
                        {"Retry-After": "7"},
                    )
                if kind == "5xx":
                    return _error(500, "Server Error")
                if kind == "malformed":
                    return PlainTextResponse('{"data": [{"gid": ', media_type="application/json")
                if kind == "expired":
                    self.valid_tokens.clear()
                break
        gid = request.path_params.get("gid")
        if gid is not None and not str(gid).isdigit() and not str(gid).startswith("external:"):
            kind = path.removeprefix(API).split("/")[1].rstrip("s")
            return _error(400, f"{kind}: Not a Long: {str(gid)[:40]}")
        auth = request.headers.get("authorization", "")
        if not auth.startswith("Bearer ") or auth.removeprefix("Bearer ") not in self.valid_tokens:
            return _error(401, "Not Authorized")
        return None

    async def _body(self, request: Request) -> dict[str, Any] | Response:
        try:
            body = json.loads(await request.body())
        except ValueError:
            return _error(400, "Could not parse request data, invalid JSON")
        if not isinstance(body, dict) or not isinstance(body.get("data"), dict):
            return _error(400, 'Request data must be a JSON object with a "data" key')
        return dict(body["data"])

    def _page(self, request: Request, items: list[dict[str, Any]]) -> Response:
        params = request.query_params
        shown = [self._fields(i, params.get("opt_fields")) for i in items]
        if "limit" not in params:
            if len(items) > 1000:
                return _error(
                    400, "The result is too large. You should use pagination (may require passing a limit)."
                )
            return JSONResponse({"data": shown})
        try:
            limit = int(params["limit"])
        except ValueError:
            return _error(400, "limit: Not an integer")
        if not 1 <= limit <= 100:
            return _error(400, "limit: Must be between 1 and 100")
        start = 0
        if "offset" in params:
            try:
                start = int(json.loads(base64.urlsafe_b64decode(params["offset"]))["i"])
            except (ValueError, KeyError, TypeError):
                return _error(400, "offset: Your pagination token is invalid.")
        body: dict[str, Any] = {"data": shown[start : start + limit], "next_page": None}
        if start + limit < len(items):
            token = base64.urlsafe_b64encode(json.dumps({"i": start + limit}).encode()).decode()
            body["next_page"] = {
                "offset": token,
                "path": f"{request.url.path}?limit={limit}&offset={token}",
                "uri": f"https://app.asana.com{request.url.path}?limit={limit}&offset={token}",
            }
        return JSONResponse(body)

    def _fields(self, item: dict[str, Any], opt_fields: str | None) -> dict[str, Any]:
        """Compact records (gid, resource_type, name) unless opt_fields asks for more."""
        if not opt_fields:
            return {k: item[k] for k in ("gid", "resource_type", "name") if k in item}
        out = {"gid": item["gid"]}
        for f in opt_fields.split(","):
            top = f.split(".")[0]
            if top in item:
                out[top] = item[top]
        return out

    def _list(self, select):  # type: ignore[no-untyped-def]
        async def handler(request: Request) -> Response:
            if denied := self._gate(request):
                return denied
            items = select(request)
            if isinstance(items, Response):
                return items
            return self._page(request, items)

        return handler

    # ------------------------------------------------------------------ selections

    def _teams(self, request: Request) -> list[dict[str, Any]] | Response:
        if request.path_params["gid"] != self.workspace["gid"]:
            return _error(404, "workspace: Unknown object")
        return list(self.teams.values())

    def _users(self, request: Request) -> list[dict[str, Any]] | Response:
        return list(self.users.values())

    def _team_projects(self, request: Request) -> list[dict[str, Any]] | Response:
        if request.path_params["gid"] not in self.teams:
            return _error(404, "team: Unknown object")
        archived = request.query_params.get("archived")
        return [
            p
            for p in self.projects.values()
            if p["team"] == request.path_params["gid"]
            and (archived is None or str(p["archived"]).lower() == archived)
        ]

    def _project_tasks(self, request: Request) -> list[dict[str, Any]] | Response:
        gid = request.path_params["gid"]
        if gid not in self.projects:
            return _error(404, "project: Unknown object")
        return self._filter(request, [t for t in self.tasks.values() if gid in _projects(t)])

    def _section_tasks(self, request: Request) -> list[dict[str, Any]] | Response:
        gid = request.path_params["gid"]
        if gid not in self.sections:
            return _error(404, "section: Unknown object")
        return self._filter(request, [t for t in self.tasks.values() if gid in _sections(t)])

    def _filter(self, request: Request, tasks: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if request.query_params.get("completed_since") == "now":
            tasks = [t for t in tasks if not t["completed"]]
        return tasks

    # ------------------------------------------------------------------ handlers

    async def _me(self, request: Request) -> Response:
        if denied := self._gate(request):
            return denied
        return JSONResponse({"data": {**self.me, "workspaces": [self.workspace]}})

    async def _projects(self, request: Request) -> Response:
        if denied := self._gate(request):
            return denied
        if request.method == "GET":
            ws = request.query_params.get("workspace")
            if not ws:
                return _error(400, "workspace: Missing input")
            archived = request.query_params.get("archived")
            items = [
                p
                for p in self.projects.values()
                if archived is None or str(p["archived"]).lower() == archived
            ]
            return self._page(request, items)
        data = await self._body(request)
        if isinstance(data, Response):
            return data
        if not data.get("name") or data.get("workspace") != self.workspace["gid"]:
            return _error(
                400, "workspace: Missing input" if not data.get("workspace") else "name: Missing input"
            )
        if data.get("team") and data["team"] not in self.teams:
            return _error(404, "team: Unknown object")
        project = self._new("project", name=data["name"], notes=data.get("notes", ""), archived=False)
        project["team"], project["workspace"] = data.get("team", self.team), self.workspace["gid"]
        self.projects[project["gid"]] = project
        return JSONResponse({"data": project}, 201)

    async def _sections(self, request: Request) -> Response:
        if denied := self._gate(request):
            return denied
        gid = request.path_params["gid"]
        if gid not in self.projects:
            return _error(404, "project: Unknown object")
        if request.method == "GET":
            return self._page(request, [s for s in self.sections.values() if s["project"]["gid"] == gid])
        data = await self._body(request)
        if isinstance(data, Response):
            return data
        if not data.get("name"):
            return _error(400, "name: Missing input")
        section = self._new("section", name=data["name"])
        section["project"] = {"gid": gid, "resource_type": "project", "name": self.projects[gid]["name"]}
        self.sections[section["gid"]] = section
        return JSONResponse({"data": section}, 201)

    def _user(self, value: Any) -> dict[str, Any] | None | Response:
        if value is None:
            return None
        if value == "me":
            return self.me
        for u in self.users.values():
            if value in (u["gid"], u["email"]):
                return u
        return _error(400, f"assignee: Not a recognized ID: {value}")

    def _apply(self, task: dict[str, Any], data: dict[str, Any]) -> Response | None:
        unknown = sorted(set(data) - TASK_WRITE_FIELDS)
        if unknown:
            return _error(400, f"{unknown[0]}: Unknown field")
        if "external" in data and (error := self._external(task, data["external"])):
            return error
        if "due_on" in data and "due_at" in data and data["due_on"] and data["due_at"]:
            return _error(400, "You may only provide one of due_on or due_at!")
        if "assignee" in data:
            user = self._user(data["assignee"])
            if isinstance(user, Response):
                return user
            task["assignee"] = (
                None if user is None else {"gid": user["gid"], "name": user["name"], "email": user["email"]}
            )
        for key in ("name", "notes", "completed"):
            if key in data:
                task[key] = data[key]
        if "due_on" in data:
            task["due_on"], task["due_at"] = data["due_on"], None
        if "due_at" in data:
            task["due_at"] = data["due_at"]
            task["due_on"] = data["due_at"][:10] if data["due_at"] else None
        return None

    def _external(self, task: dict[str, Any], external: Any) -> Response | None:
        """Asana's custom external data: OAuth apps only; gid <= 1,024, data <= 32,768 characters,
        an external gid unique in the workspace."""
        if not self.oauth:
            return _error(403, "external: Custom external data requires OAuth authentication")
        if not isinstance(external, dict) or set(external) - {"gid", "data"}:
            return _error(400, "external: Must be an object with gid and data")
        ext_gid, blob = external.get("gid"), external.get("data")
        if ext_gid is not None and (not isinstance(ext_gid, str) or len(ext_gid) > 1024):
            return _error(400, "external.gid: Must be a string of at most 1024 characters")
        if blob is not None and (not isinstance(blob, str) or len(blob) > 32768):
            return _error(400, "external.data: Must be a string of at most 32768 characters")
        if ext_gid and any(
            t is not task and (t.get("external") or {}).get("gid") == ext_gid for t in self.tasks.values()
        ):
            return _error(400, f"external.gid: Duplicate external gid: {ext_gid[:40]}")
        task["external"] = {"gid": ext_gid, "data": blob}
        return None

    def _lookup(self, gid: str) -> dict[str, Any] | None:
        """A task by gid, or by `external:<gid>`."""
        if gid.startswith("external:"):
            ext = gid.removeprefix("external:")
            return next((t for t in self.tasks.values() if (t.get("external") or {}).get("gid") == ext), None)
        return self.tasks.get(gid)

    async def _tasks(self, request: Request) -> Response:
        if denied := self._gate(request):
            return denied
        if request.method == "GET":
            q = request.query_params
            if not ((q.get("assignee") and q.get("workspace")) or q.get("project") or q.get("section")):
                return _error(
                    400,
                    "Must specify exactly one of project, tag, section, user task list, or assignee + workspace",
                )
            user = self._user(q.get("assignee")) if q.get("assignee") else None
            items = [
                t
                for t in self.tasks.values()
                if (not user or isinstance(user, Response) or (t["assignee"] or {}).get("gid") == user["gid"])
                and (not q.get("project") or q["project"] in _projects(t))
            ]
            return self._page(request, self._filter(request, items))
        data = await self._body(request)
        if isinstance(data, Response):
            return data
        if error := _gid_types(data):
            return error
        memberships = []
        for m in data.get("memberships") or []:
            if m.get("project") not in self.projects or (
                m.get("section") and m["section"] not in self.sections
            ):
                return _error(404, "memberships: Unknown object")
            section = self.sections.get(m.get("section", ""))
            memberships.append(
                {"project": _ref(self.projects[m["project"]]), "section": _ref(section) if section else None}
            )
        for p in data.get("projects") or []:
            if p not in self.projects:
                return _error(404, f"projects: Unknown object: {p}")
            memberships.append({"project": _ref(self.projects[p]), "section": None})
        if not memberships and data.get("workspace") != self.workspace["gid"]:
            return _error(400, "You should specify one of workspace, parent, projects")
        if not data.get("name"):
            return _error(400, "name: Missing input")
        task = self._new("task", name="", notes="", completed=False, assignee=None, due_on=None, due_at=None)
        task["memberships"] = memberships
        task["permalink_url"] = f"https://app.asana.com/0/0/{task['gid']}"
        if error := self._apply(task, data):
            return error
        self.tasks[task["gid"]] = task
        return JSONResponse({"data": self._fields(task, request.query_params.get("opt_fields"))}, 201)

    async def _task(self, request: Request) -> Response:
        if denied := self._gate(request):
            return denied
        task = self._lookup(request.path_params["gid"])
        if task is None:
            return _error(404, "task: Unknown object")
        if request.method == "PUT":
            data = await self._body(request)
            if isinstance(data, Response):
                return data
            if error := self._apply(task, data):
                return error
        return JSONResponse({"data": self._fields(task, request.query_params.get("opt_fields"))})

    async def _subtasks(self, request: Request) -> Response:
        if denied := self._gate(request):
            return denied
        parent = self._lookup(request.path_params["gid"])
        if parent is None:
            return _error(404, "task: Unknown object")
        if request.method == "GET":
            return self._page(
                request,
                [t for t in self.tasks.values() if (t.get("parent") or {}).get("gid") == parent["gid"]],
            )
        data = await self._body(request)
        if isinstance(data, Response):
            return data
        if error := _gid_types(data):
            return error
        if not data.get("name"):
            return _error(400, "name: Missing input")
        task = self._new("task", name="", notes="", completed=False, assignee=None, due_on=None, due_at=None)
        task["memberships"], task["parent"] = [], _ref(parent)
        task["permalink_url"] = f"https://app.asana.com/0/0/{task['gid']}"
        if error := self._apply(task, data):
            return error
        self.tasks[task["gid"]] = task
        return JSONResponse({"data": self._fields(task, request.query_params.get("opt_fields"))}, 201)

    async def _section(self, request: Request) -> Response:
        if denied := self._gate(request):
            return denied
        section = self.sections.get(request.path_params["gid"])
        if section is None:
            return _error(404, "section: Unknown object")
        if request.method == "PUT":
            data = await self._body(request)
            if isinstance(data, Response):
                return data
            unknown = sorted(set(data) - {"name", "insert_before", "insert_after"})
            if unknown:
                return _error(400, f"{unknown[0]}: Unknown field")
            if not isinstance(data.get("name"), str) or not data["name"].strip():
                return _error(400, "name: Missing input")
            section["name"] = data["name"]
        return JSONResponse({"data": section})

    async def _add_task(self, request: Request) -> Response:
        if denied := self._gate(request):
            return denied
        section = self.sections.get(request.path_params["gid"])
        data = await self._body(request)
        if isinstance(data, Response):
            return data
        task = self.tasks.get(str(data.get("task")))
        if section is None or task is None:
            return _error(404, "Unknown object")
        project = section["project"]["gid"]
        task["memberships"] = [m for m in task["memberships"] if m["project"]["gid"] != project]
        task["memberships"].append({"project": _ref(self.projects[project]), "section": _ref(section)})
        return JSONResponse({"data": {}})

    async def _story(self, request: Request) -> Response:
        if denied := self._gate(request):
            return denied
        task = self.tasks.get(request.path_params["gid"])
        data = await self._body(request)
        if isinstance(data, Response):
            return data
        if task is None:
            return _error(404, "task: Unknown object")
        story = self._new("story", text=data.get("text", ""), type="comment")
        task.setdefault("stories", []).append(story)
        return JSONResponse({"data": story}, 201)

    async def _oauth(self, request: Request) -> Response:
        form = await request.form()
        if (form.get("client_id"), form.get("client_secret")) != (self.client_id, self.client_secret):
            return JSONResponse(
                {"error": "invalid_client", "error_description": "Client authentication failed"}, 401
            )
        if form.get("grant_type") != "refresh_token" or form.get("refresh_token") != self.refresh_token:
            return JSONResponse({"error": "invalid_grant", "error_description": "Invalid refresh token"}, 400)
        self.refreshes += 1
        self.token = f"asana-oauth-{self.refreshes}"
        self.valid_tokens = {self.token}
        self.oauth = True
        return JSONResponse(
            {
                "access_token": self.token,
                "token_type": "bearer",
                "expires_in": 3600,
                "data": {"id": self.me["gid"], "gid": self.me["gid"], "name": self.me["name"]},
            }
        )


#: the task fields Asana takes on POST /tasks and PUT /tasks/{gid}; anything else is refused
TASK_WRITE_FIELDS = {
    "name",
    "notes",
    "html_notes",
    "assignee",
    "assignee_section",
    "due_on",
    "due_at",
    "start_on",
    "start_at",
    "completed",
    "projects",
    "memberships",
    "workspace",
    "parent",
    "followers",
    "tags",
    "external",
    "resource_subtype",
    "custom_fields",
    "approval_status",
    "liked",
}


def _gid_types(data: dict[str, Any]) -> Response | None:
    """Asana's gids are strings of digits: a number is "Not a valid GID type", text "Not a Long"."""
    refs: list[tuple[str, Any]] = [("workspace", data.get("workspace")), ("parent", data.get("parent"))]
    refs += [("projects", p) for p in data.get("projects") or []]
    for m in data.get("memberships") or []:
        if isinstance(m, dict):
            refs += [("project", m.get("project")), ("section", m.get("section"))]
    for name, value in refs:
        if value is None:
            continue
        if not isinstance(value, str):
            return _error(400, f"{name}: Not a valid GID type: {type(value).__name__}")
        if not value.isdigit():
            return _error(400, f"{name}: Not a Long: {value[:40]}")
    return None


def _ref(item: dict[str, Any]) -> dict[str, Any]:
    return {"gid": item["gid"], "resource_type": item["resource_type"], "name": item["name"]}


def _projects(task: dict[str, Any]) -> set[str]:
    return {m["project"]["gid"] for m in task["memberships"]}


def _sections(task: dict[str, Any]) -> set[str]:
    return {m["section"]["gid"] for m in task["memberships"] if m.get("section")}
