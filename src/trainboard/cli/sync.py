"""`trainboard sync [--url URL]`: send what remote runs left on this host, like `wandb sync`.

A training process that logged to a server (TRAINBOARD_URL) and died while the server was
down leaves its unsent ops in a spool and its last points in a journal, both under
TRAINBOARD_HOME. The next run that reaches the same server sends them; this command sends them
now, to the server each was made for, or all of them to `--url`.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import Any

import orjson
import typer

from trainboard.cli._common import console, err_console, handles_errors
from trainboard.store.url import StoreURL


def _free(path: Path) -> bool:
    """True when no live process holds the file's lock (its writer died)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:
        return False
    finally:
        os.close(fd)


def _header(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as f:
            head = orjson.loads(f.readline())
    except (OSError, orjson.JSONDecodeError):
        return {}
    return head if isinstance(head, dict) else {}


def left_on_host(home: Path) -> dict[str, list[Path]]:
    """URL -> the dead spools and journal folders made for it (remote servers, and databases
    such as PostgreSQL whose journals live under TRAINBOARD_HOME). One store is one entry
    however its URL was spelled: spools and journals are grouped by the store's identity
    where they know it, else by the URL's normal form (journal/files.store_key), under the
    first spelling found."""
    from trainboard.journal.files import store_key

    found: dict[str, list[Path]] = {}
    url_of: dict[str, str] = {}

    def add(head: dict[str, Any], path: Path) -> None:
        url = str(head.get("url") or "")
        if not url:
            return
        group = str(head.get("server") or head.get("store") or "") or store_key(url)
        target = url_of.setdefault(group, url)
        if path not in found.setdefault(target, []):
            found[target].append(path)

    for spool in sorted((home / "spool").glob("*.spool")):
        if _free(spool):
            add(_header(spool), spool)
    for keys in sorted((home / "journals").glob("*/*.keys")):
        if _free(keys):
            add(_header(keys), keys.parent)
    return {url: paths for url, paths in found.items() if url}


def _dead_journals(home: Path) -> set[str]:
    return {p.stem for p in (home / "journals").glob("*/*.keys") if _free(p)}


def _runs(ids: list[str]) -> str:
    shown = ", ".join(ids[:5]) + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")
    return f"{len(ids)} run{'s' if len(ids) != 1 else ''} ({shown})"


def _masked(url: str) -> str:
    import re

    return re.sub(r"://([^:/@]+):[^@]*@", r"://\1:***@", url)


def _sync_database(target: str, paths: list[Path]) -> int:
    """Write the journals dead processes left for a database (PostgreSQL) now and say what
    was written; 1 when the database cannot be reached (they stay), else 0."""
    from trainboard import settings
    from trainboard.errors import StoreError
    from trainboard.journal.recovery import recover_orphans
    from trainboard.store import open_store

    before = _dead_journals(settings.home())
    try:
        with open_store(target) as store:  # opening writes this store's journals already
            for folder in {p for p in paths if p.is_dir()}:
                recover_orphans(store, target, folder)
    except StoreError as e:
        err_console().print(f"{_masked(target)}: not written, the journals stay: {e.message}")
        return 1
    done = sorted(before - _dead_journals(settings.home()))
    if done:
        console().print(f"{_masked(target)}: wrote {_runs(done)} from journals")
    return 0


def replay_deadletter(target: str) -> tuple[dict[str, int], int, Path]:
    """Write what writers set aside for `target` (its dead-letter file: points, texts, run
    fields) into it now; keep in the file what cannot be written (other kinds, or what the
    store still refuses). (written per kind, entries left, the file)."""
    from trainboard.journal.recovery import deadletter_path
    from trainboard.jsonvalues import parse
    from trainboard.store import open_store
    from trainboard.store.records import PointBatch, TextRecord

    path = deadletter_path(target)
    written: dict[str, int] = {}
    if not path.exists() and not StoreURL.is_remote(target):
        return written, 0, path
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()
    kept: list[bytes] = []
    with open_store(target) as store:
        for raw in path.read_bytes().splitlines():
            try:
                rec = orjson.loads(raw)
                what, run, rows = str(rec["what"]), str(rec["run"]), rec["rows"]
                if what.startswith("points "):
                    batch = PointBatch.of(
                        [int(r[0]) for r in rows],
                        [float(r[1]) for r in rows],
                        [parse(r[2]) for r in rows],
                    )
                    store.write_points(run, {what[len("points ") :]: batch})
                    kind, n = "points", len(rows)
                elif what == "texts":
                    store.write_texts(run, [TextRecord(**r) for r in rows])
                    kind, n = "texts", len(rows)
                elif what == "run fields":
                    store.update_run(run, **rows[0])
                    kind, n = "run fields", len(rows[0])
                else:
                    kept.append(raw)
                    continue
            except Exception:
                kept.append(raw)
                continue
            written[kind] = written.get(kind, 0) + n
        if StoreURL.is_remote(target):
            written["ops"] = _replay_spool_deadletter(store, target)
        flush = getattr(store, "flush", None)
        if flush is not None:
            flush(60.0)
    if kept:
        path.write_bytes(b"\n".join(kept) + b"\n")
    else:
        path.unlink()
    return written, len(kept), path


def _replay_spool_deadletter(store: Any, target: str) -> int:
    """Queue again the ops a server failed on or refused (the spool folder's
    deadletter.jsonl) that were made for `target`; keep the others there."""
    from trainboard import settings
    from trainboard.journal.files import store_key

    path = settings.home() / "spool" / "deadletter.jsonl"
    if not path.exists():
        return 0
    kept: list[bytes] = []
    sent = 0
    for raw in path.read_bytes().splitlines():
        try:
            rec = orjson.loads(raw)
            mine = store_key(str(rec["url"])) == store_key(target)
        except (orjson.JSONDecodeError, KeyError, TypeError):
            mine = False
        if not mine or not isinstance(rec.get("op"), dict):
            kept.append(raw)
            continue
        store.resend(orjson.dumps(rec["op"]))
        sent += 1
    if kept:
        path.write_bytes(b"\n".join(kept) + b"\n")
    else:
        path.unlink()
    return sent


def register(app: typer.Typer) -> None:
    @app.command("sync")
    @handles_errors
    def sync(
        url: str = typer.Option(
            "", "--url", help="Send everything to this server instead of the one it was for."
        ),
        timeout: float = typer.Option(60.0, "--timeout", help="Seconds to wait for a server."),
        deadletter: bool = typer.Option(
            False,
            "--deadletter",
            help="Also write what writers set aside for the store (TRAINBOARD_DB, or --url) "
            "after it kept failing: points, texts and run fields.",
        ),
    ) -> None:
        """Send the spools and journals that remote runs left on this host."""
        from trainboard import settings

        if deadletter:
            target = url or settings.store_url()
            done, left_n, path = replay_deadletter(target)
            if done:
                parts = ", ".join(f"{n} {kind}" for kind, n in done.items())
                console().print(f"{_masked(target)}: wrote {parts} set aside in {path}")
            if left_n:
                err_console().print(f"{left_n} entries stay in {path} (not written)")
        from trainboard.journal.recovery import recover_orphans
        from trainboard.store.remote.store import RemoteStore

        found = left_on_host(settings.home())
        if url:
            found = {url: [p for paths in found.values() for p in paths]} if found else {}
        if not found:
            console().print("nothing to send")
            return
        left = 0
        for target, paths in found.items():
            if not StoreURL.is_remote(target):
                left += _sync_database(target, paths)
                continue
            # the spools made for this server (by its identity, or its URL however spelled),
            # or, with --url, every one
            store = RemoteStore(target, adopt=(lambda _header: True) if url else None)
            sent = False
            runs: list[str] = []
            try:
                for folder in {p for p in paths if p.is_dir()}:
                    runs += recover_orphans(store, target, folder)
                if runs:
                    console().print(f"{target}: {_runs(runs)} from journals, queued to send")
                ops = store.pending
                sent = store.flush(timeout)
                waiting = store.pending
            finally:
                store.close(timeout=1.0 if not sent else timeout)
            if waiting:
                left += waiting
                err_console().print(
                    f"{target}: sent {ops - waiting} of {ops} ops; {waiting} stay in the spool"
                )
            else:
                console().print(f"{target}: sent {ops} ops")
        if left:
            raise typer.Exit(1)
