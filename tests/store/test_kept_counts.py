"""The kept run counts (run_counts, migration 0017) and the SQLite trigram search index, on
both engines: after every way runs change, each count equals a real count(*) of the runs
table, bounded counts say when they stop, and an indexed search or tag filter finds exactly
the runs the plain LIKE finds."""

from __future__ import annotations

import random

import orjson
import pytest
import sqlalchemy as sa

from trainboard.store.queries import RunQuery
from trainboard.store.records import STATUSES, RunRecord
from trainboard.store.sql import counts, rows
from trainboard.store.sql.schema import run_counts, runs
from trainboard.store.sql.store import SQLStore

T0 = 1_700_000_000.0
PROJECTS = ("vision", "nlp", "audio")
MODELS = ("resnet", "gpt", "", None)  # "" is a model name, apart from None


def _run(i: int, rng: random.Random) -> RunRecord:
    return RunRecord(
        id=f"{i:012x}",
        project=rng.choice(PROJECTS),
        name=rng.choice(["Lion-LR3", "adam-lr1", "sgd", "Ünï-lr3", "big-100%_x"]) + f"-{i}",
        model=rng.choice(MODELS),
        status=rng.choice(STATUSES),
        tags=rng.sample(["ablation", "Base", "x", 'q"t'], rng.randint(0, 2)),
        created_at=T0 + i,
    )


def _real_count(store: SQLStore, q: RunQuery) -> int:
    """count(*) over runs with the filters, not from run_counts."""
    sel = sa.select(sa.func.count()).select_from(runs).where(*store.runs.filters(q))
    return int(store.db.read(lambda c: c.execute(sel).scalar_one()))


def _queries() -> list[RunQuery]:
    out = [RunQuery(archived=None), RunQuery(), RunQuery(archived=True)]
    out += [RunQuery(project=p, archived=None) for p in PROJECTS]
    out += [RunQuery(model=m) for m in MODELS if m is not None]
    out += [RunQuery(status=s) for s in STATUSES]
    out += [RunQuery(projects=("vision", "nlp"), status="running", model="gpt")]
    return out


def _check_counts(store: SQLStore) -> None:
    for q in _queries():
        assert counts.countable(q)
        real = _real_count(store, q)
        assert store.count_runs(q) == real, q
        assert store.count_runs_upto(q, 1) == (real, True), q
    # the table itself: one row per group with runs, each equal to the group's runs
    grouped = sa.select(
        runs.c.project, runs.c.status, runs.c.model, runs.c.archived, sa.func.count()
    )
    grouped = grouped.group_by(runs.c.project, runs.c.status, runs.c.model, runs.c.archived)
    want = {
        (p, s, counts.model_key(m), bool(a)): int(n)
        for p, s, m, a, n in store.db.read(lambda c: c.execute(grouped).all())
    }
    kept = sa.select(*run_counts.c).where(run_counts.c.n != 0)
    got = {
        (p, s, k, bool(a)): int(n)
        for p, s, k, a, n in store.db.read(lambda c: c.execute(kept).all())
    }
    assert got == want


def test_kept_counts_follow_every_change(store: SQLStore) -> None:
    rng = random.Random(24)
    _check_counts(store)
    for i in range(12):
        store.create_run(_run(i, rng))
    store.import_runs([(_run(i, rng), {}) for i in range(12, 40)])
    _check_counts(store)
    ids = [f"{i:012x}" for i in range(40)]
    for rid in rng.sample(ids, 15):
        store.update_run(rid, status=rng.choice(STATUSES))
    store.update_run(ids[0], project="audio", model=None)
    store.update_run(ids[1], model="")
    store.update_run(ids[2], status="running", heartbeat_at=T0)  # a heartbeat: no move
    assert store.update_run_if(ids[3], store.get_run(ids[3]).status, status="finished")
    _check_counts(store)
    store.set_archived(ids[5:15], True)
    store.set_archived(ids[5:8], False)
    _check_counts(store)
    store.delete_runs(ids[10:25])
    _check_counts(store)
    assert store.count_runs(RunQuery(archived=None)) == 25


def test_counts_past_the_cap_are_lower_bounds(store: SQLStore) -> None:
    rng = random.Random(7)
    store.import_runs([(_run(i, rng), {}) for i in range(30)])
    q = RunQuery(search="lr", archived=None)
    real = _real_count(store, q)
    assert 5 < real < 30
    assert store.count_runs(q) == real  # count_runs stays exact
    assert store.count_runs_upto(q, real) == (real, True)
    assert store.count_runs_upto(q, real - 1) == (real - 1, False)
    assert store.count_runs_upto(q, 2) == (2, False)


def _like_ids(store: SQLStore, q: RunQuery) -> set[str]:
    """The runs the plain LIKE filters match (no trigram index), as before 0017."""
    w: list[sa.ColumnElement[bool]] = []
    if q.search:
        pattern = "%" + rows.escape_like(q.search.lower()) + "%"
        w.append(store.db.dialect.lower(runs.c.name).like(pattern, escape="\\"))
    if q.tag is not None:
        pattern = "%" + rows.escape_like(orjson.dumps(q.tag).decode()) + "%"
        w.append(runs.c.tags.like(pattern, escape="\\"))
    sel = sa.select(runs.c.id).where(*w)
    return set(store.db.read(lambda c: c.execute(sel).scalars().all()))


@pytest.mark.parametrize(
    "search",
    ["lr3", "LR3", "lion-lr", "Lr", "ünï", "ÜNÏ-LR", "100%_", "0%", "%_x", "g-1", "-1", "zzz"],
)
def test_search_finds_what_like_finds(store: SQLStore, search: str) -> None:
    rng = random.Random(3)
    store.import_runs([(_run(i, rng), {}) for i in range(60)])
    store.update_run(f"{1:012x}", name="renamed-LR3")  # the index follows a rename
    store.delete_runs([f"{2:012x}"])
    q = RunQuery(search=search, archived=None)
    want = _like_ids(store, q)
    assert {r.id for r in store.list_runs(q)} == want
    assert store.count_runs(q) == len(want)


@pytest.mark.parametrize("tag", ["ablation", "ABLATION", "base", 'q"t', "x", "abl"])
def test_tag_filter_finds_what_like_finds(store: SQLStore, tag: str) -> None:
    rng = random.Random(5)
    store.import_runs([(_run(i, rng), {}) for i in range(60)])
    store.update_run(f"{1:012x}", tags=["ablation", "new"])  # the index follows a change
    q = RunQuery(tag=tag, archived=None)
    want = _like_ids(store, q)
    assert {r.id for r in store.list_runs(q)} == want
    both = RunQuery(tag=tag, search="lr", archived=None)
    assert {r.id for r in store.list_runs(both)} == want & _like_ids(store, both)
