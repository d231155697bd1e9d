"""What wandb scripts expect of a run, on trainboard's one `Run` class.

`import trainboard as wandb` (or `trainboard.wandb` standing in as the `wandb` module) runs an
ordinary wandb script unchanged, so the differences from plain trainboard live here, not in a
second run class:

- `run.config` and `run.summary`: see trainboard.sdk.wandb.config.
- `define_metric(name, step_metric=, summary=, goal=, hidden=)` with glob names.
  A metric with a step metric is stored at the step metric's value (so "val/*" against
  "epoch" is a curve over epochs, and HF's `train/global_step` becomes the step); `summary=`
  is computed when the run finishes, and `summary="last"` alone also says the key's result
  is its final value (ranking reads that, not its best); `goal=` becomes the run's
  definition for the key.
- `log_mixed`: nested dicts (flattened with "/") and wandb data types inside `log()`.
- `alert`, `save`, artifacts, and the end of the run (`finish(exit_code=)`).

Nothing here imports numpy or torch at import time.
"""

from __future__ import annotations

import enum
import glob as globlib
import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trainboard.errors import UsageError
from trainboard.sdk.validate import as_float, check_item, is_number
from trainboard.sdk.wandb.config import set_summary, store_call
from trainboard.sdk.wandb.perrun import MetricDefs

if TYPE_CHECKING:
    from trainboard.sdk.surface import RunSurface
    from trainboard.sdk.wandb.datatypes import Artifact

SUMMARY_KINDS = ("min", "max", "mean", "last", "first", "best", "none")
_GOALS = {"min": "min", "max": "max", "minimize": "min", "maximize": "max"}


# define_metric ----------------------------------------------------------------------------
def _defs(run: RunSurface) -> MetricDefs:
    state = run.state.wandb_state()
    defs = state.defs
    if defs is None:
        defs = state.defs = MetricDefs()
    return defs


def define_metric(
    run: RunSurface,
    name: str,
    step_metric: str | None = None,
    step_sync: bool | None = None,
    hidden: bool | None = None,
    summary: str | None = None,
    goal: str | None = None,
    role: str | None = None,
) -> None:
    """wandb's define_metric: see the module docstring (`role`: trainboard's, as in
    Run.define_metric)."""
    if not isinstance(name, str) or not name:
        raise UsageError(f"define_metric(): name must be a non-empty str, got {name!r}")
    if step_metric is not None and (not isinstance(step_metric, str) or not step_metric):
        raise UsageError(f"define_metric(): step_metric must be a metric name, got {step_metric!r}")
    kinds: tuple[str, ...] = ()
    if summary is not None:
        kinds = tuple(s.strip() for s in str(summary).split(",") if s.strip())
        bad = [k for k in kinds if k not in SUMMARY_KINDS]
        if bad:
            raise UsageError(
                f"define_metric(): summary must be among {', '.join(SUMMARY_KINDS)} "
                f"(comma-separated), got {summary!r}"
            )
    checked_goal = None
    last = kinds == ("last",)  # the run's result is its final value, not its best
    if goal is not None or role is not None or last:
        if goal is not None and str(goal).lower() not in _GOALS:
            raise UsageError(
                f"define_metric(): goal must be 'minimize' or 'maximize' (or 'min'/'max'), "
                f"got {goal!r}"
            )
        from trainboard.roles import definition

        checked_goal = definition(
            role, None if goal is None else _GOALS[str(goal).lower()], last=last
        )
    run.state.check_open("define_metric()")
    defs = _defs(run)
    if step_metric is not None:
        defs.define_step_metric(name, step_metric)
        from trainboard.sdk.stepcount import declare

        st = run.state  # the values of the step metric may be the run's step
        st.counters = declare(st.counters, step_metric)
    if kinds:
        defs.summary[name] = kinds
    if hidden:
        defs.hidden.add(name)
    if checked_goal is not None:
        if any(c in name for c in "*?["):
            defs.define_glob_goal(name, checked_goal)
        else:
            run.state.define_goal(name, checked_goal)


def route(run: RunSurface, data: dict[str, Any], step: int | None) -> dict[str, Any]:
    """Store the keys that have a step metric at its value; return the rest for log()."""
    st = run.state
    defs = st.wandb.defs if st.wandb is not None else None
    if defs is None:
        return data
    if defs.goal:
        for key in data:
            goal = defs.glob_goal(key, st.record.goals)
            if goal is not None:
                st.define_goal(key, goal)
    if not defs.step_metric:
        return data
    moved: dict[int, dict[str, Any]] = {}
    rest: dict[str, Any] = {}
    for key, value in data.items():
        sm = defs.step_metric_of(key) if isinstance(key, str) else None
        at = None
        if sm is not None and is_number(value):
            sv = data.get(sm, st.summary.get(sm))
            if sv is not None and is_number(sv):
                f = as_float(sv)
                if f == f and f >= 0 and f == int(f):
                    at = int(f)
        if at is None:
            rest[key] = value
        else:
            check_item("log()", key, value)
            moved.setdefault(at, {})[key] = value
    for at, values in moved.items():
        st.put_points(at, values)
    return rest


# log() of nested dicts and data types ---------------------------------------------------------
def _flatten(prefix: str, value: Any, out: dict[str, Any]) -> None:
    if isinstance(value, Mapping):
        for k, v in value.items():
            _flatten(f"{prefix}/{k}" if prefix else str(k), v, out)
    else:
        out[prefix] = value


def log_mixed(run: RunSurface, data: dict[str, Any], step: int | None, commit: bool | None) -> None:
    """log() of a dict holding nested dicts or wandb data types (sdk/wandb/datatypes.py)."""
    st = run.state
    if st.noop:
        return
    flat: dict[str, Any] = {}
    for k, v in data.items():
        if isinstance(v, Mapping):
            _flatten(str(k), v, flat)
        else:
            flat[k] = v
    numbers: dict[str, Any] = {}
    media: list[tuple[str, Any]] = []
    for k, v in flat.items():
        if getattr(type(v), "_trainboard_media", False) or _media_list(v):
            media.append((k, v))
        else:
            check_item("log()", k, v)
            numbers[k] = v
    run.log(numbers, step=step, commit=commit)
    if step is None:  # where log() put them: previous + 1, or the script's step counter
        step = run.state.step
    refused: UsageError | None = None
    for k, v in media:  # one key refused (over a media cap) loses none of the others
        try:
            if isinstance(v, list | tuple):
                from trainboard.sdk.medialog import log_media

                log_media(run, k, step, list(v))
            else:
                v._trainboard_log(run, k, step)
        except UsageError as e:
            refused = refused or e
    if refused is not None:
        raise refused


def _media_list(v: Any) -> bool:
    """A list of trainboard media values (several images under one key at one step)."""
    from trainboard.sdk.media import Media

    return isinstance(v, list | tuple) and bool(v) and all(isinstance(x, Media) for x in v)


# alerts, files, artifacts, the end -----------------------------------------------------------
class AlertLevel(enum.StrEnum):
    """`wandb.AlertLevel`."""

    INFO = "INFO"
    WARN = "WARN"
    ERROR = "ERROR"


def alert(
    run: RunSurface,
    title: str,
    text: str,
    level: str | AlertLevel | None = None,
    wait_duration: float | Any | None = None,
) -> None:
    """Keep an alert as a run event (shown on the Run page and by `trainboard show`)."""
    from trainboard.store.records import EventRecord

    if not isinstance(title, str) or not title:
        raise UsageError(f"alert(): title must be a non-empty str, got {title!r}")
    if not isinstance(text, str):
        raise UsageError(f"alert(): text must be a str, got {type(text).__name__}")
    raw = level.value if isinstance(level, AlertLevel) else (level or "INFO")
    lv = {"INFO": "info", "WARN": "warn", "WARNING": "warn", "ERROR": "error"}.get(str(raw).upper())
    if lv is None:
        raise UsageError(f"alert(): level must be INFO, WARN or ERROR, got {level!r}")
    run.state.check_open("alert()")
    now = time.time()
    last = run.state.wandb_state().alerted
    if wait_duration is not None:  # wandb: no second alert with this title within the wait
        seconds = (
            wait_duration.total_seconds()
            if hasattr(wait_duration, "total_seconds")
            else float(wait_duration)
        )
        if now - last.get(title, -1e18) < seconds:
            return
    last[title] = now
    step = run.state.current_step()
    store_call(run, "add_events", [EventRecord("alert", title, text, lv, now, step)])
    from trainboard.sdk.sentinel import sentinel_of

    sentinel = sentinel_of(run)
    if sentinel is not None:  # to the alert channels too (docs/alerts.md)
        sentinel.relay(title, text, lv)


def save(
    run: RunSurface, glob_str: str, base_path: str | None = None, policy: str = "live"
) -> list[str]:
    """Keep the files matching `glob_str` as artifacts (kind "file"); files that do not
    exist yet are looked for again when the run finishes."""
    if policy not in ("live", "now", "end"):
        raise UsageError(f"save(): policy must be live, now or end, got {policy!r}")
    found = globlib.glob(os.fspath(glob_str), recursive=True)
    paths = sorted(p for p in found if os.path.isfile(p))
    if policy == "end" or not paths:
        run.state.wandb_state().pending_saves.append((os.path.abspath(glob_str), base_path))
        if policy == "end":
            return []
    kept = []
    for p in paths:
        name = os.path.relpath(p, base_path) if base_path else os.path.basename(p)
        path = run.log_artifact(p, kind="file", name=name)
        if path is not None:
            kept.append(path)
    return kept


def log_artifact(run: RunSurface, artifact: Artifact, name: str | None = None) -> Artifact:
    """Copy an Artifact's files into the store, each as an artifact of kind artifact.type."""
    base = name or artifact.name
    for path, file_name in artifact.files:
        run.log_artifact(path, kind=artifact.type, name=f"{base}/{file_name}")
    return artifact


def _summaries_at_end(run: RunSurface) -> dict[str, Any]:
    """define_metric(summary=...) values, from what the store holds for the run."""
    st = run.state
    defs = st.wandb.defs if st.wandb is not None else None
    if defs is None or not defs.summary or st.writer is None:
        return {}
    run.flush(timeout=30.0)
    store = st.writer.store
    if store is None:
        return {}
    stored = store.get_run(run.id)
    out: dict[str, Any] = {}
    for key, s in stored.summary.items():
        kinds = defs.summary_of(key)
        if not kinds or "none" in kinds:
            continue
        values: dict[str, Any] = {}
        for kind in kinds:
            if kind == "min":
                values["min"] = s.min
            elif kind == "max":
                values["max"] = s.max
            elif kind == "last":
                values["last"] = s.last
            elif kind == "first":
                values["first"] = float(store.read_series(run.id, key).values[0])
            elif kind == "mean":
                vals = store.read_series(run.id, key).values
                values["mean"] = float(vals.mean()) if len(vals) else float("nan")
            elif kind == "best":
                from trainboard.roles import goal_of

                g = goal_of(key, stored.goals)
                values["best"] = s.max if g == "max" else s.min
        out[key] = values
    return out


def at_finish(run: RunSurface) -> None:
    """Before the run ends: watch()'s last grad norm, pending save() globs,
    define_metric(summary=) values."""
    state = run.state.wandb_state()
    if state.watches:
        from trainboard.sdk.wandb.watch import unwatch

        unwatch(run)
    pending, state.pending_saves = state.pending_saves, []
    for pattern, base in pending:
        save(run, pattern, base, policy="now")
        state.pending_saves = []  # files still missing are not waited for
    try:
        values = _summaries_at_end(run)
    except Exception as e:  # the run must still end
        import warnings

        from trainboard.errors import TrainboardWarning

        warnings.warn(f"define_metric(summary=): not computed: {e}", TrainboardWarning, 2)
        return
    if values:
        set_summary(run, values)


def status_of_exit_code(exit_code: int | None) -> tuple[str, str | None]:
    """finish(exit_code=): 0 or None is finished, anything else failed with a note."""
    if exit_code in (None, 0):
        return "finished", None
    return "failed", f"exit code {exit_code}"


class Settings(dict[str, Any]):
    """`wandb.Settings(...)`: accepted and ignored (nothing of it has a meaning here)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(kwargs)

    def __getattr__(self, name: str) -> Any:
        return self.get(name)


def artifact_dir_of(run: RunSurface) -> Path:
    from trainboard import settings

    return Path(settings.artifacts_dir(run.store_url)) / str(run.id)
