"""Optuna → trainboard: each trial of a study becomes a run, compared like any runs.

    from trainboard.integrations.optuna import TrainboardCallback
    tb = TrainboardCallback()                       # project = the study's name
    study.optimize(objective, n_trials=50, callbacks=[tb])
    # or, to watch each trial live and log from inside it with trainboard.log():
    study.optimize(tb.track(objective), n_trials=50, callbacks=[tb])

Each trial's run:
- project: `project`, else the study's name; tags: `tags` plus the study's name, so a study
  (or several studies in one project) is one filter away; name: "trial-<number>";
- config: the trial's params (what the sampler chose), nothing else, so the config diff and
  the sweep view show exactly the searched space;
- series: the values the objective passed to `trial.report(value, step)` (Optuna keeps them as
  `trial.intermediate_values`), under `metric_name` ("value" by default), then the final value
  at the last reported step (step 0 when nothing was reported); a multi-objective study logs
  `metric_name_0`, `metric_name_1`... The key is defined with the study's direction and
  with its final value as the result (`summary="last"`), so ranking, `best_run`, the Runs
  list and the sweep view judge a trial by its objective, not by its best report;
- status: COMPLETE → finished, PRUNED → pruned (stopped early by the pruner: a run status of its
  own, shown as such everywhere), FAIL → failed (the exception's text as notes, when the
  objective was wrapped with `track`).

Without `track` the run is written when the trial ends (Optuna calls callbacks only then), so
its points all carry the end time; `track` opens the run when the trial starts and makes it
the current run, so `trainboard.log()` in the objective goes to it live.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from trainboard.errors import MissingExtraError

try:
    import optuna
    from optuna.study import StudyDirection
    from optuna.trial import FrozenTrial, TrialState
except ImportError as e:  # pragma: no cover - exercised only without the extra
    raise MissingExtraError("trainboard.integrations.optuna", "optuna", "optuna") from e

from trainboard.sdk.hooks import outcome
from trainboard.sdk.start import init

if TYPE_CHECKING:
    from trainboard.sdk.run import Run

__all__ = ["TrainboardCallback"]

T = TypeVar("T")

_STATUS = {TrialState.COMPLETE: "finished", TrialState.PRUNED: "pruned", TrialState.FAIL: "failed"}


class TrainboardCallback:
    """An Optuna study callback that records every trial as a trainboard run (module docs).

    `store` is a store URL or SQLite path (default: TRAINBOARD_URL / TRAINBOARD_DB /
    TRAINBOARD_HOME); `model` groups the trials under a model name."""

    def __init__(
        self,
        project: str | None = None,
        metric_name: str | Sequence[str] = "value",
        tags: Sequence[str] | None = None,
        *,
        model: str | None = None,
        store: str | None = None,
    ) -> None:
        self.project = project
        self.metric_name = metric_name
        self.tags = list(tags or [])
        self.model = model
        self.store = store
        self._live: dict[tuple[str, int], Run] = {}
        self._notes: dict[tuple[str, int], str] = {}
        self._lock = threading.Lock()
        self.run_ids: dict[int, str] = {}  # trial number -> run id, for the trials seen

    # --- the two entry points -------------------------------------------------------------
    def track(self, objective: Callable[[optuna.Trial], T]) -> Callable[[optuna.Trial], T]:
        """`objective`, with its trial's run opened when the trial starts (and current, so
        `trainboard.log()` inside reaches it) and its exception text kept for the notes."""

        @functools.wraps(objective)
        def tracked(trial: optuna.Trial) -> T:
            key = (trial.study.study_name, trial.number)
            run = self._open(trial.study, trial.number, dict(trial.params))
            with self._lock:
                self._live[key] = run
            try:
                return objective(trial)
            except optuna.TrialPruned:
                raise
            except BaseException as exc:
                notes = outcome(exc)[1]
                if notes:
                    with self._lock:
                        self._notes[key] = notes
                raise

        return tracked

    def __call__(self, study: optuna.Study, trial: FrozenTrial) -> None:
        """Optuna calls this once a trial has ended: record it (or finish its live run)."""
        status = _STATUS.get(trial.state)
        if status is None:
            return  # RUNNING / WAITING: not an ended trial
        key = (study.study_name, trial.number)
        with self._lock:
            run = self._live.pop(key, None)
            notes = self._notes.pop(key, None)
        if run is None:
            run = self._open(study, trial.number, trial.params)
        else:
            run.update_config(trial.params)
        names = self._names(study)
        for name, direction in zip(names, study.directions, strict=True):
            run.define_metric(name, role="quality", goal=_goal(direction), summary="last")
        steps = sorted(trial.intermediate_values)
        for step in steps:
            run.log({names[0]: trial.intermediate_values[step]}, step=step)
        if trial.values is not None:
            last = steps[-1] if steps else 0
            run.log(dict(zip(names, trial.values, strict=True)), step=last)
        if status == "failed" and notes is None:
            notes = f"Optuna trial {trial.number} failed"
        run.finish(status, notes)

    # --- helpers --------------------------------------------------------------------------
    def _names(self, study: optuna.Study) -> list[str]:
        n = len(study.directions)
        if isinstance(self.metric_name, str):
            return [self.metric_name] if n == 1 else [f"{self.metric_name}_{i}" for i in range(n)]
        names = list(self.metric_name)
        if len(names) != n:
            raise ValueError(
                f"TrainboardCallback: metric_name has {len(names)} names, but the study has "
                f"{n} objectives"
            )
        return names

    def _open(self, study: optuna.Study, number: int, params: dict[str, Any]) -> Run:
        run = init(
            project=self.project or study.study_name,
            name=f"trial-{number}",
            model=self.model,
            config=params,
            tags=list(dict.fromkeys([*self.tags, study.study_name])),
            store=self.store,
        )
        self.run_ids[number] = run.id
        return run


def _goal(direction: StudyDirection) -> str:
    return "max" if direction == StudyDirection.MAXIMIZE else "min"
