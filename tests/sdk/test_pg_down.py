"""init() with PostgreSQL down starts the run (#23): its points wait in the journal and reach
the store when the server is back, as docs/faults.md says. A throwaway PostgreSQL cluster of
its own (never the shared 5432 server), really stopped and started."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from trainboard.store import open_store


@dataclass
class Cluster:
    version: str
    name: str
    port: int

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def ctl(self, action: str) -> None:
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", self.version, self.name, action],
            check=True,
            capture_output=True,
            timeout=120,
        )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    c = Cluster(version, f"tb{uuid.uuid4().hex[:8]}", _free_port())
    subprocess.run(
        ["pg_createcluster", version, c.name, "-p", str(c.port), "--start", "--",
         "--auth-host=trust", "--auth-local=trust"],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    try:
        yield c
    finally:
        subprocess.run(
            ["pg_dropcluster", "--stop", version, c.name], capture_output=True, timeout=180
        )


TRAIN = textwrap.dedent(
    """
    import sys, time, trainboard
    run = trainboard.init(project="p", name="while-down", store=sys.argv[1])
    print(run.id, flush=True)
    for step in range(2000):
        run.log({"loss": 1.0 / (step + 1)}, step=step)
        if step == 999:
            print("half", flush=True)
            sys.stdin.readline()  # the test starts the server again
    run.finish()
    print("done", flush=True)
    """
)


def test_init_with_postgres_down_starts_and_the_points_arrive_when_it_is_back(
    cluster: Cluster, tmp_path: Path
) -> None:
    with open_store(cluster.url):
        pass  # the schema exists; the server then goes away
    cluster.ctl("stop")
    env = dict(os.environ, TRAINBOARD_HOME=str(tmp_path / "home"), TRAINBOARD_SYSTEM_INTERVAL="0")
    child = subprocess.Popen(
        [sys.executable, "-c", TRAIN, cluster.url],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert child.stdout is not None and child.stdin is not None
        run_id = child.stdout.readline().strip()
        assert len(run_id) == 12, child.communicate(timeout=60)
        assert child.stdout.readline().strip() == "half"
        cluster.ctl("start")
        child.stdin.write("\n")
        child.stdin.flush()
        assert child.stdout.readline().strip() == "done"
        out, err = child.communicate(timeout=120)
        assert child.returncode == 0, err
    finally:
        if child.poll() is None:
            child.kill()
    deadline = time.monotonic() + 30
    with open_store(cluster.url) as db:
        while True:
            run = db.get_run(run_id)
            series = db.read_series(run_id, "loss")
            if run.status == "finished" and len(series.steps) == 2000:
                break
            assert time.monotonic() < deadline, (run.status, len(series.steps))
            time.sleep(0.2)
    assert list(series.steps) == list(range(2000))


def test_a_run_that_ends_while_postgres_is_down_is_written_by_the_next_process(
    cluster: Cluster, tmp_path: Path
) -> None:
    with open_store(cluster.url):
        pass
    cluster.ctl("stop")
    env = dict(os.environ, TRAINBOARD_HOME=str(tmp_path / "home"), TRAINBOARD_SYSTEM_INTERVAL="0")
    script = (
        "import sys, trainboard\n"
        "run = trainboard.init(project='p', store=sys.argv[1])\n"
        "[run.log({'x': float(i)}, step=i) for i in range(500)]\n"
        "run.finish()\n"
        "print(run.id)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, cluster.url],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    run_id = done.stdout.strip().splitlines()[-1]
    assert "finish() gave up" in done.stderr  # and it says where the points wait
    cluster.ctl("start")
    ls = subprocess.run(
        [sys.executable, "-m", "trainboard", "ls", "--json"],
        capture_output=True, text=True, timeout=120,
        env=dict(env, TRAINBOARD_DB=cluster.url),
    )  # fmt: skip
    assert ls.returncode == 0, ls.stderr
    with open_store(cluster.url) as db:
        assert db.get_run(run_id).status == "finished"
        assert len(db.read_series(run_id, "x").steps) == 500
