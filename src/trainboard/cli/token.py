"""`trainboard token create|list|revoke`: scoped API tokens of a team server.

The tokens live in the store the server serves (TRAINBOARD_DB), hashed, so every server
process on that store accepts them at once and stops within seconds of a revoke. The token
itself is printed once, at creation; it cannot be shown again.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer
from rich.table import Table

from trainboard.cli._common import console, handles_errors, open_cli_store
from trainboard.cli._safe import escape_controls
from trainboard.store.sql import tokens

SCOPE_HELP = "read: see runs; write: also log (remote SDK); admin: also archive and delete."
PROJECT_HELP = (
    "Limit the token to this project (repeat for several; default: every project). The "
    "server refuses it anything about another project's runs."
)


def _when(t: float | None) -> str:
    return "" if t is None else dt.datetime.fromtimestamp(t).strftime("%Y-%m-%d %H:%M")


def register(app: typer.Typer) -> None:
    group = typer.Typer(
        help="Scoped API tokens for a team server (kept hashed in the store).",
        no_args_is_help=True,
    )
    app.add_typer(group, name="token")

    @group.command("create")
    @handles_errors
    def create(
        name: str = typer.Option(..., "--name", help="Who or what the token is for."),
        scope: str = typer.Option("read", "--scope", help=SCOPE_HELP),
        project: Annotated[list[str] | None, typer.Option("--project", help=PROJECT_HELP)] = None,
    ) -> None:
        """Create a token and print it (once: only its hash is kept)."""
        with open_cli_store() as store:
            token, rec = tokens.create(store, name, scope, project or None)
        console().print(token)
        where = (
            "every project"
            if rec.projects is None
            else "projects " + ", ".join(escape_controls(p) for p in rec.projects)
        )
        typer.echo(
            f"token {escape_controls(rec.name)!r} (scope {rec.scope}, {where}) created; it "
            "is shown only now",
            err=True,
        )

    @group.command("list")
    @handles_errors
    def list_(
        revoked: bool = typer.Option(False, "--revoked", help="Also list revoked tokens."),
    ) -> None:
        """The tokens by name and scope (never the tokens themselves)."""
        with open_cli_store() as store:
            found = tokens.list_tokens(store, revoked=revoked)
        table = Table("name", "scope", "projects", "created", "revoked", box=None)
        for t in found:
            where = (
                "all" if t.projects is None else ", ".join(escape_controls(p) for p in t.projects)
            )
            table.add_row(
                escape_controls(t.name), t.scope, where, _when(t.created_at), _when(t.revoked_at)
            )
        console().print(table)

    @group.command("revoke")
    @handles_errors
    def revoke(name: str = typer.Argument(..., help="The token's name.")) -> None:
        """Revoke a token: every server on this store refuses it within seconds."""
        with open_cli_store() as store:
            tokens.revoke(store, name)
        console().print(f"revoked token {name!r}")
