"""`RunState`: everything a run knows while it runs, in one object that the SDK's helpers take.

Why apart from `Run`: `Run` is the public face (log(), finish(), the properties); what it
holds (its record, step, summary, writer, journal, extras) is read and changed by the helpers
beside it: attached values, finish, start, the system sampler, the TensorBoard writer and the
wandb surface. They take this state, with public names, instead of reaching into the Run's
private attributes. What the wandb surface keeps per run is one `WandbState`
(sdk/wandb/perrun.py) here, made on first use, instead of keys dropped into the Run's __dict__.

It imports nothing of the SDK above it: helpers that need more of the run than its state take
the `RunSurface` protocol (sdk/surface.py), and nothing here names the `Run` class.

`Run.log()` reads this object's slots on the hot path (one attribute load per call more than
plain instance attributes; bench/RESULTS.md has the measurement).
"""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING, Any, Protocol

from trainboard.errors import UsageError
from trainboard.sdk import stepcount
from trainboard.sdk.wandb.perrun import WandbState

if TYPE_CHECKING:
    from trainboard.journal.files import Journal
    from trainboard.sdk.commwait import CommWait
    from trainboard.sdk.system import SystemSampler
    from trainboard.sdk.writer import Writer
    from trainboard.store.records import RunRecord


class RankReporting(Protocol):
    """What the run asks of the rank reporter of a multi-process job (sdk/ranks.py's
    `RankReporter`, which takes this state: named here by its surface, so the two modules do
    not import each other): its end (sdk/finish.py) and where DDP's wait is reported
    (sdk/commwait.py)."""

    comm: CommWait | None  # DDP's all-reduce wait, timed by sdk/commwait.py once installed

    def end(self, status: str, notes: str | None, timeout: float) -> dict[str, Any] | None: ...


class RunState:
    """One run's state: its record and position, and where its data goes."""

    __slots__ = (
        "counter",
        "counters",
        "enabled",
        "extras",
        "finished",
        "hold",
        "journal",
        "keysets",
        "media_bytes",
        "noop",
        "outcome",
        "pid",
        "ranks",
        "record",
        "sentinel",
        "step",
        "stepped_at",
        "stop_by",
        "stop_mode",
        "store_url",
        "summary",
        "system",
        "wandb",
        "writer",
    )

    def __init__(
        self,
        record: RunRecord,
        store_url: str,
        writer: Writer | None,
        last_step: int | None = None,
        summary: dict[str, Any] | None = None,
    ) -> None:
        self.record = record
        self.store_url = store_url
        self.writer = writer
        self.journal: Journal | None = writer.journal if writer is not None else None
        self.enabled = writer is not None
        # key sets log() has checked, for runs without a journal (a full disk at init()):
        # each set's names are checked once, not at every call (Run._log_slow)
        self.keysets: set[tuple[str, ...]] = set()
        self.step = -1 if last_step is None else last_step
        # wall time of the log() that moved `step` last (0: none yet): the end of the window
        # over which each rank's step rate is measured (sdk/ranks.py), so the rate does not
        # depend on when the sampler happens to look. Set before `step`, read after it.
        self.stepped_at = 0.0
        self.summary: dict[str, Any] = dict(summary or {})
        self.finished = False
        self.pid = os.getpid()
        self.system: SystemSampler | None = None
        self.ranks: RankReporting | None = None  # one process of a multi-process job (ranks.py)
        self.extras: list[Any] = []  # figures / progress line: closed after the last write
        self.hold = False  # log(commit=False): the next log() without a step stays on this one
        self.noop = False  # init(mode="disabled"): accept anything, store nothing
        self.wandb: WandbState | None = None  # made by the first wandb-only call
        self.media_bytes = 0  # the media this run has queued, against its budget (medialog.py)
        self.counter: str | None = None  # the logged key that is the step (sdk/stepcount.py)
        self.counters = stepcount.STEP_COUNTERS  # the keys that may be: iter, global_step...
        self.sentinel: Any = None  # the run's watcher (sdk/sentinel.py), closed after extras
        self.stop_mode = "flag"  # init(stop=): "flag" (should_stop) or "raise" (RunStopped)
        self.stop_by: str | None = None  # who asked the run to stop (sdk/sentinel.py saw it)
        self.outcome: tuple[str, str | None] | None = None  # (status, notes) once it ended

    def wandb_state(self) -> WandbState:
        """The run's wandb state, made on first use."""
        if self.wandb is None:
            self.wandb = WandbState()
        return self.wandb

    def check_open(self, where: str) -> None:
        """UsageError naming `where` once the run is finished."""
        if self.finished:
            r = self.record
            raise UsageError(
                f"{where}: run {r.id} ({r.name}) is finished; start another with trainboard.init()"
            )

    def update(self, **fields: Any) -> None:
        """Queue new values of the run's own fields (config, goals, total_steps) for the store."""
        if self.writer is not None:
            self.writer.enqueue_update(fields)

    def define_goal(self, name: str, goal: str) -> None:
        """Store a definition ("min", "max", a role, "role:goal") for `name`."""
        self.record.goals = {**self.record.goals, name: goal}
        self.update(goals=dict(self.record.goals))

    def put_points(self, step: int, values: dict[str, Any]) -> None:
        """Queue checked values at `step` without moving the run's step counter (system
        metrics, wandb's step_metric)."""
        self.summary.update(values)
        w = self.writer
        if w is not None:
            w.enqueue_points(step, time.time(), values)

    def log_system(self, values: dict[str, float]) -> None:
        """System metrics, at the run's current step, through the same writer."""
        w = self.writer
        if w is not None and values:
            w.enqueue_points(max(self.step, 0), time.time(), values)

    def current_step(self) -> int | None:
        """The last step logged, None before the first."""
        return self.step if self.step >= 0 else None
