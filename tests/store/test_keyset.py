"""Keyset pages and id prefixes (#24), on SQLite and PostgreSQL: paging with `after` walks the
newest-first list exactly (ties on created_at included), runs created meanwhile shift nothing,
`id_prefix` finds by the start of the id only, and Api() reads through both."""

from __future__ import annotations

import pytest

from trainboard import Api
from trainboard.errors import UsageError
from trainboard.store import open_store
from trainboard.store.queries import RunQuery
from trainboard.store.records import RunRecord

T0 = 1_700_000_000.0


def _seed(url: str, n: int) -> None:
    with open_store(url) as db:
        for i in range(n):
            rid = f"{i * 7919 % 4096:03x}{i:09x}"
            db.create_run(RunRecord(id=rid, project="p", name=f"r{i}", created_at=T0 + i // 3))


def test_keyset_pages_walk_the_list(store_url: str) -> None:
    _seed(store_url, 50)
    with open_store(store_url) as db:
        everything = [r.id for r in db.list_runs()]
        got: list[str] = []
        after = None
        while True:
            page = db.list_runs(RunQuery(limit=7, after=after))
            got += [r.id for r in page]
            if len(page) < 7:
                break
            after = (page[-1].created_at, page[-1].id)
            if len(got) == 14:  # a run created meanwhile (the newest) shifts no page
                db.create_run(RunRecord(id="f" * 12, project="p", name="new", created_at=T0 + 99))
        assert got == everything
        with pytest.raises(UsageError, match="after="):
            db.list_runs(RunQuery(sort="model", after=(T0, "x")))


def test_id_prefix(store_url: str) -> None:
    _seed(store_url, 50)
    with open_store(store_url) as db:
        ids = [r.id for r in db.list_runs()]
        for prefix in ("0", "1f", ids[3][:5], ids[3], "zz", "%"):
            got = sorted(r.id for r in db.list_runs(RunQuery(id_prefix=prefix)))
            assert got == sorted(i for i in ids if i.startswith(prefix)), prefix
        assert db.count_runs(RunQuery(id_prefix=ids[0][:4])) == len(
            [i for i in ids if i.startswith(ids[0][:4])]
        )


def test_api_reads_by_keyset_and_prefix(store_url: str) -> None:
    _seed(store_url, 30)
    with open_store(store_url) as db:
        ids = [r.id for r in db.list_runs()]
    with Api(store_url) as api:
        assert [r.id for r in api.runs(page_size=4)] == ids
        unique = next(i for i in ids if sum(j.startswith(i[:6]) for j in ids) == 1)
        assert api.run(unique[:6]).id == unique
        shared = ids[0][:1]
        if sum(j.startswith(shared) for j in ids) > 1:
            with pytest.raises(UsageError, match="matches"):
                api.run(shared)
