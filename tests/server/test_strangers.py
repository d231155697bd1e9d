"""The server trusts no stranger (server/security.py, server/connections.py), against a real
uvicorn: Host and Origin checks, scoped tokens with an audit of who deleted, body limits,
header deadlines and the connection cap."""

from __future__ import annotations

import os
import shutil
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from serverprocess import ServerProcess, ServerThread

from trainboard.store import open_store
from trainboard.store.base import Store
from trainboard.store.records import ArtifactRecord, PointBatch, RunRecord
from trainboard.store.sql import tokens

A, B = "a1b2c3d4e5f6", "0f0e0d0c0b0a"


def _poll(cond: object, timeout: float = 15.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """Settings for the next ServerProcess (it copies os.environ)."""
    return monkeypatch


def _runs(db: Store) -> None:
    for rid in (A, B):
        db.create_run(RunRecord(id=rid, project="p", name=f"r-{rid}", created_at=time.time()))


# Host and Origin --------------------------------------------------------------------------
def test_a_loopback_server_answers_only_loopback_host_names(api: httpx.Client) -> None:
    port = api.base_url.port
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", "localhost", f"[::1]:{port}"):
        assert api.get("/api/v1/runs", headers={"Host": host}).status_code == 200, host
    for host in (f"evil.example:{port}", "evil.example", "127.0.0.1.evil.example", ""):
        r = api.get("/api/v1/runs", headers={"Host": host})
        assert r.status_code == 403, host
        assert r.json()["error"]["code"] == "forbidden"
        assert "DNS rebinding" in r.json()["error"]["message"]
    assert api.get("/", headers={"Host": "evil.example"}).status_code == 403  # pages too


def test_allowed_hosts_extend_the_list(tmp_path: Path, env: pytest.MonkeyPatch) -> None:
    env.setenv("TRAINBOARD_ALLOWED_HOSTS", "tb.lan, other.lan")
    srv = ServerProcess(tmp_path / "h").start()
    try:
        with srv.client() as c:
            assert c.get("/api/v1/runs", headers={"Host": "tb.lan:80"}).status_code == 200
            assert c.get("/api/v1/runs", headers={"Host": "evil.lan"}).status_code == 403
    finally:
        srv.stop()


def test_writes_from_another_origin_are_refused(api: httpx.Client, db: Store) -> None:
    _runs(db)
    port = api.base_url.port
    body = {"ids": [A]}
    for origin in (f"http://127.0.0.1:{port + 1}", "https://evil.example", "null"):
        for path in ("/api/v1/runs/archive", "/api/v1/runs/delete", "/api/v1/ingest"):
            r = api.post(path, json=body, headers={"Origin": origin})
            assert r.status_code == 403, (origin, path)
            assert f"a page on {origin} may not change" in r.json()["error"]["message"]
    assert not db.get_run(A).archived
    # a text/plain "simple" request (what a no-cors form or fetch sends) is refused the same
    simple = {"Origin": "https://evil.example", "Content-Type": "text/plain"}
    r = api.post("/api/v1/runs/archive", content=b'{"ids": ["%s"]}' % A.encode(), headers=simple)
    assert r.status_code == 403 and not db.get_run(A).archived
    # the server's own pages, and clients that are not browsers, may write
    own = api.post(
        "/api/v1/runs/archive", json=body, headers={"Origin": f"http://127.0.0.1:{port}"}
    )
    assert own.status_code == 200 and db.get_run(A).archived
    assert api.post("/api/v1/runs/unarchive", json=body).status_code == 200
    # reads from any origin stay readable only by the same origin (no CORS headers are sent)
    read = api.get("/api/v1/runs", headers={"Origin": "https://evil.example"})
    assert read.status_code == 200 and "access-control-allow-origin" not in read.headers


# scoped tokens ------------------------------------------------------------------------------
class _Scoped(ServerThread):
    """Started without --token; its readiness probe uses a scoped token."""

    probe: str | None = None

    def wait_ready(self, timeout: float = 120.0) -> None:
        self.token = self.probe
        try:
            super().wait_ready(timeout)
        finally:
            self.token = None


@pytest.fixture
def scoped(tmp_path: Path, sqlite_template: Path) -> Iterator[tuple[ServerThread, dict[str, str]]]:
    """A loopback server whose store holds a read, a write and an admin token (no --token)."""
    srv = _Scoped(tmp_path / "scoped")
    srv.home.mkdir(parents=True)
    shutil.copyfile(sqlite_template, srv.home / "trainboard.db")  # migrated once a session
    made: dict[str, str] = {}
    with open_store(srv.store_url) as db:
        _runs(db)
        for scope in tokens.SCOPES:
            made[scope], _ = tokens.create(db, f"{scope}-bot", scope)
    srv.probe = made["read"]  # the readiness probe needs a token now
    srv.start()
    try:
        yield srv, made
    finally:
        srv.stop()
        print(f"--- server output ---\n{srv.output()}")


def _as(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


def test_scoped_tokens_read_write_admin(scoped: tuple[ServerThread, dict[str, str]]) -> None:
    srv, made = scoped
    with srv.client() as c:
        assert c.get("/api/v1/runs").status_code == 401  # tokens exist: one is needed
        assert c.get("/api/v1/runs", headers=_as("tb_not-a-token")).status_code == 401
        for scope in tokens.SCOPES:
            r = c.get("/api/v1/runs", headers=_as(made[scope]))
            assert r.status_code == 200 and r.json()["total"] == 2, scope
        # read cannot ingest, archive or delete
        for path in ("/api/v1/ingest", "/api/v1/runs/archive", "/api/v1/runs/delete"):
            r = c.post(path, json={"ids": [A]}, headers=_as(made["read"]))
            assert r.status_code == 403, path
            assert r.json()["error"]["message"] == (
                f"token 'read-bot' has scope 'read'; POST {path} needs scope "
                f"'{'write' if 'ingest' in path else 'admin'}'"
            )
        # write reaches ingest (the body's own checks answer), but cannot archive
        r = c.post("/api/v1/ingest", json={}, headers=_as(made["write"]))
        assert r.status_code not in (401, 403)
        r = c.post("/api/v1/runs/archive", json={"ids": [A]}, headers=_as(made["write"]))
        assert r.status_code == 403
        # admin archives and deletes, and the store keeps who did it
        admin = _as(made["admin"])
        assert c.post("/api/v1/runs/archive", json={"ids": [A]}, headers=admin).status_code == 200
        r = c.post("/api/v1/runs/delete", json={"ids": [B], "confirm": True}, headers=admin)
        assert r.status_code == 200
    with open_store(srv.store_url) as db:
        log = [(e.action, e.run_ids, e.actor) for e in tokens.audit_log(db)]
        assert log == [("archive", [A], "admin-bot"), ("delete", [B], "admin-bot")]
        tokens.revoke(db, "admin-bot")
    with srv.client() as c:
        _poll(lambda: c.get("/api/v1/runs", headers=admin).status_code == 401, what="revoked")


def test_the_servers_own_token_is_admin_and_named_admin(token_server: ServerThread) -> None:
    with open_store(token_server.store_url) as db:
        _runs(db)
    with token_server.client(headers=_as("s3cret-token")) as c:
        assert c.post("/api/v1/runs/archive", json={"ids": [A]}).status_code == 200
    with open_store(token_server.store_url) as db:
        assert [(e.action, e.actor) for e in tokens.audit_log(db)] == [("archive", "admin")]


def test_token_cli_create_list_revoke(tb_home: str) -> None:
    from typer.testing import CliRunner

    from trainboard.cli import app

    runner = CliRunner()
    made = runner.invoke(app, ["token", "create", "--name", "ci", "--scope", "write"])
    assert made.exit_code == 0, made.output
    token = made.stdout.strip().splitlines()[0]
    assert token.startswith("tb_") and len(token) > 40
    listed = runner.invoke(app, ["token", "list"])
    assert "ci" in listed.stdout and "write" in listed.stdout and token not in listed.stdout
    dup = runner.invoke(app, ["token", "create", "--name", "ci"])
    assert dup.exit_code == 2 and "a token named 'ci' already exists" in dup.output
    bad = runner.invoke(app, ["token", "create", "--name", "x", "--scope", "root"])
    assert bad.exit_code == 2 and "token scope must be one of read, write, admin" in bad.output
    assert runner.invoke(app, ["token", "revoke", "ci"]).exit_code == 0
    assert "ci" not in runner.invoke(app, ["token", "list"]).stdout
    with open_store() as db:
        assert tokens.lookup(db, token) is None
        stored = tokens.list_tokens(db, revoked=True)
        assert [t.name for t in stored] == ["ci"] and stored[0].revoked_at is not None


def test_off_loopback_scoped_tokens_stand_in_for_a_server_token(tmp_path: Path) -> None:
    from trainboard.errors import UsageError
    from trainboard.server.app import serve

    url = f"sqlite:///{tmp_path / 'x.db'}"
    with pytest.raises(UsageError, match="or create scoped tokens with `trainboard token create`"):
        serve(host="0.0.0.0", port=1, store_url=url)


# limits ---------------------------------------------------------------------------------------
def test_bodies_over_the_limit_are_413(tmp_path: Path, env: pytest.MonkeyPatch) -> None:
    env.setenv("TRAINBOARD_MAX_BODY_MB", "1")
    srv = ServerProcess(tmp_path / "b").start()
    try:
        with srv.client() as c:
            big = b"x" * (2 * 1024 * 1024)
            r = c.post("/api/v1/ingest", content=big, headers={"Content-Type": "application/json"})
            assert r.status_code == 413
            assert "larger than this server's limit of 1 MB" in r.json()["error"]["message"]

            def chunked() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
                for _ in range(40):
                    yield b"y" * 65536

            r = c.post("/api/v1/runs/archive", content=chunked(),
                       headers={"Content-Type": "application/json"})  # fmt: skip
            assert r.status_code == 413
            assert c.get("/api/v1/runs").status_code == 200  # and the server goes on
    finally:
        srv.stop()


def _closed_by_server(s: socket.socket) -> bool:
    """True once the server closed `s` (an end of file, or a reset when it closed with our
    half-sent request unread)."""
    s.settimeout(20)
    try:
        return s.recv(1024) == b""
    except ConnectionResetError:
        return True


def test_silent_connections_are_closed_and_make_room_for_a_fresh_client(
    tmp_path: Path, env: pytest.MonkeyPatch
) -> None:
    env.setenv("TRAINBOARD_HEADER_TIMEOUT", "1")
    env.setenv("TRAINBOARD_MAX_CONNECTIONS", "4")
    srv = ServerProcess(tmp_path / "c").start()
    idle: list[socket.socket] = []
    try:
        for _ in range(6):  # open, send nothing (or half a header): a slow-loris
            s = socket.create_connection(("127.0.0.1", srv.port))
            s.sendall(b"GET /api/v1/runs HTTP/1.1\r\nHo")
            idle.append(s)
        with srv.client() as c:
            assert c.get("/api/v1/runs").status_code == 200  # the oldest idle one made room
            for s in idle:  # the server closes each one whose headers never finished
                assert _closed_by_server(s)
            assert c.get("/api/v1/runs").status_code == 200
    finally:
        for s in idle:
            s.close()
        srv.stop()


def test_1100_held_idle_sockets_do_not_starve_a_fresh_client(
    tmp_path: Path, env: pytest.MonkeyPatch
) -> None:
    """The default cap (1,000) and 1,100 held sockets, half of them silent, half sending half
    a header, all within their header deadline: a fresh client's requests are all answered
    (#23; before, every one got a 503 until the deadline closed the held ones)."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 4096)), hard))
    env.setenv("TRAINBOARD_HEADER_TIMEOUT", "120")
    srv = ServerProcess(tmp_path / "held").start()
    held: list[socket.socket] = []
    try:
        for i in range(1100):
            s = socket.create_connection(("127.0.0.1", srv.port))
            if i % 2:
                s.sendall(b"GET /api/v1/runs HTTP/1.1\r\nHo")
            held.append(s)
        with srv.client() as c:
            codes = [c.get("/api/v1/runs").status_code for _ in range(20)]
        assert codes == [200] * 20
    finally:
        for s in held:
            s.close()
        srv.stop()


def test_the_cap_holds_when_every_connection_is_busy(
    tmp_path: Path, env: pytest.MonkeyPatch
) -> None:
    """Connections serving a request (here, open event streams) are never closed for a
    newcomer: with all of them busy, a new request gets the 503."""
    env.setenv("TRAINBOARD_MAX_CONNECTIONS", "3")
    srv = ServerProcess(tmp_path / "busy").start()
    streams: list[socket.socket] = []
    try:
        for _ in range(3):
            s = socket.create_connection(("127.0.0.1", srv.port))
            s.sendall(b"GET /api/v1/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            s.settimeout(20)
            assert s.recv(4096).startswith(b"HTTP/1.1 200"), "the stream opened"
            streams.append(s)
        with httpx.Client(base_url=srv.url, timeout=20) as c:
            assert c.get("/api/v1/runs").status_code == 503
        streams.pop().close()
        with httpx.Client(base_url=srv.url, timeout=20) as c:
            _poll(lambda: c.get("/api/v1/runs").status_code == 200, what="a free slot")
    finally:
        for s in streams:
            s.close()
        srv.stop()


def test_query_parameters_out_of_range_are_400(api: httpx.Client, db: Store) -> None:
    _runs(db)
    db.write_points(A, {"x": PointBatch.of([1, 2], [time.time()] * 2, [1.0, 2.0])})
    big = str(2**63)
    for path, params in (
        ("/api/v1/runs", {"offset": big}),
        ("/api/v1/runs", {"search": "\x00"}),
        (f"/api/v1/runs/{A}/series", {"keys": "x", "since": big}),
        (f"/api/v1/runs/{A}/series", {"keys": "x", "start": "-" + big + "0"}),
        (f"/api/v1/runs/{A}/texts", {"since": big}),
        ("/api/v1/runs/a%00b", {}),
    ):
        r = api.get(path, params=params)
        assert r.status_code == 400, (path, params, r.text)
        assert r.json()["error"]["code"] == "bad_request"


@pytest.mark.parametrize(
    ("name", "media"),
    [
        ("model.pt", "application/octet-stream"),
        ("page.html", "application/octet-stream"),
        ("logo.svg", "application/octet-stream"),
        ("notes.txt", "text/plain; charset=utf-8"),
        ("plot.png", "image/png"),
    ],
)
def test_artifacts_are_octet_streams_unless_known(
    api: httpx.Client, db: Store, server: ServerThread, name: str, media: str
) -> None:
    _runs(db)
    folder = server.home / "artifacts" / A
    folder.mkdir(parents=True)
    (folder / name).write_bytes(b"\x80data")
    rec = db.add_artifact(A, ArtifactRecord(name, "file", None, f"{A}/{name}", 5, time.time()))
    r = api.get(f"/api/v1/runs/{A}/artifacts/{rec.id}/file")
    assert r.status_code == 200 and r.content == b"\x80data"
    assert r.headers["content-type"] == media
    assert r.headers["x-content-type-options"] == "nosniff"


def test_env_does_not_leak(tmp_path: Path) -> None:
    """ServerProcess copies os.environ: the settings above were only for their own servers."""
    assert "TRAINBOARD_MAX_BODY_MB" not in os.environ
