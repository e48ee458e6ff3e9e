"""What every `adops` command shares: the app factory, the error mapping, options and output helpers.

Sub-command modules (`adops.experiments.cli`, `adops.optimize.cli`, ...) import this module, never
`adops.cli`: the root app imports them and mounts their Typer apps, so there is no import circle.
It imports only Typer and the error vocabulary, so that `adops --help` stays fast.

House rules, applied here once:
- a domain error (`adops.errors.AdopsError`) becomes one `error: ...` line on stderr and its kind's
  exit code (2: bad input or settings, not found; 1: conflict, a platform failing);
- bad options (a negative `--limit`, a date that is not one) exit 2 with one line, no traceback;
- `--json` prints exactly one JSON document on stdout.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from typer._click.exceptions import NoArgsIsHelpError, UsageError
from typer.core import TyperGroup

from adops.errors import AdopsError, InputError, NotFound
from adops.platforms import PLATFORMS

__all__ = [
    "AsJson",
    "Limit",
    "Platform",
    "Platforms",
    "account_progress",
    "emit_json",
    "fail",
    "input_csv",
    "new_app",
    "parse_date",
    "progress_bar",
    "report",
    "usage_line",
]


# ---------------------------------------------------------------------------- errors


def report(exc: AdopsError) -> int:
    """The one place a domain error meets the terminal: one line on stderr; returns the exit code."""
    message = " ".join(str(exc).split()) or type(exc).__name__
    typer.echo(f"error: {message}", err=True)
    return exc.exit_code


def usage_line(exc: UsageError) -> str:
    """Click's usage error (bad option value, unknown command) as the one line the house prints."""
    message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
    return f"error: {' '.join(message.split()) or type(exc).__name__}"


class AdopsGroup(TyperGroup):
    """Typer's command group, with domain errors (`report`) and bad usage mapped to one stderr line
    around every command it runs: also under Typer's CliRunner and when another app mounts this one."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except AdopsError as exc:
            raise typer.Exit(report(exc)) from None
        except NoArgsIsHelpError:
            raise  # `adops plans` alone: its help, not an error
        except UsageError as exc:
            typer.echo(usage_line(exc), err=True)
            raise typer.Exit(2) from None


def new_app(help: str, **settings: Any) -> typer.Typer:
    """A Typer app with the house settings: plain help, no completion, no pretty tracebacks."""
    options: dict[str, Any] = {
        "cls": AdopsGroup,
        "no_args_is_help": True,
        "add_completion": False,
        "pretty_exceptions_enable": False,
        "rich_markup_mode": None,
    }
    return typer.Typer(help=help, **{**options, **settings})


def fail(message: str) -> NoReturn:
    """Refuse the command's input: exit 2 with `message` on one line."""
    raise InputError(message)


# ---------------------------------------------------------------------------- options

Platform = StrEnum("Platform", {p: p for p in PLATFORMS})  # type: ignore[misc]
"""The six platform names as a choice (`--platform meta`)."""

Platforms = Annotated[list[Platform] | None, typer.Option(help="Only this platform (repeatable).")]  # type: ignore[valid-type]
AsJson = Annotated[bool, typer.Option("--json", help="Print one JSON document.")]
#: how many rows a listing shows: a whole number from 1 to 10,000 (0 and negatives are input errors)
Limit = Annotated[int, typer.Option(min=1, max=10_000, help="How many, newest first.")]


def parse_date(value: str | None, option: str) -> date | None:
    """An ISO date option (`--since 2026-11-01`), or InputError naming the option."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"{option}: '{value}' is not a date in YYYY-MM-DD form")


def input_csv(path: Path) -> Path:
    """An analytics input file that exists and is a file (read by the command itself)."""
    if not path.exists():
        raise NotFound(f"--input: no such file {path}")
    if not path.is_file():
        fail(f"--input: {path} is not a file")
    return path


# ---------------------------------------------------------------------------- output


def emit_json(document: Any) -> None:
    """One JSON document on stdout (NaN and infinities refused: JSON has none)."""
    sys.stdout.write(json.dumps(document, default=str, allow_nan=False) + "\n")


@contextmanager
def progress_bar(label: str) -> Iterator[Callable[[int, int, str], None]]:
    """A transient progress bar on stderr; yields `update(done, total, description)`."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        transient=True,
        console=Console(stderr=True),
    )
    task = bar.add_task(label, total=None)

    def update(done: int, total: int, description: str) -> None:
        bar.update(task, completed=done, total=total, description=description)

    with bar:
        yield update


def account_progress(update: Callable[[int, int, str], None]) -> Callable[[int, int, Any], None]:
    """The sync engine's per-account callback, shown as `platform:account status`."""
    return lambda done, total, r: update(done, total, f"{r.platform}:{r.account_id} {r.status}")
