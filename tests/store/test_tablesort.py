"""The runs table sorted in SQL (store/tablesort.py) puts runs in the same order as the table's
Python reference (server/routes/runs_table.py's sort_runs), on SQLite and PostgreSQL, for every kind
of column: plain, config values of mixed types and missing ones, metrics by their goal (a run's
own define_metric() goal included), grouped by model, both directions, any page."""

from __future__ import annotations

import math
import random

import pytest

from trainboard.server.routes.runs_table import sort_runs
from trainboard.store import open_store
from trainboard.store.queries import RunQuery
from trainboard.store.records import PointBatch, RunRecord
from trainboard.store.sql import tablesort
from trainboard.store.sql.store import SQLStore

T0 = 1_700_000_000.0
VALUES: list[object] = [0.1, 3, -2.5, True, False, "adam", "Beta", "alpha", None, [1, 2], {"x": 1}]


def _seed(db: SQLStore, n: int) -> None:
    rnd = random.Random(7)
    for i in range(n):
        config: dict[str, object] = {"opt": {"lr": rnd.choice(VALUES)}, "bs": rnd.choice([8, 16])}
        if rnd.random() < 0.2:
            config = {}
        goals = {"eval/acc": "min"} if i % 9 == 0 else {}
        db.create_run(
            RunRecord(
                id=f"{i:012x}",
                project=rnd.choice(["a", "b"]),
                name=rnd.choice(["Zeta", "alpha", "beta", "Alpha"]) + f"-{i % 5}",
                model=rnd.choice(["m1", "m2", None]),
                status=rnd.choice(["finished", "failed"]),
                created_at=T0 + rnd.choice([1, 2, 3, i]),  # ties on purpose
                finished_at=T0 + 100 + i,
                config=config,
                goals=goals,
            )
        )
        if rnd.random() < 0.8:
            vals = [rnd.choice([0.5, 1.5, 2.5, math.nan, rnd.random()]) for _ in range(3)]
            db.write_points(
                f"{i:012x}",
                {
                    "eval/loss": PointBatch.of([0, 1, 2], [T0, T0 + 1, T0 + 2], vals),
                    "eval/acc": PointBatch.of([0, 1, 2], [T0, T0 + 1, T0 + 2], vals[::-1]),
                    "lr": PointBatch.of([0], [T0], [vals[0]]),
                },
            )


COLUMNS = [
    "name", "project", "model", "status", "created", "duration",
    "config.opt.lr", "config.bs", "config.missing", "metric.eval/loss", "metric.eval/acc",
    "metric.lr",
]  # fmt: skip


@pytest.mark.parametrize("desc", [False, True])
@pytest.mark.parametrize("group", [False, True])
def test_sql_order_is_the_tables_order(store_url: str, desc: bool, group: bool) -> None:
    with open_store(store_url) as db:
        assert isinstance(db, SQLStore)
        _seed(db, 120)
        query = RunQuery(project="a")
        everything = db.list_runs(query)
        for column in COLUMNS:
            want = [r.id for r in sort_runs(everything, column, desc, group)]
            got = [r.id for r in tablesort.sorted_page(db.runs, query, column, desc, group)]
            assert got == want, column
            page = RunQuery(project="a", limit=7, offset=10)
            got = [r.id for r in tablesort.sorted_page(db.runs, page, column, desc, group)]
            assert got == want[10:17], column


@pytest.mark.parametrize("desc", [False, True])
def test_metric_pages_walked_by_index_cover_every_run_once(store_url: str, desc: bool) -> None:
    """A metric without runs' own goals is read in its index's order, runs with a value
    first, then the rest: pages of 7 across that boundary neither skip nor repeat a run."""
    with open_store(store_url) as db:
        assert isinstance(db, SQLStore)
        _seed(db, 60)
        for column in ("metric.eval/loss", "metric.lr", "metric.never-logged"):
            want = [r.id for r in sort_runs(db.list_runs(RunQuery()), column, desc, False)]
            got: list[str] = []
            for offset in range(0, len(want) + 7, 7):
                page = RunQuery(limit=7, offset=offset)
                got += [r.id for r in tablesort.sorted_page(db.runs, page, column, desc, False)]
            assert got == want, column
            status = RunQuery(status="failed", limit=5, offset=3)
            failed = db.list_runs(RunQuery(status="failed"))
            want_failed = [r.id for r in sort_runs(failed, column, desc, False)][3:8]
            got = [r.id for r in tablesort.sorted_page(db.runs, status, column, desc, False)]
            assert got == want_failed, column


def test_offered_columns_are_the_matching_runs(store_url: str) -> None:
    with open_store(store_url) as db:
        assert isinstance(db, SQLStore)
        _seed(db, 40)
        config, metrics = tablesort.offered_columns(db.runs, RunQuery(project="b"))
        runs = db.list_runs(RunQuery(project="b"))
        assert config == sorted({k for r in runs for k in tablesort.flat_keys(r.config)})
        assert metrics == sorted({k for r in runs for k in r.summary})
