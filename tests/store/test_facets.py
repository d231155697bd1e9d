"""facet_runs() on both engines: counts per project, status and model follow every way runs
change (create_run, import_runs, a status change, archive, delete) and every run filter."""

from __future__ import annotations

from trainboard.store.base import Store
from trainboard.store.facets import RunFacets, of_runs
from trainboard.store.queries import RunQuery
from trainboard.store.records import RunRecord

T0 = 1_700_000_000.0


def _run(i: int, project: str, model: str | None, status: str = "running") -> RunRecord:
    return RunRecord(
        id=f"{i:012x}", project=project, name=f"run-{i}", model=model, created_at=T0 + i,
        status=status,  # type: ignore[arg-type]
    )  # fmt: skip


def _seed(store: Store) -> None:
    store.create_run(_run(1, "vision", "resnet"))
    store.create_run(_run(2, "vision", "vit", "finished"))
    store.create_run(_run(3, "nlp", "gpt", "failed"))
    store.import_runs([(_run(4, "nlp", None, "finished"), {}), (_run(5, "nlp", "gpt"), {})])


def _as_tuple(f: RunFacets) -> tuple[object, ...]:
    return (f.total, f.project, f.status, f.model)


def test_facets_follow_creates_imports_status_archive_delete(store: Store) -> None:
    assert _as_tuple(store.facet_runs()) == (0, {}, {}, {})
    _seed(store)
    f = store.facet_runs()
    assert f.total == 5
    assert f.project == {"vision": 2, "nlp": 3}
    assert f.status == {"running": 2, "finished": 2, "failed": 1}
    assert f.model == {"resnet": 1, "vit": 1, "gpt": 2, None: 1}

    store.update_run(f"{1:012x}", status="crashed")
    assert store.facet_runs().status == {"crashed": 1, "running": 1, "finished": 2, "failed": 1}

    store.set_archived([f"{3:012x}"], True)
    live = store.facet_runs()
    assert live.total == 4 and live.project == {"vision": 2, "nlp": 2}
    assert "failed" not in live.status
    assert store.facet_runs(RunQuery(archived=True)).status == {"failed": 1}
    assert store.facet_runs(RunQuery(archived=None)).total == 5

    store.delete_runs([f"{2:012x}"])
    after = store.facet_runs(RunQuery(archived=None))
    assert after.total == 4 and after.model == {"resnet": 1, "gpt": 2, None: 1}
    # the same answer as counting a listing, and as count_runs
    every = RunQuery(archived=None)
    assert _as_tuple(after) == _as_tuple(of_runs(store.list_runs(every)))
    assert after.total == store.count_runs(every)


def test_facets_take_the_run_filters_and_ignore_paging(store: Store) -> None:
    _seed(store)
    store.update_run(f"{4:012x}", tags=["sweep"])
    nlp = store.facet_runs(RunQuery(project="nlp", limit=1, offset=2))
    assert _as_tuple(nlp) == (
        3, {"nlp": 3}, {"failed": 1, "finished": 1, "running": 1}, {"gpt": 2, None: 1},
    )  # fmt: skip
    assert store.facet_runs(RunQuery(status="running")).project == {"vision": 1, "nlp": 1}
    assert store.facet_runs(RunQuery(model="gpt")).status == {"failed": 1, "running": 1}
    assert store.facet_runs(RunQuery(tag="sweep")).model == {None: 1}
    assert store.facet_runs(RunQuery(search="RUN-1")).project == {"vision": 1}
    assert store.facet_runs(RunQuery(projects=("vision",))).total == 2
    assert _as_tuple(store.facet_runs(RunQuery(project="none"))) == (0, {}, {}, {})
