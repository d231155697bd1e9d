"""Tokens limited to projects (#23), against a real server process, the real remote SDK and
the real CLI: `trainboard token create --project P` makes a token that may read, log into,
stop, archive and delete only runs of P; anything about another project's run is a 403
naming that project, lists hold P's runs only, and init() refuses another project at once."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from trainboard.store import open_store
from trainboard.store.records import PointBatch, RunRecord
from trainboard.store.remote.wire.encode import points_op, update_run_op
from trainboard.store.sql import tokens


def _server_process_class() -> type:
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "_server_conftest_projects", Path(__file__).parent / "conftest.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.ServerProcess  # type: ignore[no-any-return]


ServerProcess = _server_process_class()


class _Scoped(ServerProcess):  # type: ignore[misc, valid-type]
    probe: str = ""

    def wait_ready(self, timeout: float = 120.0) -> None:  # a loaded machine
        self.token = self.probe
        try:
            super().wait_ready(timeout)
        finally:
            self.token = None


def _cli(home: Path, db: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, TRAINBOARD_DB=db, TRAINBOARD_HOME=str(home), NO_COLOR="1")
    return subprocess.run(
        [sys.executable, "-m", "trainboard", *args],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip


B_RUN = "bbbbbbbbbbbb"


@pytest.fixture
def team(tmp_path: Path) -> Iterator[tuple[object, dict[str, str]]]:
    srv = _Scoped(tmp_path / "team")
    srv.home.mkdir(parents=True)
    made: dict[str, str] = {}
    # the tokens are made by the real CLI, as a user makes them
    for name, scope, projects in (
        ("alpha", "write", ["a"]),
        ("alpha-admin", "admin", ["a"]),
        ("alpha-viewer", "read", ["a", "c"]),
    ):
        args = ["token", "create", "--name", name, "--scope", scope]
        for p in projects:
            args += ["--project", p]
        done = _cli(srv.home, srv.store_url, *args)
        assert done.returncode == 0, done.stderr
        made[name] = done.stdout.strip().splitlines()[-1]
        assert made[name].startswith("tb_")
        assert f"projects {', '.join(projects)}" in done.stderr
    with open_store(srv.store_url) as db:
        made["root"], _ = tokens.create(db, "root", "admin")
        now = time.time()
        db.create_run(RunRecord(id=B_RUN, project="b", name="b-run", host="elsewhere",
                                created_at=now, heartbeat_at=now))  # fmt: skip
        db.write_points(B_RUN, {"loss": PointBatch.of([0, 1], [now, now], [1.0, 0.5])})
    srv.probe = made["root"]
    srv.start()
    try:
        yield srv, made
    finally:
        srv.stop()


def _sdk(srv: object, token: str, script: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, TRAINBOARD_URL=srv.url, TRAINBOARD_TOKEN=token,  # type: ignore[attr-defined]
               TRAINBOARD_HOME=str(srv.home / "client"), TRAINBOARD_SYSTEM_INTERVAL="0")  # type: ignore[attr-defined]  # fmt: skip
    env.pop("TRAINBOARD_DB", None)
    return subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120
    )


RUN_IN = """
import trainboard
run = trainboard.init(project={project!r}, name="mine")
for step in range(5):
    run.log({{"loss": float(step)}}, step=step)
run.finish()
print(run.id)
"""


def test_token_list_shows_each_tokens_projects(team: tuple[object, dict[str, str]]) -> None:
    srv, _ = team
    done = _cli(srv.home, srv.store_url, "token", "list")  # type: ignore[attr-defined]
    assert done.returncode == 0, done.stderr
    rows = {line.split()[0]: line for line in done.stdout.splitlines() if line.strip()}
    assert "a, c" in rows["alpha-viewer"] and " all " in rows["root"] + " "
    with open_store(srv.store_url) as db:  # type: ignore[attr-defined]
        by_name = {t.name: t.projects for t in tokens.list_tokens(db)}
    assert by_name == {"alpha": ("a",), "alpha-admin": ("a",), "alpha-viewer": ("a", "c"),
                       "root": None}  # fmt: skip


def test_a_project_token_logs_into_its_project_and_init_refuses_another(
    team: tuple[object, dict[str, str]],
) -> None:
    srv, made = team
    done = _sdk(srv, made["alpha"], RUN_IN.format(project="a"))
    assert done.returncode == 0, done.stderr
    run_id = done.stdout.strip().splitlines()[-1]
    with open_store(srv.store_url) as db:  # type: ignore[attr-defined]
        assert db.read_series(run_id, "loss").values.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]
        assert db.get_run(run_id).status == "finished"
    refused = _sdk(srv, made["alpha"], RUN_IN.format(project="b"))
    assert refused.returncode != 0
    assert "trainboard.errors.ForbiddenError: init()" in refused.stderr
    assert "limited to project(s) 'a'" in refused.stderr and "project 'b'" in refused.stderr
    with open_store(srv.store_url) as db:  # type: ignore[attr-defined]
        assert {r.project for r in db.list_runs()} == {"a", "b"}
        assert [r.id for r in db.list_runs() if r.project == "b"] == [B_RUN]


def test_ingest_into_another_projects_run_is_refused_naming_it(
    team: tuple[object, dict[str, str]],
) -> None:
    srv, made = team
    create_b = (
        b'{"op":"create_run","run":{"id":"cccccccccccc","project":"b","name":"sneak",'
        b'"created_at":1.0}}'
    )
    hostile = [
        create_b,
        update_run_op(B_RUN, {"notes": "pwned"}),
        points_op(B_RUN, {"loss": PointBatch.of([1], [time.time()], [-99.0])}),
    ]
    body = b'{"client":"alpha-c","seq":0,"ops":[%s]}' % b",".join(hostile)
    for who in ("alpha", "alpha-admin"):  # an admin token limited to a project is limited too
        with httpx.Client(base_url=srv.url, timeout=30) as c:  # type: ignore[attr-defined]
            r = c.post("/api/v1/ingest", content=body.replace(b"alpha-c", who.encode()),
                       headers={"Authorization": f"Bearer {made[who]}",
                                "Content-Type": "application/json"})  # fmt: skip
        assert r.status_code == 200, r.text
        errors = r.json()["errors"]
        assert [e["code"] for e in errors] == ["forbidden"] * 3
        assert all("project 'b'" in e["message"] for e in errors)
        assert f"token {who!r} is limited to project(s) 'a'" in errors[0]["message"]
    with open_store(srv.store_url) as db:  # type: ignore[attr-defined]
        assert db.get_run(B_RUN).notes in (None, "")
        assert db.read_series(B_RUN, "loss").values.tolist() == [1.0, 0.5]
        assert [r.id for r in db.list_runs() if r.project == "b"] == [B_RUN]


def test_reads_and_changes_of_another_projects_run_are_403s_naming_it(
    team: tuple[object, dict[str, str]],
) -> None:
    srv, made = team
    mine = _sdk(srv, made["alpha"], RUN_IN.format(project="a")).stdout.strip().splitlines()[-1]
    with httpx.Client(base_url=srv.url, timeout=30) as c:  # type: ignore[attr-defined]

        def call(token: str, method: str, path: str, **kw: object) -> httpx.Response:
            return c.request(method, path, headers={"Authorization": f"Bearer {made[token]}"},
                             **kw)  # type: ignore[arg-type]  # fmt: skip

        # lists hold its projects' runs only; another project's list is refused
        listed = call("alpha-viewer", "GET", "/api/v1/runs").json()
        assert [r["id"] for r in listed["runs"]] == [mine] and listed["total"] == 1
        table = call("alpha-viewer", "GET", "/api/v1/table").json()
        assert [r["id"] for r in table["runs"]] == [mine]
        assert [r["id"] for r in call("root", "GET", "/api/v1/runs").json()["runs"]] == [
            mine, B_RUN
        ] or {r["id"] for r in call("root", "GET", "/api/v1/runs").json()["runs"]} == {
            mine, B_RUN
        }  # fmt: skip
        refused = [
            call("alpha-viewer", "GET", "/api/v1/runs", params={"project": "b"}),
            call("alpha-viewer", "GET", f"/api/v1/runs/{B_RUN}"),
            call("alpha-viewer", "GET", f"/api/v1/runs/{B_RUN}/series", params={"keys": "loss"}),
            call("alpha-viewer", "GET", f"/api/v1/runs/{B_RUN}/media"),
            call("alpha-viewer", "GET", f"/api/v1/runs/{B_RUN}/texts"),
            call("alpha", "POST", f"/api/v1/runs/{B_RUN}/stop"),
            call("alpha-admin", "POST", "/api/v1/runs/archive", json={"ids": [B_RUN]}),
            call(
                "alpha-admin", "POST", "/api/v1/runs/delete", json={"ids": [B_RUN], "confirm": True}
            ),  # fmt: skip
            call(
                "alpha-admin",
                "POST",
                "/api/v1/runs/delete",
                json={"ids": [mine, B_RUN], "confirm": True},
            ),  # fmt: skip
        ]
        for r in refused:
            assert r.status_code == 403, (r.request.url, r.status_code, r.text)
            assert "project 'b'" in r.json()["error"]["message"], r.text
        # its own project's runs it reads and changes as before
        assert call("alpha-viewer", "GET", f"/api/v1/runs/{mine}").status_code == 200
        ok = call("alpha-admin", "POST", "/api/v1/runs/archive", json={"ids": [mine]})
        assert ok.status_code == 200 and ok.json() == {"archived": 1}
    with open_store(srv.store_url) as db:  # type: ignore[attr-defined]
        b = db.get_run(B_RUN)  # nothing of b changed (no stop asked), both runs still there
        assert b.archived is False and b.status != "stopped"
        assert db.read_run_values(B_RUN, "control") == {}
        assert db.get_run(mine).archived is True
