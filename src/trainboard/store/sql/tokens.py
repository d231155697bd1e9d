"""Scoped API tokens and the audit record of destructive actions, kept in a SQL store.

Why in the store: a team server may be several `trainboard ui` processes on one PostgreSQL
database, and a token made with `trainboard token create` must work on all of them, and be
revoked on all of them, without a restart or shared files.

A token is `tb_` and 32 random bytes (base64url). Only its SHA-256 is stored: the tokens are
random, not passwords, so a fast hash is as strong as a slow one and a lookup is one indexed
query. Scopes are ordered: `read` sees runs, `write` also logs (the remote SDK's ingest),
`admin` also archives and deletes. Names are unique among tokens that are not revoked.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from typing import Literal

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from trainboard.errors import UsageError
from trainboard.store import limits
from trainboard.store.base import Store
from trainboard.store.sql.schema import audit, tokens
from trainboard.store.sql.store import SQLStore

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


@dataclass
class AuditRecord:
    at: float
    action: str
    run_ids: list[str]
    actor: str


def allows(scope: str, needed: Scope) -> bool:
    """True when a token of `scope` may do what needs `needed` (read < write < admin)."""
    return scope in SCOPES and SCOPES.index(scope) >= SCOPES.index(needed)  # type: ignore[arg-type]


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _sql(store: Store) -> SQLStore:
    if not isinstance(store, SQLStore):
        raise UsageError(
            f"tokens live in a SQLite or PostgreSQL store, not in {store.url!r}: run "
            "`trainboard token` where TRAINBOARD_DB names the server's store"
        )
    return store


def create(store: Store, name: str, scope: str) -> tuple[str, TokenRecord]:
    """A new token of `scope` named `name`: (the token, shown once; its record)."""
    sql = _sql(store)
    limits.check_key("token name", name)
    if scope not in SCOPES:
        raise UsageError(f"token scope must be one of {', '.join(SCOPES)}, got {scope!r}")
    token = PREFIX + secrets.token_urlsafe(32)
    now = time.time()

    def tx(conn: Connection) -> int:
        taken = conn.execute(
            sa.select(tokens.c.id).where(tokens.c.name == name, tokens.c.revoked_at.is_(None))
        ).first()
        if taken is not None:
            raise UsageError(f"a token named {name!r} already exists: revoke it first")
        row = {"name": name, "scope": scope, "hash": digest(token), "created_at": now}
        return int(conn.execute(sa.insert(tokens), row).inserted_primary_key[0])  # type: ignore[index]

    token_id = sql._write(tx)
    return token, TokenRecord(token_id, name, scope, now)  # type: ignore[arg-type]


def list_tokens(store: Store, revoked: bool = False) -> list[TokenRecord]:
    sql = _sql(store)
    q = sa.select(tokens.c.id, tokens.c.name, tokens.c.scope, tokens.c.created_at,
                  tokens.c.revoked_at).order_by(tokens.c.id)  # fmt: skip
    if not revoked:
        q = q.where(tokens.c.revoked_at.is_(None))
    rows = sql._read(lambda conn: conn.execute(q).all())
    return [TokenRecord(*r) for r in rows]


def revoke(store: Store, name: str) -> int:
    """Revoke the live token named `name`; UsageError when there is none."""
    sql = _sql(store)

    def tx(conn: Connection) -> int:
        res = conn.execute(
            sa.update(tokens)
            .where(tokens.c.name == name, tokens.c.revoked_at.is_(None))
            .values(revoked_at=time.time())
        )
        if res.rowcount == 0:
            raise UsageError(f"no live token named {name!r} (see `trainboard token list`)")
        return int(res.rowcount)

    return int(sql._write(tx))


def lookup(store: Store, token: str) -> TokenRecord | None:
    """The live token record whose hash matches `token`, or None."""
    sql = _sql(store)
    q = sa.select(tokens.c.id, tokens.c.name, tokens.c.scope, tokens.c.created_at).where(
        tokens.c.hash == digest(token), tokens.c.revoked_at.is_(None)
    )
    row = sql._read(lambda conn: conn.execute(q).first())
    return None if row is None else TokenRecord(*row)


def any_live(store: Store) -> bool:
    """True when the store holds at least one token that is not revoked."""
    sql = _sql(store)
    q = sa.select(tokens.c.id).where(tokens.c.revoked_at.is_(None)).limit(1)
    return bool(sql._read(lambda conn: conn.execute(q).first()) is not None)


def record(store: Store, action: str, run_ids: list[str], actor: str) -> None:
    """Keep who did `action` (delete, archive, unarchive) to which runs, and when."""
    sql = _sql(store)
    row = {"at": time.time(), "action": action, "run_ids": orjson.dumps(run_ids).decode(),
           "actor": actor}  # fmt: skip
    sql._write(lambda conn: conn.execute(sa.insert(audit), row))


def audit_log(store: Store) -> list[AuditRecord]:
    sql = _sql(store)
    q = sa.select(audit.c.at, audit.c.action, audit.c.run_ids, audit.c.actor).order_by(audit.c.id)
    rows = sql._read(lambda conn: conn.execute(q).all())
    return [AuditRecord(float(a), str(b), orjson.loads(c), str(d)) for a, b, c, d in rows]
