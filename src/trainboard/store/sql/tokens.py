"""Scoped API tokens and the audit record of destructive actions, kept in a SQL store.

Why in the store: a team server may be several `trainboard ui` processes on one PostgreSQL
database, and a token made with `trainboard token create` must work on all of them, and be
revoked on all of them, without a restart or shared files.

A token is `tb_` and 32 random bytes (base64url). Only its SHA-256 is stored: the tokens are
random, not passwords, so a fast hash is as strong as a slow one and a lookup is one indexed
query. Scopes are ordered: `read` sees runs, `write` also logs (the remote SDK's ingest),
`admin` also archives and deletes. Names are unique among tokens that are not revoked.

A token may also be limited to projects (`projects`, a JSON list; NULL: every project): the
server then refuses, with a 403 naming the project, anything it asks of a run of another
project, and lists only its projects' runs (server/projectview.py).
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from trainboard import limits
from trainboard.errors import UsageError
from trainboard.store.base import Store
from trainboard.store.sql.db import Database
from trainboard.store.sql.schema import audit, tokens

Scope = Literal["read", "write", "admin"]
SCOPES: tuple[Scope, ...] = ("read", "write", "admin")
PREFIX = "tb_"


@dataclass
class TokenRecord:
    id: int
    name: str
    scope: Scope
    created_at: float
    revoked_at: float | None = None
    projects: tuple[str, ...] | None = None
    """The projects it is limited to; None: every project."""


def _projects_of(raw: str | None) -> tuple[str, ...] | None:
    return None if raw is None else tuple(str(p) for p in orjson.loads(raw))


@dataclass
class AuditRecord:
    at: float
    action: str
    run_ids: list[str]
    actor: str


def allows(scope: str, needed: Scope) -> bool:
    """True when a token of `scope` may do what needs `needed` (read < write < admin)."""
    return scope in SCOPES and SCOPES.index(scope) >= SCOPES.index(needed)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


class Tokens:
    """Tokens and the audit record over a Database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def create(
        self, name: str, scope: str, projects: Sequence[str] | None = None
    ) -> tuple[str, TokenRecord]:
        """A new token of `scope` named `name`, limited to `projects` when given: (the
        token, shown once; its record)."""
        limits.check_key("token name", name)
        if scope not in SCOPES:
            raise UsageError(f"token scope must be one of {', '.join(SCOPES)}, got {scope!r}")
        only = None if projects is None else tuple(dict.fromkeys(projects))
        if only is not None:
            if not only:
                raise UsageError("a token limited to projects needs at least one --project")
            for p in only:
                limits.check_key("token project", p)
        token = PREFIX + secrets.token_urlsafe(32)
        now = time.time()

        def tx(conn: Connection) -> int:
            taken = conn.execute(
                sa.select(tokens.c.id).where(tokens.c.name == name, tokens.c.revoked_at.is_(None))
            ).first()
            if taken is not None:
                raise UsageError(f"a token named {name!r} already exists: revoke it first")
            listed = None if only is None else orjson.dumps(list(only)).decode()
            row = {"name": name, "scope": scope, "hash": digest(token), "created_at": now,
                   "projects": listed}  # fmt: skip
            return int(conn.execute(sa.insert(tokens), row).inserted_primary_key[0])  # type: ignore[index]

        token_id = self.db.write(tx)
        return token, TokenRecord(token_id, name, scope, now, projects=only)

    def list_tokens(self, revoked: bool = False) -> list[TokenRecord]:
        q = sa.select(tokens.c.id, tokens.c.name, tokens.c.scope, tokens.c.created_at,
                      tokens.c.revoked_at, tokens.c.projects).order_by(tokens.c.id)  # fmt: skip
        if not revoked:
            q = q.where(tokens.c.revoked_at.is_(None))
        rows = self.db.read(lambda conn: conn.execute(q).all())
        return [TokenRecord(*r[:5], projects=_projects_of(r[5])) for r in rows]

    def revoke(self, name: str) -> int:
        """Revoke the live token named `name`; UsageError when there is none."""

        def tx(conn: Connection) -> int:
            res = conn.execute(
                sa.update(tokens)
                .where(tokens.c.name == name, tokens.c.revoked_at.is_(None))
                .values(revoked_at=time.time())
            )
            if res.rowcount == 0:
                raise UsageError(f"no live token named {name!r} (see `trainboard token list`)")
            return int(res.rowcount)

        return int(self.db.write(tx))

    def lookup(self, token: str) -> TokenRecord | None:
        """The live token record whose hash matches `token`, or None."""
        q = sa.select(
            tokens.c.id, tokens.c.name, tokens.c.scope, tokens.c.created_at, tokens.c.projects
        ).where(tokens.c.hash == digest(token), tokens.c.revoked_at.is_(None))
        row = self.db.read(lambda conn: conn.execute(q).first())
        if row is None:
            return None
        return TokenRecord(*row[:4], projects=_projects_of(row[4]))

    def any_live(self) -> bool:
        """True when the store holds at least one token that is not revoked."""
        q = sa.select(tokens.c.id).where(tokens.c.revoked_at.is_(None)).limit(1)
        return bool(self.db.read(lambda conn: conn.execute(q).first()) is not None)

    def record(self, action: str, run_ids: list[str], actor: str) -> None:
        """Keep who did `action` (delete, archive, unarchive) to which runs, and when."""
        row = {"at": time.time(), "action": action, "run_ids": orjson.dumps(run_ids).decode(),
               "actor": actor}  # fmt: skip
        self.db.write(lambda conn: conn.execute(sa.insert(audit), row))

    def audit_log(self) -> list[AuditRecord]:
        q = sa.select(audit.c.at, audit.c.action, audit.c.run_ids, audit.c.actor).order_by(
            audit.c.id
        )
        rows = self.db.read(lambda conn: conn.execute(q).all())
        return [AuditRecord(float(a), str(b), orjson.loads(c), str(d)) for a, b, c, d in rows]


def _tokens(store: Store) -> Tokens:
    tokens_of = getattr(store, "tokens", None)
    if not isinstance(tokens_of, Tokens):
        raise UsageError(
            f"tokens live in a SQLite or PostgreSQL store, not in {store.url!r}: run "
            "`trainboard token` where TRAINBOARD_DB names the server's store"
        )
    return tokens_of


# the functions the server and the CLI call, on any store (UsageError unless it is SQL) -------
def create(
    store: Store, name: str, scope: str, projects: Sequence[str] | None = None
) -> tuple[str, TokenRecord]:
    """A new token of `scope` named `name`, limited to `projects` when given: (the token,
    shown once; its record)."""
    return _tokens(store).create(name, scope, projects)


def list_tokens(store: Store, revoked: bool = False) -> list[TokenRecord]:
    return _tokens(store).list_tokens(revoked)


def revoke(store: Store, name: str) -> int:
    """Revoke the live token named `name`; UsageError when there is none."""
    return _tokens(store).revoke(name)


def lookup(store: Store, token: str) -> TokenRecord | None:
    """The live token record whose hash matches `token`, or None."""
    return _tokens(store).lookup(token)


def any_live(store: Store) -> bool:
    """True when the store holds at least one token that is not revoked."""
    return _tokens(store).any_live()


def record(store: Store, action: str, run_ids: list[str], actor: str) -> None:
    """Keep who did `action` (delete, archive, unarchive) to which runs, and when."""
    _tokens(store).record(action, run_ids, actor)


def audit_log(store: Store) -> list[AuditRecord]:
    return _tokens(store).audit_log()
