"""Tokens own what they write (#23), against a real server and the real remote SDK:
a run belongs to the token that created it, another write token cannot rename, re-status,
re-config or overwrite its points; an admin token can; every write through a token is in
the audit table; a revoked token is refused at its very next request; init() refuses a
wrong or read-only token at once."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest
from serverprocess import ServerThread

from trainboard.store import open_store
from trainboard.store.records import PointBatch
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


@pytest.fixture
def team(tmp_path: Path, sqlite_template: Path) -> Iterator[tuple[object, dict[str, str]]]:
    srv = _Scoped(tmp_path / "team")
    srv.home.mkdir(parents=True)
    shutil.copyfile(sqlite_template, srv.home / "trainboard.db")  # migrated once a session
    made: dict[str, str] = {}
    with open_store(srv.store_url) as db:
        for name, scope in (("alice", "write"), ("bob", "write"), ("viewer", "read"),
                            ("root", "admin")):  # fmt: skip
            made[name], _ = tokens.create(db, name, scope)
    srv.probe = made["viewer"]
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


def _ingest(c: httpx.Client, token: str, client: str, ops: list[bytes]) -> dict[str, object]:
    body = b'{"client":"%s","seq":0,"ops":[%s]}' % (client.encode(), b",".join(ops))
    r = c.post("/api/v1/ingest", content=body, headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json"})  # fmt: skip
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


ALICE_RUN = """
import trainboard
run = trainboard.init(project="p", name="alice-run", config={"lr": 0.1})
for step in range(10):
    run.log({"loss": float(step)}, step=step)
run.finish()
print(run.id)
"""


def test_a_run_belongs_to_the_token_that_created_it(team: tuple[object, dict[str, str]]) -> None:
    srv, made = team
    done = _sdk(srv, made["alice"], ALICE_RUN)
    assert done.returncode == 0, done.stderr
    run_id = done.stdout.strip().splitlines()[-1]
    with httpx.Client(base_url=srv.url, timeout=20) as c:  # type: ignore[attr-defined]
        overwrite = points_op(run_id, {"loss": PointBatch.of([3], [time.time()], [-99.0])})
        hostile = [
            update_run_op(run_id, {"name": "pwned", "status": "failed"}),
            update_run_op(run_id, {"config": {"lr": 666}}),
            overwrite,
        ]
        out = _ingest(c, made["bob"], "bob-client", hostile)
        assert [e["code"] for e in out["errors"]] == ["forbidden"] * 3
        assert "token 'bob' may not change run" in out["errors"][0]["message"]  # type: ignore[index]
        assert "which token 'alice' created" in out["errors"][0]["message"]  # type: ignore[index]
        with open_store(srv.store_url) as db:  # type: ignore[attr-defined]
            run = db.get_run(run_id)
            assert (run.name, run.status, run.config) == ("alice-run", "finished", {"lr": 0.1})
            assert db.read_series(run_id, "loss").values.tolist() == [float(s) for s in range(10)]
        # its owner and an admin may
        out = _ingest(c, made["alice"], "alice-client", [update_run_op(run_id, {"notes": "ok"})])
        assert out["errors"] == []
        out = _ingest(c, made["root"], "root-client", [update_run_op(run_id, {"name": "renamed"})])
        assert out["errors"] == []
    with open_store(srv.store_url) as db:  # type: ignore[attr-defined]
        assert db.get_run(run_id).name == "renamed"
        log = [(e.action, e.actor) for e in tokens.audit_log(db) if e.run_ids == [run_id]]
    # every write through a token: alice's create, points and finish, her note, root's rename
    assert ("create", "alice") in log and ("points", "alice") in log
    assert ("update", "alice") in log and ("update", "root") in log
    assert not any(actor == "bob" for _, actor in log)  # refused writes changed nothing


def test_a_revoked_token_is_refused_at_its_next_request(
    team: tuple[object, dict[str, str]],
) -> None:
    srv, made = team
    auth = {"Authorization": f"Bearer {made['viewer']}"}
    with httpx.Client(base_url=srv.url, timeout=20) as c:  # type: ignore[attr-defined]
        assert c.get("/api/v1/runs", headers=auth).status_code == 200
        with open_store(srv.store_url) as db:  # type: ignore[attr-defined]
            tokens.revoke(db, "viewer")
        assert c.get("/api/v1/runs", headers=auth).status_code == 401  # no grace period


def test_init_refuses_a_wrong_or_read_only_token_at_once(
    team: tuple[object, dict[str, str]],
) -> None:
    srv, made = team
    script = "import trainboard\ntrainboard.init(project='p')\nprint('started')\n"
    for token, error, says in (
        ("tb_not-a-token", "AuthError", "this server needs a token"),
        (made["viewer"], "ForbiddenError", "token 'viewer' has scope 'read'"),
    ):
        done = _sdk(srv, token, script)
        assert done.returncode != 0 and "started" not in done.stdout
        assert f"trainboard.errors.{error}: init(): the server at {srv.url}" in done.stderr  # type: ignore[attr-defined]
        assert says in done.stderr
    assert _sdk(srv, made["alice"], script).stdout.strip() == "started"


def test_the_owner_namespace_cannot_be_written_through_ingest(
    team: tuple[object, dict[str, str]],
) -> None:
    srv, made = team
    done = _sdk(srv, made["alice"], ALICE_RUN)
    run_id = done.stdout.strip().splitlines()[-1]
    forged = orjson.dumps(
        {"op": "run_values", "run": run_id, "namespace": "owner", "values": {"by": "bob"}}
    )
    with httpx.Client(base_url=srv.url, timeout=20) as c:  # type: ignore[attr-defined]
        out = _ingest(c, made["bob"], "bob-forger", [forged])
        assert out["errors"][0]["code"] in ("bad_request", "invalid", "usage")  # type: ignore[index]
        out = _ingest(c, made["bob"], "bob-forger2", [update_run_op(run_id, {"notes": "x"})])
        assert out["errors"][0]["code"] == "forbidden"  # type: ignore[index]


def test_stopping_a_run_needs_its_owner_or_an_admin_and_is_audited(
    team: tuple[object, dict[str, str]],
) -> None:
    import time as _time

    from trainboard.store.records import RunRecord

    srv, made = team
    with open_store(srv.store_url) as db:  # type: ignore[attr-defined]
        db.create_run(RunRecord(id="abcdef012345", project="p", name="long", host="elsewhere",
                                created_at=_time.time(), heartbeat_at=_time.time()))  # fmt: skip
        db.write_run_values("abcdef012345", "owner", {"by": "alice"})
    with httpx.Client(base_url=srv.url, timeout=30) as c:  # type: ignore[attr-defined]

        def stop(token: str) -> httpx.Response:
            return c.post("/api/v1/runs/abcdef012345/stop",
                          headers={"Authorization": f"Bearer {token}"})  # fmt: skip

        assert stop(made["viewer"]).status_code == 403  # read scope
        refused = stop(made["bob"])  # write scope, not the owner
        assert refused.status_code == 403 and "only its owner" in refused.json()["error"]["message"]
        ok = stop(made["alice"])
        assert ok.status_code == 200 and ok.json() == {"id": "abcdef012345", "asked": True,
                                                       "by": "alice"}  # fmt: skip
    with open_store(srv.store_url) as db:  # type: ignore[attr-defined]
        assert db.read_run_values("abcdef012345", "control")["stop"]["by"] == "alice"
        actions = [(a.action, a.actor) for a in tokens.audit_log(db)]
    assert ("stop", "alice") in actions
