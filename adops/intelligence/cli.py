"""`adops recommend`: what to do next, with evidence; apply (a workflow dry run), dismiss, outcomes.

`adops recommend [--account ID]... --json` lists the open recommendations, best first;
`adops recommend outcomes --json` what applied ones predicted and what was measured.
An unknown id or a missing reason exits 2 with one line on stderr.
"""

from __future__ import annotations

from typing import Annotated

import typer

from adops.cli_common import AsJson, emit_json, new_app

recommend_app = new_app(
    "Recommendations with evidence: list, apply (dry run through a workflow), dismiss, outcomes.",
    no_args_is_help=False,
    invoke_without_command=True,
)

Accounts = Annotated[
    list[str] | None,
    typer.Option("--account", metavar="ID", help="Only this account (its id, or platform:id; repeatable)."),
]
RecId = Annotated[
    str, typer.Argument(metavar="ID", help="A recommendation's id (rec_...).", show_default=False)
]


@recommend_app.callback()
def recommend(ctx: typer.Context, account: Accounts = None, as_json: AsJson = False) -> None:
    """List the open recommendations, best first (expected value x the account's track record)."""
    if ctx.invoked_subcommand is not None:
        return
    from adops.intelligence.memory import ranked

    ids = _accounts(account)
    recs = ranked(ids)
    if as_json:
        emit_json({"recommendations": [_public(r.to_dict()) for r in recs]})
        return
    if not recs:
        typer.echo("(no recommendation: nothing stands out in the window)")
        return
    for r in recs:
        impact = r.expected_impact
        typer.echo(
            f"{r.id}  {r.kind:<20} {r.platform}:{r.account_id}  {r.title}  "
            f"[{impact['metric']} {impact['delta']:+,.1f} ({impact['low']:+,.1f}..{impact['high']:+,.1f}) "
            f"in {impact['window_days']} days]"
        )


@recommend_app.command("outcomes")
def outcomes(as_json: AsJson = False) -> None:
    """Applied recommendations: what each predicted, and what was measured after its window."""
    from adops.intelligence.memory import outcomes as rows

    found = rows()
    if as_json:
        emit_json({"outcomes": found})
        return
    for o in found:
        measured = o["measured"]["delta"] if o["measured"] else "waiting"
        typer.echo(
            f"{o['id']}  {o['kind']:<20} predicted {o['predicted']['delta']:+,.1f} {o['predicted']['metric']}  measured {measured}"
        )


@recommend_app.command("apply")
def apply(
    recommendation_id: RecId,
    by: Annotated[str, typer.Option("--by", help="Who applies it.")] = "",
    as_json: AsJson = False,
) -> None:
    """Record the prediction and start the recommendation's workflow as a dry run."""
    from adops.intelligence.memory import apply as run

    result = run(recommendation_id, by=by)
    if as_json:
        emit_json(result)
    else:
        typer.echo(
            f"dry run {result['run_id']} started; approve it with `adops workflow approve {result['run_id']}`"
        )


@recommend_app.command("dismiss")
def dismiss(
    recommendation_id: RecId,
    reason: Annotated[
        str, typer.Option("--reason", help="Why (kept with the dismissal).", show_default=False)
    ],
    by: Annotated[str, typer.Option("--by", help="Who dismisses it.")] = "",
    as_json: AsJson = False,
) -> None:
    """Hide a recommendation for 90 days, keeping the reason."""
    from adops.intelligence.memory import dismiss as run

    result = run(recommendation_id, reason, by=by)
    if as_json:
        emit_json(result)
    else:
        typer.echo(f"dismissed {result['recommendation_id']}")


@recommend_app.command("measure")
def measure(as_json: AsJson = False) -> None:
    """Measure the applied recommendations whose follow-up window has passed (the daily job does it)."""
    from adops.intelligence.memory import measure_due

    stored = measure_due()
    if as_json:
        emit_json({"measured": stored})
    else:
        typer.echo(f"{len(stored)} outcome(s) measured")


def _accounts(values: list[str] | None) -> list[str]:
    from adops.errors import InputError

    out = []
    for v in values or []:
        v = v.strip()
        if not v or len(v) > 120 or any(ch.isspace() or ch in "'\";\\" for ch in v):
            raise InputError(f"--account: {v[:40]!r} is not an account id")
        out.append(v)
    return out


def _public(doc: dict) -> dict:  # type: ignore[type-arg]
    """The INTERFACES.md shape (plus confidence, value and score)."""
    return doc
