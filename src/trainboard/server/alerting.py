"""The server's part of alerting: what only a server sees, and its clients' alerts.

- A crash is known only from outside the dead process: the live poller (server/sse.py) marks
  running runs whose heartbeat stopped as crashed (analysis.status.reconcile), and each such
  run fires a "crashed" alert here, once. A run crashed by one of its ranks (a rank that
  stopped beating: analysis/rankbeat.py) says what its notes say: which rank, host and step.
- A team server's clients cannot read channels (their secrets stay on the server): they record
  their alerts as run events through ingest, and the server delivers them as they arrive.
- Threshold rules are checked here for every running run against its summary's last values,
  so runs of remote clients get them too (a local training process checks its own as well;
  the run's "alerts" values keep either from sending one twice).
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterable

from trainboard.alerts import Alert
from trainboard.alerts.fire import EVENT_PREFIX, alert_of, deliver, fire, thresholds
from trainboard.alerts.rules import Rule
from trainboard.analysis.rankbeat import rank_crash_notes
from trainboard.store.base import Store
from trainboard.store.records import EventRecord, RunRecord
from trainboard.store.sql.channels import ChannelRecord

log = logging.getLogger("trainboard.server")

CHANNELS_EVERY = 30.0


class ServerAlerts:
    """Called by the poller with what it saw; keeps which channels have thresholds."""

    def __init__(self, store: Store, base_url: str | None = None) -> None:
        self.store = store
        self.base_url = base_url
        self._rules_at = 0.0
        self._rules: dict[str, list[tuple[ChannelRecord, Rule]]] = {}

    def crashed(self, runs: Iterable[RunRecord]) -> None:
        """Runs the poller just marked crashed."""
        for run in runs:
            step = run.last_step
            try:  # a rank's crash: the notes say which rank, host, step and error
                told = rank_crash_notes(self.store, run)
            except Exception:  # deleted meanwhile: the generic reason still goes out
                told = None
            if told is not None:
                reason = f"crashed: {told}"
            else:
                beat = run.heartbeat_at or run.created_at
                reason = (
                    f"crashed: no heartbeat since "
                    f"{time.strftime('%H:%M:%S', time.localtime(beat))}"
                    f" (last step {step if step is not None else '—'}, host {run.host or '?'})"
                )
            alert = Alert(run.id, run.name, run.project, "crashed", reason, "error", step)
            self._fire(alert)

    def running(self, runs: Iterable[RunRecord]) -> None:
        """Threshold rules against each running run's last values."""
        now = time.monotonic()
        if now >= self._rules_at:
            self._rules_at = now + CHANNELS_EVERY
            self._rules = {}
        for run in runs:
            rules = self._rules.get(run.project)
            if rules is None:
                rules = self._rules[run.project] = list(thresholds(self.store, run.project))
            for channel, rule in rules:
                s = run.summary.get(rule.key)
                if s is None or not rule.holds(s.last):
                    continue
                reason = f"{rule.key} = {s.last:g}, crossing {rule} at step {s.last_step}"
                alert = Alert(run.id, run.name, run.project, "threshold", reason, "info",
                              s.last_step, subject=f"{channel.id}:{rule}")  # fmt: skip
                self._fire(alert, only=channel)

    def _fire(self, alert: Alert, only: ChannelRecord | None = None) -> None:
        try:
            fire(self.store, alert, only=only, base_url=self.base_url)
        except Exception:  # a run deleted meanwhile, a store hiccup: never stop the poller
            log.exception("alerts: could not fire %s for run %s", alert.kind, alert.run_id)

    def relay(self, run_id: str, events: Iterable[EventRecord]) -> None:
        """Deliver the alerts a remote client recorded (ingest calls this after storing
        them). wandb.alert() events ("alert") go out as kind "wandb"."""
        wanted = [e for e in events if e.kind == "alert" or e.kind.startswith(EVENT_PREFIX)]
        if not wanted:
            return
        with contextlib.suppress(Exception):
            run = self.store.get_run(run_id)
            for e in wanted:
                alert = alert_of(e, run.id, run.name, run.project) or Alert(
                    run.id, run.name, run.project, "wandb", f"{e.title}: {e.text}",
                    e.level, e.step, at=e.wall_time,
                )  # fmt: skip
                deliver(self.store, alert, base_url=self.base_url)
