"""The remote client's spool: every op on disk until the server has taken it.

Why: a training run must not lose points because the server restarts, the network drops, or
the training process is killed while ops wait. So RemoteStore appends each op to a spool file
under TRAINBOARD_HOME/spool/ before it queues it, and marks it sent ("ack") once the server
has it. A spool whose lock is free belongs to a dead process: the next RemoteStore for the same
server adopts its unsent ops, and `trainboard sync` sends any spool left on the host.

Spools are keyed by the server's identity (`GET /api/v1/ingest/identity`: the same for every
spelling of its URL, `localhost` or `127.0.0.1`), with the URL as a fallback when the server
was down when the spool was made. Ops the server refuses for good go to `deadletter.jsonl` in
the spool folder, so one bad op never blocks the ops behind it.

A full disk never stops the sender: a write that fails is warned about once, and the ops stay
in memory (bounded by the caller's queue) until the disk has room again.

File format: a header line `{"url", "server", "client"}`, then `{"seq": N, "op": ...}` and
`{"ack": N}` lines.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson


class Spool:
    """One client's spool file (flock-ed while the client lives)."""

    def __init__(
        self, path: Path, url: str, server: str | None, client: str, warn: Callable[[str], None]
    ) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._warn = warn
        self.failed: OSError | None = None  # the last write error, while the disk is full
        self._header = orjson.dumps({"url": url, "server": server, "client": client}) + b"\n"
        self.fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
        fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        self._write(self._header)

    def _write(self, data: bytes) -> bool:
        try:
            os.write(self.fd, data)
        except OSError as e:
            if self.failed is None:
                self._warn(
                    f"trainboard: cannot write the spool {self.path} ({e}); ops wait in memory "
                    "until there is room (a kill now would lose them)"
                )
            self.failed = e
            return False
        self.failed = None
        return True

    def op(self, seq: int, op: bytes) -> None:
        self._write(b'{"seq":%d,"op":%s}\n' % (seq, op))

    def ack(self, seq: int, empty: bool) -> None:
        if empty:  # nothing left to send: start over instead of growing forever
            try:
                os.ftruncate(self.fd, 0)
            except OSError:
                pass
            self._write(self._header)
        else:
            self._write(b'{"ack":%d}\n' % seq)

    def close(self, keep: bool) -> None:
        with contextlib.suppress(OSError):
            if not keep:
                self.path.unlink()
            os.close(self.fd)


def take_orphans(folder: Path, mine: Path, match: Callable[[dict[str, Any]], bool]) -> list[bytes]:
    """Unsent ops of spools whose writer died (their lock is free) and whose header `match`es,
    oldest first; the files are removed once read (the caller re-spools the ops as its own)."""
    ops: list[bytes] = []
    if not folder.is_dir():
        return ops
    paths = []
    for path in folder.glob("*.spool"):
        with contextlib.suppress(OSError):
            paths.append((path.stat().st_mtime, path))
    for _, path in sorted(paths):
        if path == mine:
            continue
        try:
            fd = os.open(path, os.O_RDWR)
        except OSError:
            continue
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                continue  # a live writer owns it
            header, pending = read_spool(path)
            if not match(header):
                continue
            ops += pending
            path.unlink()
        finally:
            os.close(fd)
    return ops


def read_spool(path: Path) -> tuple[dict[str, Any], list[bytes]]:
    """(header, ops not acknowledged) of a spool file."""
    lines = path.read_bytes().splitlines()
    try:
        header = orjson.loads(lines[0]) if lines else {}
    except orjson.JSONDecodeError:
        header = {}
    pending: dict[int, bytes] = {}
    acked = -1
    for line in lines[1:]:
        try:
            rec = orjson.loads(line)
        except orjson.JSONDecodeError:
            continue  # a line cut short when the process died
        if "ack" in rec:
            acked = max(acked, int(rec["ack"]))
        elif "seq" in rec:
            pending[int(rec["seq"])] = orjson.dumps(rec["op"])
    return header, [op for seq, op in sorted(pending.items()) if seq > acked]


def set_aside(folder: Path, url: str, op: bytes, error: str) -> Path:
    """Keep an op the server refused for good (deadletter.jsonl in the spool folder)."""
    path = folder / "deadletter.jsonl"
    try:
        orjson.loads(op)
        body = op
    except orjson.JSONDecodeError:  # keep even a malformed op, as a string
        body = orjson.dumps(op.decode("utf-8", "replace"))
    line = b'{"url":%s,"at":%f,"error":%s,"op":%s}\n' % (
        orjson.dumps(url),
        time.time(),
        orjson.dumps(error[:2000]),
        body,
    )
    with contextlib.suppress(OSError), open(path, "ab") as f:
        f.write(line)
    return path
