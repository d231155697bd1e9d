"""Tokens limited to projects (#23), against a real server, the real remote SDK and
the real CLI: `trainboard token create --project P` makes a token that may read, log into,
stop, archive and delete only runs of P; anything about another project's run is a 403
naming that project, lists hold P's runs only, and init() refuses another project at once."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from serverprocess import ServerThread

from trainboard.store import open_store
from trainboard.store.mediarecords import Blob, MediaRecord, digest_of
from trainboard.store.records import PointBatch, RunRecord
from trainboard.store.remote.wire.encode import points_op, update_run_op
from trainboard.store.sql import tokens


class _Scoped(ServerThread):
    """A server whose tokens are all in its store: readiness is probed with one of them."""

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
B_IMAGE = b"\x89PNG of project b only"
SHARED_IMAGE = b"\x89PNG that a run of project a logs too"


@pytest.fixture
def team(tmp_path: Path, sqlite_template: Path) -> Iterator[tuple[object, dict[str, str]]]:
    srv = _Scoped(tmp_path / "team")
    srv.home.mkdir(parents=True)
    shutil.copyfile(sqlite_template, srv.home / "trainboard.db")  # migrated once a session
    made: dict[str, str] = {}
    # the tokens are made by the real CLI, as a user makes them
    for name, scope, projects in (
        ("alpha", "write", ["a"]),
        ("alpha-two", "write", ["a"]),
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
        for data in (B_IMAGE, SHARED_IMAGE):  # B_RUN's own image, and one a's run logs too
            d = digest_of(data)
            rec = MediaRecord("img", 0, "image", d, "image/png", len(data), now)
            db.write_media(B_RUN, [rec], {d: Blob("image/png", data)})
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
    assert by_name == {"alpha": ("a",), "alpha-two": ("a",), "alpha-admin": ("a",),
                       "alpha-viewer": ("a", "c"), "root": None}  # fmt: skip


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


def test_media_bytes_only_of_runs_the_token_sees(team: tuple[object, dict[str, str]]) -> None:
    """A digest is served to a project token only when a run of its projects uses it;
    another project's is a 404 like bytes never stored."""
    srv, made = team
    mine = _sdk(srv, made["alpha"], RUN_IN.format(project="a")).stdout.strip().splitlines()[-1]
    with open_store(srv.store_url) as db:  # type: ignore[attr-defined]
        d = digest_of(SHARED_IMAGE)
        rec = MediaRecord("img", 0, "image", d, "image/png", len(SHARED_IMAGE), time.time())
        db.write_media(mine, [rec], {})  # the bytes are stored already (B_RUN's)
    b_only, shared, never = digest_of(B_IMAGE), digest_of(SHARED_IMAGE), "0" * 64
    with httpx.Client(base_url=srv.url, timeout=30) as c:  # type: ignore[attr-defined]

        def get(token: str, digest: str) -> httpx.Response:
            return c.get(f"/api/v1/media/{digest}",
                         headers={"Authorization": f"Bearer {made[token]}"})  # fmt: skip

        assert get("root", b_only).content == B_IMAGE  # an unlimited token: every digest
        assert get("alpha-viewer", shared).content == SHARED_IMAGE  # a's run uses it
        refused, absent = get("alpha-viewer", b_only), get("alpha-viewer", never)
        assert refused.status_code == absent.status_code == 404, refused.text
        assert B_IMAGE not in refused.content
        assert refused.json()["error"]["code"] == absent.json()["error"]["code"]
        assert refused.json()["error"]["message"].replace(b_only[:16], "X") == absent.json()[
            "error"
        ]["message"].replace(never[:16], "X")  # nothing tells the two apart
        assert get("alpha-admin", b_only).status_code == 404  # admin scope, still limited


def _listen(
    srv: object, token: str, into: list[tuple[str, object]], done: threading.Event
) -> threading.Thread:
    """Collect the (event, data) of GET /api/v1/live as `token` sees them, in a thread, until
    the server stops (its stream then breaks off: expected once `done` is set)."""

    def run() -> None:
        try:
            listen()
        except httpx.HTTPError:
            if not done.is_set():
                raise

    def listen() -> None:
        headers = {"Authorization": f"Bearer {token}"}
        timeout = httpx.Timeout(30, read=120)  # pings come every 15 s
        with httpx.Client(base_url=srv.url, timeout=timeout) as c:  # type: ignore[attr-defined]
            with c.stream("GET", "/api/v1/live", headers=headers) as r:
                into.append(("open", r.status_code))
                event = ""
                for line in r.iter_lines():
                    if line.startswith("event: "):
                        event = line[7:]
                    elif line.startswith("data: "):
                        into.append((event, json.loads(line[6:])))

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


def _ids(events: list[tuple[str, object]]) -> set[str]:
    out: set[str] = set()
    for event, data in events:
        if event == "points":
            out.add(data["run"])  # type: ignore[index]
        elif event == "runs":
            out.update(data["ids"])  # type: ignore[index]
    return out


def _wait(check: Callable[[], bool], what: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout  # a loaded machine
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def test_live_stream_tells_a_project_token_only_its_projects_runs(
    team: tuple[object, dict[str, str]],
) -> None:
    srv, made = team
    mine = _sdk(srv, made["alpha"], RUN_IN.format(project="a")).stdout.strip().splitlines()[-1]
    limited: list[tuple[str, object]] = []
    everything: list[tuple[str, object]] = []
    done = threading.Event()
    threads = [
        _listen(srv, made["alpha-viewer"], limited, done),
        _listen(srv, made["root"], everything, done),
    ]
    _wait(lambda: ("open", 200) in limited and ("open", 200) in everything, "both streams")
    live_b = "b1b1b1b1b1b1"
    with open_store(srv.store_url) as db:  # type: ignore[attr-defined]
        now = time.time()  # a running run of b, logging: new-run and points events
        db.create_run(RunRecord(id=live_b, project="b", name="b-live", host="elsewhere",
                                pid=os.getpid(), created_at=now, heartbeat_at=now))  # fmt: skip
        db.write_points(live_b, {"loss": PointBatch.of([0], [now], [1.0])})
        _wait(lambda: live_b in _ids(everything), "the poller's events of b's running run")
        db.write_points(live_b, {"loss": PointBatch.of([1], [now], [0.5])})
        _wait(lambda: ("points", {"run": live_b, "last_step": 1, "keys": ["loss"]})
              in everything, "b's new point")  # fmt: skip
    with httpx.Client(base_url=srv.url, timeout=30) as c:  # type: ignore[attr-defined]

        def post(token: str, path: str, ids: list[str]) -> None:
            r = c.post(path, json={"ids": ids}, headers={"Authorization": f"Bearer {made[token]}"})
            assert r.status_code == 200, r.text

        post("root", "/api/v1/runs/archive", [B_RUN])  # a route's event about b's run
        post("root", "/api/v1/runs/archive", [B_RUN, mine])  # one about both: mine is kept
        _wait(lambda: mine in _ids(limited) and mine in _ids(everything), "the archive events")
    # both streams got every event in order; the route's events came after the poller's
    assert {live_b, B_RUN, mine} <= _ids(everything)
    done.set()  # the streams break off when the fixture stops the server
    assert _ids(limited) == {mine}, limited
    assert ("runs", {"ids": [mine]}) in limited
    assert not any(B_RUN in str(d) or live_b in str(d) for _, d in limited)
    assert all(t.is_alive() for t in threads)  # neither stream ended early


RESUME = """
import trainboard
run = trainboard.init(resume={run_id!r})
print("resumed", run.id)
"""


def test_init_resume_refuses_a_run_the_token_may_not_write_at_once(
    team: tuple[object, dict[str, str]],
) -> None:
    """init(resume=) asks the server about the stored run itself, so another project's run,
    or another token's run, raises ForbiddenError at init(), not later in the background."""
    srv, made = team
    mine = _sdk(srv, made["alpha"], RUN_IN.format(project="a")).stdout.strip().splitlines()[-1]
    other = _sdk(srv, made["alpha"], RESUME.format(run_id=B_RUN))
    assert other.returncode != 0 and "resumed" not in other.stdout
    assert "trainboard.errors.ForbiddenError: init(): the server at" in other.stderr, other.stderr
    assert "limited to project(s) 'a'" in other.stderr and "project 'b'" in other.stderr
    not_owner = _sdk(srv, made["alpha-two"], RESUME.format(run_id=mine))
    assert not_owner.returncode != 0 and "resumed" not in not_owner.stdout
    assert "trainboard.errors.ForbiddenError: init(): the server at" in not_owner.stderr
    assert "token 'alpha-two' may not change run" in not_owner.stderr
    owner = _sdk(srv, made["alpha"], RESUME.format(run_id=mine))  # its owner resumes it
    assert owner.returncode == 0, owner.stderr
    assert owner.stdout.strip().splitlines()[-1] == f"resumed {mine}"
    with open_store(srv.store_url) as db:  # type: ignore[attr-defined]
        assert db.get_run(B_RUN).host == "elsewhere"  # no resume of b's run took it over
        assert db.read_series(mine, "loss").values.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]
