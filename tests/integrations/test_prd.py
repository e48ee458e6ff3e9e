"""PRD parsing: every rule of INTERFACES.md "PRD → Asana", tables, nesting, dates, and hostile input."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from adops.errors import InputError
from adops.integrations.prd import MAX_PRD_BYTES, MAX_TASKS, Plan, parse, plan_from_dict, read_prd
from tests.cli_support import run

PRD = """\
# Q1 Launch

Intro prose mentions a - [ ] fake task, @nobody and due 2026-01-01: none of it is a task.

## Creative
- [ ] Write the brief @ada due 2026-12-20
  Context for the brief, on its second line.

  A second paragraph of notes.
  - [ ] Collect references
  - [x] Draft copy by 2026-12-15 @ben
    - Nested plain item is a sub-subtask
- [x] Book the shoot ben@example.com
- A plain bullet is prose
  - [ ] A task under prose is a task (due: 2026-12-31)

### Video
- [ ] Cut the 15s spot @carl
#### Cutdowns
- [ ] Make the 6s cut

```
- [ ] a task in a fenced code block is not a task @ada
```

    - [ ] neither is one in an indented code block

> - [ ] nor one in a quote

<div>
- [ ] nor one in raw HTML
</div>

## Media
| Task | Owner | Due | Status | Notes |
|------|-------|-----|--------|-------|
| Set budgets | @ada | 2026-12-10 | done | Daily caps |
| Traffic the `@tags` | ben@example.com | | | |
| Same name | | | | |
| Same name | | | | |
|  | @ada | | | |

| Metric | Target |
|--------|--------|
| CPA | 20 |

1. [ ] Ordered items count too, owner Ada Ops? no: @ada.ops
"""


def tasks(plan: Plan) -> dict[str, dict]:
    return {t.key: t.to_dict() for t in plan.tasks()}


def test_project_sections_groups_and_tasks() -> None:
    plan = parse(PRD)
    assert plan.project == "Q1 Launch"
    assert [s.name for s in plan.sections] == ["Creative", "Media"]
    got = tasks(plan)
    assert list(got) == [
        "creative/write-the-brief",
        "creative/write-the-brief/collect-references",
        "creative/write-the-brief/draft-copy",
        "creative/write-the-brief/draft-copy/nested-plain-item-is-a-sub-subtask",
        "creative/book-the-shoot",
        "creative/a-task-under-prose-is-a-task",
        "creative/video/cut-the-15s-spot",
        "creative/video-cutdowns/make-the-6s-cut",
        "media/set-budgets",
        "media/traffic-the-tags",
        "media/same-name",
        "media/same-name~2",
        "media/ordered-items-count-too-owner-ada-ops-no",
    ]
    brief = got["creative/write-the-brief"]
    assert brief["name"] == "Write the brief"
    assert brief["assignee"] == "ada" and brief["due_on"] == "2026-12-20" and not brief["completed"]
    assert brief["notes"] == "Context for the brief, on its second line.\n\nA second paragraph of notes."
    assert [s["name"] for s in brief["subtasks"]] == ["Collect references", "Draft copy"]
    draft = got["creative/write-the-brief/draft-copy"]
    assert draft["assignee"] == "ben" and draft["due_on"] == "2026-12-15" and draft["completed"]
    # a subtask without its own assignee inherits its parent's (also two levels down)
    assert got["creative/write-the-brief/collect-references"]["assignee"] == "ada"
    assert got["creative/write-the-brief/draft-copy/nested-plain-item-is-a-sub-subtask"]["assignee"] == "ben"
    assert got["creative/book-the-shoot"]["assignee"] == "ben@example.com"
    assert got["creative/book-the-shoot"]["completed"] is True
    under_prose = got["creative/a-task-under-prose-is-a-task"]
    assert under_prose["name"] == "A task under prose is a task" and under_prose["due_on"] == "2026-12-31"
    assert got["creative/video/cut-the-15s-spot"]["group"] == "Video"
    assert got["creative/video-cutdowns/make-the-6s-cut"]["group"] == "Video › Cutdowns"
    assert got["media/ordered-items-count-too-owner-ada-ops-no"]["assignee"] == "ada.ops"


def test_tables_with_a_task_column() -> None:
    got = tasks(parse(PRD))
    budgets = got["media/set-budgets"]
    assert (budgets["assignee"], budgets["due_on"], budgets["completed"], budgets["notes"]) == (
        "ada",
        "2026-12-10",
        True,
        "Daily caps",
    )
    tags = got["media/traffic-the-tags"]
    assert tags["name"] == "Traffic the @tags" and tags["assignee"] == "ben@example.com"  # code is no handle
    assert tags["due_on"] is None and tags["completed"] is False
    assert not any("cpa" in k for k in got)  # a table without a Task column is prose


def test_prose_and_code_never_become_tasks() -> None:
    names = " ".join(t.name for t in parse(PRD).tasks())
    for word in ("fake task", "fenced", "indented", "quote", "raw HTML", "nobody"):
        assert word not in names


@pytest.mark.parametrize(
    ("line", "name", "assignee", "due"),
    [
        ("- [ ] Ship it (due 2026-02-03) @ada", "Ship it", "ada", "2026-02-03"),
        ("- [ ] Ship it — due: 2026-2-3", "Ship it", None, "2026-02-03"),
        (
            "- [ ] Ship it by 2026-02-03, owner: <ada@example.com>",
            "Ship it, owner",
            "ada@example.com",
            "2026-02-03",
        ),
        ("- [ ] Due diligence on vendors", "Due diligence on vendors", None, None),
        ("- [ ] Email a.b+c@ex.co.uk about the deal", "Email about the deal", "a.b+c@ex.co.uk", None),
        ("- [X] Done in caps @Ben_B.", "Done in caps.", "Ben_B", None),
        ("- [ ] Run `by 2026-01-01` in code", "Run by 2026-01-01 in code", None, None),
    ],
)
def test_assignee_and_due_phrases(line: str, name: str, assignee: str | None, due: str | None) -> None:
    [task] = parse(f"# P\n{line}\n").tasks()
    assert (task.name, task.assignee, task.due_on) == (name, assignee, due)


def test_tasks_before_any_section_and_keys_are_stable() -> None:
    plan = parse("# P\n- [ ] First\n\n## Later\n- [ ] Second\n")
    assert [(s.name, [t.key for t in s.tasks]) for s in plan.sections] == [
        ("Tasks", ["tasks/first"]),
        ("Later", ["later/second"]),
    ]
    edited = parse(
        "# P\nNew prose.\n- [ ] Zeroth\n- [ ] First @ada\n\n## Later\n- [x] Second due 2027-01-01\n"
    )
    assert {t.key for t in edited.tasks()} >= {"tasks/first", "later/second"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("   \n\n", "empty"),
        ("Just prose.\n- [ ] a task\n", "no # heading"),
        ("# P\nOnly prose, and - [ ] inline.\n```\n- [ ] code\n```\n", "no tasks"),
        ("# P\n- [ ] Ship due 2026-13-40\n", "line 2: '2026-13-40' in 'due' is not a date"),
        ("# P\n| Task | Due |\n|---|---|\n| Ship | next week |\n", "line 4: 'next week' in the Due column"),
        ("# P\n- [ ] " + "x" * 2000 + "\n", "line 2: a task name is 2,000 characters"),
        ("# P\n" + "- [ ] t\n" * (MAX_TASKS + 1), f"more than {MAX_TASKS:,} tasks"),
        ("# P\0\n- [ ] t\n", "NUL"),
    ],
)
def test_bad_documents_are_refused_with_one_line(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace("[", r"\[")) as exc:
        read_prd(text.encode())
    assert "\n" not in str(exc.value)


def test_hostile_bytes_and_sizes() -> None:
    with pytest.raises(InputError, match="not UTF-8"):
        read_prd(b"# P\n- [ ] \xff\xfe\n")
    with pytest.raises(InputError, match="bytes; the most a PRD may have"):
        read_prd(b"# P\n" + b"a" * MAX_PRD_BYTES)
    deep = "# P\n" + "".join(
        "  " * i + "- [ ] level\n" for i in range(200)
    )  # deep nesting: no recursion blow-up
    plan = read_prd(deep.encode())
    assert 1 <= len(plan.tasks()) <= 200
    bomb = "# P\n- [ ] " + "[" * 300 + "](" * 300 + "\n"  # pathological brackets parse quickly and stay text
    assert len(read_prd(bomb.encode()).tasks()) == 1
    html = read_prd(b"# P\n- [ ] Ship <script>alert(1)</script> it\n").tasks()[0]
    assert "<script>" not in html.name


def test_plan_round_trips_through_its_dict_and_refuses_bad_edits() -> None:
    plan = parse(PRD)
    again = plan_from_dict(plan.to_dict())
    assert tasks(again).keys() == tasks(plan).keys()
    assert [t.to_dict() for t in again.tasks()] == [t.to_dict() for t in plan.tasks()]
    document = plan.to_dict()
    document["sections"][0]["tasks"][0]["due_on"] = "someday"
    with pytest.raises(InputError, match="'someday'"):
        plan_from_dict(document)
    document = plan.to_dict()
    document["sections"][1]["tasks"][1]["key"] = document["sections"][1]["tasks"][0]["key"]
    with pytest.raises(InputError, match="unique key"):
        plan_from_dict(document)
    for bad in (
        None,
        [],
        {"project": "P"},
        {"project": "", "sections": []},
        {"project": "P", "sections": [1]},
    ):
        with pytest.raises(InputError):
            plan_from_dict(bad)


def test_cli_plan(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    prd = tmp_path / "prd.md"
    prd.write_text(PRD)
    code, out, err = run(["prd", "plan", "--input", str(prd), "--json"], capsys)
    assert code == 0 and err == ""
    document = json.loads(out)
    assert document["project"] == "Q1 Launch"
    task = document["sections"][0]["tasks"][0]
    assert set(task) >= {"name", "notes", "assignee", "due_on", "completed", "subtasks"}
    code, out, _ = run(["prd", "plan", "--input", str(prd)], capsys)
    assert code == 0 and "- [ ] Write the brief @ada due 2026-12-20" in out


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        (b"\xff\xfe\x00", "not UTF-8"),
        (b"# P\nprose only\n", "no tasks"),
        (b"x" * (MAX_PRD_BYTES + 1), "the most a PRD may have"),
    ],
)
def test_cli_bad_input_exits_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes | None, message: str
) -> None:
    prd = tmp_path / "prd.md"
    if content is not None:
        prd.write_bytes(content)
    code, out, err = run(["prd", "plan", "--input", str(prd), "--json"], capsys)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and message in err and "Traceback" not in err
    code, _, err = run(["prd", "plan", "--input", str(tmp_path), "--json"], capsys)
    assert code == 2 and "is not a file" in err


def test_the_pages_edits_apply_by_key() -> None:
    from adops.integrations.prd import plan_rows, with_edits

    plan = parse(PRD)
    rows = plan_rows(plan)
    assert rows[0] | {"notes": ""} == {
        "section": "Creative",
        "level": 0,
        "task": "Write the brief",
        "assignee": "ada",
        "due_on": "2026-12-20",
        "completed": False,
        "notes": "",
        "key": "creative/write-the-brief",
    }
    assert rows[1]["level"] == 1
    rows[0].update(task="Write the creative brief", assignee="ben", due_on=date(2027, 1, 5), completed=True)
    edited = with_edits(plan, rows, {"media": "Paid media"})
    brief = edited.sections[0].tasks[0]
    assert (brief.name, brief.assignee, brief.due_on, brief.completed, brief.key) == (
        "Write the creative brief",
        "ben",
        "2027-01-05",
        True,
        "creative/write-the-brief",  # the key stays: the same Asana task is updated
    )
    assert edited.sections[1].name == "Paid media" and edited.sections[1].key == "media"
    rows[0]["due_on"] = "soon"
    with pytest.raises(InputError, match="'soon'"):
        with_edits(plan, rows)
