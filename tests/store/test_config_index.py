"""Config filters and the config sort in SQL (store/sql/configindex.py) give exactly what the
straightforward Python computation gives (read/filters.py's RunFilter.accepts for filters,
server/routes/runs_table.py's sort_runs for the sort), on SQLite and PostgreSQL, over a few
hundred random runs whose configs mix numbers, bools, strings, nulls, lists and objects,
top-level keys that hold dots, nested keys that hold dots, and missing keys; and the rows are
kept with the runs (create, import, update, delete) and back-filled by migration 0018."""

from __future__ import annotations

import random
from typing import Any

import pytest
import sqlalchemy as sa

from trainboard import Api
from trainboard.errors import UsageError
from trainboard.read.filters import RunFilter
from trainboard.server.routes.runs_table import sort_runs
from trainboard.store import open_store
from trainboard.store.queries import ConfigFilter, RunQuery
from trainboard.store.records import RunRecord
from trainboard.store.sql import configindex, tablesort
from trainboard.store.sql.schema import run_config
from trainboard.store.sql.store import SQLStore

T0 = 1_700_000_000.0
SCALARS: list[Any] = [
    0, 1, 2, -3, 0.5, 1.0, 2.5, 1e-4, 3e-4, -0.0, 10**15, True, False, None,
    "adam", "Adam", "ADAM", "sgd", "Straße", "STRASSE", "", "1", "true", "b", "ä",
]  # fmt: skip
ODD: list[Any] = [[1, 2], {"x": 1}, [], {}]
PATHS = ["lr", "opt", "opt.lr", "opt.name", "a.b", "a.b.c", "flag", "x.y.z", "dotted.k.v", "no"]


def _value(rnd: random.Random) -> Any:
    return rnd.choice(SCALARS) if rnd.random() < 0.9 else rnd.choice(ODD)


def _config(rnd: random.Random) -> dict[str, Any]:
    c: dict[str, Any] = {}
    if rnd.random() < 0.8:
        c["lr"] = _value(rnd)
    if rnd.random() < 0.7:
        c["opt"] = {"lr": _value(rnd), "name": _value(rnd)} if rnd.random() < 0.8 else _value(rnd)
    if rnd.random() < 0.4:
        c["opt.lr"] = _value(rnd)  # a top-level key with a dot: wins over opt -> lr
    if rnd.random() < 0.5:
        c["a"] = {"b": {"c": _value(rnd)} if rnd.random() < 0.5 else _value(rnd)}
    if rnd.random() < 0.3:
        c["a.b"] = {"c": _value(rnd)} if rnd.random() < 0.5 else _value(rnd)
    if rnd.random() < 0.5:
        c["flag"] = rnd.choice([True, False, 1, 0, "yes", None])
    if rnd.random() < 0.3:
        c["x"] = {"y": {"z": _value(rnd)}}
    if rnd.random() < 0.3:
        c["dotted"] = {"k.v": _value(rnd)}  # a nested key with a dot: no dotted name reaches it
    return c


def _seed(store: SQLStore, n: int, seed: int = 11) -> list[RunRecord]:
    rnd = random.Random(seed)
    made = []
    for i in range(n):
        made.append(
            RunRecord(
                id=f"{i:012x}",
                project=rnd.choice(["p", "q"]),
                name=f"run-{i}",
                model=rnd.choice(["m1", "m2", None]),
                status=rnd.choice(["finished", "failed"]),
                created_at=T0 + rnd.choice([1, 2, 3, i]),  # ties on purpose
                config=_config(rnd),
            )
        )
    half = n // 2
    for r in made[:half]:  # one by one, and the rest in one import
        store.create_run(r)
    store.import_runs([(r, {}) for r in made[half:]])
    return made


def _wants(rnd: random.Random) -> list[tuple[str, Any]]:
    """(path, want) pairs: every scalar for some paths, and ranges open at either end."""
    out: list[tuple[str, Any]] = []
    for path in PATHS:
        for v in rnd.sample(SCALARS, 8):
            out.append((path, v))
        for lo, hi in [(0, 1), (None, 0.5), (0.0001, None), (-5, -1), (1, 1), (True and 1, 2)]:
            out.append((path, (lo, hi)))
    return out


def _python(runs: list[RunRecord], config: tuple[tuple[str, Any], ...]) -> list[str]:
    keep = RunFilter(RunQuery(), (), config)
    return [r.id for r in runs if keep.accepts(r)]


def _sql_filters(config: tuple[tuple[str, Any], ...]) -> tuple[ConfigFilter, ...]:
    return tuple(ConfigFilter(k, "range" if isinstance(w, tuple) else "eq", w) for k, w in config)


def test_filters_match_the_python_computation(store_url: str) -> None:
    with open_store(store_url) as store:
        assert isinstance(store, SQLStore)
        _seed(store, 300)
        everything = store.list_runs(RunQuery())  # newest first, as the filtered lists
        rnd = random.Random(5)
        wants = _wants(rnd)
        matched_some = 0
        for path, want in wants:
            config = ((path, want),)
            expected = _python(everything, config)
            q = RunQuery(config=_sql_filters(config))
            got = [r.id for r in store.list_runs(q)]
            assert got == expected, (path, want)
            assert store.count_runs(q) == len(expected), (path, want)
            matched_some += bool(expected)
        assert matched_some > len(wants) // 3  # the comparison is not between empty lists
        for _ in range(40):  # two filters at once, with a store filter and a page
            config = tuple(rnd.sample(wants, 2))
            passing = set(_python(everything, config))
            expected = [r.id for r in everything if r.id in passing and r.project == "p"]
            q = RunQuery(project="p", config=_sql_filters(config), limit=5, offset=2)
            assert [r.id for r in store.list_runs(q)] == expected[2:7], config


@pytest.mark.parametrize("desc", [False, True])
def test_sort_matches_the_python_computation(store_url: str, desc: bool) -> None:
    with open_store(store_url) as store:
        assert isinstance(store, SQLStore)
        _seed(store, 250)
        for query in (RunQuery(), RunQuery(project="q", status="finished")):
            everything = store.list_runs(query)
            for path in PATHS:
                column = f"config.{path}"
                want = [r.id for r in sort_runs(everything, column, desc, False)]
                got = [r.id for r in tablesort.sorted_page(store.runs, query, column, desc, False)]
                assert got == want, column
                for offset, limit in ((0, 9), (37, 11), (len(want) - 4, 9)):
                    page = RunQuery(**{**query.__dict__, "offset": offset, "limit": limit})
                    got = [
                        r.id for r in tablesort.sorted_page(store.runs, page, column, desc, False)
                    ]
                    assert got == want[offset : offset + limit], (column, offset)
                grouped = [r.id for r in sort_runs(everything, column, desc, True)]
                got = [r.id for r in tablesort.sorted_page(store.runs, query, column, desc, True)]
                assert got == grouped, column


def _rows(store: SQLStore, run_id: str) -> dict[str, tuple[Any, ...]]:
    q = sa.select(run_config).where(run_config.c.run_id == run_id)
    found = store.db.read(lambda conn: conn.execute(q).all())
    return {r.path: (r.kind, r.num, r.text) for r in found}


def test_rows_follow_the_runs_config(store_url: str) -> None:
    with open_store(store_url) as store:
        assert isinstance(store, SQLStore)
        store.create_run(RunRecord("r1", "p", "a", config={"lr": 0.1, "opt": {"name": "adam"}}))
        store.import_runs([(RunRecord("r2", "p", "b", config={"lr": 0.2}), {})])
        assert set(_rows(store, "r1")) == {"lr", "opt.name"}
        lr = (ConfigFilter("lr", "range", (0.15, None)),)
        assert [r.id for r in store.list_runs(RunQuery(config=lr))] == ["r2"]
        store.update_run("r1", config={"lr": 0.5, "flag": True})
        assert set(_rows(store, "r1")) == {"lr", "flag"}
        assert {r.id for r in store.list_runs(RunQuery(config=lr))} == {"r1", "r2"}
        assert store.update_run_if("r2", "running", config={"lr": 0.9}) is True
        assert _rows(store, "r2")["lr"][1] == 0.9
        assert store.update_run_if("r2", "finished", config={}) is False
        assert _rows(store, "r2")["lr"][1] == 0.9  # not changed: its status did not hold
        store.delete_runs(["r1"])
        assert _rows(store, "r1") == {}
        assert [r.id for r in store.list_runs(RunQuery(config=lr))] == ["r2"]


def test_values_no_index_holds_are_refused_or_kept_apart(store_url: str) -> None:
    with open_store(store_url) as store:
        assert isinstance(store, SQLStore)
        long_key = "k" * 300
        store.create_run(RunRecord("r1", "p", "a", config={long_key: 1, "s": "a\x00b", "n": 2**62}))
        assert set(_rows(store, "r1")) == {"s", "n"}  # a name too long to index is not kept
        with pytest.raises(UsageError, match="256"):
            store.list_runs(RunQuery(config=(ConfigFilter(long_key, "eq", 1),)))
        with pytest.raises(UsageError, match="range"):
            store.list_runs(RunQuery(config=(ConfigFilter("n", "range", (None, None)),)))
        with pytest.raises(UsageError, match="number, bool, str or None"):
            store.list_runs(RunQuery(config=(ConfigFilter("n", "eq", [1]),)))
        # Api().runs() checks what no index answers itself, with the same result
        with Api(store_url) as api:
            assert [r.id for r in api.runs(config={long_key: 1})] == ["r1"]
            assert [r.id for r in api.runs(config={"n": (None, None)})] == ["r1"]
            assert [r.id for r in api.runs(config={"s": "a\x00b"})] == ["r1"]
            assert [r.id for r in api.runs(config={"n": 2**62})] == ["r1"]


def test_api_runs_config_goes_to_sql(store_url: str) -> None:
    with open_store(store_url) as store:
        assert isinstance(store, SQLStore)
        made = _seed(store, 120)
    with Api(store_url) as api:
        runs = api.runs(config={"lr": (0, 1), "opt.name": "adam"}, page_size=7)
        assert runs._where.in_store_only  # len() is a count, a page is a page: no Python pass
        assert runs._where.query.config and not runs._where.config
        expected = _python(
            sorted(made, key=lambda r: (r.created_at, r.id), reverse=True),
            (("lr", (0, 1)), ("opt.name", "adam")),
        )
        assert [r.id for r in runs] == expected and len(runs) == len(expected)
        assert [r.id for r in runs[1:4]] == expected[1:4]
        assert runs.facets().total == len(expected)
        mixed = api.runs(config={"lr": {0, 1}, "opt.name": "adam"})  # a set: checked here
        assert not mixed._where.in_store_only
        assert [r.id for r in mixed] == _python(
            sorted(made, key=lambda r: (r.created_at, r.id), reverse=True),
            (("lr", {0, 1}), ("opt.name", "adam")),
        )


def _names(node: dict[str, Any], prefix: list[str]) -> set[str]:
    out: set[str] = set()
    for k, v in node.items():
        out.add(".".join([*prefix, k]))
        if isinstance(v, dict):
            out |= _names(v, [*prefix, k])
    return out


def test_rows_of_follow_config_value() -> None:
    """Every name configindex keeps resolves (configpaths.config_value) to its value, and
    nothing else does (the names tried: every dotted prefix of every key sequence)."""
    from trainboard.store.configpaths import config_value, is_scalar

    rnd = random.Random(3)
    for _ in range(300):
        config = _config(rnd)
        rows = {r["path"]: r for r in configindex.rows_of("r", T0, config)}
        names = _names(config, [])
        for name in names | set(PATHS):
            found, v = config_value(config, name)
            if found and is_scalar(v):
                assert name in rows, (config, name)
                assert rows[name]["text"] == (v if isinstance(v, str) else None)
            else:
                assert name not in rows, (config, name)
