"""Several real processes write one SQLite store at once: no error, no lost point.

Each process opens the same fresh file (so first opens and migrations race too), creates its
own run and makes thousands of small write_points calls, as parallel trainings, DDP ranks or
Optuna trials do.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np

from trainboard.store import open_store

WRITER = textwrap.dedent(
    """
    import sys, time
    from trainboard.store import open_store, PointBatch, RunRecord, TextRecord
    url, run_id, calls = sys.argv[1], sys.argv[2], int(sys.argv[3])
    store = open_store(url)
    store.create_run(RunRecord(id=run_id, project="race", name=run_id))
    for i in range(calls):
        steps = range(i * 5, i * 5 + 5)
        t = time.time()
        store.write_points(run_id, {
            key: PointBatch.of(steps, [t] * 5, [s * k for s in steps])
            for k, key in enumerate(("loss", "lr", "grad_norm"), start=1)
        })
        if i % 100 == 0:
            store.write_texts(run_id, [TextRecord("sample", i, t, f"text {i}")])
            store.update_run(run_id, heartbeat_at=t)
    store.update_run(run_id, status="finished")
    store.close()
    print("done", run_id)
    """
)


def test_four_processes_write_one_sqlite_store(sqlite_url: str) -> None:
    calls, n_procs = 1000, 4
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, sqlite_url, f"proc{i:08d}", str(calls)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(n_procs)
    ]
    outs = [p.communicate(timeout=240) for p in procs]
    for p, (out, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, f"writer failed:\n{out}\n{err}"
        assert "locked" not in err
    with open_store(sqlite_url) as store:
        runs = store.list_runs()
        assert sorted(r.id for r in runs) == [f"proc{i:08d}" for i in range(n_procs)]
        expected = np.arange(calls * 5)
        for r in runs:
            assert r.status == "finished" and r.last_step == calls * 5 - 1
            for k, key in enumerate(("loss", "lr", "grad_norm"), start=1):
                s = store.read_series(r.id, key)
                assert np.array_equal(s.steps, expected), (r.id, key)
                assert np.array_equal(s.values, expected * float(k)), (r.id, key)
                assert r.summary[key].count == calls * 5
            assert len(store.read_texts(r.id)) == calls // 100


OPENER = textwrap.dedent(
    """
    import sys
    from trainboard.store import open_store, RunRecord
    with open_store(sys.argv[1]) as store:
        store.create_run(RunRecord(id=sys.argv[2], project="race", name=sys.argv[2]))
    """
)


def test_concurrent_first_opens_migrate_once(empty_store_url: str) -> None:
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", OPENER, empty_store_url, f"open{i:08d}"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(4)
    ]
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, f"first open failed:\n{out}\n{err}"
    with open_store(empty_store_url) as store:
        assert store.count_runs() == 4


def test_forked_child_writes_through_its_own_connections(sqlite_url: str) -> None:
    import os

    from trainboard.store import PointBatch, RunRecord

    with open_store(sqlite_url) as store:
        store.create_run(RunRecord(id="fork00000000", project="p", name="n"))
        store.write_points("fork00000000", {"x": PointBatch.of([0], [1.0], [0.0])})
        pid = os.fork()
        if pid == 0:  # the child reuses the parent's Store object, as a DataLoader worker would
            code = 1
            try:
                store.write_points("fork00000000", {"x": PointBatch.of([1], [2.0], [1.0])})
                code = 0
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        store.write_points("fork00000000", {"x": PointBatch.of([2], [3.0], [2.0])})
        assert store.read_series("fork00000000", "x").steps.tolist() == [0, 1, 2]
