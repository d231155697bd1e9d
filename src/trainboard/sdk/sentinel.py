"""The training process's own watcher: stop requests, hangs, and the alerts it can see first.

Why a thread of its own, apart from the writer: a stuck collective or data loader stops
`log()`, not the process, and the writer would go on beating the heartbeat as if all were well;
someone must notice the silence from inside. And a stop asked from the CLI, the Run page or
the API must reach the loop within 2 s without `log()` asking anything: `log()` costs what it
did, and the check happens here, once a second (TRAINBOARD_CONTROL_INTERVAL).

What it fires (trainboard.alerts, each once per kind and episode):
- every second: NaN/inf among the last values logged, a hang (no new step for `hang_after`
  seconds; by default 10x the run's median step time and at least 5 minutes), a metric
  crossing a channel's threshold;
- every 15 s: each health finding (analysis.health) warning or critical, and an ETA overrun;
- at the end: failed, killed, stopped (and finished, which channels take only when asked).
"""

from __future__ import annotations

import contextlib
import math
import statistics
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING

from trainboard.alerts.deliver import deliverer
from trainboard.alerts.fire import deliver, fire, thresholds
from trainboard.alerts.kinds import Alert, kind_of_check

if TYPE_CHECKING:
    from trainboard.alerts.rules import Rule
    from trainboard.sdk.surface import RunSurface
    from trainboard.store.base import Store
    from trainboard.store.sql.channels import ChannelRecord

HANG_FLOOR = 300.0  # seconds: the default hang_after is never shorter
HANG_FACTOR = 10.0  # ... and at least this many median step times
HEALTH_EVERY = 15.0  # seconds between health checks (they read series from the store)
CHANNELS_EVERY = 30.0  # seconds between re-reads of the channels' thresholds
CLEAR_AFTER = 3  # health checks without a finding before its episode is over
OVERRUN_MARGIN = 0.25  # past the estimated end by this share of the estimated duration...
OVERRUN_FLOOR = 30.0  # ... and at least this many seconds
END_FLUSH = 5.0  # seconds the end of a run waits for its alerts to be delivered


class Sentinel:
    """Watches one run from a daemon thread; closed by the end of the run (sdk/finish.py)
    after its last write and its extras."""

    def __init__(
        self,
        run: RunSurface,
        open_store: Callable[[], Store],
        *,
        hang_after: float | None,
        interval: float,
    ) -> None:
        self._run = run
        self._open_store = open_store
        self._store: Store | None = None
        self._hang_after = hang_after
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._main, name=f"trainboard-sentinel-{run.id}", daemon=True
        )
        self._step = run.step
        self._moved_at = time.monotonic()
        self._step_times: deque[float] = deque(maxlen=64)
        self._hang_episode = 0
        self._hanging = False
        self._episodes: dict[str, int] = {}  # health kind -> current episode
        self._absent: dict[str, int] = {}  # health kind -> checks since last seen
        self._next_health = time.monotonic() + HEALTH_EVERY
        self._next_channels = 0.0
        self._rules: list[tuple[ChannelRecord, Rule]] = []
        self._expected_end: float | None = None
        self._started = time.time()
        self._stale: object = None  # the stop request of an earlier attempt (resumed runs)
        self._duration = 0.0
        self._relayed: deque[Alert] = deque()  # wandb.alert()s to hand to the channels

    def start(self, resumed: bool = False) -> None:
        """`resumed`: the run existed before this process; a stop request it holds was for
        an attempt that already ended, so only a newer one stops this attempt."""
        if resumed:
            with contextlib.suppress(Exception):  # a store down now: no request to skip
                self._stale = self._store_now().read_run_values(self._run.id, "control").get("stop")
        self._thread.start()

    def relay(self, title: str, text: str, level: str) -> None:
        """A wandb.alert() (already kept as a run event): to the channels, from this thread."""
        reason = f"{title}: {text}" if text else title
        self._relayed.append(self._alert("wandb", reason, level))

    # the loop ----------------------------------------------------------------------------
    def _main(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self._tick()
            except Exception:  # the store may be down for a while: keep watching
                continue

    def _store_now(self) -> Store:
        if self._store is None:
            self._store = self._open_store()
        return self._store

    def _tick(self) -> None:
        store = self._store_now()
        run = self._run
        now = time.monotonic()
        if not run.should_stop:
            asked = store.read_run_values(run.id, "control").get("stop")
            if isinstance(asked, dict) and asked != self._stale:
                run.ask_to_stop(by=str(asked.get("by", "someone")))
        while self._relayed:
            alert = self._relayed.popleft()
            if not store.server_delivers:  # a team server delivers the event it receives
                deliver(store, alert)
        self._watch_steps(store, now)
        values = run.last_values
        self._watch_values(store, values)
        if now >= self._next_channels:
            self._next_channels = now + CHANNELS_EVERY
            self._rules = _thresholds(store, run.project)
        for channel, rule in self._rules:
            self._watch_threshold(store, channel, rule, values)
        if now >= self._next_health:
            self._next_health = now + HEALTH_EVERY
            self._watch_health(store)

    def _alert(self, kind: str, reason: str, level: str = "warn", episode: int = 0) -> Alert:
        run = self._run
        step = run.step if run.step >= 0 else None
        return Alert(run.id, run.name, run.project, kind, reason, level, step, episode)

    def _watch_steps(self, store: Store, now: float) -> None:
        step = self._run.step
        if step != self._step:
            if step > self._step >= 0:
                self._step_times.append((now - self._moved_at) / (step - self._step))
            self._step, self._moved_at = step, now
            if self._hanging:
                self._hanging = False
                self._hang_episode += 1
            return
        if step < 0 or self._hanging:
            return
        limit = self.hang_after
        quiet = now - self._moved_at
        if quiet >= limit:
            self._hanging = True
            reason = f"no log() for {quiet:.0f} s after step {step} (hang_after {limit:g} s)"
            fire(store, self._alert("hang", reason, "error", self._hang_episode))

    @property
    def hang_after(self) -> float:
        if self._hang_after is not None:
            return self._hang_after
        if len(self._step_times) >= 3:
            return max(HANG_FLOOR, HANG_FACTOR * statistics.median(self._step_times))
        return HANG_FLOOR

    def _watch_values(self, store: Store, values: dict[str, object]) -> None:
        for key, value in values.items():
            if type(value) is float and not math.isfinite(value):
                reason = f"{key} is {value} at step {self._run.step}"
                fire(store, self._alert("nan", reason, "error"))
                return

    def _watch_threshold(
        self, store: Store, channel: ChannelRecord, rule: Rule, values: dict[str, object]
    ) -> None:
        value = values.get(rule.key)
        if isinstance(value, (int, float)) and rule.holds(float(value)):
            reason = f"{rule.key} = {value:g}, crossing {rule} at step {self._run.step}"
            alert = self._alert("threshold", reason, "info")
            alert.subject = f"{channel.id}:{rule}"  # once per channel and rule
            fire(store, alert, only=channel)

    def _watch_health(self, store: Store) -> None:
        from trainboard.analysis.health import health_for
        from trainboard.analysis.progress import progress_for

        record = store.get_run(self._run.id)
        health = health_for(store, record)
        seen = set()
        for finding in health.findings:
            kind = kind_of_check(finding.check)
            seen.add(kind)
            self._absent[kind] = 0
            level = "error" if finding.severity == "critical" else "warn"
            episode = self._episodes.setdefault(kind, 0)
            fire(store, self._alert(kind, finding.saw, level, episode))
        for kind in list(self._episodes):
            if kind not in seen:
                self._absent[kind] = self._absent.get(kind, 0) + 1
                if self._absent[kind] == CLEAR_AFTER:
                    self._episodes[kind] += 1
        self._watch_eta(store, progress_for(store, record))

    def _watch_eta(self, store: Store, progress: object) -> None:
        eta = getattr(progress, "eta_s", None)
        pct = getattr(progress, "percent", None)
        now = time.time()
        if self._expected_end is None:
            if eta is not None and pct is not None and pct >= 10:
                self._expected_end = now + eta
                self._duration = self._expected_end - self._started
            return
        margin = max(OVERRUN_FLOOR, OVERRUN_MARGIN * self._duration)
        if now > self._expected_end + margin and (pct is None or pct < 100):
            late = now - self._expected_end
            reason = f"{late:.0f} s past its estimated end, at {pct or 0:.0f}%"
            fire(store, self._alert("eta_overrun", reason))

    # the end -----------------------------------------------------------------------------
    def close(self) -> None:
        """After the run's last write: fire how it ended, wait (briefly) for delivery."""
        self._stop.set()
        self._thread.join(timeout=2 * self._interval + 1)
        while self._relayed:
            alert = self._relayed.popleft()
            with contextlib.suppress(Exception):
                if not self._store_now().server_delivers:
                    deliver(self._store_now(), alert)
        outcome = self._run.outcome
        if outcome is None:
            return
        status, notes = outcome
        if status in ("failed", "killed", "stopped", "finished"):
            reason = {
                "failed": f"failed at step {self._run.step}: " + _last_line(notes),
                "killed": f"killed at step {self._run.step}" + (f" ({notes})" if notes else ""),
                "stopped": f"stopped at step {self._run.step} as asked",
                "finished": f"finished at step {self._run.step}",
            }[status]
            level = "error" if status in ("failed", "killed") else "info"
            with contextlib.suppress(Exception):
                fire(self._store_now(), self._alert(status, reason, level))
        deliverer().flush(END_FLUSH)
        if self._store is not None:
            with contextlib.suppress(Exception):
                self._store.close()


def sentinel_of(run: RunSurface) -> Sentinel | None:
    """The run's sentinel, if it has one (none on a disabled rank or with the interval 0)."""
    found = run.state.sentinel
    return found if isinstance(found, Sentinel) else None


def _last_line(notes: str | None) -> str:
    lines = [ln for ln in (notes or "").splitlines() if ln.strip()]
    return lines[-1] if lines else "an exception"


def _thresholds(store: Store, project: str) -> list[tuple[ChannelRecord, Rule]]:
    """Threshold rules are checked here only where the channels can be read (a SQL store);
    a team server checks its clients' runs itself (server/alerting.py)."""
    if store.server_delivers:
        return []
    return thresholds(store, project)
