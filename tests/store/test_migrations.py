"""Migrations: an empty database reaches head on both engines; reopening changes nothing; a
store made at any earlier revision, or by any earlier commit's code, upgrades with its data
intact; what cannot be a store is refused at open with the reason."""

from __future__ import annotations

import gzip
import math
import os
import shutil
import sqlite3
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sqlalchemy as sa
from alembic.config import Config
from alembic.script import ScriptDirectory

from trainboard.errors import StoreError
from trainboard.store import open_store
from trainboard.store.base import Store
from trainboard.store.codec import chunks as codec
from trainboard.store.sql.migrate import (
    HEAD_REVISION,
    MIGRATIONS_DIR,
    current_revision,
    known_revisions,
    upgrade,
)
from trainboard.store.sql.postgres import driver_url
from trainboard.store.sql.schema import PG_ONLY_INDEXES, SQLITE_ONLY_TABLES, metadata

OLD = Path(__file__).with_name("old_stores")
sys.path.insert(0, str(OLD))
import data  # type: ignore[import-not-found]  # noqa: E402

sys.path.remove(str(OLD))


def _engine(url: str) -> sa.Engine:
    return sa.create_engine(driver_url(url) if url.startswith("postgresql") else url)


def test_head_constant_matches_the_migrations() -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    heads = ScriptDirectory.from_config(cfg).get_heads()
    assert heads == [HEAD_REVISION], "exactly one head, and HEAD_REVISION names it"
    assert known_revisions()[0] == "0001" and known_revisions()[-1] == HEAD_REVISION


def test_first_revision_is_as_released() -> None:
    """0001 is history: the first release's stores were made by exactly this text."""
    text = (MIGRATIONS_DIR / "versions" / "0001_initial.py").read_text()
    assert 'sa.Column("key", sa.String(255), primary_key=True)' in text
    assert '["created_at"])' in text and "packed" not in text


def test_reopen_does_not_import_alembic(sqlite_url: str) -> None:
    import subprocess

    open_store(sqlite_url).close()
    code = (
        "import sys; from trainboard.store import open_store; "
        f"open_store({sqlite_url!r}).close(); print('alembic' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_empty_database_to_head(empty_store_url: str) -> None:
    open_store(empty_store_url).close()
    engine = _engine(empty_store_url)
    try:
        with engine.connect() as conn:
            assert current_revision(conn) == HEAD_REVISION
            insp = sa.inspect(conn)
            tables = set(insp.get_table_names())
            if engine.dialect.name == "sqlite":
                assert SQLITE_ONLY_TABLES <= tables
                tables -= SQLITE_ONLY_TABLES
            assert set(metadata.tables) | {"alembic_version"} == tables
            for name, table in metadata.tables.items():  # migrations match schema.py
                cols = {c["name"] for c in insp.get_columns(name)}
                assert cols == {c.name for c in table.columns}, name
                idx = {i["name"] for i in insp.get_indexes(name)}
                if engine.dialect.name == "postgresql":
                    idx -= PG_ONLY_INDEXES.get(name, frozenset())
                assert idx == {i.name for i in table.indexes}, name
            ix = {i["name"]: i["column_names"] for i in insp.get_indexes("runs")}
            assert ix["ix_runs_created_at"] == ["created_at", "id"]
            if engine.dialect.name == "postgresql":
                key = {c["name"]: c["type"] for c in insp.get_columns("summaries")}["key"]
                assert getattr(key, "length", None) is None  # 0003: unbounded
    finally:
        engine.dispose()


def test_reopen_is_a_no_op(store_url: str) -> None:
    open_store(store_url).close()
    statements: list[str] = []

    def record(conn: object, cursor: object, statement: str, *rest: object) -> None:
        statements.append(statement)

    sa.event.listen(sa.Engine, "before_cursor_execute", record)
    try:
        open_store(store_url).close()
    finally:
        sa.event.remove(sa.Engine, "before_cursor_execute", record)
    assert statements, "the reopen was not observed"
    assert not [s for s in statements if "CREATE" in s.upper() or "INSERT" in s.upper()]
    engine = _engine(store_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT version_num FROM alembic_version")).all()
            assert [r[0] for r in rows] == [HEAD_REVISION]
    finally:
        engine.dispose()


def test_sqlite_path_with_tilde_and_missing_folders(tmp_path: object, monkeypatch: object) -> None:
    import pathlib

    home = pathlib.Path(str(tmp_path))
    monkeypatch.setenv("HOME", str(home))  # type: ignore[attr-defined]
    with open_store("sqlite:///~/deep/er/runs.db") as store:
        assert store.count_runs() == 0
    assert (home / "deep" / "er" / "runs.db").is_file()


# the data every old store holds --------------------------------------------------------
def _check_data(store: Store) -> None:
    """The runs of old_stores/data.py read back exactly (points, summaries, texts, ...)."""
    listed = {r.id: r for r in store.list_runs()}
    assert set(listed) == {r["id"] for r in data.RUNS}
    for i, want in enumerate(data.RUNS):
        run = store.get_run(want["id"])
        for field in ("project", "name", "model", "status", "config", "tags", "total_steps"):
            assert getattr(run, field) == want[field], field
        assert run.finished_at == want["finished_at"]
        assert run.last_step == 349
        for key, (steps, times, values) in data.series(i).items():
            s = store.read_series(want["id"], key)
            assert s.steps.tolist() == steps, key
            assert np.array_equal(s.values, np.asarray(values), equal_nan=True), key
            assert np.allclose(s.times, times, rtol=0, atol=1e-6), key
            summ = run.summary[key]
            assert listed[want["id"]].summary[key] == summ
            finite = [(v, st) for v, st in zip(values, steps, strict=True) if math.isfinite(v)]
            assert summ.count == len(steps) and summ.last_step == steps[-1]
            assert (summ.min, summ.min_step) == min(finite, key=lambda p: p[0])
            assert summ.max == max(v for v, _ in finite)
        texts = store.read_texts(want["id"])
        assert [(t.key, t.step, t.wall_time, t.text) for t in texts] == data.TEXTS
        (hist,) = store.read_histograms(want["id"])
        assert hist.edges == data.HISTOGRAM["edges"] and hist.count == 7
        (art,) = store.list_artifacts(want["id"])
        assert (art.name, art.kind, art.size) == ("step_2000.pt", "checkpoint", 123)
    # the upgraded store takes new points on the old keys
    store.write_points(data.RUNS[0]["id"], {"train/loss": _batch([350], [1.5])})
    s = store.read_series(data.RUNS[0]["id"], "train/loss")
    assert s.steps[-1] == 350 and s.values[-1] == 1.5 and len(s) == 301


def _batch(steps: list[int], values: list[float]) -> Any:
    from trainboard.store.records import PointBatch

    return PointBatch.of(steps, [data.T0 + 1e3] * len(steps), values)


@pytest.mark.parametrize("commit", sorted(p.name[:7] for p in OLD.glob("*.db.gz")))
def test_a_store_made_by_an_old_commit_upgrades_intact(commit: str, tmp_path: Path) -> None:
    """Fixtures made by make.py with each old commit's own store code."""
    db = tmp_path / "old.db"
    with gzip.open(OLD / f"{commit}.db.gz", "rb") as src, open(db, "wb") as dst:
        shutil.copyfileobj(src, dst)
    with open_store(f"sqlite:///{db}") as store:
        _check_data(store)
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [
            (HEAD_REVISION,)
        ]


def _write_at_revision(url: str, revision: str) -> None:
    """A store at `revision` (Alembic upgrade from empty), holding data.py's runs written as
    rows of that revision's tables (summaries.packed only where the revision has it)."""
    engine = _engine(url)
    try:
        with engine.begin() as conn:
            upgrade(conn, revision)
        with engine.begin() as conn:
            insp = sa.inspect(conn)
            has_packed = "packed" in {c["name"] for c in insp.get_columns("summaries")}
            meta = sa.MetaData()
            names = [n for n in metadata.tables if insp.has_table(n)]
            t = {n: sa.Table(n, meta, autoload_with=conn) for n in names}
            for i, run in enumerate(data.RUNS):
                conn.execute(sa.insert(t["runs"]), _run_row(run))
                for key, (steps, times, values) in data.series(i).items():
                    s = np.asarray(steps, dtype=np.int64)
                    us = codec.times_to_us(np.asarray(times))
                    v = np.asarray(values, dtype=np.float64)
                    conn.execute(sa.insert(t["chunks"]), _chunk_row(run["id"], key, s, us, v))
                    row = _summary_row(run["id"], key, s, us, v)
                    if has_packed:
                        from trainboard.store.sql.rows import packed as _packed

                        row["packed"] = _packed(row)
                    conn.execute(sa.insert(t["summaries"]), row)
                for key, step, wall, text in data.TEXTS:
                    conn.execute(sa.insert(t["texts"]), {"run_id": run["id"], "key": key,
                                 "step": step, "wall_time": wall, "text": text})  # fmt: skip
                h = dict(data.HISTOGRAM, run_id=run["id"])
                h["edges"] = np.asarray(h["edges"], "<f8").tobytes()
                h["counts"] = np.asarray(h["counts"], "<f8").tobytes()
                conn.execute(sa.insert(t["histograms"]), h)
                conn.execute(sa.insert(t["artifacts"]), dict(data.ARTIFACT, run_id=run["id"]))
    finally:
        engine.dispose()


def _run_row(run: dict[str, Any]) -> dict[str, Any]:
    import json

    return dict(run, archived=False, config=json.dumps(run["config"]),
                tags=json.dumps(run["tags"]), goals="{}", last_step=349)  # fmt: skip


def _chunk_row(run_id: str, key: str, s: Any, us: Any, v: Any) -> dict[str, Any]:
    fin = v[np.isfinite(v)]
    return {"run_id": run_id, "key": key, "seq": 0, "n": len(s), "step_min": int(s.min()),
            "step_max": int(s.max()), "time_min": int(us.min()) / 1e6,
            "time_max": int(us.max()) / 1e6, "value_min": float(fin.min()),
            "value_max": float(fin.max()), "data": codec.encode(s, us, v)}  # fmt: skip


def _summary_row(run_id: str, key: str, s: Any, us: Any, v: Any) -> dict[str, Any]:
    fin = np.where(np.isfinite(v))[0]
    lo = int(fin[np.argmin(v[fin])])
    hi = int(fin[np.argmax(v[fin])])
    last = float(v[-1])
    return {"run_id": run_id, "key": key, "count": len(s),
            "last": None if math.isnan(last) else last, "last_step": int(s[-1]),
            "min": float(v[lo]), "min_step": int(s[lo]), "max": float(v[hi]),
            "max_step": int(s[hi]), "first_time": int(us.min()) / 1e6,
            "last_time": int(us.max()) / 1e6, "tail_seq": 0, "tail_n": len(s)}  # fmt: skip


@pytest.mark.parametrize("revision", known_revisions())
def test_a_store_at_every_revision_upgrades_intact(empty_store_url: str, revision: str) -> None:
    _write_at_revision(empty_store_url, revision)
    with open_store(empty_store_url) as store:
        _check_data(store)
    engine = _engine(empty_store_url)
    try:
        with engine.connect() as conn:
            assert current_revision(conn) == HEAD_REVISION
    finally:
        engine.dispose()


# what is refused at open -----------------------------------------------------------------
def test_an_emptied_store_file_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "runs.db"
    open_store(f"sqlite:///{db}").close()
    db.write_bytes(b"")
    os.utime(db, (time.time() - 60, time.time() - 60))
    with pytest.raises(StoreError, match=r"runs\.db is empty \(0 bytes\): it was emptied"):
        open_store(f"sqlite:///{db}")
    assert db.stat().st_size == 0, "the emptied file was not written to"


def test_a_damaged_store_file_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "runs.db"
    open_store(f"sqlite:///{db}").close()
    blob = db.read_bytes()
    db.write_bytes(b"\x00garbage" * 4 + blob[32:])
    want = r"runs\.db: file is not a database \(the file is damaged, or is not a trainboard store\)"
    with pytest.raises(StoreError, match=r"could not open the store at .*" + want):
        open_store(f"sqlite:///{db}")


def test_another_applications_database_is_refused(empty_store_url: str) -> None:
    engine = _engine(empty_store_url)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE orders (id INTEGER)"))
    engine.dispose()
    with pytest.raises(StoreError, match=r"is not a trainboard store: it has tables \(orders\)"):
        open_store(empty_store_url)


def test_a_newer_stores_revision_is_refused(store_url: str) -> None:
    open_store(store_url).close()
    engine = _engine(store_url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    with pytest.raises(StoreError, match=r"has schema revision '9999', which this trainboard "
                       r"does not know .*made by a newer trainboard") as caught:  # fmt: skip
        open_store(store_url)
    assert caught.value.transient is False  # init() fails at once, even on PostgreSQL


def test_a_newer_postgres_store_fails_init_at_once(pg_url: str) -> None:
    """init() waits for a PostgreSQL server that is down (the dialect calls it transient), not
    for one that will never take this trainboard's runs."""
    import trainboard

    open_store(pg_url).close()
    engine = _engine(pg_url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    with pytest.raises(StoreError, match=r"made by a newer trainboard"):
        trainboard.init(project="p", store=pg_url)


def test_a_store_that_cannot_be_reached_fails_at_open_with_the_reason(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(StoreError, match=r"could not open the store at .*: cannot create its "
                       r"folder .*file/sub \(Not a directory\)"):  # fmt: skip
        open_store(f"sqlite:///{blocker}/sub/runs.db")
    want = r"postgresql\+psycopg://postgres@127.0.0.1:1/x: connection failed: .*Connection refused"
    with pytest.raises(StoreError, match=r"could not open the store at " + want) as down:
        open_store("postgresql://postgres@127.0.0.1:1/x")
    assert down.value.transient is True  # PostgreSQL's rule: a server that is down comes back
