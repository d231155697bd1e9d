"""The Run object: what a training loop holds, its state and the hot path.

`Run.log()` is on the training loop's hot path: it validates, timestamps and appends to the
writer's queue, and that is all (no I/O, no store access, no device sync: tensors are read by
the writer thread). Everything that touches the store happens in `writer.Writer`.

What changes for other reasons lives beside it, each reached through a method here:
init() and resume in start.py, texts/histograms/artifacts in attached.py, the end of a run
in finish.py, the methods only wandb scripts call in wandb/methods.py.

What the run holds is one `RunState` (state.py), `run.state`: the helpers above take it, not
the Run, and nothing outside this class touches the Run's private names.

A run made on a torchrun rank other than 0 is *disabled*: its methods check their input
exactly like an enabled run (so a bug shows on every rank) but store nothing.
"""

from __future__ import annotations

import os
import struct
import time
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any

from trainboard.limits import STEP_MAX
from trainboard.roles import definition
from trainboard.roles.steps import total_steps_from_config
from trainboard.sdk import attached, context, hooks, stepcount
from trainboard.sdk.finish import FINISH_TIMEOUT, end
from trainboard.sdk.state import RunState
from trainboard.sdk.validate import (
    as_config,
    bad_value,
    check_data,
    check_item,
    check_key,
    check_step,
    check_total_steps,
    check_values,
)
from trainboard.sdk.wandb.methods import WandbMethods

if TYPE_CHECKING:
    from trainboard.journal.files import Kind
    from trainboard.sdk.wandb.config import Config, Summary
    from trainboard.sdk.wandb.datatypes import Artifact
    from trainboard.sdk.writer import Writer
    from trainboard.store.records import RunRecord


class Run(WandbMethods):
    """One training run. Make it with `trainboard.init()`."""

    def __init__(
        self,
        record: RunRecord,
        *,
        store_url: str,
        writer: Writer | None,
        last_step: int | None = None,
        summary: Mapping[str, float] | None = None,
    ) -> None:
        self.state = RunState(record, store_url, writer, last_step, dict(summary or {}))
        self.interrupted = False  # set when SIGINT arrived; the run then ends as killed

    # identity ---------------------------------------------------------------------------
    @property
    def id(self) -> str:
        return self.state.record.id

    @property
    def name(self) -> str:
        return self.state.record.name

    @property
    def project(self) -> str:
        return self.state.record.project

    @property
    def model(self) -> str | None:
        return self.state.record.model

    @property
    def tags(self) -> list[str]:
        return list(self.state.record.tags)

    @property
    def total_steps(self) -> int | None:
        return self.state.record.total_steps

    @total_steps.setter
    def total_steps(self, value: int | None) -> None:
        """The planned number of steps, when it is known only after init() (a framework that
        works it out at fit start) or changes (a schedule extended)."""
        check_total_steps(value)
        self.state.check_open("Run.total_steps")
        self.state.record.total_steps = value
        self.state.update(total_steps=value)

    @property
    def config(self) -> Config:
        """The run's config, by item or attribute; writes (`config.lr = 3e-4`,
        `config.update(args)`) go to the stored config, as in wandb."""
        from trainboard.sdk.wandb.config import Config

        return Config(self, self.state.record.config)

    @property
    def step(self) -> int:
        """The last step logged (-1 before the first log())."""
        return self.state.step

    @property
    def summary(self) -> Summary:
        """The last value logged per key, overridden by what was set (`summary["best"] = v`,
        stored with the run), as wandb's run.summary."""
        from trainboard.sdk.wandb.config import summary_of

        return summary_of(self)

    @property
    def enabled(self) -> bool:
        """False on a torchrun rank that does not record."""
        return self.state.enabled

    @property
    def finished(self) -> bool:
        return self.state.finished

    @property
    def should_stop(self) -> bool:
        """True once someone asked this run to stop (`trainboard stop`, the Run page's Stop
        button, `Api().run(id).stop()`); seen within about a second, by a background thread.
        A loop that checks it and leaves ends the run as "stopped"."""
        return self.state.stop_by is not None

    @property
    def outcome(self) -> tuple[str, str | None] | None:
        """(status, notes) once the run ended, else None."""
        return self.state.outcome

    def ask_to_stop(self, by: str = "the script") -> None:
        """Ask this run to stop, as `trainboard stop` does from outside: `should_stop`
        becomes True, the HF and Lightning integrations end training, and with
        `init(stop="raise")` the next `log()` raises RunStopped. The run ends as "stopped"."""
        st = self.state
        if st.stop_by is not None:
            return
        st.stop_by = by
        if st.stop_mode == "raise":
            self.log = self._refuse_log  # type: ignore[method-assign]  # log() itself unchanged

    def _refuse_log(self, *args: Any, **kwargs: Any) -> None:
        from trainboard.errors import RunStopped

        raise RunStopped(
            f"run {self.id} ({self.name}) was asked to stop by {self.state.stop_by}; "
            "catch trainboard.RunStopped to save a checkpoint first"
        )

    @property
    def last_values(self) -> dict[str, Any]:
        """The last value logged per key (a copy), as the training loop gave it."""
        for _ in range(3):
            try:
                return dict(self.state.summary)
            except RuntimeError:  # changed size while copied from another thread
                continue
        return {}

    @property
    def store_url(self) -> str:
        return self.state.store_url

    def __repr__(self) -> str:
        s = self.state
        state = "finished" if s.finished else ("running" if s.enabled else "disabled")
        return f"<Run {self.id} {self.name!r} project={self.project!r} {state}>"

    @property
    def lost_points(self) -> int:
        """Point values dropped because neither the journal (a full disk) nor memory
        (trainboard.sdk.writer.MAX_MEMORY_POINTS) could keep them; 0 normally."""
        w = self.state.writer
        return 0 if w is None else w.lost

    # the hot path -----------------------------------------------------------------------
    def log(
        self, data: Mapping[str, Any], step: int | None = None, commit: bool | None = None
    ) -> None:
        """Record metrics at `step` (default: the previous step + 1, or the same step after a
        `commit=False` call, as in wandb; or the script's own step counter when it logs one,
        `iter` or `global_step` for example: see sdk/stepcount.py).

        Values are numbers (float, int, bool, numpy scalars, 0-d tensors); NaN and ±inf are
        legal. Media (trainboard.Image, Audio, Video, Table, or a list of them), wandb data
        types (trainboard.Histogram, Html...) and nested dicts are taken too. A bad key or
        value raises and nothing of the call is recorded (a media item over its cap raises
        after the rest is recorded, see sdk/medialog.py). Once log() returns, the points are
        in the run's journal: a killed process loses none of them."""
        if type(data) is not dict:
            data = check_data(data)
        st = self.state
        if st.wandb is not None:
            from trainboard.sdk.wandb.compat import route

            data = route(self, data, step)
        slow = False
        for k, v in data.items():
            t = type(v)
            if (t is float or t is int) and type(k) is str and k:
                continue
            if (
                isinstance(v, Mapping)
                or getattr(t, "_trainboard_media", False)
                or (t is list and v and getattr(type(v[0]), "_trainboard_media", False))
            ):
                from trainboard.sdk.wandb.compat import log_mixed

                return log_mixed(self, data, step, commit)
            if st.noop:
                return None
            slow = check_item("log()", k, v) or slow
        auto = step is None
        if auto:  # the script's own counter when it has one (stepcount.py), else previous + 1
            c = st.counter
            if c is not None and c in data:
                step = data[c]
                if type(step) is not int or step <= st.step or step > STEP_MAX:
                    step = self._counted(c, step)
            elif c:
                step = st.step
            else:
                step = st.step if st.hold else st.step + 1
        elif type(step) is not int or step < 0 or step > STEP_MAX:
            step = check_step("log()", step)
        j = st.journal
        if j is None or slow:
            if auto and st.counter is None:
                step = self._discover(data, step)
            st.hold = commit is False
            self._log_slow(data, step)
            return
        st.hold = commit is False
        kind = j.kinds.get(tuple(data))
        if kind is None:
            kind = self._kind(data)
            if auto and st.counter is None:
                step = self._discover(data, step)
        now = time.time()
        try:
            j.append(kind, step, now, data.values())
        except (OverflowError, struct.error, TypeError):
            raise bad_value("log()", data) from None
        except OSError as e:  # no room for the journal: the writer keeps them in memory
            w = st.writer
            assert w is not None
            w.journal_failed(e)
            values = dict(data)
            check_values("log()", values)  # append stopped before packing them
            w.enqueue_points(step, now, values)
        if step != st.step:
            st.stepped_at = now
        st.step = step
        st.summary.update(data)

    def _counted(self, key: str, value: Any) -> int:
        """The step for a counter value that is not a plain int above the last step."""
        step = stepcount.next_value(key, value, self.state.step, self.state.hold)
        if step is None:
            self.state.counter = stepcount.OFF
            return self.state.step if self.state.hold else self.state.step + 1
        return step

    def _discover(self, data: dict[str, Any], step: int) -> int:
        """A new key set without step=: is one of its keys the script's step counter?"""
        found = stepcount.discover(self.state.counters, data, self.state.step)
        if found is None:
            return step
        self.state.counter, value = found
        return value

    def _kind(self, data: dict[str, Any]) -> Kind:
        """The journal's record kind for this set of keys (the keys checked once, here)."""
        for key in data:
            check_key("log()", key)
        assert self.state.journal is not None
        return self.state.journal.add_kind(tuple(data))

    def _log_slow(self, data: dict[str, Any], step: int) -> None:
        """log() of tensors (read by the writer thread), or without a journal (a full disk
        at init()). The names of a key set are checked the first time it is seen, not at
        every call, so log() keeps its cost without a journal."""
        keysets = self.state.keysets
        names = tuple(data)
        if names not in keysets:
            for key in data:
                check_key("log()", key)
            if len(keysets) < 10_000:
                keysets.add(names)
        w = self.state.writer
        if w is None:
            self.state.check_open("log()")
        else:
            values = dict(data)
            check_values("log()", values)  # ints too large for a float64 (cheap)
            w.enqueue_points(step, time.time(), values)
        if step != self.state.step:
            self.state.stepped_at = time.time()
        self.state.step = step
        self.state.summary.update(data)

    # other kinds of data (attached.py) --------------------------------------------------
    def log_text(self, key: str, text: str, step: int | None = None) -> None:
        """Record a text sample (e.g. generated text) at `step` (default: the current step)."""
        attached.log_text(self.state, key, text, step)

    def log_histogram(self, key: str, values: Any, step: int | None = None) -> None:
        """Record a 64-bin histogram of `values` (list, numpy array or torch tensor)."""
        attached.log_histogram(self.state, key, values, step)

    def log_artifact(
        self,
        path: str | os.PathLike[str] | Artifact,
        kind: str = "file",
        step: int | None = None,
        name: str | None = None,
        *,
        copy: bool = True,
        type: str | None = None,
        aliases: Sequence[str] | None = None,
        tags: Sequence[str] | None = None,
    ) -> Any:
        """Copy a file or folder into the store's artifact folder and record it.

        Returns the copy's path relative to the artifact folder (None on a disabled rank).
        With `copy=False` nothing is copied: the record holds the file's absolute path, a
        reference (a 15 GB checkpoint stays where it is; the API does not serve it).
        A wandb `Artifact` (its files, kind = its type) is taken too and returned; `type=`
        is wandb's name for `kind`, `aliases` and `tags` are accepted and ignored."""
        if type is not None:
            kind = type
        if hasattr(path, "files") and hasattr(path, "type"):
            from trainboard.sdk.wandb.compat import log_artifact

            return log_artifact(self, path, name)  # type: ignore[arg-type]
        path = os.fspath(path)
        return attached.log_artifact(self.state, path, kind, step, name, copy)

    def define_metric(
        self,
        name: str,
        goal: str | None = None,
        *,
        role: str | None = None,
        step_metric: str | None = None,
        summary: str | None = None,
        hidden: bool | None = None,
        step_sync: bool | None = None,
        overwrite: bool | None = None,
    ) -> None:
        """Say what a metric is and which way is better for it: `role` is one of
        trainboard.roles.ROLES ("eval_loss", "quality", ...), `goal` "min" or "max".
        Otherwise both are inferred from the name; what is given here always wins, is
        stored with the run, and is kept when the run is resumed. wandb's `step_metric`,
        `summary`, `hidden`, "minimize"/"maximize" and glob names ("val/*") are taken too
        (trainboard.sdk.wandb.compat); `define_metric(name)` alone, as in wandb, only names it."""
        check_key("define_metric()", name)
        glob = any(c in name for c in "*?[")
        if glob or step_metric is not None or summary is not None or hidden is not None:
            from trainboard.sdk.wandb.compat import define_metric

            define_metric(self, name, step_metric, step_sync, hidden, summary, goal, role)
            return
        self.state.check_open("define_metric()")
        if goal is not None or role is not None:  # define_metric(name) alone only names it
            self.state.define_goal(name, definition(role, goal, "define_metric()"))

    def update_config(self, values: Mapping[str, Any]) -> None:
        """Merge `values` into the run's config (a run with no total steps takes them from
        it: `max_iters`, `max_steps`..., roles/steps.py)."""
        merged = {**self.state.record.config, **as_config(values, "update_config()")}
        self.state.check_open("update_config()")
        self.state.record.config = merged
        total = None if self.state.record.total_steps else total_steps_from_config(merged)
        if total is None:
            self.state.update(config=dict(merged))
        else:
            self.state.record.total_steps = total
            self.state.update(config=dict(merged), total_steps=total)

    # the end ----------------------------------------------------------------------------
    def flush(self, timeout: float | None = None) -> bool:
        """Block until everything logged so far is in the store (True) or `timeout` passed."""
        if self.state.writer is None:
            return not self.state.enabled or self.state.finished
        return self.state.writer.flush(timeout)

    def finish(
        self,
        status: str = "finished",
        notes: str | None = None,
        *,
        exit_code: int | None = None,
        quiet: bool | None = None,
    ) -> None:
        """Flush everything and mark the run ended: finished, or failed/killed with notes, or
        pruned (a hyperparameter-search trial stopped early by its pruner). wandb's
        `exit_code=`: non-zero ends the run as failed."""
        if exit_code is not None:
            from trainboard.sdk.wandb.compat import status_of_exit_code

            status, notes = status_of_exit_code(exit_code)
        end(self, status, notes, timeout=FINISH_TIMEOUT)

    def watch_ddp(self, model: Any) -> bool:
        """Time how long this rank waits for the others in the all-reduce of `model` (a
        `DistributedDataParallel`): `sys/rank{r}/comm_wait`, from which the straggler check
        names the rank the others wait for (sdk/commwait.py). True when installed; False
        for a single process, a rank that records nothing, or a model with its own comm
        hook."""
        from trainboard.sdk.commwait import watch_ddp

        return watch_ddp(self.state.ranks, model)

    def save_figures(self, every: int = 100, folder: str | os.PathLike[str] | None = None) -> None:
        """Rewrite the run's charts and JSON history in `folder` every `every` steps and at
        the end (drawn by a child process: log() costs what it did). See docs/figures.md."""
        from trainboard.sdk.figures import start_figures

        saver = start_figures(self, every, folder)
        if saver is not None:
            self.state.extras.append(saver)

    def __enter__(self) -> Run:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        status, notes = hooks.outcome(exc)
        end(self, status, notes, timeout=FINISH_TIMEOUT)


def current_run() -> Run | None:
    """The active run of this context, else the latest active run of the process (see
    sdk/context.py, which holds it by its `RunSurface`: only `Run`s are ever made current)."""
    run = context.current_run()
    return run if isinstance(run, Run) else None


__all__ = ["Run", "current_run"]
