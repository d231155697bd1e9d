"""No batch is retried forever (#23): a store that keeps failing on one batch while it takes
every other write (here a SQLite trigger that fails every insert of points, with an error no
store calls permanent) gets TRAINBOARD_WRITE_ATTEMPTS tries; then the batch goes to the
dead-letter file, the run gets an event saying what was set aside and how to write it, the
heartbeat and the final status still arrive, and `trainboard sync --deadletter` writes the
points once the fault is gone. A real training process and the real CLI."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from trainboard.store import open_store

TRAIN = """
import sys, trainboard
run = trainboard.init(project="p", name="stuck", store=sys.argv[1])
for step in range(100):
    run.log({"loss": float(step)}, step=step)
run.finish()
print(run.id, flush=True)
"""


def test_a_batch_the_store_always_fails_on_is_set_aside_and_the_run_still_ends(
    tmp_path: Path,
) -> None:
    db = tmp_path / "trainboard.db"
    url = f"sqlite:///{db}"
    open_store(url).close()
    with sqlite3.connect(db) as conn:  # every insert of points fails, as "unavailable"
        conn.execute("CREATE TRIGGER stuck BEFORE INSERT ON chunks BEGIN SELECT no_such_fn(); END")
    env = dict(os.environ, TRAINBOARD_HOME=str(tmp_path / "home"), TRAINBOARD_SYSTEM_INTERVAL="0",
               TRAINBOARD_WRITE_ATTEMPTS="4")  # fmt: skip
    for name in ("TRAINBOARD_DB", "TRAINBOARD_URL", "TRAINBOARD_TOKEN"):
        env.pop(name, None)
    done = subprocess.run(
        [sys.executable, "-c", TRAIN, url], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    run_id = done.stdout.strip().splitlines()[-1]
    assert "failed 4 times in a row while the store took other writes" in done.stderr
    assert "trainboard sync --deadletter" in done.stderr
    with open_store(url) as store:
        run = store.get_run(run_id)
        assert run.status == "finished" and run.heartbeat_at is not None  # the rest arrived
        assert len(store.read_series(run_id, "loss").steps) == 0
        events = [e for e in store.read_events(run_id) if e.title == "data set aside"]
        assert events and "points" in events[0].text and "--deadletter" in events[0].text
    aside = Path(str(db) + ".deadletter.jsonl")
    assert aside.exists()
    with sqlite3.connect(db) as conn:
        conn.execute("DROP TRIGGER stuck")  # the cause is fixed
    replay = subprocess.run(
        [sys.executable, "-m", "trainboard", "sync", "--deadletter"],
        env=dict(env, TRAINBOARD_DB=url), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert replay.returncode == 0, replay.stderr
    assert "wrote 100 points set aside in" in replay.stdout, replay.stdout
    with open_store(url) as store:
        series = store.read_series(run_id, "loss")
        assert series.values.tolist() == [float(s) for s in range(100)]
    assert not aside.exists()
