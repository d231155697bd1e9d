"""`trainboard sync [--url URL]`: send what remote runs left on this host, like `wandb sync`.

A training process that logged to a server (TRAINBOARD_URL) and died while the server was
down leaves its unsent ops in a spool and its last points in a journal, both under
TRAINBOARD_HOME. The next run that reaches the same server sends them; this command sends them
now, to the server each was made for, or all of them to `--url`.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable
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


def _header_url(path: Path) -> str:
    try:
        with open(path, "rb") as f:
            head = orjson.loads(f.readline())
    except (OSError, orjson.JSONDecodeError):
        return ""
    return str(head.get("url") or "")


def left_on_host(home: Path) -> dict[str, list[Path]]:
    """URL -> the dead spools and journal folders made for it (remote servers, and databases
    such as PostgreSQL whose journals live under TRAINBOARD_HOME)."""
    found: dict[str, list[Path]] = {}
    for spool in sorted((home / "spool").glob("*.spool")):
        if _free(spool):
            found.setdefault(_header_url(spool), []).append(spool)
    for keys in sorted((home / "journals").glob("*/*.keys")):
        url = _header_url(keys)
        if url and _free(keys):
            found.setdefault(url, [])
            if keys.parent not in found[url]:
                found[url].append(keys.parent)
    return {url: paths for url, paths in found.items() if url}


def _runs(ids: list[str]) -> str:
    shown = ", ".join(ids[:5]) + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")
    return f"{len(ids)} run{'s' if len(ids) != 1 else ''} ({shown})"


def _masked(url: str) -> str:
    import re

    return re.sub(r"://([^:/@]+):[^@]*@", r"://\1:***@", url)


def _sync_database(target: str, paths: list[Path]) -> int:
    """Write the journals dead processes left for a database (PostgreSQL) now and say what
    was written; 1 when the database cannot be reached (they stay), else 0."""
    from trainboard.errors import StoreError
    from trainboard.journal.recovery import recover_orphans
    from trainboard.store import open_store

    before = {p.stem for folder in paths if folder.is_dir() for p in folder.glob("*.keys")}
    try:
        with open_store(target) as store:  # opening writes journal_dir(target)'s already
            for folder in {p for p in paths if p.is_dir()}:
                recover_orphans(store, target, folder)
    except StoreError as e:
        err_console().print(f"{_masked(target)}: not written, the journals stay: {e.message}")
        return 1
    left = {p.stem for folder in paths if folder.is_dir() for p in folder.glob("*.keys")}
    done = sorted(before - left)
    if done:
        console().print(f"{_masked(target)}: wrote {_runs(done)} from journals")
    return 0


def _adopt(target: str, everything: bool) -> Callable[[dict[str, Any]], bool]:
    return lambda header: everything or header.get("url") == target


def register(app: typer.Typer) -> None:
    @app.command("sync")
    @handles_errors
    def sync(
        url: str = typer.Option(
            "", "--url", help="Send everything to this server instead of the one it was for."
        ),
        timeout: float = typer.Option(60.0, "--timeout", help="Seconds to wait for a server."),
    ) -> None:
        """Send the spools and journals that remote runs left on this host."""
        from trainboard import settings
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
            store = RemoteStore(target, adopt=_adopt(target, everything=bool(url)))
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
