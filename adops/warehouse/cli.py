"""`adops warehouse ...`: look after the warehouse (its snapshot, a repair, an account's rows).

Mounted by the root app (`adops.cli`); it imports only `adops.cli_common`, never the root.
"""

from __future__ import annotations

from typing import Annotated

import typer

from adops.cli_common import AsJson, emit_json, fail, new_app

app = new_app("Look after the warehouse: its snapshot, a repair, one account's rows.")


@app.command()
def status(as_json: AsJson = False) -> None:
    """The published snapshot: each table's pinned version, and whether the manifest was lost."""
    from adops import warehouse

    snap = warehouse.snapshot()
    document = {"manifest": "missing" if snap.recovered else "ok", "versions": snap.versions}
    if as_json:
        emit_json(document)
        return
    typer.echo(f"manifest: {document['manifest']}")
    for name, version in sorted(snap.versions.items()):
        typer.echo(f"{name}: version {version}")
    if snap.recovered:
        typer.echo("run `adops warehouse repair` to write the manifest again")


@app.command()
def repair(as_json: AsJson = False) -> None:
    """Rebuild a lost or unreadable snapshot manifest from the Delta logs, and rewrite tables whose
    files an older version wrote with other string types. Safe to run at any time."""
    from adops import warehouse

    result = warehouse.repair()
    if as_json:
        emit_json(result)
        return
    typer.echo(f"manifest: {result['manifest']}")
    typer.echo(f"rewritten: {', '.join(result['rewritten']) or 'nothing'}")


@app.command("delete-account")
def delete_account(
    platform: Annotated[str, typer.Argument(help="The account's platform, e.g. meta.")],
    account_id: Annotated[str, typer.Argument(help="The platform's account id.")],
    yes: Annotated[
        bool, typer.Option("--yes", help="Confirm: the rows are removed from every table.")
    ] = False,
    as_json: AsJson = False,
) -> None:
    """Remove one account's rows from every warehouse table, published as one snapshot."""
    from adops import warehouse

    if not yes:
        fail("delete-account removes the account's rows from every table: add --yes to confirm")
    removed = warehouse.delete_account(platform, account_id)
    if as_json:
        emit_json({"platform": platform, "account_id": account_id, "removed": removed})
        return
    typer.echo(f"removed {sum(removed.values()):,} rows of {platform}:{account_id}")
