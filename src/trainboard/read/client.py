"""`trainboard.Api`: read runs back in Python from any store.

The store is chosen as init() chooses it (`trainboard.sdk.selection.select_store`: TRAINBOARD_URL >
TRAINBOARD_DB > the SQLite file under TRAINBOARD_HOME), or named by `store=`: a store URL, a
SQLite file path, or a server's http(s):// URL. Reading never takes a writer's lock: the
SQLite engine reads in WAL mode inside plain (deferred) transactions, PostgreSQL reads are
MVCC snapshots, and a remote server answers GETs. So an Api is safe beside running writers;
what it shows is the store as of each read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from trainboard.errors import RunNotFoundError, StoreError, UsageError
from trainboard.read.filters import RunFilter, check_config_filters, in_store
from trainboard.read.run import StoredRun
from trainboard.read.runs import PAGE_SIZE, Runs

if TYPE_CHECKING:
    from trainboard.store.base import Store
    from trainboard.store.records import RunRecord, Status

_HEX = frozenset("0123456789abcdef")


def _check_local(url: str) -> None:
    """A SQLite file that does not exist is an error, not a new empty store: reading must
    not create files, and a mistyped path should say so rather than list no runs."""
    from trainboard.store.url import StoreURL

    path = StoreURL.parse(url).sqlite_path if StoreURL.is_sql(url) else None
    if path is None or path.exists():
        return
    raise StoreError(
        f"no trainboard store at {path}: nothing has been logged there "
        "(Api() reads TRAINBOARD_URL, else TRAINBOARD_DB, else TRAINBOARD_HOME/trainboard.db; "
        "or pass store=)"
    )


class Api:
    """Read access to a trainboard store: `runs()`, `run()`, `best_run()`, `compare()`.

    `store`: None for the same store init() would write to, a `sqlite:///` or
    `postgresql://` URL, a SQLite file path, or a trainboard server's `http(s)://` URL.
    `token`: the server's token (default TRAINBOARD_TOKEN). Close it when done (or use
    `with trainboard.Api() as api:`)."""

    def __init__(self, store: str | None = None, *, token: str | None = None) -> None:
        from trainboard import settings
        from trainboard.sdk.selection import open_selected, select_store
        from trainboard.store.url import StoreURL

        if isinstance(store, str) and StoreURL.is_remote(store):
            url, remote = "", store
        else:
            url, remote = select_store(store, "Api()")
        if not remote:
            _check_local(url)
        self.url = remote or url
        self.store: Store = open_selected(url, remote, token)
        self._artifacts_dir = None if remote else settings.artifacts_dir(url)

    def __repr__(self) -> str:
        return f"<trainboard.Api {self.url}>"

    def close(self) -> None:
        """Release the store's connections."""
        self.store.close()

    def __enter__(self) -> Api:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _wrap(self, record: RunRecord) -> StoredRun:
        return StoredRun(self.store, record, self._artifacts_dir)

    # queries ----------------------------------------------------------------------------
    def runs(
        self,
        project: str | None = None,
        model: str | None = None,
        tags: str | Sequence[str] | None = None,
        status: Status | None = None,
        search: str | None = None,
        archived: bool | None = False,
        config: Mapping[str, Any] | None = None,
        *,
        page_size: int = PAGE_SIZE,
    ) -> Runs:
        """The runs that match every filter given, newest first, read lazily.

        `tags`: the runs carry all of them. `status`: the stored status. `search`: a
        case-insensitive part of the name. `archived`: False (default) leaves archived runs
        out, True lists only them, None both. `config`: {name: value} for equality,
        {name: (low, high)} for an inclusive range (None leaves an end open), {name: {a, b}}
        for any of several values; nested values by dotted name ("optim.lr")."""
        from trainboard.store.queries import RunQuery
        from trainboard.store.records import STATUSES

        if status is not None and status not in STATUSES:
            raise UsageError(f"runs(): status must be one of {', '.join(STATUSES)}, got {status!r}")
        tag_list = [tags] if isinstance(tags, str) else list(tags or [])
        if not all(isinstance(t, str) and t for t in tag_list):
            raise UsageError(f"runs(): tags must be a tag or a list of tags, got {tags!r}")
        if archived not in (True, False, None):
            raise UsageError(f"runs(): archived must be True, False or None, got {archived!r}")
        if isinstance(page_size, bool) or not isinstance(page_size, int) or page_size < 1:
            raise UsageError(f"runs(): page_size must be a positive int, got {page_size!r}")
        for arg, value in (("project", project), ("model", model), ("search", search)):
            if value is not None and not isinstance(value, str):
                raise UsageError(f"runs(): {arg} must be a str, got {value!r}")
        query = RunQuery(
            project=project,
            model=model,
            status=status,
            tag=tag_list[0] if tag_list else None,
            search=search or None,
            archived=archived,
        )
        config_filters = check_config_filters(config)
        if self.store.config_filters:  # by index, in SQL (store/sql/configindex.py)
            in_sql, config_filters = in_store(config_filters)
            query.config = in_sql
        where = RunFilter(query, tuple(dict.fromkeys(tag_list)), config_filters)
        return Runs(self.store, where, page_size, self._artifacts_dir)

    def run(self, ref: str) -> StoredRun:
        """One run by id, unique id prefix, or name (archived runs included)."""
        from trainboard.store.queries import RunQuery

        if not isinstance(ref, str) or not ref.strip():
            raise UsageError(f"run(): expected a run id, id prefix or name, got {ref!r}")
        ref = ref.strip()
        try:
            return self._wrap(self.store.get_run(ref))
        except RunNotFoundError:
            pass
        # name= is an index lookup on SQL stores; search= narrows it where name= is not
        # understood (a remote server), and the last check is exact either way
        by_name = RunQuery(search=ref, name=ref, archived=None)
        found = [r for r in self.store.list_runs(by_name) if r.name == ref]
        matched = len(found)
        if not found and len(ref) < 12 and set(ref.lower()) <= _HEX:
            by_prefix = RunQuery(id_prefix=ref.lower(), archived=None, limit=6)
            found = self.store.list_runs(by_prefix)  # an index range, not every run
            matched = len(found) if len(found) < 6 else self.store.count_runs(by_prefix)
        if matched == 1:
            return self._wrap(found[0])
        if found:
            shown = ", ".join(f"{r.id} ({r.name})" for r in found[:5])
            more = f" and {matched - 5} more" if matched > 5 else ""
            raise UsageError(f"{ref!r} matches {matched} runs: {shown}{more}; give the id")
        raise self._not_found(ref)

    def _not_found(self, ref: str) -> RunNotFoundError:
        """RunNotFoundError naming what was asked and the newest runs that exist."""
        from trainboard.store.queries import RunQuery

        total = self.store.count_runs(RunQuery(archived=None))
        newest = self.store.list_runs(RunQuery(archived=None, limit=5))
        if newest:
            shown = ", ".join(f"{r.id} ({r.name})" for r in newest)
            exists = f"the store holds {total} run(s), newest: {shown}"
        else:
            exists = f"the store at {self.url} holds no runs"
        err = RunNotFoundError(ref)
        err.args = (f"no run with id, id prefix or name {ref!r}; {exists}",)
        return err

    def best_run(
        self,
        project: str | None = None,
        model: str | None = None,
        metric: str | None = None,
        **filters: Any,
    ) -> StoredRun:
        """The best of `runs(project=, model=, **filters)` by `metric` (default: eval loss,
        else train loss), ranked by the Compare page's code: `runs(...).best(metric)`."""
        return self.runs(project=project, model=model, **filters).best(metric)

    def compare(
        self,
        runs: Iterable[str | StoredRun],
        metric: str | None = None,
        threshold_pct: float | None = None,
    ) -> dict[str, Any]:
        """The comparison of `runs` (ids, id prefixes, names or StoredRuns, in that order):
        table, deltas, recommendation, config diff, trends. Equal to the parsed output of
        `trainboard compare RUN... --json` (NaN and ±inf spelled as strings)."""
        import orjson

        from trainboard.analysis.compare import DEFAULT_THRESHOLD_PCT, compare
        from trainboard.report import render

        if isinstance(runs, str | StoredRun):
            runs = [runs]
        ids = list(
            dict.fromkeys(r.id if isinstance(r, StoredRun) else self.run(r).id for r in runs)
        )
        if not ids:
            raise UsageError("compare(): expected at least one run, got none")
        threshold = DEFAULT_THRESHOLD_PCT if threshold_pct is None else threshold_pct
        c = compare(self.store, ids, metric, threshold)
        out: dict[str, Any] = orjson.loads(render(c, "json"))
        return out
