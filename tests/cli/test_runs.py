"""ls, show, archive, unarchive, delete and run lookup, through the real CLI."""

from __future__ import annotations

import json
import os
import socket

import pytest
from cli_support import T0, Invoke, make_run

from trainboard.errors import RunNotFoundError
from trainboard.store.base import Store
from trainboard.store.queries import RunQuery
from trainboard.store.records import RunRecord


def _ids(invoke: Invoke, *args: str) -> list[str]:
    r = invoke("ls", "--json", *args)
    assert r.exit_code == 0, r.output
    return [row["id"] for row in json.loads(r.stdout)]


def test_ls_json_fields_and_filters(invoke: Invoke, cli_store: Store, known_run: RunRecord) -> None:
    make_run(cli_store, "cccc00000001", "other", project="p2", model="big", created_at=T0 + 10,
             status="failed", finished_at=T0 + 20)  # fmt: skip
    rows = json.loads(invoke("ls", "--json").stdout)
    assert [r["id"] for r in rows] == ["cccc00000001", "aaaa00000001"]  # newest first
    row = rows[1]
    for k in ("id", "name", "project", "model", "status", "archived", "created_at",
              "finished_at", "total_steps", "last_step"):  # fmt: skip
        assert k in row
    assert (row["name"], row["status"], row["archived"], row["last_step"]) == (
        "known", "finished", False, 2
    )  # fmt: skip
    assert (row["created_at"], row["finished_at"], row["total_steps"]) == (T0, T0 + 3725, 2)
    assert row["progress"]["percent"] == 100.0 and row["progress"]["elapsed_text"] == "1h 2m 5s"
    assert _ids(invoke, "--project", "p2") == ["cccc00000001"]
    assert _ids(invoke, "--model", "tiny") == ["aaaa00000001"]
    assert _ids(invoke, "--status", "failed") == ["cccc00000001"]
    r = invoke("ls", "--status", "sleeping")
    assert r.exit_code == 2 and "--status must be one of running, finished" in r.stderr


def test_ls_table(invoke: Invoke, known_run: RunRecord) -> None:
    r = invoke("ls")
    assert r.exit_code == 0
    header, line = r.stdout.splitlines()[:2]
    assert header.split() == [
        "id", "name", "project", "model", "status", "progress", "loss", "duration", "created"
    ]  # fmt: skip
    assert line.split()[:8] == [
        "aaaa00000001", "known", "proj", "tiny", "finished", "2/2", "100%", "2.0000"
    ]  # fmt: skip


def test_ls_marks_dead_runs_crashed(invoke: Invoke, cli_store: Store) -> None:
    # "running" on this host with a pid that no longer exists: crashed, and written back
    dead = 2**22 + 12345
    while True:
        try:
            os.kill(dead, 0)
            dead += 1
        except ProcessLookupError:
            break
        except PermissionError:
            dead += 1
    make_run(cli_store, "dddd00000001", "dead", status="running", finished_at=None,
             host=socket.gethostname(), pid=dead, heartbeat_at=T0)  # fmt: skip
    rows = json.loads(invoke("ls", "--json", "--status", "crashed").stdout)
    assert [r["id"] for r in rows] == ["dddd00000001"]
    assert cli_store.get_run("dddd00000001").status == "crashed"


def test_show_text_and_json(invoke: Invoke, known_run: RunRecord) -> None:
    r = invoke("show", "aaaa00000001")
    assert r.exit_code == 0, r.output
    out = r.stdout
    assert "known" in out and "step 2 / 2  100.0%" in out and "1h 2m 5s" in out
    assert "health" in out and "max_grad_norm" in out and "train/loss" in out
    doc = json.loads(invoke("show", "known", "--json").stdout)
    assert doc["run"]["id"] == "aaaa00000001"
    assert doc["run"]["progress"]["loss"] == 2.0 and doc["run"]["progress"]["eta_text"] == "0s"
    assert doc["keys"] == ["lr", "train/loss", "val/loss"]
    assert doc["health"]["verdict"] in ("healthy", "warning", "critical")
    assert doc["health"]["summary"]


def test_unknown_and_ambiguous_runs(invoke: Invoke, cli_store: Store, known_run: RunRecord) -> None:
    make_run(cli_store, "aaaa00000002", "twin")
    for cmd in (["show", "zzz"], ["watch", "zzz"], ["archive", "zzz"], ["delete", "zzz", "--yes"]):
        r = invoke(*cmd)
        assert r.exit_code == 1, cmd
        assert r.stderr == "error: no run with id 'zzz'\n"
    r = invoke("show", "aaaa")
    assert r.exit_code == 2
    assert r.stderr.startswith("error: 'aaaa' matches 2 runs: ")
    assert invoke("show", "aaaa00000002", "--json").exit_code == 0  # full id
    assert json.loads(invoke("show", "twin", "--json").stdout)["run"]["id"] == "aaaa00000002"


def test_archive_unarchive(invoke: Invoke, cli_store: Store, known_run: RunRecord) -> None:
    r = invoke("archive", "known")
    assert r.exit_code == 0 and r.stdout == "archived 1 run: known (aaaa00000001)\n"
    assert _ids(invoke) == [] and _ids(invoke, "--all") == ["aaaa00000001"]
    assert "no runs (archived ones: --all)" in invoke("ls").stdout
    r = invoke("unarchive", "aaaa0")
    assert r.exit_code == 0 and r.stdout == "unarchived 1 run: known (aaaa00000001)\n"
    assert _ids(invoke) == ["aaaa00000001"]
    # one unknown id in the list: nothing changes
    assert invoke("archive", "known", "nope").exit_code == 1
    assert _ids(invoke) == ["aaaa00000001"]


def test_delete_asks_first(invoke: Invoke, cli_store: Store, known_run: RunRecord) -> None:
    make_run(cli_store, "eeee00000001", "keep")
    # declined, and no input at all: nothing deleted, and it says so
    for answer in ("n\n", None, ""):
        r = invoke("delete", "known", input=answer)
        assert r.exit_code == 1
        assert "about to delete 1 run: known (aaaa00000001)" in r.stdout
        assert r.stderr.endswith("deleted nothing\n")
        assert len(cli_store.list_runs(RunQuery(archived=None))) == 2
    r = invoke("delete", "known", input="y\n")
    assert r.exit_code == 0 and r.stdout.endswith("deleted 1 run: known (aaaa00000001)\n")
    assert _ids(invoke, "--all") == ["eeee00000001"]
    with pytest.raises(RunNotFoundError):
        cli_store.read_series("aaaa00000001", "train/loss")


def test_delete_yes(invoke: Invoke, cli_store: Store, known_run: RunRecord) -> None:
    make_run(cli_store, "ffff00000001", "other")
    r = invoke("delete", "known", "ffff", "--yes")
    assert r.exit_code == 0
    assert r.stdout == "deleted 2 runs: known (aaaa00000001), other (ffff00000001)\n"
    assert _ids(invoke, "--all") == []


def test_archive_and_delete_are_kept_in_the_audit_log(
    invoke: Invoke, cli_store: Store, known_run: RunRecord
) -> None:
    """What the CLI archives or deletes is recorded as the dashboard's actions are (#12)."""
    import getpass

    from trainboard.store.sql.tokens import audit_log

    make_run(cli_store, "ffff00000001", "other")
    assert invoke("archive", "known").exit_code == 0
    assert invoke("unarchive", "known").exit_code == 0
    assert invoke("delete", "other", "--yes").exit_code == 0
    assert invoke("delete", "nope", "--yes").exit_code == 1  # nothing done, nothing recorded
    log = audit_log(cli_store)
    assert [(a.action, a.run_ids, a.actor) for a in log] == [
        ("archive", ["aaaa00000001"], f"cli:{getpass.getuser()}"),
        ("unarchive", ["aaaa00000001"], f"cli:{getpass.getuser()}"),
        ("delete", ["ffff00000001"], f"cli:{getpass.getuser()}"),
    ]


def test_names_print_as_written(invoke: Invoke, cli_store: Store) -> None:
    make_run(cli_store, "abcd00000001", "[red]evil[/red]")
    r = invoke("archive", "abcd")
    assert r.stdout == "archived 1 run: [red]evil[/red] (abcd00000001)\n"
    assert invoke("show", "[bold]nope").stderr == "error: no run with id '[bold]nope'\n"
    assert "[red]evil[/red]" in invoke("ls", "--all").stdout
