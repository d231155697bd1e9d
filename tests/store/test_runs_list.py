"""list_runs(sort=...) and group_leaders() on both engines: how the runs list pages and ranks."""

from __future__ import annotations

import math
from typing import Any

import pytest

from trainboard.errors import UsageError
from trainboard.store.base import Store
from trainboard.store.queries import GroupLeaders, RunQuery, leaders_of
from trainboard.store.records import PointBatch, RunRecord

T0 = 1_700_000_000.0


def _add(
    store: Store,
    i: int,
    model: str | None,
    metrics: dict[str, list[float]],
    project: str = "p",
    goals: dict[str, Any] | None = None,
) -> str:
    rid = f"{i:012x}"
    store.create_run(
        RunRecord(
            id=rid, project=project, name=f"r{i}", model=model, created_at=T0 + i,
            goals=goals or {},
        )
    )  # fmt: skip
    batches = {
        k: PointBatch.of(list(range(len(v))), [T0 + i + s for s in range(len(v))], v)
        for k, v in metrics.items()
    }
    if batches:
        store.write_points(rid, batches)
    return rid


def test_sort_by_model_keeps_groups_together_newest_first(store: Store) -> None:
    models = ["b-model", "A-model", None, "b-model", "A-model", "a-model"]
    ids = [_add(store, i, m, {}) for i, m in enumerate(models)]
    by_model = [(r.model, r.id) for r in store.list_runs(RunQuery(sort="model"))]
    # byte order on both engines ("A" < "a" < "b"), runs without a model last
    assert by_model == [
        ("A-model", ids[4]), ("A-model", ids[1]), ("a-model", ids[5]),
        ("b-model", ids[3]), ("b-model", ids[0]), (None, ids[2]),
    ]  # fmt: skip
    paged = [
        r.id
        for off in range(6)
        for r in store.list_runs(RunQuery(sort="model", limit=1, offset=off))
    ]
    assert paged == [i for _, i in by_model]
    newest = [r.id for r in store.list_runs(RunQuery())]
    assert newest == ids[::-1] == [r.id for r in store.list_runs(RunQuery(sort="created"))]
    with pytest.raises(UsageError, match="sort must be one of created, model, got 'name'"):
        store.list_runs(RunQuery(sort="name"))  # type: ignore[arg-type]


def _seed_groups(store: Store) -> None:
    nan = math.nan
    _add(store, 0, "m1", {"eval/loss": [2.0, 1.5], "train/loss": [3.0, 2.0], "lr": [1.0]})
    _add(store, 1, "m1", {"eval/loss": [1.5, 1.8], "train/loss": [2.5]})  # ties run 0 on min
    _add(store, 2, "m1", {"eval/loss": [1.9], "Val_LOSS": [0.1, 9.0]}, goals={"Val_LOSS": "max"})
    _add(store, 3, "m1", {"eval/loss": [nan]})
    _add(store, 4, "m2", {"train/loss": [nan, nan], "grad_norm": [0.5]})
    _add(store, 5, "m2", {"train/loss": [0.7]}, goals={"train/loss": "min"})
    _add(store, 6, None, {"loss": [1.0, 0.4]})
    _add(store, 7, None, {"loss": [0.4]}, project="other")
    _add(store, 8, "m3", {"acc": [0.5]})
    _add(store, 9, "m1", {"eval/loss": [0.1]}, project="other")


def _shape(groups: dict[str | None, GroupLeaders]) -> dict[str | None, Any]:
    return {
        m: (
            sorted(g.keys),
            g.goals,
            sorted(
                (
                    r.id,
                    r.model,
                    r.created_at,
                    sorted((k, s.min, s.max) for k, s in r.summary.items()),
                )
                for r in g.leaders
            ),
        )
        for m, g in groups.items()
        if g.keys or g.goals or g.leaders
    }


@pytest.mark.parametrize(
    "query", [RunQuery(), RunQuery(project="p"), RunQuery(project="p", limit=1, offset=2)]
)
def test_group_leaders_match_the_listed_runs_worked_out_in_python(
    store: Store, query: RunQuery
) -> None:
    _seed_groups(store)
    models = ["m1", "m2", None, "m3", "absent"]
    got = store.group_leaders(query, models)
    every = RunQuery(project=query.project)
    want = leaders_of(r for r in store.list_runs(every) if r.model in models)
    assert _shape(got) == _shape(want)
    m1 = got["m1"]
    assert sorted(m1.keys) == ["Val_LOSS", "eval/loss", "train/loss"]
    assert m1.goals == {"Val_LOSS": "max"}
    leaders = {r.id: sorted(r.summary) for r in m1.leaders}
    if query.project is None:  # run 9 (other project) holds the lowest eval/loss
        assert leaders["000000000009"] == ["eval/loss"]
    else:  # runs 0 and 1 tie at the lowest eval/loss; run 2 holds Val_LOSS's extremes
        assert leaders["000000000000"] == ["eval/loss", "train/loss"]
        assert leaders["000000000001"] == ["eval/loss"]
        assert leaders["000000000002"] == ["Val_LOSS"]
        assert "000000000003" not in leaders  # NaN only: never a leader
    assert [r.id for r in got["m2"].leaders] == ["000000000005"]
    assert got["m2"].goals == {"train/loss": "min"}


def test_group_leaders_of_no_models_is_empty(store: Store) -> None:
    _seed_groups(store)
    assert store.group_leaders(RunQuery(), []) == {}


def test_filters_by_exact_name_project_and_status_newest_first(store: Store) -> None:
    """name= is the whole name, case and all (not a substring); project and status pages
    come newest first (by their (…, created_at, id) indexes) with keyset pages that neither
    skip nor repeat a run, archived runs left out unless asked for."""
    for i in range(12):
        store.create_run(
            RunRecord(id=f"{i:012x}", project="pa" if i % 2 else "pb", name=f"r{i % 4}",
                      status="failed" if i % 3 == 0 else "finished",
                      created_at=T0 + (i // 2))  # ties of created_at on purpose
        )  # fmt: skip
    store.create_run(RunRecord(id="f" * 12, project="pa", name="R1", created_at=T0))
    store.create_run(RunRecord(id="e" * 12, project="pa", name="r1x", created_at=T0))
    store.set_archived(["000000000005"], True)
    named = store.list_runs(RunQuery(name="r1"))
    assert [r.id for r in named] == ["000000000009", "000000000001"]
    assert store.count_runs(RunQuery(name="r1", archived=None)) == 3
    assert store.list_runs(RunQuery(name="r")) == []
    every = store.list_runs(RunQuery(archived=None))
    for q in (RunQuery(project="pa"), RunQuery(status="failed"), RunQuery(status="failed",
              project="pb", archived=None)):  # fmt: skip
        want = [
            r.id
            for r in every
            if (q.project is None or r.project == q.project)
            and (q.status is None or r.status == q.status)
            and (q.archived is None or r.archived == q.archived)
        ]
        assert [r.id for r in store.list_runs(q)] == want
        got: list[str] = []
        after = None
        while True:
            page = store.list_runs(RunQuery(**{**q.__dict__, "limit": 2, "after": after}))
            got += [r.id for r in page]
            if len(page) < 2:
                break
            after = (page[-1].created_at, page[-1].id)
        assert got == want


@pytest.mark.parametrize(("small", "walk"), [(0, 500), (0, 1), (0, 2)])
@pytest.mark.parametrize("query", [RunQuery(), RunQuery(project="p"), RunQuery(search="r")])
def test_group_leaders_by_index_walks_match_python(
    store: Store, query: RunQuery, small: int, walk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The SQL engines' index walks (many matching runs) and each group's own walk (a group
    not among the first `walk` entries) give what the direct aggregate and Python give."""
    from trainboard.store.sql import leaders

    monkeypatch.setattr(leaders, "SMALL", small)
    monkeypatch.setattr(leaders, "WALK", walk)
    _seed_groups(store)
    _add(store, 10, "m2", {"train/loss": [5.0, 0.2]}, project="other")
    models = ["m1", "m2", None, "m3", "absent"]
    got = store.group_leaders(query, models)
    every = RunQuery(project=query.project, search=query.search)
    want = leaders_of(r for r in store.list_runs(every) if r.model in models)
    assert _shape(got) == _shape(want)
