"""The one line init() prints: which run this is and where to see it.

A script started in a terminal, a notebook, a CI log or a batch job's output file all get the
same line on stderr (not only terminals: a log file is where one looks for the run id later):

    trainboard: run bright-fox-12 (id 3f9a2c1b7d0e) in project nanogpt; see it with
    `trainboard ui`, then http://127.0.0.1:8765/runs/3f9a2c1b7d0e

(one line; wrapped here). A run sent to a server names the server's page for it. Set
TRAINBOARD_QUIET=1 to print nothing (tests, sweeps with hundreds of trials).
"""

from __future__ import annotations

import shlex
import sys
from typing import TextIO
from urllib.parse import quote, urlsplit, urlunsplit

from trainboard import settings

UI_ADDRESS = "http://127.0.0.1:8765"  # `trainboard ui`'s default address (cli/ui.py)


def announcement(
    name: str, run_id: str, project: str, store_url: str, remote: str, *, resumed: bool = False
) -> str:
    """The line, without its newline."""
    what = "resumed run" if resumed else "run"
    page = f"/runs/{quote(run_id, safe='')}"
    if remote:
        where = f"see it at {remote.rstrip('/')}{page}"
    else:
        cmd = "trainboard ui"
        if store_url != settings.store_url():
            cmd = f"TRAINBOARD_DB={shlex.quote(_without_password(store_url))} {cmd}"
        where = f"see it with `{cmd}`, then {UI_ADDRESS}{page}"
    return f"trainboard: {what} {name} (id {run_id}) in project {project}; {where}"


def announce(
    name: str,
    run_id: str,
    project: str,
    store_url: str,
    remote: str,
    *,
    resumed: bool = False,
    stream: TextIO | None = None,
) -> None:
    """Print the line on stderr, unless TRAINBOARD_QUIET is set."""
    if settings.quiet():
        return
    out = sys.stderr if stream is None else stream
    try:
        out.write(announcement(name, run_id, project, store_url, remote, resumed=resumed) + "\n")
        out.flush()
    except (OSError, ValueError):  # a closed or broken stderr never stops a run from starting
        pass


def _without_password(url: str) -> str:
    """postgresql://user:secret@host/db -> postgresql://user:***@host/db (a log file is read
    by others)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


__all__ = ["announce", "announcement"]
