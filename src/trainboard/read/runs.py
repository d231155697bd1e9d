"""`Runs`: the runs a query matches, read lazily a page at a time.

Why pages: a store may hold 10,000 runs; `len(runs)` is one count and `runs[0]` one page,
and iterating holds one page (`page_size` runs with their summaries) at a time. The store
filters by project, model, status, name search, archived and one tag; the rest of the tags
and the config filters are checked here, page by page, so a query with them reads every run
the store-side filters match (still a page at a time).

Ranking (`best`) goes through `trainboard.read.ranking`, the Compare page's own order.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal, overload

from trainboard.errors import UsageError
from trainboard.read.filters import RunFilter
from trainboard.read.run import StoredRun
from trainboard.store.facets import RunFacets, of_runs

if TYPE_CHECKING:
    import pandas as pd

    from trainboard.store.base import Store
    from trainboard.store.records import RunRecord

PAGE_SIZE = 2000  # runs a page; OFFSET paging costs grow with the page count
SummaryValue = Literal["best", "last", "min", "max"]
_VALUES: tuple[SummaryValue, ...] = ("best", "last", "min", "max")
_FIXED = ("name", "project", "model", "status", "created_at")


class Runs(Sequence["StoredRun"]):
    """The runs a query matched, newest first. Iterate, `len()`, index or slice (a list),
    `best(metric)`, `summary_frame(columns)`. Reads happen on use, a page at a time."""

    def __init__(
        self,
        store: Store,
        where: RunFilter,
        page_size: int = PAGE_SIZE,
        artifacts_dir: Path | None = None,
    ) -> None:
        self._store = store
        self._where = where
        self._page_size = page_size
        self._artifacts_dir = artifacts_dir

    def _wrap(self, record: RunRecord) -> StoredRun:
        return StoredRun(self._store, record, self._artifacts_dir)

    def __repr__(self) -> str:
        return f"<Runs {self._where.describe()}>"

    # reading ----------------------------------------------------------------------------
    def records(self) -> Iterator[RunRecord]:
        """The matching runs' store records, page by page, newest first (keyset pages: a run
        created meanwhile never shifts them)."""
        store = self._store
        seen: set[str] = set()
        after: tuple[float, str] | None = None
        while True:  # keyset pages: each one index seek after the last run seen
            q = replace(self._where.query, limit=self._page_size, offset=0, after=after)
            page = store.list_runs(q)
            for r in page:
                if r.id not in seen and self._where.accepts(r):
                    seen.add(r.id)
                    yield r
            if len(page) < self._page_size:
                return
            after = (page[-1].created_at, page[-1].id)

    def __iter__(self) -> Iterator[StoredRun]:
        for r in self.records():
            yield self._wrap(r)

    def __len__(self) -> int:
        if self._where.in_store_only:
            return self._store.count_runs(self._where.query)
        return sum(1 for _ in self.records())

    def facets(self) -> RunFacets:
        """How many of these runs there are per project, status and model (`.model[None]`:
        runs without one), with `.total`: one GROUP BY over an index on SQL stores when
        the filters are the store's own, else a count of the listing (config filters, more
        than one tag)."""
        if self._where.in_store_only:
            return self._store.facet_runs(self._where.query)
        return of_runs(self.records())

    @overload
    def __getitem__(self, index: int) -> StoredRun: ...

    @overload
    def __getitem__(self, index: slice) -> list[StoredRun]: ...

    def __getitem__(self, index: int | slice) -> StoredRun | list[StoredRun]:
        if isinstance(index, slice):
            simple = all(v is None or v >= 0 for v in (index.start, index.stop))
            if simple and (index.step or 1) > 0:
                got = self._window(index.start or 0, index.stop)
                return [self._wrap(r) for r in got[:: index.step or 1]]
            picked = range(*index.indices(len(self)))
            if not picked:
                return []
            lo = min(picked)
            got = self._window(lo, max(picked) + 1)
            return [self._wrap(got[i - lo]) for i in picked if i - lo < len(got)]
        if isinstance(index, bool) or not isinstance(index, int):
            raise TypeError(f"Runs indices must be int or slice, got {type(index).__name__}")
        i = index if index >= 0 else len(self) + index
        got = self._window(i, i + 1) if i >= 0 else []
        if not got:
            raise IndexError(f"run index {index} out of range ({self._where.describe()})")
        return self._wrap(got[0])

    def _window(self, lo: int, hi: int | None) -> list[RunRecord]:
        """Records lo..hi (hi None: to the end) of the matching runs."""
        if hi is not None and hi <= lo:
            return []
        if self._where.in_store_only and hi is not None and hi - lo <= self._page_size:
            q = replace(self._where.query, limit=hi - lo, offset=lo)
            return self._store.list_runs(q)
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
        from trainboard.read.ranking import best_id

        return self._wrap(
            self._store.get_run(best_id(self.records, metric, self._where.describe()))
        )

    def summary_frame(
        self, columns: Sequence[str] | None = None, value: SummaryValue = "last"
    ) -> pd.DataFrame:
        """One row per run (index: id): name, project, model, status, created_at, then
        `columns`. A name is a config value (dotted for nested: "optim.lr") when any run's
        config has it, else a metric; "config.<name>" / "summary.<name>" say which. A metric
        cell is the run's `value` of it: "best" (by its goal, as ranking reads it), "last",
        "min" or "max". Default columns: every config value as config.<name>, then every
        metric as summary.<name>. Needs `pip install 'trainboard[pandas]'`."""
        from trainboard.read.history import require_pandas
        from trainboard.read.ranking import summary_table

        pd = require_pandas("summary_frame()")
        if value not in _VALUES:
            raise UsageError(f"summary_frame(): value must be one of {_VALUES}, got {value!r}")
        if columns is not None and (
            isinstance(columns, str) or not all(isinstance(c, str) and c for c in columns)
        ):
            raise UsageError(f"summary_frame(): columns must be a list of names, got {columns!r}")
        runs = [self._wrap(r) for r in self.records()]
        ids, rows = summary_table(runs, columns, value, _FIXED)
        return pd.DataFrame(rows, index=pd.Index(ids, name="id"))
