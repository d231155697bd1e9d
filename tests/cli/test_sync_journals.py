"""`trainboard sync` reports what it sent, journals included (#23): a run killed while it
logged to PostgreSQL leaves its last points in a journal under TRAINBOARD_HOME; sync writes
them and says so, instead of "nothing to send". Real PostgreSQL, real SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from trainboard.store import open_store

TRAIN = """
import sys, time, trainboard
run = trainboard.init(project="p", store=sys.argv[1])
for step in range(20):
    run.log({"loss": float(step)}, step=step)
print(run.id, flush=True)
time.sleep(600)
"""


def test_sync_writes_and_reports_a_killed_runs_postgres_journal(
    pg_url: str, tmp_path: Path
) -> None:
    env = dict(os.environ, TRAINBOARD_HOME=str(tmp_path / "home"), TRAINBOARD_SYSTEM_INTERVAL="0",
               TRAINBOARD_FLUSH_INTERVAL="3600", TRAINBOARD_HEARTBEAT_INTERVAL="3600")  # fmt: skip
    for name in ("TRAINBOARD_DB", "TRAINBOARD_URL", "TRAINBOARD_TOKEN"):
        env.pop(name, None)
    child = subprocess.Popen(
        [sys.executable, "-c", TRAIN, pg_url], env=env, stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    run_id = child.stdout.readline().strip()
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    with open_store(pg_url.replace("postgresql://", "postgresql+psycopg://")) as db:
        assert db.get_run(run_id).last_step in (None, 0)  # the 20 steps are in the journal only
    done = subprocess.run(
        [sys.executable, "-m", "trainboard", "sync"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert f"wrote 1 run ({run_id}) from journals" in done.stdout, done.stdout
    assert "nothing to send" not in done.stdout
    with open_store(pg_url) as db:
        assert len(db.read_series(run_id, "loss").steps) == 20
        assert db.get_run(run_id).status == "crashed"
