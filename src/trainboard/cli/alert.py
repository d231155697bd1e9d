"""`trainboard alert add|list|remove|test`: where trainboard says that a run went wrong.

Channels live in the store (TRAINBOARD_DB), so a team server and every training process on
that store deliver to the same ones. A channel's secret (a webhook's bearer token, an SMTP
login) and the secret part of a webhook URL are never printed; `alert list` shows a channel
by its kind and host.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

import typer
from rich.table import Table

from trainboard.alerts import KINDS, Alert, parse_kinds
from trainboard.alerts.deliver import Deliverer
from trainboard.alerts.fire import link_to
from trainboard.alerts.rules import parse_rule
from trainboard.alerts.send import shown
from trainboard.cli._common import console, handles_errors, open_cli_store
from trainboard.errors import UsageError
from trainboard.store.sql import channels
from trainboard.store.sql.channels import ChannelRecord

ON_HELP = (
    "Alert kinds this channel takes, comma-separated, or 'all' (default: all but finished and "
    "stopped). Kinds: " + ", ".join(sorted(KINDS)) + "."
)
WHEN_HELP = 'A metric threshold, e.g. "eval/loss < 0.5" (repeatable).'
SECRET_HELP = "Bearer token for the webhook, or user:password for SMTP (never printed)."


def _target(webhook: str | None, slack: str | None, ntfy: str | None, email: str | None,
            smtp: str, sender: str, desktop: bool) -> tuple[str, str]:  # fmt: skip
    given = [(k, v) for k, v in (("webhook", webhook), ("slack", slack), ("ntfy", ntfy),
                                 ("email", email)) if v]  # fmt: skip
    if desktop:
        given.append(("desktop", "desktop"))
    if len(given) != 1:
        raise UsageError(
            "alert add: give exactly one of --webhook URL, --slack URL, --ntfy URL, --email "
            "ADDRESS or --desktop"
        )
    kind, value = given[0]
    if kind in ("webhook", "slack", "ntfy") and urlsplit(value).scheme not in ("http", "https"):
        raise UsageError(f"--{kind}: expected an http:// or https:// URL, got {value!r}")
    if kind == "email":
        if "@" not in value or "?" in value:
            raise UsageError(f"--email: expected an address like me@example.com, got {value!r}")
        value = f"{value}?smtp={smtp}&from={sender}"
    return kind, value


def register(app: typer.Typer) -> None:
    group = typer.Typer(
        help="Alert channels: webhooks, Slack, ntfy, email or desktop (kept in the store).",
        no_args_is_help=True,
    )
    app.add_typer(group, name="alert")

    @group.command("add")
    @handles_errors
    def add(
        webhook: str | None = typer.Option(None, "--webhook", help="POST JSON to this URL."),
        slack: str | None = typer.Option(None, "--slack", help="A Slack incoming-webhook URL."),
        ntfy: str | None = typer.Option(None, "--ntfy", help="An ntfy topic URL."),
        email: str | None = typer.Option(None, "--email", help="Send email to this address."),
        smtp: str = typer.Option("localhost:25", "--smtp", help="With --email: SMTP host:port."),
        sender: str = typer.Option("trainboard@localhost", "--from", help="With --email: sender."),
        desktop: bool = typer.Option(False, "--desktop", help="Desktop notifications."),
        project: str | None = typer.Option(None, "--project", help="Only runs of this project."),
        on: str | None = typer.Option(None, "--on", help=ON_HELP),
        when: list[str] | None = typer.Option(None, "--when", help=WHEN_HELP),  # noqa: B008
        secret: str | None = typer.Option(None, "--secret", help=SECRET_HELP),
    ) -> None:
        """Add a channel; alerts of every run (or of --project) go there."""
        kind, target = _target(webhook, slack, ntfy, email, smtp, sender, desktop)
        rules = [str(parse_rule(w)) for w in when or []]
        channel = ChannelRecord(kind, target, project, parse_kinds(on), rules, secret)
        with open_cli_store() as store:
            channels.add(store, channel)
        console().print(f"added alert channel {channel.id}: {shown(channel)}")

    @group.command("list")
    @handles_errors
    def list_() -> None:
        """The channels (never their secrets)."""
        with open_cli_store() as store:
            found = channels.list_channels(store)
        table = Table("id", "channel", "project", "on", "when", "secret", "added", box=None)
        for c in found:
            added = dt.datetime.fromtimestamp(c.created_at).strftime("%Y-%m-%d %H:%M")
            table.add_row(
                str(c.id), shown(c), c.project or "all", ",".join(c.events) or "default",
                "; ".join(c.rules), "set" if c.secret else "", added,
            )  # fmt: skip
        console().print(table)

    @group.command("remove")
    @handles_errors
    def remove(
        channel_id: int = typer.Argument(..., help="The channel's id (alert list)."),
    ) -> None:
        """Remove a channel."""
        with open_cli_store() as store:
            channels.remove(store, channel_id)
        console().print(f"removed alert channel {channel_id}")

    @group.command("test")
    @handles_errors
    def test(
        channel_id: int | None = typer.Argument(None, help="Only this channel (default: all)."),
    ) -> None:
        """Send a test alert to the channels now and say which received it."""
        with open_cli_store() as store:
            found = [c for c in channels.list_channels(store)
                     if channel_id is None or c.id == channel_id]  # fmt: skip
        if not found:
            raise UsageError(
                "no alert channel to test" + (f" with id {channel_id}" if channel_id else "")
            )
        alert = Alert("test", "test", "trainboard", "test", "a test alert from trainboard", "info")
        failures: dict[int, list[str]] = {c.id: [] for c in found}
        sender = Deliverer(delays=())  # one try each: say now what failed
        for c in found:
            sender.put(c, alert, link_to("test"), failures[c.id].append)
        sender.flush(timeout=15)
        for c in found:
            said = failures[c.id]
            console().print(
                f"{c.id}: {shown(c)}: " + (f"FAILED: {said[0]}" if said else "delivered")
            )
        if any(failures.values()):
            raise typer.Exit(1)
