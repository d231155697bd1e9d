"""Migrations: an empty database reaches head on both engines; reopening changes nothing."""

from __future__ import annotations

import sqlalchemy as sa

from trainboard.store import open_store
from trainboard.store.postgres import driver_url
from trainboard.store.schema import metadata
from trainboard.store.sql import HEAD_REVISION, current_revision, head_revision


def _engine(url: str) -> sa.Engine:
    return sa.create_engine(driver_url(url) if url.startswith("postgresql") else url)


def test_head_constant_matches_the_migrations() -> None:
    assert head_revision() == HEAD_REVISION == "0001"


def test_reopen_does_not_import_alembic(sqlite_url: str) -> None:
    import subprocess
    import sys

    open_store(sqlite_url).close()
    code = (
        "import sys; from trainboard.store import open_store; "
        f"open_store({sqlite_url!r}).close(); print('alembic' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_empty_database_to_head(store_url: str) -> None:
    open_store(store_url).close()
    engine = _engine(store_url)
    try:
        with engine.connect() as conn:
            assert current_revision(conn) == head_revision()
            insp = sa.inspect(conn)
            tables = set(insp.get_table_names())
            assert set(metadata.tables) | {"alembic_version"} == tables
            for name, table in metadata.tables.items():  # migrations match schema.py
                cols = {c["name"] for c in insp.get_columns(name)}
                assert cols == {c.name for c in table.columns}, name
                idx = {i["name"] for i in insp.get_indexes(name)}
                assert idx == {i.name for i in table.indexes}, name
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
            assert [r[0] for r in rows] == [head_revision()]
    finally:
        engine.dispose()


def test_sqlite_path_with_tilde_and_missing_folders(tmp_path: object, monkeypatch: object) -> None:
    import pathlib

    home = pathlib.Path(str(tmp_path))
    monkeypatch.setenv("HOME", str(home))  # type: ignore[attr-defined]
    with open_store("sqlite:///~/deep/er/runs.db") as store:
        assert store.count_runs() == 0
    assert (home / "deep" / "er" / "runs.db").is_file()
