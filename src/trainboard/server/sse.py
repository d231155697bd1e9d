"""Live updates: one poller per app watches the store and tells every open page what changed.

Why a poller and not a push from the writer: writers are other processes (the SDK in a training
script, several ranks, remote clients through ingest), and the store is the only place they all
meet. Every ~200 ms while a page is open (every IDLE_SECONDS, and less, while none is) the
poller makes two cheap queries (the newest run, and the running runs with their summaries,
by a partial index), counts every run every COUNT_SECONDS, marks
running runs whose process died as crashed (analysis.status.reconcile), and compares what
it read with what it saw last:

- `points` `{"run", "last_step", "keys"}` for a run whose metrics got new points (a page then
  fetches `series?since=` for only those);
- `runs` `{"ids"}` when runs appeared, disappeared, or changed status or flags.

The SDK flushes every 0.5 s, so a log() call reaches an open page well within a second.

A page whose token is limited to projects (`token create --project P`) gets only events about
its projects' runs: each event carries the project of every run it names, and each
subscriber's copy keeps the runs it may see (an event left naming none is not sent). A
`runs` event naming no run (the count changed, by another process) is sent as it is: it
names nothing.

Every RECOVER_SECONDS the poller also writes the journals that killed processes on this host
left (journal/recovery.py), so a running dashboard recovers a SIGKILLed run's last points
and marks it crashed by itself, without waiting for some other trainboard process to open
the store.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import weakref
from collections.abc import AsyncIterator
from dataclasses import dataclass

from trainboard.analysis.status import reconcile
from trainboard.errors import RunNotFoundError
from trainboard.journal.recovery import recover_orphans
from trainboard.server.alerting import ServerAlerts
from trainboard.server.jsonio import dumps
from trainboard.store.base import Store
from trainboard.store.queries import RunQuery
from trainboard.store.records import RunRecord

log = logging.getLogger("trainboard.server")

PING_S = 15.0
_QUEUE_MAX = 1000


RECOVER_SECONDS = 1.0

"""How often the poller looks for journals of dead processes (a glob of one folder)."""

COUNT_SECONDS = 2.0
"""How often the poller counts every run (deleted runs from other processes). In between it
reads only the newest run, one index seek; runs created or deleted through this server are
announced at once by the routes."""

IDLE_SECONDS = 2.0
"""The poll interval while no page is open. Only what must happen without a page is done
then (crashed runs marked, alerts, journals recovered) and the running runs' baseline kept,
not the count or the newest run (they only tell pages the list changed), so a server with
100,000 runs and no page open stays idle. A page's stream opening wakes the poller at once;
its first watched poll takes the count as its new baseline (the page fetches after its
stream opened, so it has what changed before), and no point or new running run after the
stream opened is missed: the running runs' baseline was kept all along. What it can miss is
a finished run imported or deleted by another process in the milliseconds between the
stream opening and that poll; the next change of the list brings it."""


Projects = tuple[str, ...] | None
"""The projects a subscriber's token is limited to; None: every project."""

Owners = dict[str, str | None]
"""The project of each run an event names (None: not known, a run deleted before seen)."""


@dataclass(frozen=True)
class _Seen:
    project: str
    status: str
    last_step: int | None
    keys: dict[str, tuple[int, int]]  # key -> (count, last_step)


def _seen(run: RunRecord) -> _Seen:
    return _Seen(
        run.project,
        run.status,
        run.last_step,
        {k: (s.count, s.last_step) for k, s in run.summary.items()},
    )


def encode(event: str, data: object) -> bytes:
    return b"event: " + event.encode() + b"\ndata: " + dumps(data) + b"\n\n"


def visible(event: str, data: object, owners: Owners, projects: Projects) -> object | None:
    """What a subscriber limited to `projects` may see of an event: the data with only the
    runs of its projects, or None when it named runs and none of them is."""
    if projects is None or not isinstance(data, dict):
        return data
    if event == "points":
        return data if owners.get(str(data.get("run"))) in projects else None
    if event == "runs":
        ids = list(data.get("ids") or [])
        mine = [i for i in ids if owners.get(i) in projects]
        return {**data, "ids": mine} if mine or not ids else None
    return data


class EventHub:
    """The poller and the subscribers of one app (started and stopped by its lifespan)."""

    def __init__(
        self, store: Store, interval: float = 0.2, alerts: ServerAlerts | None = None
    ) -> None:
        self.store = store
        self.interval = interval
        self._next_recovery = 0.0
        self.alerts = alerts
        self._subscribers: dict[asyncio.Queue[bytes | None], Projects] = {}
        self._owners: Owners = {}  # the projects of the runs the last poll's events name
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._running: dict[str, _Seen] = {}
        self._count: int | None = None
        self._newest: tuple[float, str] | None = None
        self._next_count = 0.0
        self._wake: asyncio.Event | None = None
        self._rebase = False  # the first page after none: count again, quietly

    # lifecycle ------------------------------------------------------------------------
    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self._task = asyncio.create_task(self._poll_forever(), name="trainboard-sse-poller")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for q in list(self._subscribers):
            self._offer(q, None)  # ends each open stream

    # publishing -----------------------------------------------------------------------
    def publish(self, event: str, data: object, owners: Owners | None = None) -> None:
        """Send to every subscriber (to one limited to projects, only what `visible` keeps;
        `owners`: the project of each run the event names); safe to call from any thread."""
        owners = owners or {}
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._broadcast(event, data, owners)
        else:
            loop.call_soon_threadsafe(self._broadcast, event, data, owners)

    def runs_changed(self, ids: list[str] | None = None, owners: Owners | None = None) -> None:
        """An action route changed runs (archive, delete): pages refresh their lists. The
        runs' projects are read here (in the route's thread) unless `owners` has them (a
        delete reads them before the runs go)."""
        found: Owners = dict(owners or {})
        for rid in ids or []:
            if rid not in found:
                try:
                    found[rid] = self.store.get_run(rid).project
                except Exception:  # gone or unreadable: no limited page is told of it
                    found[rid] = None
        self.publish("runs", {"ids": ids or []}, found)

    def _broadcast(self, event: str, data: object, owners: Owners) -> None:
        whole: bytes | None = None
        for q, projects in list(self._subscribers.items()):
            if projects is None:
                whole = whole or encode(event, data)
                self._offer(q, whole)
                continue
            mine = visible(event, data, owners, projects)
            if mine is not None:
                self._offer(q, encode(event, mine))

    @staticmethod
    def _offer(q: asyncio.Queue[bytes | None], message: bytes | None) -> None:
        with contextlib.suppress(asyncio.QueueFull):  # a stalled client misses events, not memory
            q.put_nowait(message)

    # subscribing ----------------------------------------------------------------------
    def stream(self, projects: Projects = None) -> AsyncIterator[bytes]:
        """One client's event stream, of the runs of `projects` (None: every run); ends when
        the client goes or the app stops.

        The client is subscribed here, before the response's headers go out: a page that saw
        its stream open has missed no change after that (pages fetch once the stream is open,
        and catch up only after a reopen). A stream never iterated (its client left at once)
        is unsubscribed when it is collected."""
        q: asyncio.Queue[bytes | None] = asyncio.Queue(_QUEUE_MAX)
        if not self._subscribers:
            self._rebase = True
        self._subscribers[q] = projects
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None and not loop.is_closed():
            loop.call_soon_threadsafe(wake.set)  # an idle poller: watch from now on
        gen = self._drain(q)
        weakref.finalize(gen, self._subscribers.pop, q, None)
        return gen

    async def _drain(self, q: asyncio.Queue[bytes | None]) -> AsyncIterator[bytes]:
        try:
            yield b"retry: 1000\n\n"
            while True:
                try:
                    message = await asyncio.wait_for(q.get(), PING_S)
                except TimeoutError:
                    yield b": ping\n\n"
                    continue
                if message is None:
                    return
                yield message
        finally:
            self._subscribers.pop(q, None)

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)

    # polling --------------------------------------------------------------------------
    async def _poll_forever(self) -> None:
        warned = False
        while True:
            watched = bool(self._subscribers)
            try:
                for event, data in await asyncio.to_thread(self.poll, watched):
                    self._broadcast(event, data, self._owners)
                warned = False
            except Exception:  # the store may be briefly unavailable; keep polling
                if not warned:
                    log.exception("live updates: polling the store failed; retrying")
                    warned = True
            wake = self._wake
            pause = self.interval if watched else max(self.interval, IDLE_SECONDS)
            if wake is None:
                await asyncio.sleep(pause)
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), pause)
            wake.clear()

    def _crashed_by_recovery(self, run_ids: list[str]) -> list[RunRecord]:
        """The runs recovery just marked crashed: a killed process's journal is written (and
        its run marked) before reconcile() would see the run, so the alert comes from here."""
        runs = []
        for rid in run_ids:
            with contextlib.suppress(RunNotFoundError):
                run = self.store.get_run(rid)
                if run.status == "crashed":
                    runs.append(run)
        return runs

    def poll(self, watched: bool = True) -> list[tuple[str, object]]:
        """Compare the store with the last poll; return the events to send. Unwatched (no
        page open, see IDLE_SECONDS), the count and the newest run are left as they were."""
        recovered: list[RunRecord] = []
        if time.monotonic() >= self._next_recovery:
            self._next_recovery = time.monotonic() + RECOVER_SECONDS
            recovered = self._crashed_by_recovery(recover_orphans(self.store, self.store.url))
        count = self._count
        if watched or count is None:
            rebase, self._rebase = self._rebase and watched, False
            page = self.store.list_runs(RunQuery(archived=None, limit=1))
            top = (page[0].created_at, page[0].id) if page else None
            stale = top != self._newest or time.monotonic() >= self._next_count
            if count is None or stale or rebase:
                self._next_count = time.monotonic() + COUNT_SECONDS
                count = self.store.count_runs(RunQuery(archived=None))
                if rebase and self._count is not None:
                    self._count = count  # changes from before the page came: it fetches them
            self._newest = top
        running = {r.id: r for r in self.store.list_runs(RunQuery(status="running", archived=None))}
        crashed = reconcile(self.store, running.values())  # a dead process's run: crashed, once
        crashed += recovered  # its journal written first: recovery marked it, it still alerts
        if self.alerts is not None:
            self.alerts.crashed(crashed)
            self.alerts.running(r for r in running.values() if r.status == "running")
        events: list[tuple[str, object]] = []
        changed: list[str] = []
        first = self._count is None
        # runs that stopped running since last time: read once more for their last points
        gone = [rid for rid in self._running if rid not in running]
        current = dict(running)
        for rid in gone:
            with contextlib.suppress(KeyError):  # deleted
                current[rid] = self.store.get_run(rid)
        for rid, run in current.items():
            now = _seen(run)
            before = self._running.get(rid)
            if before is None and not first:
                changed.append(rid)  # new, or running again (resumed)
            if before is not None and before.status != now.status:
                changed.append(rid)
            old_keys = before.keys if before else {}
            if not first:
                keys = sorted(k for k, v in now.keys.items() if old_keys.get(k) != v)
                if keys:
                    events.append(
                        ("points", {"run": rid, "last_step": run.last_step, "keys": keys})
                    )
        if not first and count != self._count:
            changed.extend(rid for rid in gone if rid not in current)
        if changed or (not first and count != self._count):
            events.append(("runs", {"ids": sorted(set(changed))}))
        self._count = count
        owners: Owners = {rid: seen.project for rid, seen in self._running.items()}
        owners.update((rid, r.project) for rid, r in current.items())
        self._owners = owners
        self._running = {rid: _seen(r) for rid, r in running.items()}
        return events
