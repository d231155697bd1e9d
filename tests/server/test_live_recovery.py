"""Recovery needs nobody (#23): a running `trainboard ui` writes the journal of a SIGKILLed
run by itself, within seconds, with no CLI command run; on PostgreSQL it does so whichever
way the run spelled the database's URL. Real server process, real training process, real
SIGKILL."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

STEPS = 426

TRAIN = """
import sys, time, trainboard
run = trainboard.init(project="p", name="killed", store=sys.argv[1])
print(run.id, flush=True)
for step in range(STEPS):
    run.log({"loss": 1.0 / (step + 1)}, step=step)
print("logged", flush=True)
time.sleep(600)
""".replace("STEPS", str(STEPS))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "trainboard", "ui", "--no-browser", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while True:
        assert proc.poll() is None, "the server exited"
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/runs").status_code == 200:
                return proc
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.1)


def _kill_and_watch(env: dict[str, str], store_url: str, port: int) -> None:
    # the writer never flushes on its own: the logged points are in the journal only
    child_env = dict(env, TRAINBOARD_FLUSH_INTERVAL="3600", TRAINBOARD_HEARTBEAT_INTERVAL="3600")
    child = subprocess.Popen(
        [sys.executable, "-c", TRAIN, store_url],
        env=child_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert child.stdout is not None
        run_id = child.stdout.readline().strip()
        assert child.stdout.readline().strip() == "logged"
        api = f"http://127.0.0.1:{port}/api/v1/runs/{run_id}"
        assert httpx.get(api).json()["run"]["last_step"] in (None, 0)  # not written yet
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        killed = time.monotonic()
        while True:
            run = httpx.get(api).json()["run"]
            if run["last_step"] == STEPS - 1 and run["status"] == "crashed":
                break
            # the poller looks every second; 15 s leaves room for a loaded machine
            assert time.monotonic() - killed < 15, run
            time.sleep(0.1)
        series = httpx.get(f"{api}/series", params={"keys": "loss"}).json()
        assert len(series["series"]["loss"]["steps"]) == STEPS
    finally:
        if child.poll() is None:
            child.kill()


def test_a_running_dashboard_recovers_a_killed_run_by_itself(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = dict(os.environ, TRAINBOARD_HOME=str(home), TRAINBOARD_SYSTEM_INTERVAL="0")
    for name in ("TRAINBOARD_DB", "TRAINBOARD_URL", "TRAINBOARD_TOKEN"):
        env.pop(name, None)
    port = _free_port()
    server = _serve(env, port)
    try:
        _kill_and_watch(env, f"sqlite:///{home / 'trainboard.db'}", port)
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_postgres_urls_spelled_differently_are_one_store_to_recovery(
    pg_url: str, tmp_path: Path
) -> None:
    """The server names `…@127.0.0.1:5432/db`, the run `postgres://…@localhost/db`."""
    from sqlalchemy.engine import make_url

    u = make_url(pg_url)
    assert u.port in (None, 5432) and u.host in ("127.0.0.1", "localhost")
    server_url = f"postgresql://{u.username}@127.0.0.1:5432/{u.database}"
    run_url = f"postgres://{u.username}@localhost/{u.database}"
    env = dict(os.environ, TRAINBOARD_HOME=str(tmp_path / "home"), TRAINBOARD_SYSTEM_INTERVAL="0")
    env.pop("TRAINBOARD_URL", None)
    env.pop("TRAINBOARD_TOKEN", None)
    port = _free_port()
    server = _serve(dict(env, TRAINBOARD_DB=server_url), port)
    try:
        _kill_and_watch(env, run_url, port)
    finally:
        server.terminate()
        server.wait(timeout=30)
