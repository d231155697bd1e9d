"""Tokens own what they write: a run belongs to the token (or the loopback user) that created
it, and only its owner or an admin token may change it through ingest.

Why: a `write` token is what a training job holds, often on a shared cluster. Without owners
any job's token could rename, re-status or re-config any run and overwrite its points.

The owner is kept in the store (run_values namespace `owner`, which the API and the ingest
ops cannot write), so every server process on one database agrees. A run created without a
token (a loopback server, the SDK writing to the database directly) is owned by "local",
which only an admin token may change through a server that requires tokens.

Every write through a token is in the audit table: each create and each change of a run's
fields (not the heartbeat alone), and the first write of each kind (points, texts, ...) by
each token to each run in this server process.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from trainboard.errors import ForbiddenError
from trainboard.store.base import Store
from trainboard.store.records import OWNER_NAMESPACE
from trainboard.store.remote.wire import AnyOp, op_run_id
from trainboard.store.remote.wire.ops import CreateRunOp, UpdateRunOp
from trainboard.store.sql import tokens as token_store

LOCAL = "local"
"""The actor of a request to a server without tokens (security.py), and the owner of runs
made without one."""


@dataclass(frozen=True)
class Who:
    """Who sent a request: the token's name and scope (LOCAL/admin without tokens), and the
    projects the token is limited to (None: every project)."""

    actor: str
    scope: str
    projects: tuple[str, ...] | None = None

    @property
    def with_token(self) -> bool:
        return self.actor != LOCAL

    def may_see(self, project: str) -> bool:
        return self.projects is None or project in self.projects

    def check_project(self, project: str, run_id: str | None = None) -> None:
        """ForbiddenError naming `project` (and the run) unless the token may touch it."""
        if self.may_see(project):
            return
        what = f"run {run_id} of project {project!r}" if run_id else f"project {project!r}"
        allowed = ", ".join(repr(p) for p in self.projects or ())
        raise ForbiddenError(
            f"token {self.actor!r} is limited to project(s) {allowed}: it may not read or "
            f"change {what}"
        )


class Owners:
    """Owners of runs, read once per run and process, and the audit of ingest writes."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._owner: dict[str, str] = {}
        self._project: dict[str, str] = {}
        self._audited: set[tuple[str, str, str]] = set()
        self._lock = threading.Lock()

    def owner(self, run_id: str) -> str:
        with self._lock:
            known = self._owner.get(run_id)
        if known is not None:
            return known
        found = self.store.read_run_values(run_id, OWNER_NAMESPACE).get("by")
        owner = str(found) if isinstance(found, str) and found else LOCAL
        with self._lock:
            self._owner[run_id] = owner
        return owner

    def claim(self, run_id: str, who: Who) -> None:
        self.store.write_run_values(run_id, OWNER_NAMESPACE, {"by": who.actor})
        with self._lock:
            self._owner[run_id] = who.actor

    def project(self, run_id: str) -> str:
        """The run's project (a run never changes project), read once per run and process;
        RunNotFoundError."""
        with self._lock:
            known = self._project.get(run_id)
        if known is not None:
            return known
        found = self.store.get_run(run_id).project
        with self._lock:
            self._project[run_id] = found
        return found

    def check(self, op: AnyOp, who: Who) -> bool:
        """Raise ForbiddenError when `who` may not apply `op`; True when the op creates a new
        run (whose owner is then claimed by `created`)."""
        run_id = op_run_id(op)
        if isinstance(op, CreateRunOp):
            who.check_project(op.run.project, run_id)
            if not self._exists(run_id):
                return True
        self.check_change(run_id, who)
        return False

    def check_change(self, run_id: str, who: Who) -> None:
        """Raise ForbiddenError unless `who` owns run `run_id` or is an admin (or no token
        is in use), and the token may touch the run's project: the rule for every change of
        an existing run, ingest or stop alike."""
        if who.projects is not None:
            who.check_project(self.project(run_id), run_id)
        if not who.with_token or who.scope == "admin":
            return
        owner = self.owner(run_id)
        if owner != who.actor:
            by = "no token (a local process)" if owner == LOCAL else f"token {owner!r}"
            raise ForbiddenError(
                f"token {who.actor!r} may not change run {run_id}, which {by} created: only "
                "its owner or an admin token may"
            )

    def _exists(self, run_id: str) -> bool:
        from trainboard.errors import RunNotFoundError

        try:
            self.store.get_run(run_id)
        except RunNotFoundError:
            return False
        return True

    def audit(self, op: AnyOp, who: Who) -> None:
        """Record a write made through a token (see the module docstring)."""
        if not who.with_token:
            return
        run_id = op_run_id(op)
        if isinstance(op, CreateRunOp):
            action = "create"
        elif isinstance(op, UpdateRunOp):
            fields = {
                k for k, v in op.fields.items()
                if k != "heartbeat_at" and not (k == "status" and v == "running")
            }  # fmt: skip
            if not fields:
                return  # a heartbeat
            action = "update"
        else:
            action = type(op).__name__.removesuffix("Op").lower()[:16]
            key = (who.actor, run_id, action)
            with self._lock:
                if key in self._audited:
                    return
                self._audited.add(key)
        token_store.record(self.store, action, [run_id], who.actor)
