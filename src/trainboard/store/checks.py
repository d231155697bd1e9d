"""What every engine refuses in a run record, a run update or a histogram, checked in the
caller.

Why a module of its own, below the engines: the SQL store refuses these before it writes a
row, and the remote store refuses the same values before it queues them for the server, so
that a bad record raises in the training script on every engine alike (the contract suite
checks it on SQLite, PostgreSQL and the remote store). One copy here serves both; it needs
no SQL, so the remote client never imports SQLAlchemy (tests/test_layers.py holds it to
that). How the checked values are spelled as rows stays with the SQL engine
(store/sql/rows.py).
"""

from __future__ import annotations

import time
from typing import Any

import orjson

from trainboard import limits
from trainboard.errors import UsageError
from trainboard.store.records import STATUSES, UPDATABLE, HistogramRecord, RunRecord

JSON_FIELDS = frozenset({"config", "tags", "goals"})
TEXT_FIELDS = frozenset({"project", "name", "model", "host", "notes"})
INT_FIELDS = {"total_steps": 64, "pid": 32, "last_step": 64}


def dumps_json(v: Any, field: str = "value") -> str:
    """JSON text for config/tags/goals. orjson writes NaN/inf as null (documented)."""
    try:
        return orjson.dumps(v, option=orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS).decode()
    except (orjson.JSONEncodeError, TypeError) as e:
        raise UsageError(f"{field} cannot be stored as JSON: {e}") from None


def check_status(status: Any) -> None:
    if status not in STATUSES:
        raise UsageError(f"status must be one of {', '.join(STATUSES)}, got {status!r}")


def check_run_fields(where: str, fields: dict[str, Any]) -> None:
    """Refuse run column values no engine can store (see limits.py)."""
    for k, v in fields.items():
        if v is None:
            continue
        if k == "project":
            limits.check_key(f"{where}: project", v)
        elif k in TEXT_FIELDS:
            limits.check_text(f"{where}: {k}", v)
        elif k in INT_FIELDS:
            limits.check_int(f"{where}: {k}", v, bits=INT_FIELDS[k])
        elif k == "tags":
            for t in v if isinstance(v, list | tuple) else [v]:
                limits.check_text(f"{where}: tag", t)


def check_new_run(run: RunRecord) -> dict[str, str]:
    """Refuse a new run no engine can store, fill its created_at when unset, and return its
    JSON fields (config, tags, goals) as text: dumping them is how they are checked."""
    if not isinstance(run.id, str) or not 0 < len(run.id) <= 64:
        raise UsageError(f"create_run: run id must be a str of 1 to 64 chars, got {run.id!r}")
    limits.check_text("create_run: run id", run.id)
    check_status(run.status)
    check_run_fields("create_run", {f: getattr(run, f) for f in (*TEXT_FIELDS, "tags")})
    check_run_fields("create_run", {f: getattr(run, f) for f in INT_FIELDS})
    if not run.created_at:
        run.created_at = time.time()
    return {
        "config": dumps_json(run.config, "create_run: config"),
        "tags": dumps_json(list(run.tags), "create_run: tags"),
        "goals": dumps_json(run.goals, "create_run: goals"),
    }


def update_values(fields: dict[str, Any]) -> dict[str, Any]:
    """Run fields to set, checked, as the values to store (JSON text for config, tags and
    goals; booleans for the flags). A run set running again gets finished_at cleared."""
    unknown = sorted(set(fields) - UPDATABLE)
    if unknown:
        allowed = ", ".join(sorted(UPDATABLE))
        raise UsageError(f"update_run: unknown field {unknown[0]!r} (allowed: {allowed})")
    if "status" in fields:
        check_status(fields["status"])
        if fields["status"] == "running" and "finished_at" not in fields:
            # a run that comes back (resumed, or heartbeats after being marked crashed)
            # has not finished: a kept finished_at would freeze its duration
            fields = {**fields, "finished_at": None}
    check_run_fields("update_run", fields)
    values = {
        k: (dumps_json(v, f"update_run: {k}") if k in JSON_FIELDS else v) for k, v in fields.items()
    }
    for flag in ("archived", "chosen"):
        if flag in values:
            values[flag] = bool(values[flag])
    return values


def check_histogram(r: HistogramRecord) -> tuple[str, int]:
    """Refuse a histogram no engine can store (edges that do not fit the counts, a bad key
    or step, statistics that are not numbers); its checked (key, step)."""
    if len(r.edges) != len(r.counts) + 1:
        raise UsageError(
            f"histogram {r.key!r} at step {r.step}: edges needs len(counts) + 1 = "
            f"{len(r.counts) + 1} entries, got {len(r.edges)}"
        )
    key = limits.check_key("write_histograms: key", r.key)
    step = limits.check_int(f"write_histograms: {r.key!r} step", r.step)
    for v in (r.wall_time, r.min, r.max, r.sum):
        float(v)  # a value that is not a number raises here, in the caller
    int(r.count)
    return key, step


__all__ = [
    "INT_FIELDS",
    "JSON_FIELDS",
    "TEXT_FIELDS",
    "check_histogram",
    "check_new_run",
    "check_run_fields",
    "check_status",
    "dumps_json",
    "update_values",
]
