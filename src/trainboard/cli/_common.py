"""What every command shares: the store, run lookup by id / prefix / name, and turning
trainboard's errors into a one-line message and an exit code instead of a traceback."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.text import Text

from trainboard.cli._safe import SafeConsole, escape_json_controls
from trainboard.errors import RunNotFoundError, TrainboardError, UsageError
from trainboard.store.base import Store
from trainboard.store.queries import RunQuery
from trainboard.store.records import RunRecord

P = ParamSpec("P")
R = TypeVar("R")

EXIT_NOT_FOUND = 1  # an unknown run, a failed action
EXIT_USAGE = 2  # bad arguments (click uses 2 as well)


def console() -> Console:
    """A console on the current stdout (CliRunner swaps sys.stdout per invocation). Piped
    output gets 160 columns rather than rich's 80, so tables stay one row per run. Markup is
    off: run names like "[red]x" are user text and print as written (style with Text).
    Control characters in what it prints are escaped (cli/_safe.py)."""
    c = SafeConsole(file=sys.stdout, highlight=False, markup=False)
    if not c.is_terminal and "COLUMNS" not in os.environ:
        c = SafeConsole(file=sys.stdout, highlight=False, markup=False, width=160)
    return c


def err_console() -> Console:
    return SafeConsole(file=sys.stderr, highlight=False, markup=False, soft_wrap=True)


def fail(message: str, code: int = EXIT_NOT_FOUND) -> typer.Exit:
    """Print `message` on stderr and return the Exit to raise."""
    err_console().print(Text.assemble(("error:", "bold red"), " ", message))
    return typer.Exit(code)


def handles_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Turn TrainboardError into "error: <message>" and exit code 1 (not found, failed) or
    2 (bad usage); Ctrl+C exits 130 quietly."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except RunNotFoundError as e:
            raise fail(e.message, EXIT_NOT_FOUND) from None
        except UsageError as e:
            raise fail(e.message, EXIT_USAGE) from None
        except TrainboardError as e:
            raise fail(e.message, EXIT_NOT_FOUND) from None
        except KeyboardInterrupt:
            raise typer.Exit(130) from None

    return wrapper


@contextmanager
def open_cli_store() -> Iterator[Store]:
    """The store the settings name (TRAINBOARD_DB, else the SQLite file under
    TRAINBOARD_HOME)."""
    from trainboard.store import open_store

    store = open_store()
    try:
        yield store
    finally:
        store.close()


def resolve_run(store: Store, ref: str) -> RunRecord:
    """A run by full id, unique id prefix, or unique name (archived runs included)."""
    ref = ref.strip()
    if not ref:
        raise UsageError("a run id, id prefix or name is required, got an empty string")
    try:
        return store.get_run(ref)
    except RunNotFoundError:
        pass
    runs = store.list_runs(RunQuery(archived=None))
    by_prefix = [r for r in runs if r.id.startswith(ref.lower())]
    matches = by_prefix or [r for r in runs if r.name == ref]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise RunNotFoundError(ref)
    shown = ", ".join(f"{r.id} ({r.name})" for r in matches[:5])
    more = f" and {len(matches) - 5} more" if len(matches) > 5 else ""
    raise UsageError(f"{ref!r} matches {len(matches)} runs: {shown}{more}; give more of the id")


def resolve_runs(store: Store, refs: Sequence[str]) -> list[RunRecord]:
    """Every ref resolved before anything is done (an unknown one fails the whole command);
    duplicates dropped."""
    seen: dict[str, RunRecord] = {}
    for ref in refs:
        run = resolve_run(store, ref)
        seen.setdefault(run.id, run)
    return list(seen.values())


def record_action(store: Store, action: str, runs: Sequence[RunRecord]) -> None:
    """Keep a delete or archive made at the command line in the store's audit table, beside
    the dashboard's (which name the token): the actor is `cli:USER`. A remote store keeps its
    own record on the server, so nothing is written here for it."""
    import getpass

    from trainboard.store.sql import tokens
    from trainboard.store.sql.store import SQLStore

    if isinstance(store, SQLStore) and runs:
        try:
            user = getpass.getuser()
        except (KeyError, OSError):  # no name for this uid (a container)
            user = str(os.getuid())
        tokens.record(store, action, [r.id for r in runs], f"cli:{user}")


def write_json(obj: Any) -> None:
    """JSON on stdout (NaN/inf already turned into strings by the caller)."""
    import orjson

    text = orjson.dumps(obj, option=orjson.OPT_INDENT_2).decode()
    sys.stdout.write(escape_json_controls(text) + "\n")
    sys.stdout.flush()
