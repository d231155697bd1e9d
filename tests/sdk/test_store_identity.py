"""A store's identity is written in it (#23), and journals, spools and recovery key on it,
not on the URL's spelling: a killed run's journal on PostgreSQL is written by whichever
spelling opens the store next; a journal made while the store was down (no identity yet) is
matched by its URL however spelled; a spool made for `http://localhost:PORT` while the
server was down is sent by a run that names `http://127.0.0.1:PORT`. Real PostgreSQL, real
server and training processes, real SIGKILLs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson
import pytest
from loopback import free_port
from sqlalchemy.engine import make_url

from trainboard.journal.files import Journal, journal_dir
from trainboard.store import open_store

TRAIN = """
import sys, time, trainboard
run = trainboard.init(project="p", name="killed", store=sys.argv[1])
for step in range(STEPS):
    run.log({"loss": float(step)}, step=step)
print(run.id, flush=True)
time.sleep(600)
"""


def _env(home: Path) -> dict[str, str]:
    env = dict(os.environ, TRAINBOARD_HOME=str(home), TRAINBOARD_SYSTEM_INTERVAL="0",
               TRAINBOARD_FLUSH_INTERVAL="3600", TRAINBOARD_HEARTBEAT_INTERVAL="3600")  # fmt: skip
    for name in ("TRAINBOARD_DB", "TRAINBOARD_URL", "TRAINBOARD_TOKEN"):
        env.pop(name, None)
    return env


def _train_and_kill(env: dict[str, str], store: str, steps: int) -> str:
    """A training process that logs `steps` steps (kept in its journal only: it never
    flushes), then is SIGKILLed; its run id."""
    child = subprocess.Popen(
        [sys.executable, "-c", TRAIN.replace("STEPS", str(steps)), store],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert child.stdout is not None
        run_id = child.stdout.readline().strip()
        assert len(run_id) == 12, child.communicate(timeout=60)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    return run_id


def _spellings(pg_url: str) -> tuple[str, str]:
    u = make_url(pg_url)
    assert u.host in ("127.0.0.1", "localhost") and u.port in (None, 5432)
    return (
        f"postgresql://{u.username}@127.0.0.1:5432/{u.database}",
        f"postgres://{u.username}@localhost/{u.database}",
    )


def test_a_store_has_one_identity_whatever_its_url(pg_url: str, tmp_path: Path) -> None:
    a, b = _spellings(pg_url)
    with open_store(a) as one, open_store(b) as two:
        assert one.identity() is not None and len(one.identity() or "") == 32
        assert one.identity() == two.identity()
    sqlite = f"sqlite:///{tmp_path / 'a.db'}"
    with open_store(sqlite) as first:
        made = first.identity()
    with open_store(sqlite) as again:
        assert again.identity() == made  # written once, in the store
    with open_store(f"sqlite:///{tmp_path / 'b.db'}") as other:
        assert other.identity() not in (None, made)


def test_a_killed_runs_journal_is_keyed_by_the_identity_and_written_through_another_spelling(
    pg_url: str, tmp_path: Path
) -> None:
    a, b = _spellings(pg_url)
    env = _env(tmp_path / "home")
    run_id = _train_and_kill(env, a, 300)
    with open_store(a) as probe:  # the test's own home: recovery there finds nothing
        identity = probe.identity()
        assert probe.get_run(run_id).last_step in (None, 0)
    folders = [p.name for p in (tmp_path / "home" / "journals").iterdir()]
    assert folders == [f"id-{identity}"]  # keyed on the store, not the URL
    ls = subprocess.run(
        [sys.executable, "-m", "trainboard", "ls", "--json"],
        env=dict(env, TRAINBOARD_DB=b), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert ls.returncode == 0, ls.stderr
    with open_store(b) as db:
        assert len(db.read_series(run_id, "loss").steps) == 300
        assert db.get_run(run_id).status == "crashed"


def _dead_journal(folder: Path, run_id: str, url: str, identity: str | None) -> None:
    """A journal whose process is gone: its lock is free once closed without removing."""
    now = time.time()
    header = {"id": run_id, "project": "p", "name": run_id, "created_at": now,
              "heartbeat_at": now, "status": "running"}  # fmt: skip
    j = Journal(folder, header, url, identity=identity)
    kind = j.add_kind(("loss",))
    for step in range(7):
        j.append(kind, step, now, (float(step),))
    j.close(remove=False)


def test_recovery_matches_journals_by_identity_not_by_url(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRAINBOARD_HOME", str(tmp_path / "home"))
    a, _ = _spellings(pg_url)
    with open_store(a) as db:
        identity = db.identity()
    assert identity is not None
    # made for this store's identity through a URL no normalising could tie to it (a DNS
    # alias, a proxy), and one made for this URL but another store (the database was
    # dropped and made again since)
    alias = "postgresql://postgres@db-alias.example:6432/elsewhere"
    _dead_journal(journal_dir(alias, identity), "aaaaaaaaaaaa", alias, identity)
    _dead_journal(journal_dir(a, "f" * 32), "bbbbbbbbbbbb", a, "f" * 32)
    with open_store(a) as db:  # opening recovers
        assert db.read_series("aaaaaaaaaaaa", "loss").values.tolist() == [
            float(s) for s in range(7)
        ]
        assert [r.id for r in db.list_runs(None)] == ["aaaaaaaaaaaa"]
    assert (journal_dir(a, "f" * 32) / "bbbbbbbbbbbb.keys").exists()  # not ours: left alone


def test_a_journal_made_while_postgres_was_down_is_matched_by_its_url_later(
    cluster: Cluster, tmp_path: Path
) -> None:
    with open_store(cluster.url):
        pass  # the schema (and the identity) exist; the server then goes away
    cluster.ctl("stop")
    env = _env(tmp_path / "home")
    run_id = _train_and_kill(env, cluster.url, 250)  # init() cannot ask the identity
    keys = next((tmp_path / "home" / "journals").glob("*/*.keys"))
    assert orjson.loads(keys.read_bytes().splitlines()[0])["store"] is None
    assert not keys.parent.name.startswith("id-")
    cluster.ctl("start")
    other = cluster.url.replace("127.0.0.1", "localhost").replace("postgresql://", "postgres://")
    done = subprocess.run(
        [sys.executable, "-m", "trainboard", "sync"],
        env=dict(env, TRAINBOARD_DB=other), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert f"wrote 1 run ({run_id}) from journals" in done.stdout, done.stdout
    with open_store(other) as db:
        assert len(db.read_series(run_id, "loss").steps) == 250
        assert db.get_run(run_id).status == "crashed"


REMOTE = """
import sys, time, trainboard
run = trainboard.init(project="p", name="spooled")
for step in range(40):
    run.log({"loss": float(step)}, step=step)
print(run.id, flush=True)
time.sleep(600)
"""


def test_a_spool_made_for_localhost_while_the_server_was_down_is_sent_by_a_run_naming_127(
    tmp_path: Path,
) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "_server_conftest_identity", Path(__file__).parent.parent / "server" / "conftest.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    srv = module.ServerProcess(tmp_path / "team")
    env = _env(tmp_path / "client")
    # the server is not up yet: the client knows neither its identity nor anything but a URL
    child = subprocess.Popen(
        [sys.executable, "-c", REMOTE],
        env=dict(env, TRAINBOARD_URL=f"http://localhost:{srv.port}"),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert child.stdout is not None
        run_id = child.stdout.readline().strip()
        assert len(run_id) == 12, child.communicate(timeout=60)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    spools = list((tmp_path / "client" / "spool").glob("*.spool"))
    assert len(spools) == 1
    assert orjson.loads(spools[0].read_bytes().splitlines()[0])["server"] is None
    srv.start()
    try:
        later = subprocess.run(
            [sys.executable, "-c",
             "import trainboard\nrun = trainboard.init(project='p', name='next')\nrun.finish()"],
            env=dict(env, TRAINBOARD_URL=f"http://127.0.0.1:{srv.port}"),
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert later.returncode == 0, later.stderr
        with open_store(srv.store_url) as db:
            deadline = time.monotonic() + 60
            while len(db.read_series(run_id, "loss").steps) < 40:
                assert time.monotonic() < deadline, db.read_series(run_id, "loss").steps
                time.sleep(0.2)
            assert db.read_series(run_id, "loss").values.tolist() == [float(s) for s in range(40)]
    finally:
        srv.stop()
    assert list((tmp_path / "client" / "spool").glob("*.spool")) == []


@dataclass
class Cluster:
    """A throwaway PostgreSQL cluster of the test's own (as tests/sdk/test_pg_down.py makes),
    never the shared 5432 server: this one is stopped and started."""

    version: str
    name: str
    port: int

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def ctl(self, action: str) -> None:
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", self.version, self.name, action],
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    c = Cluster(version, f"tb{uuid.uuid4().hex[:8]}", free_port())
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
