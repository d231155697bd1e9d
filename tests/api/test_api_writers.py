"""Reading beside running writers: two real training processes log into the store while an
Api lists, refreshes and reads their histories. Every read succeeds and sees a consistent
prefix of what was logged, the writers never wait on a reader's lock or fail, and at the end
every point is there."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np

import trainboard

N = 1500
# Each writer logs half its steps, waits for the reader to have seen them (a file appears),
# then logs the rest while the reader keeps reading: reads happen mid-run by construction.
WRITER = """
import os, sys, time, trainboard
go = sys.argv[2]
run = trainboard.init(project="live", name=sys.argv[1], total_steps=N_STEPS)
print(run.id, flush=True)
for step in range(N_STEPS):
    if step == N_STEPS // 2:
        while not os.path.exists(go):
            time.sleep(0.01)
    run.log({"loss": 1.0 / (step + 1), "tokens": float(step * 64)}, step=step)
    if step % 50 == 0:
        time.sleep(0.01)
run.finish()
""".replace("N_STEPS", str(N))


def test_reads_beside_two_live_writers(store_url: str, tmp_path: os.PathLike[str]) -> None:
    env = dict(os.environ, TRAINBOARD_DB=store_url, TRAINBOARD_HOME=str(tmp_path))
    env.update(TRAINBOARD_SYSTEM_INTERVAL="0", TRAINBOARD_FLUSH_INTERVAL="0.05")
    env.pop("TRAINBOARD_URL", None)
    go = os.path.join(tmp_path, "go")
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, f"w{i}", go],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )  # fmt: skip
        for i in range(2)
    ]
    try:
        ids = [w.stdout.readline().strip() for w in writers if w.stdout is not None]
        assert len(ids) == 2 and all(len(i) == 12 for i in ids), ids
        seen = {i: 0 for i in ids}
        reads = 0
        with trainboard.Api(store_url) as api:
            while any(w.poll() is None for w in writers) or reads < 3:
                listed = {r.id: r for r in api.runs(project="live")}
                assert set(listed) == set(ids)
                for rid in ids:
                    run = listed[rid].refresh()
                    if "loss" not in run.summary:
                        continue
                    cols = run.history("loss", format="numpy")
                    steps = cols["step"]
                    # a consistent prefix: steps 0..k-1, each value as logged
                    assert np.array_equal(steps, np.arange(len(steps)))
                    assert np.allclose(cols["loss"], 1.0 / (steps + 1))
                    assert len(steps) >= seen[rid]  # never goes back
                    seen[rid] = len(steps)
                    assert run.progress.step is not None
                reads += 1
                if min(seen.values()) >= N // 2 and not os.path.exists(go):
                    assert max(seen.values()) == N // 2  # both wait mid-run: reads saw a live run
                    open(go, "w").close()
            outs = [w.communicate(timeout=60) for w in writers]
            assert [w.returncode for w in writers] == [0, 0], [o[1] for o in outs]
            assert all("locked" not in o[1] for o in outs)
            for rid in ids:
                run = api.run(rid)
                assert run.status == "finished" and run.summary["loss"].count == N
                assert len(run.history(["loss", "tokens"], format="numpy")["step"]) == N
        assert reads >= 3 and os.path.exists(go)
    finally:
        for w in writers:
            if w.poll() is None:
                w.kill()
                w.wait()


def test_reads_go_on_while_a_writer_holds_the_sqlite_write_lock(sqlite_url: str) -> None:
    """A writer mid-transaction (BEGIN IMMEDIATE: SQLite's write lock) does not stop the Api:
    it opens the store, lists, reads history and progress, and sees the last committed state.
    Had any of these asked for the write lock, it would wait out the 30 s busy timeout and
    fail with "database is locked"."""
    import sqlite3

    from trainboard.store import open_store
    from trainboard.store.records import PointBatch, RunRecord

    with open_store(sqlite_url) as s:
        s.create_run(RunRecord(id="c" * 12, project="p", name="held", status="finished"))
        s.write_points("c" * 12, {"loss": PointBatch.of([1, 2], [1.0, 2.0], [0.5, 0.4])})
    writer = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("UPDATE runs SET name = 'renamed' WHERE id = ?", ("c" * 12,))
        with trainboard.Api(sqlite_url) as api:
            (run,) = api.runs(project="p")
            assert run.name == "held"  # the uncommitted rename is not seen
            assert run.history("loss", format="numpy")["loss"].tolist() == [0.5, 0.4]
            assert run.progress.step == 2 and run.health.verdict
        writer.execute("COMMIT")
        with trainboard.Api(sqlite_url) as api:
            assert api.run("c" * 12).name == "renamed"
    finally:
        writer.close()
