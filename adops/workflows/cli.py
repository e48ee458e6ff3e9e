"""`adops workflow`: list the workflows, run one (dry run, preset, params), approve, undo, show, runs, presets.

A run goes through the jobs database like every job: with `adops serve` running, its DBOS runs it
and the CLI follows the run until it rests; with no sidecar, the CLI runs it in this process (DBOS
launched for it, under the sidecar's lock) and stops once it rests. A run left awaiting approval
stays queued in the jobs database: the next `adops serve`, or `adops workflow approve` itself when
no sidecar runs, carries it on.
"""

from __future__ import annotations

import getpass
import json
import os
import re
from typing import Annotated, Any

import typer

from adops.cli_common import AsJson, Limit, emit_json, fail, new_app

app = new_app("Workflows: list, run (dry run, presets), approve, undo, show and list runs.")

RunId = Annotated[str, typer.Argument(help="The run's id (adops workflow runs lists them).")]
By = Annotated[
    str | None,
    typer.Option("--by", help="Who approves or undoes (default: $ADOPS_USER, else your login name)."),
]
Wait = Annotated[
    float, typer.Option("--wait", min=0, max=3600, help="Seconds to follow the run before printing it.")
]
ParamOpt = Annotated[
    list[str] | None,
    typer.Option("--param", help="KEY=VALUE (repeatable); VALUE is JSON when it parses, else text."),
]
_KEY = re.compile(r"[a-z_][a-z0-9_]{0,63}")
MAX_PARAM_CHARS = 16_000


@app.command("list")
def list_(as_json: AsJson = False) -> None:
    """The workflows with their parameters (name, type, default, required)."""
    from adops.workflows import catalogue

    items = catalogue()
    if as_json:
        emit_json({"workflows": [{k: w[k] for k in ("name", "description", "params")} for w in items]})
        return
    for w in items:
        typer.echo(f"{w['name']}: {w['description']}")
        for p in w["params"]:
            default = "required" if p["required"] else f"default {json.dumps(p['default'], default=str)}"
            typer.echo(f"    {p['name']} ({p['type']}, {default}) {p['description']}")


@app.command()
def run(
    name: Annotated[str, typer.Argument(help="The workflow (adops workflow list).")],
    param: ParamOpt = None,
    preset: Annotated[str | None, typer.Option(help="Start from this saved parameter set.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="List the changes; change nothing.")] = False,
    by: Annotated[
        str | None,
        typer.Option(
            "--by", help="Who asks (required, recorded; default: $ADOPS_USER, else your login name)."
        ),
    ] = None,
    wait: Wait = 120.0,
    as_json: AsJson = False,
) -> None:
    """Run a workflow: it stops at awaiting_approval before its first change."""
    from adops.workflows import api

    params = parse_params(param or [])
    run_id = api.start(name, params, preset=preset, dry_run=dry_run, by=_who(by))
    _follow(run_id, wait)
    _print(api.show(run_id), as_json)


@app.command()
def approve(run_id: RunId, by: By = None, wait: Wait = 120.0, as_json: AsJson = False) -> None:
    """Approve a run awaiting approval (names who approved); it then makes its changes."""
    from adops.workflows import api

    api.approve(run_id, _who(by), source="cli")
    _follow(run_id, wait, until=("succeeded", "failed", "cancelled", "undone"))
    _print(api.show(run_id), as_json)


@app.command()
def reject(run_id: RunId, by: By = None, as_json: AsJson = False) -> None:
    """Refuse a run awaiting approval: it is cancelled and changes nothing."""
    from adops.workflows import api

    api.reject(run_id, _who(by), source="cli")
    _follow(run_id, 30.0, until=("cancelled", "succeeded", "failed"))
    _print(api.show(run_id), as_json)


@app.command()
def undo(run_id: RunId, by: By = None, wait: Wait = 120.0, as_json: AsJson = False) -> None:
    """Revert every change the run made, newest first (the run becomes undone)."""
    from adops.workflows import api

    job_id = api.undo(run_id, _who(by))
    if not api.run_here(job_id, timeout=wait):
        api.wait_job(job_id, wait)
    _print(api.show(run_id), as_json)


@app.command()
def show(run_id: RunId, as_json: AsJson = False) -> None:
    """One run: status, steps and changes (the same shape as `run`)."""
    from adops.workflows import api

    _print(api.show(run_id), as_json)


@app.command()
def runs(
    limit: Limit = 50,
    workflow: Annotated[str | None, typer.Option(help="Only runs of this workflow.")] = None,
    status: Annotated[str | None, typer.Option(help="Only runs in this state.")] = None,
    as_json: AsJson = False,
) -> None:
    """Runs, newest first."""
    from adops.workflows import api

    found = api.runs(limit, workflow, status)
    if as_json:
        emit_json({"runs": found})
        return
    for r in found:
        typer.echo(
            f"{r['run_id']}  {r['workflow']}  {r['status']}{'  (dry run)' if r['dry_run'] else ''}  {len(r['changes'])} changes"
        )


@app.command()
def presets(
    workflow: Annotated[str | None, typer.Option(help="Only this workflow's presets.")] = None,
    as_json: AsJson = False,
) -> None:
    """Saved parameter sets."""
    from adops.workflows import api

    found = api.presets(workflow)
    if as_json:
        emit_json({"presets": found})
        return
    for p in found:
        typer.echo(f"{p['workflow']}  {p['name']}  {json.dumps(p['params'])}")


@app.command("save-preset")
def save_preset(
    workflow: Annotated[str, typer.Argument(help="The workflow.")],
    name: Annotated[str, typer.Argument(help="The preset's name.")],
    param: ParamOpt = None,
    by: Annotated[str | None, typer.Option("--by", help="Who saves it.")] = None,
    as_json: AsJson = False,
) -> None:
    """Save (or replace) a named parameter set for `--preset`."""
    from adops.workflows import api

    saved = api.save_preset(workflow, name, parse_params(param or []), by=_who(by))
    emit_json(saved) if as_json else typer.echo(f"preset {saved['name']!r} of {workflow} saved")


@app.command("delete-preset")
def delete_preset(
    workflow: Annotated[str, typer.Argument(help="The workflow.")],
    name: Annotated[str, typer.Argument(help="The preset's name.")],
) -> None:
    """Delete a saved parameter set."""
    from adops.workflows import api

    api.delete_preset(workflow, name)
    typer.echo(f"preset {name!r} of {workflow} deleted")


# ---------------------------------------------------------------------------- helpers


def parse_params(items: list[str]) -> dict[str, Any]:
    """`KEY=VALUE` pairs: VALUE as JSON when it parses (numbers, lists, objects), else as text."""
    out: dict[str, Any] = {}
    if sum(len(i) for i in items) > MAX_PARAM_CHARS:
        fail(f"--param values are longer than {MAX_PARAM_CHARS:,} characters in all")
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not _KEY.fullmatch(key):
            fail(f"--param {item[:40]!r}: write KEY=VALUE with a lowercase key")
        if key in out:
            fail(f"--param {key} is given twice")
        try:
            out[key] = json.loads(value, parse_constant=_no_constant)
        except ValueError:
            out[key] = value
    return out


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number")


def _who(by: str | None) -> str:
    if by is not None:
        return by
    name = os.environ.get("ADOPS_USER") or _login()
    if not name:
        fail("--by must name who asks or approves (it goes into the audit trail)")
    return name


def _login() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name in this environment
        return ""


def _follow(run_id: str, wait: float, until: tuple[str, ...] | None = None) -> None:
    from adops.workflows import api

    resting = until or api.RESTING
    if wait <= 0:
        return
    if not api.run_here(run_id, run_id=run_id, timeout=wait, until=resting):
        api.wait(run_id, wait, resting)


def _print(doc: dict[str, Any], as_json: bool) -> None:
    if as_json:
        emit_json(doc)
    else:
        typer.echo(
            f"{doc['run_id']}  {doc['workflow']}  {doc['status']}{'  (dry run)' if doc['dry_run'] else ''}"
        )
        for s in doc["steps"]:
            typer.echo(f"  step {s['name']}: {s['status']}" + (f" ({s['error']})" if s.get("error") else ""))
        for c in doc["changes"]:
            typer.echo(
                f"  {c['platform']} {c['account_id']} {c['entity_type']} {c['entity_id']} {c['field']}: "
                f"{c['before']} -> {c['after']}  [{c['status']}] {c['reason']}"
            )
        if doc["status"] == "awaiting_approval":
            typer.echo(f"approve with: adops workflow approve {doc['run_id']} --by NAME")
    if doc["status"] == "failed":
        raise typer.Exit(1)
