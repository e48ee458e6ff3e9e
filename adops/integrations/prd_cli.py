"""`adops prd`: read a Markdown PRD as an Asana plan (`plan`), and push it into Asana (`push`).

`plan` reads only the file; `push` creates or updates the project in `[integrations.asana]`'s
workspace and can run again on the same or an edited PRD without duplicating anything. Bad input (a
missing file, one that is not UTF-8 Markdown, too big, without a # heading or without tasks) exits 2
with one line on stderr.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from adops.cli_common import AsJson, emit_json, fail, new_app
from adops.errors import NotFound

prd_app = new_app("PRD → Asana: read a Markdown PRD as a plan of tasks, and push it into Asana.")

Input = Annotated[
    Path,
    typer.Option("--input", metavar="PRD.md", help="The Markdown PRD.", show_default=False),
]


def _read(path: Path) -> bytes:
    from adops.integrations.prd import MAX_PRD_BYTES

    if not path.exists():
        raise NotFound(f"--input: no such file {path}")
    if not path.is_file():
        fail(f"--input: {path} is not a file")
    size = path.stat().st_size
    if size > MAX_PRD_BYTES:
        fail(f"--input: {path.name} is {size:,} bytes; the most a PRD may have is {MAX_PRD_BYTES:,}")
    return path.read_bytes()


@prd_app.command("plan")
def plan(path: Input, as_json: AsJson = False) -> None:
    """Show the plan a PRD describes: project, sections, tasks, subtasks, assignees, due dates."""
    from adops.integrations.prd import read_prd

    result = read_prd(_read(path), source=path.name)
    if as_json:
        emit_json(result.to_dict())
        return
    typer.echo(result.project)
    for section in result.sections:
        typer.echo(f"\n## {section.name}")
        for top in section.tasks:
            for task, depth in _lines(top, 0):
                box = "[x]" if task.completed else "[ ]"
                who = (
                    f" {task.assignee}"
                    if task.assignee and "@" in task.assignee
                    else f" @{task.assignee}"
                    if task.assignee
                    else ""
                )
                due = f" due {task.due_on}" if task.due_on else ""
                typer.echo(f"{'  ' * depth}- {box} {task.name}{who}{due}")


def _lines(task, depth):  # type: ignore[no-untyped-def]
    yield task, depth
    for sub in task.subtasks:
        yield from _lines(sub, depth + 1)


@prd_app.command("push")
def push(
    path: Input,
    project: Annotated[
        str | None,
        typer.Option(
            "--project",
            metavar="NAME",
            help="The Asana project's name (default: the setting's project, else the PRD's # heading).",
            show_default=False,
        ),
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Create or update the PRD's plan in Asana: nothing duplicated, removed tasks completed."""
    from adops.integrations.prd import read_prd
    from adops.integrations.prd_push import push as push_plan

    if project is not None and not 1 <= len(project.strip()) <= 200:
        fail("--project: give a name of 1 to 200 characters")
    result = push_plan(read_prd(_read(path), source=path.name), project=project)
    if as_json:
        emit_json(result.to_dict())
        return
    typer.echo(
        f"{result.project} ({result.project_gid}): {result.created} created, {result.updated} updated "
        f"({result.completed} completed as removed), {result.unchanged} unchanged"
    )
    for unknown in result.unknown_assignees:
        typer.echo(
            f"unknown assignee {unknown['assignee']!r} left unassigned on: {', '.join(unknown['tasks'])}"
        )
