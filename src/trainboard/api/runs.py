"""`Runs`: the runs a query matches, read lazily a page at a time.

Why pages: a store may hold 10,000 runs; `len(runs)` is one count and `runs[0]` one page,
and iterating holds one page (`page_size` runs with their summaries) at a time. The store
filters by project, model, status, name search, archived and one tag; the rest of the tags
and the config filters are checked here, page by page, so a query with them reads every run
the store-side filters match (still a page at a time).

Ranking (`best`) goes through `trainboard.api.ranking`, the Compare page's own order.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from numbers import Real
from typing import TYPE_CHECKING, Any, Literal, overload

from trainboard.errors import NotFoundError, UsageError

if TYPE_CHECKING:
    import pandas as pd

    from trainboard.api.client import Api
    from trainboard.api.run import StoredRun
    from trainboard.store.base import RunQuery, RunRecord

PAGE_SIZE = 500
SummaryValue = Literal["best", "last", "min", "max"]
_VALUES: tuple[SummaryValue, ...] = ("best", "last", "min", "max")
_FIXED = ("name", "project", "model", "status", "created_at")


def _is_number(v: Any) -> bool:
    return isinstance(v, Real) and not isinstance(v, bool)


def _equal(have: Any, want: Any) -> bool:
    """Config equality where True is not 1 (a flag never matches a count)."""
    if isinstance(have, bool) != isinstance(want, bool):
        return False
    try:
        return bool(have == want)
    except Exception:
        return False


def _config_value(config: Mapping[str, Any], key: str) -> tuple[bool, Any]:
    """A config value by its name or dotted path ("optim.lr" reaches {"optim": {"lr": ..}})."""
    if key in config:
        return True, config[key]
    node: Any = config
    for part in key.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return False, None
        node = node[part]
    return True, node


def _matches(have: Any, want: Any) -> bool:
    if isinstance(want, tuple):
        lo, hi = want
        if not _is_number(have) or math.isnan(have):
            return False
        return (lo is None or have >= lo) and (hi is None or have <= hi)
    if isinstance(want, set | frozenset):
        return any(_equal(have, w) for w in want)
    return _equal(have, want)


def check_config_filters(config: Mapping[str, Any] | None) -> tuple[tuple[str, Any], ...]:
    """Validate `config=` at the call: a value (equality), a (low, high) range of numbers with
    None for an open end, or a set of accepted values."""
    if config is None:
        return ()
    if not isinstance(config, Mapping):
        raise UsageError(f"runs(): config must be a dict of config filters, got {config!r}")
    out = []
    for key, want in config.items():
        if not isinstance(key, str) or not key:
            raise UsageError(f"runs(): config keys must be non-empty str, got {key!r}")
        if isinstance(want, tuple):
            if len(want) != 2 or not all(b is None or _is_number(b) for b in want):
                raise UsageError(
                    f"runs(): config[{key!r}] range must be (low, high) numbers or None, "
                    f"got {want!r}"
                )
        out.append((key, want))
    return tuple(out)


@dataclass(frozen=True)
class RunFilter:
    """What `Api.runs()` asked for: `query` goes to the store; `tags` (all required) and
    `config` are checked here."""

    query: RunQuery
    tags: tuple[str, ...] = ()
    config: tuple[tuple[str, Any], ...] = ()

    @property
    def in_store_only(self) -> bool:
        return len(self.tags) <= 1 and not self.config

    def accepts(self, run: RunRecord) -> bool:
        if any(t not in run.tags for t in self.tags):
            return False
        for key, want in self.config:
            found, have = _config_value(run.config, key)
            if not found or not _matches(have, want):
                return False
        return True

    def describe(self) -> str:
        q = self.query
        parts = [
            f"{name}={value!r}"
            for name, value in (
                ("project", q.project), ("model", q.model), ("status", q.status),
                ("search", q.search),
            )
            if value is not None
        ]  # fmt: skip
        if self.tags:
            parts.append(f"tags={list(self.tags)!r}")
        if self.config:
            parts.append(f"config={dict(self.config)!r}")
        if q.archived is not None:
            parts.append(f"archived={q.archived}")
        return ", ".join(parts) or "no filter"


class Runs(Sequence["StoredRun"]):
    """The runs a query matched, newest first. Iterate, `len()`, index or slice (a list),
    `best(metric)`, `summary_frame(columns)`. Reads happen on use, a page at a time."""

    def __init__(self, api: Api, where: RunFilter, page_size: int = PAGE_SIZE) -> None:
        self._api = api
        self._where = where
        self._page_size = page_size

    def __repr__(self) -> str:
        return f"<Runs {self._where.describe()}>"

    # reading ----------------------------------------------------------------------------
    def records(self) -> Iterator[RunRecord]:
        """The matching runs' store records, page by page (a run seen twice, because runs
        created meanwhile shifted the pages, comes once)."""
        store = self._api.store
        seen: set[str] = set()
        offset = 0
        while True:
            page = store.list_runs(replace(self._where.query, limit=self._page_size, offset=offset))
            for r in page:
                if r.id not in seen and self._where.accepts(r):
                    seen.add(r.id)
                    yield r
            if len(page) < self._page_size:
                return
            offset += len(page)

    def __iter__(self) -> Iterator[StoredRun]:
        for r in self.records():
            yield self._api._wrap(r)

    def __len__(self) -> int:
        if self._where.in_store_only:
            return self._api.store.count_runs(self._where.query)
        return sum(1 for _ in self.records())

    @overload
    def __getitem__(self, index: int) -> StoredRun: ...

    @overload
    def __getitem__(self, index: slice) -> list[StoredRun]: ...

    def __getitem__(self, index: int | slice) -> StoredRun | list[StoredRun]:
        if isinstance(index, slice):
            simple = all(v is None or v >= 0 for v in (index.start, index.stop))
            if simple and (index.step or 1) > 0:
                got = self._window(index.start or 0, index.stop)
                return [self._api._wrap(r) for r in got[:: index.step or 1]]
            picked = range(*index.indices(len(self)))
            if not picked:
                return []
            lo = min(picked)
            got = self._window(lo, max(picked) + 1)
            return [self._api._wrap(got[i - lo]) for i in picked if i - lo < len(got)]
        if isinstance(index, bool) or not isinstance(index, int):
            raise TypeError(f"Runs indices must be int or slice, got {type(index).__name__}")
        i = index if index >= 0 else len(self) + index
        got = self._window(i, i + 1) if i >= 0 else []
        if not got:
            raise IndexError(f"run index {index} out of range ({self._where.describe()})")
        return self._api._wrap(got[0])

    def _window(self, lo: int, hi: int | None) -> list[RunRecord]:
        """Records lo..hi (hi None: to the end) of the matching runs."""
        if hi is not None and hi <= lo:
            return []
        if self._where.in_store_only and hi is not None and hi - lo <= self._page_size:
            q = replace(self._where.query, limit=hi - lo, offset=lo)
            return self._api.store.list_runs(q)
        out: list[RunRecord] = []
        for i, r in enumerate(self.records()):
            if hi is not None and i >= hi:
                break
            if i >= lo:
                out.append(r)
        return out

    @property
    def ids(self) -> list[str]:
        """Every matching run's id, newest first."""
        return [r.id for r in self.records()]

    # ranking and tables -----------------------------------------------------------------
    def best(self, metric: str | None = None) -> StoredRun:
        """The best run by `metric` (default: eval loss, else train loss), ranked as the
        Compare page ranks: best value by the metric's goal, ties to the earlier run."""
        from trainboard.api.ranking import best_id

        return self._api.run(best_id(self.records, metric, self._where.describe()))

    def summary_frame(
        self, columns: Sequence[str] | None = None, value: SummaryValue = "last"
    ) -> pd.DataFrame:
        """One row per run (index: id): name, project, model, status, created_at, then
        `columns`. A name is a config value (dotted for nested: "optim.lr") when any run's
        config has it, else a metric; "config.<name>" / "summary.<name>" say which. A metric
        cell is the run's `value` of it: "best" (by its goal, as ranking reads it), "last",
        "min" or "max". Default columns: every config value as config.<name>, then every
        metric as summary.<name>. Needs `pip install 'trainboard[pandas]'`."""
        from trainboard.api.history import require_pandas
        from trainboard.api.ranking import summary_table

        pd = require_pandas("summary_frame()")
        if value not in _VALUES:
            raise UsageError(f"summary_frame(): value must be one of {_VALUES}, got {value!r}")
        if columns is not None and (
            isinstance(columns, str) or not all(isinstance(c, str) and c for c in columns)
        ):
            raise UsageError(f"summary_frame(): columns must be a list of names, got {columns!r}")
        runs = [self._api._wrap(r) for r in self.records()]
        ids, rows = summary_table(runs, columns, value, _FIXED)
        return pd.DataFrame(rows, index=pd.Index(ids, name="id"))


def no_runs(where: RunFilter) -> NotFoundError:
    return NotFoundError(f"no runs match {where.describe()}")
