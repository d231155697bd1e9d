"""A rank that stopped sending heartbeats crashes its run, naming the rank and its host.

Each rank of a multi-process job beats its own heartbeat (sdk/ranks.py: its "ranks" value
with "seen_at", stamped on the store's clock by the store). A rank on another host sends
through the team server, so no one can check its pid: the heartbeat is the only sign that
it lives. A rank other than 0 that has not recorded an end and whose heartbeat is older
than TRAINBOARD_HEARTBEAT_TIMEOUT died or lost its host; the run is then crashed, once,
with an event and the notes saying which rank, on which host, at which step. Rank 0's
heartbeat is the run's own (analysis/status.py). A rank that ended (finished, failed,
killed), one that never beat (an older client, heartbeats off) and one not started yet
are never judged.
"""

from __future__ import annotations

from typing import Any

from trainboard import settings
from trainboard.store.base import Store
from trainboard.store.records import EventRecord, RunRecord

NAMESPACE = "ranks"  # sdk/ranks.py's run-values namespace
_HINT = "sys/rank"  # keys every rank reports: only runs with them are read


def silent_ranks(
    ranks: dict[str, Any], now: float, timeout: float
) -> list[tuple[int, dict[str, Any]]]:
    """(rank, its value) for the ranks other than 0 that stopped beating, by rank."""
    silent = []
    for key, info in ranks.items():
        if key == "0" or not key.isdigit() or not isinstance(info, dict):
            continue
        seen = info.get("seen_at")
        if info.get("ended") is None and isinstance(seen, (int, float)) and now - seen > timeout:
            silent.append((int(key), info))
    return sorted(silent, key=lambda s: s[0])


def describe(rank: int, info: dict[str, Any]) -> str:
    """ "rank 1 (host b, GPU 1) stopped sending heartbeats at step 40"."""
    gpu = "-" if info.get("local_rank") is None else str(info["local_rank"])
    step = info.get("seen_step")
    at = f" at step {step}" if isinstance(step, int) and step >= 0 else ""
    return f"rank {rank} (host {info.get('host')}, GPU {gpu}) stopped sending heartbeats{at}"


def crash_if_a_rank_is_silent(store: Store, run: RunRecord, now: float) -> bool:
    """Mark the running `run` crashed when one of its ranks stopped beating; True when this
    call did (the record is updated in place). `now`: the store's clock."""
    if run.status != "running" or not any(k.startswith(_HINT) for k in run.summary):
        return False
    timeout = settings.heartbeat_timeout()
    silent = silent_ranks(store.read_run_values(run.id, NAMESPACE), now, timeout)
    if not silent:
        return False
    rank, info = silent[0]
    notes = describe(rank, info)
    text = (
        f"no heartbeat from process {info.get('pid')} for over {timeout:g} s "
        "(TRAINBOARD_HEARTBEAT_TIMEOUT): it died, hangs without its reporter thread, or its "
        "host was lost"
    )
    step = run.last_step
    if not store.update_run_if(run.id, "running", status="crashed", finished_at=now, notes=notes):
        return False
    events = [EventRecord("rank", describe(r, i), text, "error", now, step) for r, i in silent]
    store.add_events(run.id, events)
    run.status, run.finished_at, run.notes = "crashed", now, notes
    return True


def rank_crash_notes(store: Store, run: RunRecord) -> str | None:
    """The run's notes when its crash was a rank's: which rank, host and step (and the error
    where the rank said one). Such a crash writes the notes and an error event of kind
    "rank" whose title begins them (this module, and sdk/ranks.py for a rank rank 0 found
    dead); None for any other crash, whose notes are the user's own."""
    notes = run.notes
    if not notes or run.status != "crashed":
        return None
    for e in store.read_events(run.id):
        if e.kind == "rank" and e.level == "error" and e.title and notes.startswith(e.title):
            return notes
    return None


__all__ = ["crash_if_a_rank_is_silent", "describe", "rank_crash_notes", "silent_ranks"]
