"""A Markdown PRD as a plan of Asana work: project, sections, tasks, subtasks, owners and due dates.

Read with markdown-it-py's syntax tree, never with patterns over raw lines, so prose, quotes and
code blocks never become tasks. The rules (INTERFACES.md, "PRD → Asana"):

- the first `#` heading names the project; `##` headings are sections; deeper headings group the
  tasks under them (the group is kept on each task and in its key);
- task-list items (`- [ ]`, `- [x]`) and the rows of a table with a Task column are tasks; items
  nested under a task are its subtasks;
- `@handle` or an e-mail address is the assignee; an ISO date after `due` or `by`, or in a Due
  column, is the due date; a task's name is its first line without the assignee and the due phrase,
  the rest of the item is its notes; a subtask without its own assignee inherits its parent's.

Every section and task carries a stable key, its path in the document (section / group / name), so
`adops.integrations.prd_push` can push the same or an edited PRD again without duplicating anything.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token
from markdown_it.tree import SyntaxTreeNode

from adops.errors import InputError

#: the largest PRD read (bytes): a requirements document, not a data dump
MAX_PRD_BYTES = 1_000_000
#: the most tasks and subtasks one PRD may plan
MAX_TASKS = 2_000
#: Asana takes long names, but a task name is a line, not a paragraph
MAX_NAME_CHARS = 1_024
MAX_NOTES_CHARS = 20_000
#: tasks before the first `##` heading land in this section
DEFAULT_SECTION = "Tasks"

_CHECKBOX = re.compile(r"^\s*\[([ xX])\]\s+")
_DUE = re.compile(r"\(?\s*\b(due(?:\s+on)?|by)\b\s*:?\s*(\d{4}-\d{1,2}-\d{1,2})\b\s*\)?", re.IGNORECASE)
_EMAIL = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
)
_HANDLE = re.compile(r"(?<![\w@./])@([A-Za-z0-9][A-Za-z0-9._-]{0,63})")
_DONE = {"x", "done", "yes", "y", "true", "complete", "completed", "closed", "[x]", "✓", "✔", "✅"}
_COLUMNS = {
    "task": {"task", "tasks", "task name", "todo", "to do"},
    "assignee": {"assignee", "owner", "owners", "who", "assigned to", "responsible"},
    "due": {"due", "due date", "due on", "deadline", "date due"},
    "done": {"done", "status", "state", "completed", "complete"},
    "notes": {"notes", "description", "details", "note"},
}


@dataclass
class Task:
    """One task (or subtask) of the plan."""

    name: str
    key: str
    notes: str = ""
    assignee: str | None = None
    due_on: str | None = None
    completed: bool = False
    group: str | None = None
    line: int | None = None
    subtasks: list[Task] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "notes": self.notes,
            "assignee": self.assignee,
            "due_on": self.due_on,
            "completed": self.completed,
            "subtasks": [s.to_dict() for s in self.subtasks],
            "key": self.key,
            "group": self.group,
            "line": self.line,
        }

    def walk(self) -> Iterable[Task]:
        yield self
        for sub in self.subtasks:
            yield from sub.walk()


@dataclass
class Section:
    name: str
    key: str
    tasks: list[Task] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "key": self.key, "tasks": [t.to_dict() for t in self.tasks]}


@dataclass
class Plan:
    """What a PRD asks for: the project, its sections and their tasks."""

    project: str
    sections: list[Section] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"project": self.project, "sections": [s.to_dict() for s in self.sections]}

    def tasks(self) -> list[Task]:
        """Every task and subtask, parents before their subtasks."""
        return [t for s in self.sections for top in s.tasks for t in top.walk()]

    def assignees(self) -> list[str]:
        """The assignees as written, each once, in document order."""
        return list(dict.fromkeys(t.assignee for t in self.tasks() if t.assignee))


# ---------------------------------------------------------------------------- reading


def read_prd(data: bytes | str, *, source: str = "PRD") -> Plan:
    """Parse a PRD given as bytes (UTF-8) or text; InputError when it is empty, too big or has no tasks."""
    if isinstance(data, bytes):
        if len(data) > MAX_PRD_BYTES:
            raise InputError(f"{source} is {len(data):,} bytes; the most a PRD may have is {MAX_PRD_BYTES:,}")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InputError(
                f"{source} is not UTF-8 text (byte {exc.start} is not): save it as UTF-8 Markdown"
            ) from None
    else:
        text = data
        if len(text.encode("utf-8")) > MAX_PRD_BYTES:
            raise InputError(f"{source} is larger than {MAX_PRD_BYTES:,} bytes, the most a PRD may have")
    if "\x00" in text:
        raise InputError(f"{source} has NUL bytes: it is not a Markdown text file")
    return parse(text, source=source)


def parse(text: str, *, source: str = "PRD") -> Plan:
    """The plan a Markdown PRD describes (see the module's rules)."""
    if not text.strip():
        raise InputError(f"{source} is empty: write a # heading for the project and - [ ] task items")
    md = MarkdownIt("commonmark", {"maxNesting": 40}).enable("table")
    root = SyntaxTreeNode(md.parse(text))
    reader = _Reader(source)
    for node in root.children:
        reader.block(node)
    return reader.finish()


class _Reader:
    """Walks the top-level blocks in order, keeping the current section and group."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.project: str | None = None
        self.sections: list[Section] = []
        self.section: Section | None = None
        self.groups: dict[int, str] = {}  # heading level -> text, for levels 3 and deeper
        self.keys: set[str] = set()
        self.count = 0

    # -- blocks

    def block(self, node: SyntaxTreeNode) -> None:
        if node.type == "heading":
            self.heading(node)
        elif node.type in ("bullet_list", "ordered_list"):
            for item in node.children:
                self.item(item, parent=None)
        elif node.type == "table":
            self.table(node)
        # paragraphs, quotes, code blocks, HTML and rules are prose: never tasks

    def heading(self, node: SyntaxTreeNode) -> None:
        level = int(node.tag[1:])
        text = _tidy(_inline_text(node)[0])
        if level == 1 and self.project is None:
            if text:
                self.project = _bounded(text, "the project name", _line(node))
            return
        if level <= 2:
            self.groups.clear()
            self.section = None
            if text:
                self.section = self._new_section(text)
            return
        self.groups = {k: v for k, v in self.groups.items() if k < level}
        if text:
            self.groups[level] = text

    def _new_section(self, name: str) -> Section:
        name = _bounded(name, "a section name", None)
        section = Section(name, self._key(_slug(name)))
        self.sections.append(section)
        return section

    def _current(self) -> Section:
        if self.section is None:
            self.section = self._new_section(DEFAULT_SECTION)
        return self.section

    @property
    def group(self) -> str | None:
        return " › ".join(self.groups[k] for k in sorted(self.groups)) or None

    # -- list items

    def item(self, node: SyntaxTreeNode, parent: Task | None) -> None:
        """A list item: a task when it has a checkbox (or sits under a task); else prose whose
        nested lists may still hold tasks."""
        children = list(node.children)
        first = children[0] if children and children[0].type == "paragraph" else None
        plain, scan = _inline_text(first) if first is not None else ("", "")
        box = _CHECKBOX.match(scan)
        if parent is None and box is None:
            for child in children:
                if child.type in ("bullet_list", "ordered_list"):
                    for sub in child.children:
                        self.item(sub, parent=None)
            return
        if box is not None:
            plain, scan = plain[box.end() :], scan[box.end() :]
        head, _, rest = plain.partition("\n")
        scan_head = scan.partition("\n")[0]
        notes = [rest.strip()] if rest.strip() else []
        for child in children[1:]:
            if child.type == "paragraph":
                notes.append(_tidy_lines(_inline_text(child)[0]))
        task = self._task(
            head,
            scan_head,
            line=_line(node),
            parent=parent,
            completed=box is not None and box.group(1) in "xX",
            notes="\n\n".join(n for n in notes if n),
        )
        if task is None:
            return
        for child in children:
            if child.type in ("bullet_list", "ordered_list"):
                for sub in child.children:
                    self.item(sub, parent=task)

    def _task(
        self,
        head: str,
        scan: str,
        *,
        line: int | None,
        parent: Task | None,
        completed: bool,
        notes: str,
        assignee: str | None = None,
        due_on: str | None = None,
    ) -> Task | None:
        name, found_assignee, found_due = _extract(head, scan, line, self.source)
        name = _bounded(name, "a task name", line) if name else ""
        if not name:
            return None  # an empty checkbox: nothing to do
        self.count += 1
        if self.count > MAX_TASKS:
            raise InputError(f"{self.source} plans more than {MAX_TASKS:,} tasks: split it into several PRDs")
        if len(notes) > MAX_NOTES_CHARS:
            raise InputError(
                f"{self.source} line {line}: the task's notes exceed {MAX_NOTES_CHARS:,} characters"
            )
        if parent is None:
            section = self._current()
            group = self.group
            base = f"{section.key}/{_slug(group)}/{_slug(name)}" if group else f"{section.key}/{_slug(name)}"
        else:
            group = parent.group
            base = f"{parent.key}/{_slug(name)}"
        task = Task(
            name=name,
            key=self._key(base),
            notes=notes,
            assignee=assignee or found_assignee or (parent.assignee if parent else None),
            due_on=due_on or found_due,
            completed=completed,
            group=group,
            line=line,
        )
        if parent is None:
            self._current().tasks.append(task)
        else:
            parent.subtasks.append(task)
        return task

    # -- tables

    def table(self, node: SyntaxTreeNode) -> None:
        rows = [tr for part in node.children for tr in part.children]
        if not rows:
            return
        header = [_tidy(_inline_text(cell)[0]).lower() for cell in rows[0].children]
        columns = {
            role: next((i for i, h in enumerate(header) if h in names), None)
            for role, names in _COLUMNS.items()
        }
        if columns["task"] is None:
            return  # a table without a Task column is prose
        for row in rows[1:]:
            cells = [_inline_text(cell) for cell in row.children]
            line = _line(row)

            def cell(role: str, cells: list[tuple[str, str]] = cells) -> tuple[str, str]:
                i = columns[role]
                return cells[i] if i is not None and i < len(cells) else ("", "")

            name, scan = cell("task")
            box = _CHECKBOX.match(scan)
            done = box is not None and box.group(1) in "xX"
            if box is not None:
                name, scan = name[box.end() :], scan[box.end() :]
            due_text = _tidy(cell("due")[0])
            due = _iso_day(due_text, line, self.source, "the Due column") if due_text else None
            owner = _tidy(cell("assignee")[0]).lstrip("@").strip() or None
            status = _tidy(cell("done")[0]).lower()
            self._task(
                name.replace("\n", " "),
                scan.replace("\n", " "),
                line=line,
                parent=None,
                completed=done or status in _DONE,
                notes=_tidy(cell("notes")[0]),
                assignee=owner,
                due_on=due,
            )

    # -- the end

    def _key(self, base: str) -> str:
        """`base`, or `base~2`, `base~3`... when the document repeats a path."""
        if len(base) > 400:
            base = base[:360] + "~" + hashlib.sha256(base.encode()).hexdigest()[:16]
        key, n = base, 1
        while key in self.keys:
            n += 1
            key = f"{base}~{n}"
        self.keys.add(key)
        return key

    def finish(self) -> Plan:
        if self.project is None:
            raise InputError(f"{self.source} has no # heading: its first # heading names the project")
        sections = [s for s in self.sections if s.tasks]
        if not sections:
            raise InputError(
                f"{self.source} has no tasks: write task-list items (- [ ] ...) or a table with a Task column"
            )
        return Plan(self.project, sections)


# ---------------------------------------------------------------------------- the plan from the page


def plan_from_dict(document: Any, *, source: str = "plan") -> Plan:
    """A plan back from its `to_dict()` form (the page's edited preview, a job's params), checked."""
    if not isinstance(document, dict) or not isinstance(document.get("sections"), list):
        raise InputError(f"{source} must be an object with project and sections")
    project = _tidy(str(document.get("project") or ""))
    if not project:
        raise InputError(f"{source}: the project needs a name")
    keys: set[str] = set()
    count = 0

    def task(raw: Any, where: str) -> Task:
        nonlocal count
        if not isinstance(raw, dict):
            raise InputError(f"{source}: {where} must be an object")
        count += 1
        if count > MAX_TASKS:
            raise InputError(f"{source} has more than {MAX_TASKS:,} tasks")
        name = _bounded(_tidy(str(raw.get("name") or "")), f"{where}'s name", None)
        key = str(raw.get("key") or "")
        if not name or not key or len(key) > 500 or key in keys:
            raise InputError(f"{source}: {where} needs a name and a unique key")
        keys.add(key)
        due = raw.get("due_on") or None
        if due is not None:
            due = _iso_day(str(due), None, source, f"{where}'s due_on")
        assignee = _tidy(str(raw.get("assignee") or "")).lstrip("@") or None
        notes = str(raw.get("notes") or "")
        if len(notes) > MAX_NOTES_CHARS or (assignee and len(assignee) > 254):
            raise InputError(f"{source}: {where} has notes or an assignee too long")
        subs = raw.get("subtasks") or []
        if not isinstance(subs, list):
            raise InputError(f"{source}: {where}'s subtasks must be a list")
        return Task(
            name=name,
            key=key,
            notes=notes,
            assignee=assignee,
            due_on=due,
            completed=bool(raw.get("completed")),
            group=(str(raw["group"])[:MAX_NAME_CHARS] if raw.get("group") else None),
            line=raw["line"] if isinstance(raw.get("line"), int) else None,
            subtasks=[task(s, f"{where} › subtask {i + 1}") for i, s in enumerate(subs)],
        )

    sections = []
    for i, raw in enumerate(document["sections"]):
        if not isinstance(raw, dict) or not isinstance(raw.get("tasks"), list):
            raise InputError(f"{source}: section {i + 1} must be an object with tasks")
        name = _bounded(_tidy(str(raw.get("name") or "")), f"section {i + 1}'s name", None)
        key = str(raw.get("key") or "")
        if not name or not key or key in keys:
            raise InputError(f"{source}: section {i + 1} needs a name and a unique key")
        keys.add(key)
        sections.append(
            Section(name, key, [task(t, f"{name} task {j + 1}") for j, t in enumerate(raw["tasks"])])
        )
    if not any(s.tasks for s in sections):
        raise InputError(f"{source} has no tasks")
    return Plan(_bounded(project, "the project name", None), sections)


# ---------------------------------------------------------------------------- text helpers


def _inline_text(node: SyntaxTreeNode | None) -> tuple[str, str]:
    """The plain text of a block's inline content, and the same text with code spans blanked
    (`scan`): assignees and due phrases are looked for in `scan` only, so `@decorator` in code
    stays text. Raw HTML is dropped."""
    if node is None:
        return "", ""
    tokens: list[Token] = []
    for child in node.children:
        if child.type == "inline" and child.token is not None:
            tokens.extend(child.token.children or [])
    plain: list[str] = []
    scan: list[str] = []
    for tok in tokens:
        if tok.type in ("text", "text_special", "image"):
            text = tok.content
            plain.append(text)
            scan.append(text)
        elif tok.type == "code_inline":
            plain.append(tok.content)
            scan.append(" " * len(tok.content))
        elif tok.type in ("softbreak", "hardbreak"):
            plain.append("\n")
            scan.append("\n")
    return "".join(plain), "".join(scan)


def _extract(plain: str, scan: str, line: int | None, source: str) -> tuple[str, str | None, str | None]:
    """(name, assignee, due_on) from a task's first line: the assignee and due phrase cut out."""
    cuts: list[tuple[int, int]] = []
    due = None
    m = _DUE.search(scan)
    if m:
        due = _iso_day(m.group(2), line, source, f"'{m.group(1)}'")
        cuts.append(m.span())
    blanked = _blank(scan, cuts)
    assignee = None
    e = _EMAIL.search(blanked)
    if e:
        assignee = e.group(0)
        cuts.append(e.span())
    else:
        h = _HANDLE.search(blanked)
        if h:
            assignee = h.group(1).rstrip(".-_")
            cuts.append((h.start(), h.start() + 1 + len(assignee)))
    name = plain
    for start, end in sorted(cuts, reverse=True):
        name = name[:start] + " " + name[end:]
    return _tidy(name), assignee, due


def _blank(text: str, spans: list[tuple[int, int]]) -> str:
    for start, end in spans:
        text = text[:start] + " " * (end - start) + text[end:]
    return text


def _iso_day(value: str, line: int | None, source: str, where: str) -> str:
    try:
        parts = [int(p) for p in value.split("-")]
        if len(parts) != 3:
            raise ValueError
        return date(*parts).isoformat()
    except (ValueError, TypeError):
        at = f" line {line}" if line else ""
        raise InputError(
            f"{source}{at}: {value[:40]!r} in {where} is not a date (write YYYY-MM-DD)"
        ) from None


def _tidy(text: str) -> str:
    """Whitespace collapsed, and the separators a cut-out phrase leaves at either end removed."""
    text = " ".join(text.split())
    text = re.sub(r"\(\s*\)|\[\s*\]", " ", text)
    text = re.sub(r"\s+([,;:.!?])", r"\1", " ".join(text.split()))
    return text.strip(" ,;:—–-|")


def _tidy_lines(text: str) -> str:
    return "\n".join(" ".join(line.split()) for line in text.splitlines()).strip()


def _bounded(text: str, what: str, line: int | None) -> str:
    if len(text) > MAX_NAME_CHARS:
        at = f"line {line}: " if line else ""
        raise InputError(f"{at}{what} is {len(text):,} characters; the most is {MAX_NAME_CHARS:,}")
    return text


def _slug(text: str | None) -> str:
    """A path step: lower case, runs of anything but letters and digits as one `-`."""
    return re.sub(r"[^\w]+", "-", (text or "").lower()).strip("-_") or "-"


def _line(node: SyntaxTreeNode) -> int | None:
    return node.map[0] + 1 if node.map else None


# ---------------------------------------------------------------------------- the page's editable table

#: the columns of `plan_rows`, in order; `key` and `level` are not for editing
ROW_COLUMNS = ("section", "level", "task", "assignee", "due_on", "completed", "notes", "key")


def plan_rows(plan: Plan) -> list[dict[str, Any]]:
    """The plan as one row per task and subtask (the page's editor): subtasks indented by level."""
    rows = []
    for section in plan.sections:
        for top in section.tasks:
            for task, depth in _depths(top, 0):
                rows.append(
                    {
                        "section": section.name,
                        "level": depth,
                        "task": task.name,
                        "assignee": task.assignee or "",
                        "due_on": task.due_on or "",
                        "completed": task.completed,
                        "notes": task.notes,
                        "key": task.key,
                    }
                )
    return rows


def with_edits(plan: Plan, rows: list[dict[Any, Any]], sections: dict[str, str] | None = None) -> Plan:
    """`plan` with the page's edits: each row (by key) sets its task's name, assignee, due date,
    done and notes; `sections` maps a section key to a new name. Checked like a parsed PRD."""
    document = plan.to_dict()
    by_key = {str(r.get("key")): r for r in rows}

    def edit(task: dict[str, Any]) -> None:
        row = by_key.get(task["key"])
        if row is not None:
            task["name"] = row.get("task") or ""
            task["assignee"] = row.get("assignee") or None
            due = row.get("due_on")
            task["due_on"] = due.isoformat() if isinstance(due, date) else (str(due) if due else None)
            task["completed"] = bool(row.get("completed"))
            task["notes"] = row.get("notes") or ""
        for sub in task["subtasks"]:
            edit(sub)

    for section in document["sections"]:
        if sections and sections.get(section["key"]):
            section["name"] = sections[section["key"]]
        for task in section["tasks"]:
            edit(task)
    return plan_from_dict(document, source="the edited plan")


def _depths(task: Task, depth: int) -> Iterable[tuple[Task, int]]:
    yield task, depth
    for sub in task.subtasks:
        yield from _depths(sub, depth + 1)
