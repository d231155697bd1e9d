"""What only a server sees: a run killed with SIGKILL fires "crashed"; a team server's client
records its alerts and the server delivers them to channels the client never sees."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alert_support import Hook, start_ui

from trainboard.store import open_store
from trainboard.store.sql import channels
from trainboard.store.sql.channels import ChannelRecord

TRAIN = textwrap.dedent(
    """
    import math, sys, time
    import trainboard
    run = trainboard.init(project="srv", name=sys.argv[1])
    print(run.id, flush=True)
    for step in range(1, 1000000):
        bad = sys.argv[2] == "nan" and step > 20
        run.log({"train/loss": math.nan if bad else 1.0 / step}, step=step)
        time.sleep(0.02)
    """
)


@pytest.fixture
def ui_server(tb_home: str, tmp_path: Path) -> Iterator[tuple[Any, str]]:
    proc, url = start_ui(tb_home, str(tmp_path / "ui.log"))
    yield proc, url
    proc.terminate()
    proc.wait(timeout=10)


def _train(tmp_path: Path, name: str, mode: str, **env: str) -> tuple[subprocess.Popen[str], str]:
    script = tmp_path / "train.py"
    script.write_text(TRAIN)
    proc = subprocess.Popen(
        [sys.executable, str(script), name, mode],
        stdout=subprocess.PIPE, text=True, env=dict(os.environ, **env),
    )  # fmt: skip
    assert proc.stdout is not None
    return proc, proc.stdout.readline().strip()


def test_a_killed_run_is_reported_crashed_by_the_running_dashboard(
    tb_home: str, tmp_path: Path, webhook: Hook, ui_server: tuple[Any, str]
) -> None:
    with open_store() as store:
        channels.add(store, ChannelRecord("webhook", webhook.url + "/hook"))
    proc, run_id = _train(tmp_path, "doomed", "ok")
    try:
        time.sleep(1.0)  # a few steps and a heartbeat in the store
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        posts = webhook.wait(lambda ps: "crashed" in [p.json["kind"] for p in ps], timeout=60)
    finally:
        proc.kill()
        proc.wait()
    crashed = [p.json for p in posts if p.json["kind"] == "crashed"]
    assert len(crashed) == 1 and crashed[0]["run"]["name"] == "doomed"
    assert crashed[0]["run"]["id"] == run_id and "no heartbeat since" in crashed[0]["reason"]


def test_a_team_servers_client_alerts_through_the_server(
    tb_home: str, tmp_path: Path, webhook: Hook, ui_server: tuple[Any, str]
) -> None:
    secret = "only-the-server-knows"
    with open_store() as store:
        channels.add(store, ChannelRecord("webhook", webhook.url + "/hook", secret=secret))
    _, url = ui_server
    client_home = tmp_path / "client"  # the client has no store of its own: only the server
    proc, run_id = _train(tmp_path, "remote-nan", "nan", TRAINBOARD_URL=url,
                          TRAINBOARD_HOME=str(client_home),
                          TRAINBOARD_CONTROL_INTERVAL="0.2")  # fmt: skip
    try:
        posts = webhook.wait(lambda ps: "nan" in [p.json["kind"] for p in ps], timeout=60)
    finally:
        proc.kill()
        proc.wait()
    nan = next(p for p in posts if p.json["kind"] == "nan")
    assert nan.json["run"] == {"id": run_id, "name": "remote-nan", "project": "srv"}
    assert nan.headers["Authorization"] == f"Bearer {secret}"
    assert nan.json["link"] == f"{url}/runs/{run_id}"


def test_a_ranks_crash_alert_says_which_rank_host_and_step_as_the_notes_do(
    tb_home: str, webhook: Hook
) -> None:
    """A run crashed by a rank that stopped beating (analysis/rankbeat.py) alerts with what
    its notes say, not "no heartbeat since": the run's own heartbeat is fine. A run that
    crashed on its own heartbeat keeps the generic text, whatever notes the user gave it."""
    import socket

    from trainboard.analysis.rankbeat import crash_if_a_rank_is_silent
    from trainboard.analysis.status import reconcile
    from trainboard.server.alerting import ServerAlerts
    from trainboard.store.records import PointBatch, RunRecord

    host = socket.gethostname()
    with open_store() as store:
        channels.add(store, ChannelRecord("webhook", webhook.url + "/hook"))
        now = time.time()
        for rid, name in (("rankcrash001", "ddp"), ("plaincrash01", "alone")):
            store.create_run(
                RunRecord(id=rid, project="srv", name=name, created_at=now, heartbeat_at=now,
                          host=host, pid=os.getpid(), notes="my own words")
            )  # fmt: skip
            store.write_points(rid, {"sys/rank1/steps_per_s": PointBatch.of([7], [now], [3.0])})
        store.write_run_values(
            "rankcrash001",
            "ranks",
            {"1": {"host": "node-b", "pid": 1, "local_rank": 1, "ended": None,
                   "seen_at": now, "seen_step": 7}},
        )  # fmt: skip
        ranked = store.get_run("rankcrash001")
        assert crash_if_a_rank_is_silent(store, ranked, store.now() + 10_000)  # long silent
        plain = store.get_run("plaincrash01")
        store.update_run("plaincrash01", heartbeat_at=0.0, pid=2**22 + 7)  # a dead process
        plain = store.get_run("plaincrash01")
        assert reconcile(store, [plain]) == [plain]
        ServerAlerts(store).crashed([ranked, plain])
    posts = webhook.wait(lambda ps: len(ps) >= 2, timeout=60)
    said = {p.json["run"]["id"]: p.json["reason"] for p in posts if p.json["kind"] == "crashed"}
    assert said["rankcrash001"] == (
        "crashed: rank 1 (host node-b, GPU 1) stopped sending heartbeats at step 7"
    )
    assert said["plaincrash01"].startswith("crashed: no heartbeat since ")
    assert "my own words" not in said["plaincrash01"]
