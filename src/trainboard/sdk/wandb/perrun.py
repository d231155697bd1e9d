"""What the wandb surface keeps for one run: `WandbState`, with its `MetricDefs`.

Why a module of its own, below everything else of the SDK: the run's state (sdk/state.py)
holds one `WandbState`, and the wandb helpers (compat.py, datatypes.py, watch.py) read and
change it. Kept here, it imports nothing of ours, so the state and the helpers that take it
never import each other in a circle (tests/test_layers.py counts imports made only for
annotations too).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from typing import Any


class MetricDefs:
    """The wandb-style definitions of one run (`define_metric`), by exact name or glob
    pattern: step metrics, summaries, goals, hidden keys."""

    def __init__(self) -> None:
        self.step_metric: dict[str, str] = {}
        self.summary: dict[str, tuple[str, ...]] = {}
        self.goal: dict[str, str] = {}
        self.hidden: set[str] = set()
        self._resolved: dict[str, str | None] = {}  # key -> its step metric (cache)
        self._defined: set[str] = set()  # keys whose goal from a glob has been stored

    @staticmethod
    def _match(patterns: Mapping[str, Any] | set[str], key: str) -> str | None:
        if key in patterns:
            return key
        for p in patterns:
            if "*" in p or "?" in p or "[" in p:
                if fnmatch.fnmatchcase(key, p):
                    return p
        return None

    def define_step_metric(self, name: str, step_metric: str) -> None:
        """`name` (or a glob) is stored at `step_metric`'s value; forgets the resolved keys."""
        self.step_metric[name] = step_metric
        self._resolved.clear()

    def define_glob_goal(self, pattern: str, goal: str) -> None:
        """A definition for every key matching `pattern`, stored per key when first logged."""
        self.goal[pattern] = goal
        self._defined.clear()

    def step_metric_of(self, key: str) -> str | None:
        try:
            return self._resolved[key]
        except KeyError:
            p = self._match(self.step_metric, key)
            sm = self.step_metric[p] if p is not None else None
            if sm == key:  # define_metric("*", step_metric="global_step") leaves the clock
                sm = None
            self._resolved[key] = sm
            return sm

    def summary_of(self, key: str) -> tuple[str, ...]:
        p = self._match(self.summary, key)
        return self.summary[p] if p is not None else ()

    def glob_goal(self, key: str, goals: Mapping[str, str]) -> str | None:
        """The definition a glob gives `key` the first time it is logged, None when none does
        or the run already has one of its own (`goals`: exact names win)."""
        if key in self._defined or not self.goal:
            return None
        self._defined.add(key)
        p = self._match(self.goal, key)
        if p is not None and p != key and key not in goals:
            return self.goal[p]
        return None


class WandbState:
    """What the wandb surface keeps for one run: define_metric() definitions, alerts sent,
    save() globs still to look for, the summary set by hand, data types warned about once,
    and watch()'s hooks."""

    __slots__ = ("alerted", "defs", "media_warned", "own_summary", "pending_saves", "watches")

    def __init__(self) -> None:
        self.defs: MetricDefs | None = None
        self.alerted: dict[str, float] = {}
        self.pending_saves: list[tuple[str, str | None]] = []
        self.own_summary: dict[str, Any] = {}
        self.media_warned: set[str] = set()
        self.watches: list[Any] = []
