"""`python -m trainboard` in real child processes: help, ls --json, unknown runs, the ui
command (the dashboard the demo starts)."""

from __future__ import annotations

import json
import urllib.request

from cli_support import python_m
from loopback import free_port

import trainboard
from trainboard.demo.dashboard import Dashboard


def test_help_lists_every_command(tb_home: str) -> None:
    r = python_m("--help", env_home=tb_home)
    assert r.returncode == 0
    for cmd in ("ls", "show", "watch", "export", "import", "archive", "unarchive", "delete",
                "ui", "demo"):  # fmt: skip
        assert f"  {cmd} " in r.stdout, cmd


def test_sdk_run_through_the_real_cli(tb_home: str) -> None:
    with trainboard.init(project="sub", name="via-sdk", model="m", total_steps=3) as run:
        for step in range(1, 4):
            run.log({"train/loss": 1.0 / step, "tokens": 100 * step}, step=step)
    r = python_m("ls", "--json", env_home=tb_home)
    assert r.returncode == 0, r.stderr
    (row,) = json.loads(r.stdout)
    assert (row["id"], row["name"], row["status"], row["last_step"]) == (
        run.id, "via-sdk", "finished", 3
    )  # fmt: skip
    r = python_m("export", run.id[:6], "--format", "csv", env_home=tb_home)
    assert r.returncode == 0, r.stderr
    assert (
        r.stdout == "step,tokens,train/loss\n1,100.0,1.0\n2,200.0,0.5\n3,300.0,0.3333333333333333\n"
    )
    r = python_m("show", "no-such-run", env_home=tb_home)
    assert r.returncode == 1
    assert r.stderr == "error: no run with id 'no-such-run'\n"


def test_ui_command_serves_the_api(tb_home: str) -> None:
    dash = Dashboard(free_port())
    dash.start()
    try:
        with urllib.request.urlopen(f"{dash.url}/api/v1/runs", timeout=5) as resp:
            body = json.loads(resp.read())
        assert body["total"] == 0 and body["runs"] == []
    finally:
        dash.stop()
