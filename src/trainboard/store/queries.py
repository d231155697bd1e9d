"""How a Store is asked for runs and series, and what ranking a model group needs back.

Why apart from the records: a new filter, sort or read_series argument changes this module
(and the engines that answer it), never the shape of a stored run. The arguments are checked
here once, for every engine, so a bad one is the same UsageError from SQLite, PostgreSQL and
a remote server.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from numbers import Real
from typing import Any, Literal, NamedTuple

from trainboard import limits
from trainboard.errors import UsageError
from trainboard.limits import check_int
from trainboard.store.configpaths import is_scalar
from trainboard.store.records import Goal, RunRecord, Status

XAxis = Literal["step", "time"]
RunSort = Literal["created", "model"]
RUN_SORTS: tuple[RunSort, ...] = ("created", "model")

MAX_PATH = 256
"""Longest config name a store filters or sorts by (PostgreSQL limits one index entry to
about 2.7 kB; store/sql/configindex.py keeps no longer name)."""


class ConfigFilter(NamedTuple):
    """One config filter the store answers (by index on SQL stores, store/sql/configindex.py):
    `op` "eq": the value under `path` (store/configpaths.py's rule) equals `value`, a number,
    bool, string or None, where True is not 1; "range": it is a number (not a bool) within
    `value` = (low, high), inclusive, None for an open end, not both None."""

    path: str
    op: Literal["eq", "range"]
    value: Any

    def check(self) -> ConfigFilter:
        """Self, or a UsageError naming what is wrong (the same from every engine)."""
        if not isinstance(self.path, str) or not self.path:
            raise UsageError(f"config filter: the name must be a non-empty str, got {self.path!r}")
        limits.check_text("config filter: name", self.path)
        if len(self.path) > MAX_PATH:
            raise UsageError(
                f"config filter: names longer than {MAX_PATH} characters are not indexed, "
                f"got {len(self.path)}"
            )
        if self.op == "eq":
            if not is_scalar(self.value):
                raise UsageError(
                    f"config filter {self.path!r}: a value must be a number, bool, str or "
                    f"None, got {self.value!r}"
                )
            if isinstance(self.value, str):
                limits.check_text(f"config filter {self.path!r}: value", self.value)
            return self
        if self.op == "range":
            v = self.value
            if (
                not isinstance(v, tuple)
                or len(v) != 2
                or not all(b is None or is_number(b) for b in v)
                or v == (None, None)
            ):
                raise UsageError(
                    f"config filter {self.path!r}: a range must be (low, high) numbers with "
                    f"None for an open end, got {v!r}"
                )
            return self
        raise UsageError(f"config filter {self.path!r}: op must be 'eq' or 'range'")


def is_number(v: Any) -> bool:
    """A number that is not a bool (a range never matches a flag)."""
    return isinstance(v, Real) and not isinstance(v, bool)


@dataclass
class RunQuery:
    """Filters for list_runs/count_runs; None means "any". archived=None lists both."""

    project: str | None = None
    # only runs of these projects (a project-limited token's view, server/projectview.py)
    projects: tuple[str, ...] | None = None
    model: str | None = None
    status: Status | None = None
    tag: str | None = None
    search: str | None = None  # case-insensitive substring of the name
    name: str | None = None  # exactly this name (SQL stores; an index lookup)
    archived: bool | None = False
    limit: int | None = None
    offset: int = 0
    # "created": newest first; "model": by model (runs without one last), newest first within
    # a model, so a page holds a model's runs together
    sort: RunSort = "created"
    id_prefix: str | None = None  # runs whose id starts with this (Api().run("a1b2"))
    # keyset paging (sort "created" only): the runs after this (created_at, id) in the list's
    # order, so the next page costs one index seek, however deep, and no run is skipped or
    # repeated when runs are created meanwhile
    after: tuple[float, str] | None = None
    # every one must hold (checked with ConfigFilter.check by the engines)
    config: tuple[ConfigFilter, ...] = ()


@dataclass(frozen=True)
class SeriesQuery:
    """The arguments of read_series after the run and key, checked once (here) for every
    engine: x is "step" or "time", max_points >= 1, steps are int64, start <= end."""

    max_points: int | None = None
    x: XAxis = "step"
    since: int | None = None
    start: int | None = None
    end: int | None = None
    superseded: bool = False  # only the points later attempts superseded (store/attempts.py)

    def __post_init__(self) -> None:
        if self.x not in ("step", "time"):
            raise UsageError(f"read_series: x must be 'step' or 'time', got {self.x!r}")
        if self.max_points is not None:
            check_int("read_series: max_points", self.max_points)
            if self.max_points < 1:
                raise UsageError(f"read_series: max_points must be >= 1, got {self.max_points}")
        for name in ("since", "start", "end"):
            if getattr(self, name) is not None:
                check_int(f"read_series: {name}", getattr(self, name))
        check_step_range(self.start, self.end)


@dataclass
class GroupLeaders:
    """What ranking one model group needs about every run a query matches, not one page.

    `keys`: the metric keys the group's runs logged that may decide (`roles.can_decide`:
    losses, quality metrics, perplexities). `goals`: the runs' define_metric() choices merged
    newest run first (a later, older run's choice wins, as merging the listed runs does).
    `leaders`: the runs that hold the group's lowest finite minimum or highest finite maximum
    of one of those keys (all of them on a tie), with id, model, created_at and the summaries of
    those keys only. The group's best run for any of the keys is among them."""

    keys: set[str] = field(default_factory=set)
    goals: dict[str, str] = field(default_factory=dict)
    leaders: list[RunRecord] = field(default_factory=list)


TREND_POINTS = 300
"""Points an improvement trend keeps at most (about): what the Compare page draws in a
360-pixel line, whatever the group's size (analysis/trend.py says which)."""


class TrendRow(NamedTuple):
    """One kept point of a group's improvement trend (analysis/trend.py's TrendPoint)."""

    id: str
    name: str
    created_at: float
    value: float | None  # the run's best value (None: not logged or not finite)
    best_so_far: float | None
    new_best: bool


@dataclass
class GroupTrend:
    """A group's improvement trend as a store works it out (Store.group_trend): `used` the
    keys of the measure its runs used (each run its first logged one), `goal` the direction
    they give, `logged` how many runs have a finite value, `early` the best of the first
    `logged // 2` of them and `late` the best of the rest, `points` the kept points oldest
    first. analysis/trend.py turns it into the same Trend as the listed runs give."""

    used: tuple[str, ...]
    goal: Goal
    logged: int
    early: float | None
    late: float | None
    points: list[TrendRow] = field(default_factory=list)


def leaders_of(runs: Iterable[RunRecord]) -> dict[str | None, GroupLeaders]:
    """GroupLeaders of every model among `runs` (listed newest first), worked out in Python:
    the reference for engines that compute them in the database."""
    from trainboard.roles import can_decide

    out: dict[str | None, GroupLeaders] = {}
    best: dict[tuple[str | None, str, bool], tuple[float, list[RunRecord]]] = {}
    runs = list(runs)
    defined: dict[str, str] = {}
    for r in reversed(runs):
        defined.update(r.goals)
    for r in runs:
        g = out.setdefault(r.model, GroupLeaders())
        g.goals.update(r.goals)
        for key, s in r.summary.items():
            if not can_decide(key, defined):
                continue
            g.keys.add(key)
            for high, v in ((False, s.min), (True, s.max)):
                if not math.isfinite(v):
                    continue
                slot = best.get((r.model, key, high))
                if slot is None or (v > slot[0] if high else v < slot[0]):
                    best[(r.model, key, high)] = (v, [r])
                elif v == slot[0]:
                    slot[1].append(r)
    picked: dict[tuple[str | None, str], RunRecord] = {}
    for (model, key, _), (_, holders) in best.items():
        for r in holders:
            lead = picked.get((model, r.id))
            if lead is None:
                lead = RunRecord(r.id, r.project, r.name, model=model, created_at=r.created_at)
                picked[(model, r.id)] = lead
                out[model].leaders.append(lead)
            lead.summary[key] = r.summary[key]
    return out


def check_step_range(start: int | None, end: int | None) -> None:
    """The engines' shared check of read_series(start=, end=): raise UsageError naming both."""
    if start is not None and end is not None and start > end:
        raise UsageError(f"read_series: start must be <= end, got start={start}, end={end}")
