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
    """URL -> the dead spools and journal folders made for it."""
    found: dict[str, list[Path]] = {}
    for spool in sorted((home / "spool").glob("*.spool")):
        if _free(spool):
            found.setdefault(_header_url(spool), []).append(spool)
    for keys in sorted((home / "journals").glob("*/*.keys")):
        url = _header_url(keys)
        if StoreURL.is_remote(url) and _free(keys):
            found.setdefault(url, [])
            if keys.parent not in found[url]:
                found[url].append(keys.parent)
    return {url: paths for url, paths in found.items() if url}


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
            store = RemoteStore(target, adopt=_adopt(target, everything=bool(url)))
            sent = False
            try:
                for folder in {p for p in paths if p.is_dir()}:
                    recover_orphans(store, target, folder)
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
