"""Alert channels kept in a SQL store: where trainboard tells people a run went wrong.

Why in the store, like tokens: a team server may be several processes on one PostgreSQL
database, and every one of them (and every training process writing to that database) must
deliver to the same channels without shared files. Clients of a team server never read them:
they hand their alerts to the server, which delivers (so a channel's secret never leaves it).

What a channel is and how it is delivered to is trainboard.alerts; this module only keeps the
rows, checking what would make a row unusable before it is written.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from trainboard import limits
from trainboard.errors import UsageError
from trainboard.store.base import Store
from trainboard.store.sql.db import Database
from trainboard.store.sql.schema import alert_channels

CHANNEL_KINDS = ("webhook", "slack", "ntfy", "email", "desktop")


@dataclass
class ChannelRecord:
    """One place alerts go. `events` empty means the default kinds (trainboard.alerts.KINDS);
    `rules` are metric thresholds such as "eval/loss < 0.5"; `secret` (a bearer token for a
    webhook, "user:password" for SMTP) is kept, used to deliver, and never shown."""

    kind: str
    target: str
    project: str | None = None
    events: list[str] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)
    secret: str | None = None
    id: int = 0
    created_at: float = 0.0


class Channels:
    """The alert_channels table over a Database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def add(self, channel: ChannelRecord) -> ChannelRecord:
        """Keep `channel`; returns it with its id."""
        if channel.kind not in CHANNEL_KINDS:
            raise UsageError(
                f"alert channel kind must be one of {', '.join(CHANNEL_KINDS)}, "
                f"got {channel.kind!r}"
            )
        for what, value in (("target", channel.target), ("project", channel.project),
                            ("secret", channel.secret)):  # fmt: skip
            if value is not None:
                limits.check_text(f"alert channel {what}", value)
        now = time.time()
        row = {
            "kind": channel.kind,
            "target": channel.target,
            "project": channel.project,
            "events": orjson.dumps(channel.events).decode(),
            "rules": orjson.dumps(channel.rules).decode(),
            "secret": channel.secret,
            "created_at": now,
        }

        def tx(conn: Connection) -> int:
            return int(conn.execute(sa.insert(alert_channels), row).inserted_primary_key[0])  # type: ignore[index]

        channel.id, channel.created_at = self.db.write(tx), now
        return channel

    def list(self, project: str | None = None) -> list[ChannelRecord]:
        """Every channel, or those that take alerts of runs in `project` (channels without a
        project take every project's)."""
        t = alert_channels
        q = sa.select(t.c.kind, t.c.target, t.c.project, t.c.events, t.c.rules, t.c.secret,
                      t.c.id, t.c.created_at).order_by(t.c.id)  # fmt: skip
        if project is not None:
            q = q.where(sa.or_(t.c.project.is_(None), t.c.project == project))
        rows = self.db.read(lambda conn: conn.execute(q).all())
        return [
            ChannelRecord(k, tg, p, orjson.loads(e), orjson.loads(r), s, int(i), float(c))
            for k, tg, p, e, r, s, i, c in rows
        ]

    def remove(self, channel_id: int) -> None:
        """Forget channel `channel_id`; UsageError when there is none."""

        def tx(conn: Connection) -> int:
            res = conn.execute(sa.delete(alert_channels).where(alert_channels.c.id == channel_id))
            return int(res.rowcount)

        if self.db.write(tx) == 0:
            raise UsageError(f"no alert channel {channel_id} (see `trainboard alert list`)")


def _channels(store: Store) -> Channels:
    found = getattr(store, "channels", None)
    if not isinstance(found, Channels):
        raise UsageError(
            f"alert channels live in a SQLite or PostgreSQL store, not in {store.url!r}: run "
            "`trainboard alert` where TRAINBOARD_DB names the server's store"
        )
    return found


# the functions the CLI, the server and the SDK call, on any store (UsageError unless SQL) ----
def add(store: Store, channel: ChannelRecord) -> ChannelRecord:
    return _channels(store).add(channel)


def list_channels(store: Store, project: str | None = None) -> list[ChannelRecord]:
    return _channels(store).list(project)


def remove(store: Store, channel_id: int) -> None:
    _channels(store).remove(channel_id)
