"""Push a PRD's plan into Asana, idempotently: the same PRD twice creates nothing the second time.

Every project, section and task is remembered by its key (its path in the document) in the store's
`prd_items` table, with a fingerprint of what was last sent. A push then:

- creates what has no row yet; before creating, it adopts an untracked Asana object of the same
  name in the same place (a push interrupted between Asana's answer and our row, or a project made
  by hand in an organization where projects need a team), so a retry never duplicates;
- updates what changed in the PRD (name, notes, assignee, due date, done, section), and leaves
  alone what did not (no request at all);
- completes, never deletes, a task that left the PRD.

Assignees resolve against the workspace's users: an e-mail address, or a handle that equals an
e-mail's local part or a name lower-cased without spaces. An unknown or ambiguous assignee is
reported and the task is left unassigned: never a guess. 429s are retried after Retry-After by the
client (`adops.connectors.http`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from adops import clock, config
from adops.errors import ConfigError
from adops.integrations.prd import Plan, Section, Task
from adops.integrations.prd_store import PrdItem

if TYPE_CHECKING:
    from adops.integrations.asana import AsanaClient


@dataclass
class PushResult:
    project_gid: str
    project: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    #: tasks that left the PRD and were completed in Asana (also counted in `updated`)
    completed: int = 0
    unknown_assignees: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# ---------------------------------------------------------------------------- assignees


class Directory:
    """The workspace's users, to resolve assignees as written in a PRD without guessing."""

    def __init__(self, users: list[dict[str, Any]]) -> None:
        self.by_email: dict[str, str] = {}
        handles: dict[str, set[str]] = {}
        for user in users:
            gid = str(user.get("gid") or "")
            email = str(user.get("email") or "").lower()
            name = str(user.get("name") or "")
            if not gid:
                continue
            if email:
                self.by_email[email] = gid
                handles.setdefault(email.split("@")[0], set()).add(gid)
            if name:
                handles.setdefault("".join(name.lower().split()), set()).add(gid)
        self.handles = handles

    def resolve(self, assignee: str) -> str | None:
        """The user gid for `assignee`; None when no user, or more than one, matches."""
        written = assignee.strip().lstrip("@").lower()
        if "@" in written:
            return self.by_email.get(written)
        matches = self.handles.get("".join(written.split()), set())
        return next(iter(matches)) if len(matches) == 1 else None


def unknown_assignees(plan: Plan, directory: Directory) -> list[dict[str, Any]]:
    """Each assignee no user matches, with the tasks that name it."""
    unknown: dict[str, list[str]] = {}
    for task in plan.tasks():
        if task.assignee and directory.resolve(task.assignee) is None:
            unknown.setdefault(task.assignee, []).append(task.name)
    return [{"assignee": a, "tasks": names} for a, names in unknown.items()]


def check_assignees(plan: Plan, client: AsanaClient | None = None) -> list[dict[str, Any]]:
    """The plan's unknown assignees against the configured workspace's users (a read, no writes)."""
    workspace, _ = _settings()
    client = client or _client()
    return unknown_assignees(plan, Directory(client.users(workspace)))


# ---------------------------------------------------------------------------- the push


def push(
    plan: Plan,
    *,
    project: str | None = None,
    client: AsanaClient | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> PushResult:
    """Create or update `plan` in `[integrations.asana]`'s workspace; see the module's rules.

    The project is `project`, else the setting's `project`, else the PRD's `#` heading; the same
    name finds the same Asana project again."""
    workspace, default_project = _settings()
    client = client or _client()
    name = " ".join((project or default_project or plan.project).split())[:200]
    return _Push(client, workspace, name, progress).run(plan)


def settings_fingerprint() -> str:
    """A hash of the workspace and its Asana settings (a page caches owner checks under it)."""
    settings = config.load().integrations.get("asana") or {}
    return _fingerprint({"home": str(config.home()), "asana": sorted(settings.items())})


def _settings() -> tuple[str, str | None]:
    settings = config.load().integrations.get("asana") or {}
    if not settings:
        raise ConfigError("Asana is not configured: add [integrations.asana] with access_token and workspace")
    workspace = str(settings.get("workspace") or "")
    if not workspace:
        raise ConfigError("[integrations.asana] workspace is missing: set it to the Asana workspace's gid")
    return workspace, (str(settings["project"]) if settings.get("project") else None)


def _client() -> AsanaClient:
    from adops.integrations import asana_client

    return asana_client()


def _fingerprint(fields: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(fields, sort_keys=True, default=str).encode()).hexdigest()


class _Push:
    def __init__(
        self,
        client: AsanaClient,
        workspace: str,
        project: str,
        progress: Callable[[int, int], None] | None,
    ) -> None:
        self.client = client
        self.workspace = workspace
        self.project = project
        self.project_key = project.lower()
        self.progress = progress or (lambda done, total: None)
        self.rows: dict[str, PrdItem] = {}
        self._untracked_sections: dict[str, list[str]] | None = None
        self._untracked_tasks: dict[tuple[str | None, str], list[str]] | None = None

    # -- store

    def _load(self) -> None:
        from adops.store import session

        with session() as s:
            rows = s.scalars(
                select(PrdItem).where(
                    PrdItem.workspace == self.workspace, PrdItem.project_key == self.project_key
                )
            ).all()
        self.rows = {r.item_key: r for r in rows}

    def _save(self, key: str, kind: str, gid: str, fingerprint: str, removed: bool = False) -> None:
        """One row, committed at once: what Asana has is recorded before the next request."""
        from adops.store import session

        with session() as s:
            row = s.scalars(
                select(PrdItem).where(
                    PrdItem.workspace == self.workspace,
                    PrdItem.project_key == self.project_key,
                    PrdItem.item_key == key,
                )
            ).one_or_none()
            if row is None:
                row = PrdItem(workspace=self.workspace, project_key=self.project_key, item_key=key)
                s.add(row)
            row.kind, row.gid, row.fingerprint, row.removed = kind, gid, fingerprint, removed
            row.updated_at = clock.now()
        self.rows[key] = row

    # -- the run

    def run(self, plan: Plan) -> PushResult:
        self._load()
        directory = Directory(self.client.users(self.workspace))
        result = PushResult(project_gid="", project=self.project)
        result.unknown_assignees = unknown_assignees(plan, directory)
        project_gid = self._project(result)
        result.project_gid = project_gid
        tasks = plan.tasks()
        total, done = len(plan.sections) + len(tasks), 0
        for section in plan.sections:
            section_gid = self._section(project_gid, section, result)
            done += 1
            self.progress(done, total)
            for top in section.tasks:
                for task, parent in _with_parents(top, None):
                    self._task(project_gid, section_gid, task, parent, directory, result)
                    done += 1
                    self.progress(done, total)
        self._complete_removed({t.key for t in tasks}, result)
        return result

    def _project(self, result: PushResult) -> str:
        row = self.rows.get("")
        fingerprint = _fingerprint({"name": self.project})
        if row is not None:
            result.unchanged += 1
            return row.gid
        found = [p for p in self.client.projects(workspace=self.workspace) if p.get("name") == self.project]
        if len(found) == 1:
            gid = str(found[0]["gid"])
            result.unchanged += 1
        else:
            gid = str(self.client.create_project(self.project, self.workspace)["gid"])
            result.created += 1
        self._save("", "project", gid, fingerprint)
        return gid

    def _section(self, project_gid: str, section: Section, result: PushResult) -> str:
        row = self.rows.get(section.key)
        fingerprint = _fingerprint({"name": section.name})
        if row is not None:
            if row.fingerprint == fingerprint:
                result.unchanged += 1
            else:
                self.client.update_section(row.gid, section.name)
                self._save(section.key, "section", row.gid, fingerprint)
                result.updated += 1
            return row.gid
        adopted = self._adopt_section(project_gid, section.name)
        if adopted:
            gid = adopted
            result.unchanged += 1
        else:
            gid = str(self.client.create_section(project_gid, section.name)["gid"])
            result.created += 1
        self._save(section.key, "section", gid, fingerprint)
        return gid

    def _task(
        self,
        project_gid: str,
        section_gid: str,
        task: Task,
        parent: Task | None,
        directory: Directory,
        result: PushResult,
    ) -> None:
        assignee = directory.resolve(task.assignee) if task.assignee else None
        notes = _notes(task)
        parent_gid = self.rows[parent.key].gid if parent is not None else None
        fields = {
            "name": task.name,
            "notes": notes,
            "assignee": assignee,
            "due_on": task.due_on,
            "completed": task.completed,
        }
        place = {"section": section_gid if parent is None else None, "parent": parent_gid}
        # two halves: what the task says, and where it sits (a move costs one more request)
        fingerprint = _fingerprint(fields)[:32] + _fingerprint(place)[:32]
        row = self.rows.get(task.key)
        if row is not None and row.fingerprint == fingerprint and not row.removed:
            result.unchanged += 1
            return
        if row is not None:
            if row.fingerprint[:32] != fingerprint[:32] or row.removed:
                self.client.update_task(row.gid, **fields)
            if parent is None and row.fingerprint[32:] != fingerprint[32:]:
                self.client.add_to_section(section_gid, row.gid)
            self._save(task.key, "task", row.gid, fingerprint)
            result.updated += 1
            return
        gid = self._adopt_task(project_gid, section_gid, parent_gid, task.name)
        if gid:
            self.client.update_task(gid, **fields)
            result.updated += 1
        else:
            if parent_gid is None:
                created = self.client.create_task(
                    task.name,
                    project=project_gid,
                    section=section_gid,
                    assignee=assignee,
                    due_on=task.due_on,
                    notes=notes,
                )
            else:
                created = self.client.create_subtask(
                    parent_gid, task.name, assignee=assignee, due_on=task.due_on, notes=notes
                )
            gid = str(created["gid"])
            if task.completed:
                self.client.complete_task(gid)
            result.created += 1
        self._save(task.key, "task", gid, fingerprint)

    def _complete_removed(self, keys: set[str], result: PushResult) -> None:
        for key, row in list(self.rows.items()):
            if row.kind != "task" or row.removed or key in keys:
                continue
            self.client.complete_task(row.gid)
            self._save(key, "task", row.gid, row.fingerprint, removed=True)
            result.updated += 1
            result.completed += 1

    # -- adoption of untracked objects (a push cut short, a project made by hand)

    def _tracked(self) -> set[str]:
        return {r.gid for r in self.rows.values()}

    def _adopt_section(self, project_gid: str, name: str) -> str | None:
        if self._untracked_sections is None:
            tracked = self._tracked()
            self._untracked_sections = {}
            for s in self.client.sections(project_gid):
                if str(s["gid"]) not in tracked:
                    self._untracked_sections.setdefault(str(s.get("name")), []).append(str(s["gid"]))
        found = self._untracked_sections.get(name) or []
        return found.pop(0) if found else None

    def _adopt_task(
        self, project_gid: str, section_gid: str, parent_gid: str | None, name: str
    ) -> str | None:
        if self._untracked_tasks is None:
            tracked = self._tracked()
            self._untracked_tasks = {}
            for t in self.client.tasks(project=project_gid):
                if str(t["gid"]) in tracked:
                    continue
                sections = [
                    str((m.get("section") or {}).get("gid"))
                    for m in t.get("memberships") or []
                    if (m.get("project") or {}).get("gid") == project_gid
                ]
                for sec in sections:
                    self._untracked_tasks.setdefault((sec, str(t.get("name"))), []).append(str(t["gid"]))
        if parent_gid is not None:
            tracked = self._tracked()
            for sub in self.client.subtasks(parent_gid):
                if str(sub["gid"]) not in tracked and sub.get("name") == name:
                    return str(sub["gid"])
            return None
        found = self._untracked_tasks.get((section_gid, name)) or []
        return found.pop(0) if found else None


def _with_parents(task: Task, parent: Task | None) -> list[tuple[Task, Task | None]]:
    out = [(task, parent)]
    for sub in task.subtasks:
        out.extend(_with_parents(sub, task))
    return out


def _notes(task: Task) -> str:
    """The task's notes, with where it comes from in the PRD (and its group) on the last line."""
    origin = f"From the PRD: {task.group}" if task.group else "From the PRD"
    return f"{task.notes}\n\n{origin}" if task.notes else origin
