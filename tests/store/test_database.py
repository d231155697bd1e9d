"""The SQL store's seams: a Database (engine + dialect) with the one retry loop, and resources
that need nothing else; what a failed statement means is the engine's one rule (#22)."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from trainboard.errors import StoreError
from trainboard.journal.recovery import fault_kind
from trainboard.store.records import RunRecord
from trainboard.store.sql.db import Database
from trainboard.store.sql.migrate import Migrations
from trainboard.store.sql.points import Points
from trainboard.store.sql.runs import Runs
from trainboard.store.sql.sqlite import SQLITE, open_engine


def _db(tmp_path: Path) -> Database:
    engine, _ = open_engine(f"sqlite:///{tmp_path / 'runs.db'}")
    db = Database(engine, SQLITE)
    Migrations(db).bring_to_head()
    return db


def test_resources_work_over_a_database_alone(tmp_path: Path) -> None:
    db = _db(tmp_path)
    runs = Runs(db)
    runs.create(RunRecord("r1", "proj", "first"))
    assert [r.id for r in runs.page()] == ["r1"]
    assert runs.count() == 1
    assert Points(db).keys("r1") == []
    db.close()


def test_a_refused_write_is_a_permanent_store_error(tmp_path: Path) -> None:
    db = _db(tmp_path)
    Runs(db).create(RunRecord("r1", "proj", "first"))
    again = sa.text("INSERT INTO runs (id, project, name) VALUES ('r1', 'proj', 'again')")
    with pytest.raises(StoreError) as caught:
        db.write(lambda conn: conn.execute(again))
    assert caught.value.transient is False
    assert fault_kind(caught.value) == "permanent"
    db.close()


def test_an_unreachable_database_is_a_transient_store_error(tmp_path: Path) -> None:
    db = _db(tmp_path)
    db.engine.dispose()
    (tmp_path / "runs.db").rename(tmp_path / "moved.db")
    (tmp_path / "runs.db").mkdir()  # the path is there, but no database can be opened at it
    with pytest.raises(StoreError) as caught:
        db.read(lambda conn: conn.execute(sa.text("SELECT count(*) FROM runs")).scalar())
    assert caught.value.transient is True
    assert fault_kind(caught.value) == "transient"
    db.close()
