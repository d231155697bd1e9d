"""The store contract (store/base.py), run against SQLite, PostgreSQL and the remote engine
(a `RemoteStore` over a real team server on loopback) through `store`.

The remote engine queues its writes (store/remote/outbox.py) and reads after flushing them, so
reads see writes there too. What only the server's state can refuse (a write to an unknown run)
is refused after the call returns and set aside in the dead-letter file, and a create of an
existing id is taken for a resent op (docs/faults.md): those tests say so and are not applicable
to it; tests/server/test_spool.py shows where such writes go.
"""

from __future__ import annotations

import math
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from serverprocess import ServerThread

from trainboard.errors import RunNotFoundError, UsageError
from trainboard.store import (
    ArtifactRecord,
    HistogramRecord,
    PointBatch,
    RunQuery,
    RunRecord,
    Store,
    TextRecord,
    open_store,
)
from trainboard.store.remote.store import RemoteStore
from trainboard.store.sql.append import CHUNK_POINTS

T0 = 1_700_000_000.0

QUEUED = (
    "the remote engine queues writes: the server refuses this later and sets the op aside "
    "in the dead-letter file (docs/faults.md)"
)

RESENT = (
    "the remote engine queues writes and delivers them at least once: the server takes a "
    "create_run of an id it has for a resent op and keeps the run (docs/faults.md)"
)


@pytest.fixture(scope="module")
def team_server(
    tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> Iterator[ServerThread]:
    """One team server for this module's remote-engine tests; each test empties it after."""
    home = tmp_path_factory.mktemp("team") / "home"
    home.mkdir()
    shutil.copyfile(sqlite_template, home / "trainboard.db")
    srv = ServerThread(home).start()
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture(params=["sqlite", "postgres", "remote"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """The store under contract on each engine. The remote one is a `RemoteStore` with its
    own spool folder; the server's runs are deleted after each test, so every test starts
    from an empty server as it starts from an empty database."""
    if request.param != "remote":
        s = open_store(
            str(
                request.getfixturevalue(
                    {"sqlite": "sqlite_url", "postgres": "pg_url"}[request.param]
                )
            )
        )
        try:
            yield s
        finally:
            s.close()
        return
    server: ServerThread = request.getfixturevalue("team_server")
    remote = RemoteStore(server.url, spool_dir=tmp_path / "spool")
    try:
        yield remote
    finally:
        ids = [r.id for r in remote.list_runs(RunQuery(archived=None))]
        if ids:
            remote.delete_runs(ids)
        remote.close()


def not_on_remote(store: Store, why: str = QUEUED) -> None:
    if isinstance(store, RemoteStore):
        pytest.skip(why)


def make_run(store: Store, run_id: str = "aaaaaaaaaaaa", **kw: object) -> RunRecord:
    fields: dict[str, object] = {"project": "p", "name": f"run-{run_id}"}
    fields.update(kw)
    return store.create_run(RunRecord(id=run_id, **fields))  # type: ignore[arg-type]


def batch(steps: list[int] | range, values: list[float] | None = None) -> PointBatch:
    steps = list(steps)
    vals = values if values is not None else [float(s) / 10 for s in steps]
    return PointBatch.of(steps, [T0 + s * 0.1 for s in steps], vals)


def bits(a: np.ndarray) -> list[int]:
    return np.asarray(a, dtype=np.float64).view(np.uint64).tolist()


# runs ---------------------------------------------------------------------------------
def test_create_and_get_round_trip(store: Store) -> None:
    run = RunRecord(
        id="abc123def456",
        project="qwen-sft",
        name="lr3e-5",
        model="Qwen/Qwen2.5-7B-Instruct",
        config={"lr": 3e-5, "batch_size": 32, "nested": {"a": [1, 2]}},
        tags=["sweep-1", "gpu"],
        total_steps=2000,
        created_at=T0,
        heartbeat_at=time.time(),  # alive: a server marks a run with no recent beat crashed
        host="box",
        pid=1234,
        goals={"eval/acc": "max"},
        notes="hello",
    )
    store.create_run(run)
    got = store.get_run("abc123def456")
    assert got.id == run.id and got.project == "qwen-sft" and got.name == "lr3e-5"
    assert got.model == "Qwen/Qwen2.5-7B-Instruct"
    assert got.config == {"lr": 3e-5, "batch_size": 32, "nested": {"a": [1, 2]}}
    assert got.tags == ["sweep-1", "gpu"]
    assert got.total_steps == 2000 and got.created_at == T0
    assert got.host == "box" and got.pid == 1234 and got.notes == "hello"
    assert got.goals == {"eval/acc": "max"}
    assert got.status == "running" and got.archived is False
    assert got.last_step is None and got.summary == {}


def test_create_fills_created_at(store: Store) -> None:
    run = make_run(store)
    assert run.created_at > T0
    assert store.get_run(run.id).created_at == run.created_at


def test_config_nan_is_stored_as_null(store: Store) -> None:
    make_run(store, config={"lr": float("nan"), "ok": 1})
    assert store.get_run("aaaaaaaaaaaa").config == {"lr": None, "ok": 1}


def test_create_existing_id_raises(store: Store) -> None:
    not_on_remote(store, RESENT)
    make_run(store)
    with pytest.raises(UsageError, match="'aaaaaaaaaaaa' already exists"):
        make_run(store)


def test_long_names_and_keys_fit(store: Store) -> None:
    long = "x" * 1000
    make_run(store, name=long, project=long, model=long, host=long)
    store.write_points("aaaaaaaaaaaa", {long: batch([1])})
    store.add_artifact("aaaaaaaaaaaa", ArtifactRecord(long, long, None, long, 1, T0))
    got = store.get_run("aaaaaaaaaaaa")
    assert got.name == long and got.model == long and list(got.summary) == [long]
    with pytest.raises(UsageError, match="run id must be a str of 1 to 64 chars"):
        make_run(store, "y" * 65)


def test_create_bad_status_raises(store: Store) -> None:
    with pytest.raises(UsageError, match="status must be one of .* got 'done'"):
        make_run(store, status="done")


def test_unknown_run_ids_raise(store: Store) -> None:
    writes = [
        lambda: store.update_run("nope", status="finished"),
        lambda: store.write_points("nope", {"loss": batch([1])}),
        lambda: store.write_texts("nope", [TextRecord("t", 1, T0, "x")]),
    ]
    if isinstance(store, RemoteStore):
        writes = []  # QUEUED: refused later (tests/server/test_spool.py shows where they go)
    for call in (
        *writes,
        lambda: store.get_run("nope"),
        lambda: store.read_series("nope", "loss"),
        lambda: store.metric_keys("nope"),
        lambda: store.read_texts("nope"),
        lambda: store.read_histograms("nope"),
        lambda: store.list_artifacts("nope"),
        lambda: store.set_archived(["nope"], True),
        lambda: store.delete_runs(["nope"]),
    ):
        with pytest.raises(RunNotFoundError) as info:
            call()
        assert info.value.run_id == "nope"
        assert str(info.value) == "no run with id 'nope'"


def test_update_run_fields(store: Store) -> None:
    make_run(store)
    store.update_run(
        "aaaaaaaaaaaa",
        status="finished",
        finished_at=T0 + 5,
        heartbeat_at=T0 + 4,
        total_steps=10,
        config={"x": 1},
        goals={"loss": "min"},
        notes="done",
        pid=7,
        host="h",
        name="renamed",
        tags=["t"],
    )
    got = store.get_run("aaaaaaaaaaaa")
    assert (got.status, got.finished_at, got.heartbeat_at, got.total_steps) == (
        "finished",
        T0 + 5,
        T0 + 4,
        10,
    )
    assert (got.config, got.goals, got.notes, got.pid, got.host, got.name, got.tags) == (
        {"x": 1},
        {"loss": "min"},
        "done",
        7,
        "h",
        "renamed",
        ["t"],
    )


def test_update_run_unknown_field_names_it(store: Store) -> None:
    make_run(store)
    with pytest.raises(UsageError, match="unknown field 'colour'"):
        store.update_run("aaaaaaaaaaaa", colour="red")
    with pytest.raises(UsageError, match="got 'done'"):
        store.update_run("aaaaaaaaaaaa", status="done")


def test_list_runs_filters_and_paging(store: Store) -> None:
    for i in range(12):
        make_run(
            store,
            f"run{i:09d}",
            project="a" if i % 2 else "b",
            model="m1" if i < 6 else "m2",
            name=f"Exp-{i}_x%",
            tags=["even"] if i % 2 == 0 else ["odd", "t_1"],
            created_at=T0 + i,
            status="finished" if i % 3 == 0 else "running",
        )
    runs = store.list_runs()
    assert [r.id for r in runs] == [f"run{i:09d}" for i in reversed(range(12))]  # newest first
    assert store.count_runs() == 12
    assert [r.id for r in store.list_runs(RunQuery(limit=3, offset=2))] == [
        "run000000009",
        "run000000008",
        "run000000007",
    ]
    assert {r.id for r in store.list_runs(RunQuery(project="a"))} == {
        f"run{i:09d}" for i in range(1, 12, 2)
    }
    assert store.count_runs(RunQuery(project="a", model="m1")) == 3
    assert store.count_runs(RunQuery(status="finished")) == 4
    assert store.count_runs(RunQuery(tag="even")) == 6
    assert store.count_runs(RunQuery(tag="t_1")) == 6
    assert store.count_runs(RunQuery(tag="t%1")) == 0  # wildcards are literal
    assert store.count_runs(RunQuery(tag="ev")) == 0  # whole tags only
    assert [r.id for r in store.list_runs(RunQuery(search="exp-1"))] == [
        "run000000011",
        "run000000010",
        "run000000001",
    ]
    assert store.count_runs(RunQuery(search="X%")) == 12
    assert store.count_runs(RunQuery(search="_y")) == 0
    make_run(store, "unicode00000", name="Über-Straße run", created_at=T0 + 20)
    assert store.count_runs(RunQuery(search="über-str")) == 1
    assert [r.id for r in store.list_runs(RunQuery(search="ÜBER"))] == ["unicode00000"]


def test_archive_and_list(store: Store) -> None:
    for i in range(3):
        make_run(store, f"run{i:09d}", created_at=T0 + i)
    assert store.set_archived(["run000000000", "run000000001"], True) == 2
    assert [r.id for r in store.list_runs()] == ["run000000002"]
    assert store.count_runs(RunQuery(archived=True)) == 2
    assert store.count_runs(RunQuery(archived=None)) == 3
    assert store.get_run("run000000000").archived is True
    with pytest.raises(RunNotFoundError):
        store.set_archived(["run000000002", "missing"], True)
    assert store.get_run("run000000002").archived is False  # nothing half-done
    assert store.set_archived(["run000000000"], False) == 1
    assert store.count_runs() == 2


def test_list_runs_carries_summaries(store: Store) -> None:
    for i in range(3):
        make_run(store, f"run{i:09d}", created_at=T0 + i)
        store.write_points(f"run{i:09d}", {"loss": batch(range(5), [5.0 - i] * 5)})
    runs = {r.id: r for r in store.list_runs(RunQuery(limit=2))}
    assert set(runs) == {"run000000002", "run000000001"}
    assert runs["run000000002"].summary["loss"].last == 3.0
    assert runs["run000000002"].last_step == 4
    assert runs["run000000001"].summary["loss"].count == 5


def test_delete_cascades(store: Store) -> None:
    make_run(store, "keep00000000")
    make_run(store, "gone00000000")
    for rid in ("keep00000000", "gone00000000"):
        store.write_points(rid, {"loss": batch(range(10))})
        store.write_texts(rid, [TextRecord("s", 1, T0, "hi")])
        store.write_histograms(rid, [HistogramRecord("w", 1, T0, [0, 1, 2], [3, 4], 0, 2, 7, 5)])
        store.add_artifact(rid, ArtifactRecord("ckpt", "checkpoint", 1, f"{rid}/c.pt", 3, T0))
    assert store.delete_runs(["gone00000000"]) == 1
    with pytest.raises(RunNotFoundError):
        store.get_run("gone00000000")
    assert [r.id for r in store.list_runs()] == ["keep00000000"]
    make_run(store, "gone00000000")  # the id is free again, and nothing of the old run is left
    assert store.metric_keys("gone00000000") == []
    assert len(store.read_series("gone00000000", "loss")) == 0
    assert store.read_texts("gone00000000") == []
    assert store.read_histograms("gone00000000") == []
    assert store.list_artifacts("gone00000000") == []
    assert len(store.read_series("keep00000000", "loss")) == 10
    assert len(store.read_texts("keep00000000")) == 1


# metrics --------------------------------------------------------------------------------
def test_points_round_trip_bit_exact(store: Store) -> None:
    make_run(store)
    values = [0.5, float("nan"), float("inf"), -float("inf"), -0.0, 1e-310, 1 / 3, 2.5e300]
    steps = list(range(0, 16, 2))
    times = [T0 + 0.123456 * i for i in range(8)]
    store.write_points("aaaaaaaaaaaa", {"x": PointBatch.of(steps, times, values)})
    s = store.read_series("aaaaaaaaaaaa", "x")
    assert s.key == "x" and s.total == 8 and not s.downsampled
    assert s.steps.tolist() == steps
    assert bits(s.values) == bits(np.array(values))
    assert np.allclose(s.times, times, rtol=0, atol=1e-6)  # microsecond precision


def test_many_keys_and_chunk_boundaries(store: Store) -> None:
    make_run(store)
    n = CHUNK_POINTS * 2 + 17
    rng = np.random.default_rng(1)
    vals = rng.normal(size=n).astype(np.float32).astype(np.float64)
    # uneven appends: across the tail chunk, exactly filling it, then a fresh chunk
    cuts = [0, 5, CHUNK_POINTS, CHUNK_POINTS + 1, 2 * CHUNK_POINTS, n]
    for a, b in zip(cuts, cuts[1:], strict=False):
        store.write_points(
            "aaaaaaaaaaaa",
            {"a": batch(range(a, b), vals[a:b].tolist()), "b": batch(range(a, b))},
        )
    s = store.read_series("aaaaaaaaaaaa", "a")
    assert s.steps.tolist() == list(range(n))
    assert bits(s.values) == bits(vals)
    assert store.read_series("aaaaaaaaaaaa", "b").total == n
    assert store.metric_keys("aaaaaaaaaaaa") == ["a", "b"]
    summ = store.get_run("aaaaaaaaaaaa").summary["a"]
    assert summ.count == n and summ.min == vals.min() and summ.min_step == int(vals.argmin())
    assert summ.max == vals.max() and summ.max_step == int(vals.argmax())
    assert summ.last == vals[-1] and summ.last_step == n - 1


def test_unknown_key_is_empty(store: Store) -> None:
    make_run(store)
    s = store.read_series("aaaaaaaaaaaa", "missing", max_points=10)
    assert len(s) == 0 and s.total == 0 and s.steps.dtype == np.int64


def test_duplicate_steps_later_write_wins(store: Store) -> None:
    make_run(store)
    store.write_points("aaaaaaaaaaaa", {"loss": batch(range(10), [10.0] * 10)})
    # a resumed run re-logs from step 6 on
    store.write_points("aaaaaaaaaaaa", {"loss": batch(range(6, 12), [1.0] * 6)})
    s = store.read_series("aaaaaaaaaaaa", "loss")
    assert s.steps.tolist() == list(range(12))
    assert s.values.tolist() == [10.0] * 6 + [1.0] * 6
    assert s.total == 12
    summ = store.get_run("aaaaaaaaaaaa").summary["loss"]
    assert (summ.count, summ.last, summ.last_step) == (12, 1.0, 11)
    assert (summ.min, summ.min_step, summ.max, summ.max_step) == (1.0, 6, 10.0, 0)


def test_duplicate_steps_within_a_batch_and_unsorted(store: Store) -> None:
    make_run(store)
    store.write_points("aaaaaaaaaaaa", {"x": batch([3, 1, 2, 1], [3.0, 1.0, 2.0, 9.0])})
    s = store.read_series("aaaaaaaaaaaa", "x")
    assert s.steps.tolist() == [1, 2, 3] and s.values.tolist() == [9.0, 2.0, 3.0]
    assert store.get_run("aaaaaaaaaaaa").summary["x"].count == 3


def test_overwrite_lowers_the_max(store: Store) -> None:
    make_run(store)
    store.write_points("aaaaaaaaaaaa", {"x": batch([0, 1, 2], [1.0, 100.0, 2.0])})
    store.write_points("aaaaaaaaaaaa", {"x": batch([1], [0.5])})
    summ = store.get_run("aaaaaaaaaaaa").summary["x"]
    assert (summ.max, summ.max_step, summ.min, summ.min_step) == (2.0, 2, 0.5, 1)
    assert summ.last == 2.0 and summ.last_step == 2


def test_summary_ignores_nan(store: Store) -> None:
    make_run(store)
    store.write_points("aaaaaaaaaaaa", {"x": batch([0, 1], [float("nan"), float("nan")])})
    summ = store.get_run("aaaaaaaaaaaa").summary["x"]
    assert math.isnan(summ.min) and math.isnan(summ.max) and math.isnan(summ.last)
    assert summ.count == 2
    store.write_points("aaaaaaaaaaaa", {"x": batch([2, 3, 4], [3.0, float("nan"), 1.0])})
    store.write_points("aaaaaaaaaaaa", {"x": batch([5, 6], [float("inf"), float("nan")])})
    summ = store.get_run("aaaaaaaaaaaa").summary["x"]
    assert (summ.min, summ.min_step, summ.max, summ.max_step) == (1.0, 4, 3.0, 2)
    assert math.isnan(summ.last) and summ.last_step == 6 and summ.count == 7
    assert summ.first_time == T0 and summ.last_time == pytest.approx(T0 + 0.6)
    assert store.get_run("aaaaaaaaaaaa").last_step == 6


def test_bad_batches_name_the_key(store: Store) -> None:
    make_run(store)
    bad = PointBatch(np.arange(3), np.zeros(2), np.zeros(3))
    with pytest.raises(UsageError, match="'loss' needs steps, times and values of equal length"):
        store.write_points("aaaaaaaaaaaa", {"loss": bad})
    with pytest.raises(UsageError, match="'t' has a non-finite wall time"):
        store.write_points("aaaaaaaaaaaa", {"t": PointBatch.of([1], [float("nan")], [1.0])})
    with pytest.raises(UsageError, match="'s' needs int64 steps and float times and values"):
        store.write_points("aaaaaaaaaaaa", {"s": PointBatch([1], [T0], ["high"])})  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="'big' needs int64 steps"):
        store.write_points("aaaaaaaaaaaa", {"big": PointBatch([2**70], [T0], [1.0])})  # type: ignore[arg-type]
    assert store.metric_keys("aaaaaaaaaaaa") == []
    with pytest.raises(UsageError, match="x must be 'step' or 'time', got 'tokens'"):
        store.read_series("aaaaaaaaaaaa", "loss", x="tokens")  # type: ignore[arg-type]


def test_downsample_keeps_spikes_and_last_point(store: Store) -> None:
    make_run(store)
    n = 50_000
    vals = np.sin(np.arange(n) / 500.0)
    vals[12_345] = 100.0
    vals[33_333] = -100.0
    vals[40_000] = float("nan")
    vals[-1] = 0.25
    store.write_points("aaaaaaaaaaaa", {"x": batch(range(n), vals.tolist())})
    s = store.read_series("aaaaaaaaaaaa", "x", max_points=200)
    assert s.downsampled and s.total == n
    assert len(s) <= 201  # 99 buckets x (min, max) + last + the NaN
    assert np.all(np.diff(s.steps) > 0)
    assert 12_345 in s.steps.tolist() and 33_333 in s.steps.tolist()
    assert 40_000 in s.steps.tolist() and np.isnan(s.values[s.steps.tolist().index(40_000)])
    assert s.steps[-1] == n - 1 and s.values[-1] == 0.25
    assert np.nanmax(s.values) == 100.0 and np.nanmin(s.values) == -100.0
    # every returned point is a real stored point
    assert np.array_equal(vals[s.steps], s.values, equal_nan=True)
    small = store.read_series("aaaaaaaaaaaa", "x", max_points=n)
    assert not small.downsampled and len(small) == n


def test_downsample_by_time(store: Store) -> None:
    make_run(store)
    n = 10_000
    times = T0 + np.concatenate([np.arange(5000) * 0.01, 1000 + np.arange(5000) * 0.01])
    vals = np.arange(n, dtype=np.float64)
    store.write_points("aaaaaaaaaaaa", {"x": PointBatch(np.arange(n), times, vals)})
    s = store.read_series("aaaaaaaaaaaa", "x", max_points=100, x="time")
    # time buckets: the first half (50 s) is squeezed into the first few buckets
    assert s.downsampled and len(s) <= 100 and s.steps[-1] == n - 1
    assert np.sum(s.steps < 5000) <= 6
    by_step = store.read_series("aaaaaaaaaaaa", "x", max_points=100, x="step")
    assert np.sum(by_step.steps < 5000) >= 40


def test_since_returns_only_newer_points(store: Store) -> None:
    make_run(store)
    n = CHUNK_POINTS * 3
    store.write_points("aaaaaaaaaaaa", {"x": batch(range(n))})
    s = store.read_series("aaaaaaaaaaaa", "x", since=n - 5)
    assert s.steps.tolist() == list(range(n - 4, n)) and s.total == n and not s.downsampled
    s = store.read_series("aaaaaaaaaaaa", "x", since=CHUNK_POINTS - 1, max_points=100)
    assert s.downsampled and s.steps[0] >= CHUNK_POINTS and s.steps[-1] == n - 1
    s = store.read_series("aaaaaaaaaaaa", "x", since=10, max_points=n)
    assert s.steps.tolist() == list(range(11, n)) and not s.downsampled
    assert len(store.read_series("aaaaaaaaaaaa", "x", since=n)) == 0
    # re-logged steps show up after `since` with the later value
    store.write_points("aaaaaaaaaaaa", {"x": batch([n - 2], [-1.0])})
    s = store.read_series("aaaaaaaaaaaa", "x", since=n - 3)
    assert s.steps.tolist() == [n - 2, n - 1] and s.values.tolist() == [-1.0, (n - 1) / 10]


# texts, histograms, artifacts ------------------------------------------------------------
def test_texts_round_trip(store: Store) -> None:
    make_run(store)
    rows = [
        TextRecord("samples", 20, T0, "Once upon a time"),
        TextRecord("samples", 10, T0 - 1, "ünïcödé ✓\nline 2"),
        TextRecord("other", 15, T0, ""),
    ]
    store.write_texts("aaaaaaaaaaaa", rows)
    got = store.read_texts("aaaaaaaaaaaa")
    assert [(t.key, t.step, t.text) for t in got] == [
        ("samples", 10, "ünïcödé ✓\nline 2"),
        ("other", 15, ""),
        ("samples", 20, "Once upon a time"),
    ]
    assert [t.step for t in store.read_texts("aaaaaaaaaaaa", key="samples")] == [10, 20]
    assert [t.step for t in store.read_texts("aaaaaaaaaaaa", since=10)] == [15, 20]
    assert got[0].wall_time == T0 - 1


def test_histograms_round_trip(store: Store) -> None:
    make_run(store)
    h = HistogramRecord("w/0", 100, T0, [-1.0, 0.0, 0.5, 1.0], [1.0, 2.0, 3.0], -1.0, 1.0, 6, 0.1)
    h2 = HistogramRecord("w/0", 50, T0, [0.0, 1.0], [4.0], 0.0, float("nan"), 4, 2.0)
    store.write_histograms("aaaaaaaaaaaa", [h, h2])
    got = store.read_histograms("aaaaaaaaaaaa", key="w/0")
    assert [g.step for g in got] == [50, 100]
    assert got[1] == h
    assert math.isnan(got[0].max) and got[0].edges == [0.0, 1.0] and got[0].count == 4
    assert store.read_histograms("aaaaaaaaaaaa", key="other") == []
    with pytest.raises(UsageError, match="edges needs len\\(counts\\) \\+ 1 = 3 entries, got 2"):
        store.write_histograms(
            "aaaaaaaaaaaa", [HistogramRecord("w/1", 1, T0, [0, 1], [1, 2], 0, 1, 3, 1)]
        )


def test_artifacts_round_trip(store: Store) -> None:
    make_run(store)
    a = store.add_artifact(
        "aaaaaaaaaaaa", ArtifactRecord("step_2000.pt", "checkpoint", 2000, "x/step_2000.pt", 10, T0)
    )
    b = store.add_artifact("aaaaaaaaaaaa", ArtifactRecord("cfg", "config", None, "x/cfg", 1, T0))
    assert a.id is not None and b.id is not None and a.id != b.id
    assert store.list_artifacts("aaaaaaaaaaaa") == [a, b]
