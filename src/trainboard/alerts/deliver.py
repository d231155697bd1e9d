"""Delivery: one background thread per process takes alerts to their channels.

Why a thread of its own: a webhook that hangs or an SMTP server that is down must never slow
the training loop (nor the writer, whose lateness would look like a lost heartbeat). Each
delivery is tried at once, then again after 1, 2, 4 and 8 s; after the last failure the run
gets an event saying which channel did not get which alert (the channel shown without its
secret), and nothing is raised anywhere.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from trainboard.alerts.kinds import Alert
from trainboard.alerts.send import SENDERS, shown
from trainboard.store.sql.channels import ChannelRecord

RETRY_DELAYS = (1.0, 2.0, 4.0, 8.0)

Note = Callable[[str], None]
"""Called with a sentence when a delivery failed for good (puts it on the run)."""


@dataclass
class _Job:
    channel: ChannelRecord
    alert: Alert
    link: str | None
    note: Note | None
    tries: int = 0
    due: float = 0.0


class Deliverer:
    """The queue and its thread (started on first use)."""

    def __init__(self, delays: tuple[float, ...] = RETRY_DELAYS) -> None:
        self._delays = delays
        self._queue: queue.Queue[_Job] = queue.Queue()
        self._waiting: list[_Job] = []  # failed once, waiting for their next try
        self._busy = 0
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.sent = 0
        self.failed = 0

    def put(
        self, channel: ChannelRecord, alert: Alert, link: str | None, note: Note | None
    ) -> None:
        with self._lock:
            self._busy += 1
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._main, name="trainboard-alerts", daemon=True
                )
                self._thread.start()
        self._queue.put(_Job(channel, alert, link, note))

    def flush(self, timeout: float) -> bool:
        """Wait until every queued alert is delivered or given up on (True), or `timeout`."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with self._lock:
                if self._busy == 0:
                    return True
            time.sleep(0.02)
        return False

    def _main(self) -> None:
        while True:
            wait = None
            if self._waiting:
                wait = max(0.0, min(j.due for j in self._waiting) - time.monotonic())
            with contextlib.suppress(queue.Empty):
                self._attempt(self._queue.get(timeout=wait))
            now = time.monotonic()
            due = [j for j in self._waiting if j.due <= now]
            self._waiting = [j for j in self._waiting if j.due > now]
            for job in due:
                self._attempt(job)

    def _attempt(self, job: _Job) -> None:
        try:
            SENDERS[job.channel.kind](job.channel, job.alert, job.link)
        except Exception as exc:  # any failure of any channel: retry, then note it
            if job.tries < len(self._delays):
                job.due = time.monotonic() + self._delays[job.tries]
                job.tries += 1
                self._waiting.append(job)
                return
            self.failed += 1
            if job.note is not None:
                reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                if job.channel.secret:
                    reason = reason.replace(job.channel.secret, "…")
                reason = reason.replace(job.channel.target, shown(job.channel))
                with contextlib.suppress(Exception):
                    job.note(
                        f"the {job.alert.kind!r} alert did not reach {shown(job.channel)} "
                        f"after {job.tries + 1} tries ({reason})"
                    )
        else:
            self.sent += 1
        with self._lock:
            self._busy -= 1


_deliverer: Deliverer | None = None
_made = threading.Lock()


def deliverer() -> Deliverer:
    """The process's deliverer."""
    global _deliverer
    with _made:
        if _deliverer is None:
            _deliverer = Deliverer()
        return _deliverer
