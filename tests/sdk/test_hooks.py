"""Final statuses of real child processes: SIGKILL, SIGTERM, SIGINT, exceptions, plain exit."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from trainboard.analysis.status import effective_status
from trainboard.store import open_store
from trainboard.store.records import RunRecord

CHILD = str(Path(__file__).with_name("child.py"))


def _spawn(mode: str, n: int = 20) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, CHILD, mode, str(n)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _run(mode: str, n: int = 20) -> tuple[subprocess.CompletedProcess[str], RunRecord]:
    proc = subprocess.run(
        [sys.executable, CHILD, mode, str(n)], capture_output=True, text=True, timeout=120
    )
    run_id = proc.stdout.split()[0]
    with open_store() as s:
        return proc, s.get_run(run_id)


def _read_line(proc: subprocess.Popen[str]) -> str:
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line:
        raise AssertionError(f"child ended early: {proc.wait()} {proc.stderr.read()}")  # type: ignore[union-attr]
    return line.strip()


def test_sigkill_loses_nothing_log_returned_from_and_the_next_open_marks_it_crashed(
    tb_home: str,
) -> None:
    proc = _spawn("stream")
    run_id = _read_line(proc)
    lines = []
    deadline = time.monotonic() + 120  # a loaded machine logs slowly: count steps, not seconds
    while len(lines) <= 150 and time.monotonic() < deadline:
        lines.append(_read_line(proc))
    proc.send_signal(signal.SIGKILL)
    out, _ = proc.communicate(timeout=30)  # every step the child printed, after log() returned
    assert proc.returncode == -signal.SIGKILL
    lines += out.splitlines()
    logged = [int(line.split()[0]) for line in lines if len(line.split()) == 2]
    last = logged[-1]
    journals = Path(tb_home) / "trainboard.db.journals"
    assert list(journals.glob(f"{run_id}.*")), "the dead process left its journal"
    with open_store() as s:  # any process that opens the store recovers the journal
        stored = s.read_series(run_id, "loss").steps.tolist()
        rec = s.get_run(run_id)
    assert last > 100
    assert stored[: last + 1] == list(range(last + 1))  # nothing lost, in order
    assert len(stored) <= last + 2  # at most the step logged but not yet printed
    assert rec.status == "crashed"
    assert effective_status(rec) == "crashed"
    assert not list(journals.glob(f"{run_id}.*"))


def test_sigterm_flushes_and_marks_killed(tb_home: str) -> None:
    proc = _spawn("wait", 30)
    run_id = _read_line(proc)
    assert _read_line(proc) == "ready"
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(60) == -signal.SIGTERM  # chained to the default: still dies of SIGTERM
    with open_store() as s:
        rec = s.get_run(run_id)
        assert s.read_series(run_id, "loss").steps.tolist() == list(range(30))
    assert (rec.status, rec.notes) == ("killed", "SIGTERM")
    assert rec.finished_at is not None


def test_sigint_ends_as_killed_not_failed(tb_home: str) -> None:
    proc = _spawn("wait", 5)
    run_id = _read_line(proc)
    assert _read_line(proc) == "ready"
    proc.send_signal(signal.SIGINT)
    assert proc.wait(60) != 0
    assert proc.stderr is not None and "KeyboardInterrupt" in proc.stderr.read()
    with open_store() as s:
        rec = s.get_run(run_id)
        assert len(s.read_series(run_id, "loss")) == 5
    assert rec.status == "killed"


def test_an_uncaught_exception_marks_failed_with_the_message(tb_home: str) -> None:
    proc, rec = _run("raise", 7)
    assert proc.returncode == 1 and "ValueError: boom at step 6" in proc.stderr
    assert (rec.status, rec.notes) == ("failed", "ValueError: boom at step 6")
    assert rec.last_step == 6


def test_a_sigterm_while_the_failure_is_written_waits_for_it_then_ends_the_process(
    tb_home: str,
) -> None:
    """torchrun SIGTERMs every rank as soon as one fails: a rank already writing its own
    failure must finish that write (not die leaving a "running" run), then die of SIGTERM."""
    proc, rec = _run("raise-then-term", 7)
    assert proc.returncode == -signal.SIGTERM, proc.stderr
    assert (rec.status, rec.notes) == ("failed", "ValueError: boom at step 6")
    assert rec.last_step == 6 and rec.finished_at is not None


def test_an_uncaught_keyboard_interrupt_is_killed(tb_home: str) -> None:
    proc, rec = _run("interrupt", 3)
    assert proc.returncode != 0 and rec.status == "killed"


def test_a_normal_exit_without_finish_is_finished(tb_home: str) -> None:
    proc, rec = _run("exit", 12)
    assert proc.returncode == 0, proc.stderr
    assert rec.status == "finished" and rec.last_step == 11 and rec.finished_at is not None


def test_four_processes_writing_one_sqlite_store_lose_nothing(tb_home: str) -> None:
    n = 3000
    procs = [_spawn("many", n) for _ in range(4)]
    ids = []
    for p in procs:
        out, err = p.communicate(timeout=240)
        assert p.returncode == 0, err
        ids.append(out.split()[0])
    with open_store() as s:
        for run_id in ids:
            assert s.get_run(run_id).status == "finished"
            for key, sign in (("a", 1.0), ("b", 2.0), ("c", -1.0)):
                series = s.read_series(run_id, key)
                assert series.steps.tolist() == list(range(n))
                assert series.values.tolist() == [sign * i for i in range(n)]
    assert len(set(ids)) == 4 and os.getpid() not in {p.pid for p in procs}
