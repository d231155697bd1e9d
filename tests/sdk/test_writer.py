"""The background writer against a real store that fails, recovers, and lags behind."""

from __future__ import annotations

import os
import sqlite3
import struct
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import trainboard
from trainboard.errors import RunNotFoundError, StoreError, TrainboardWarning
from trainboard.store import open_store


def _wait_for(cond: object, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():  # type: ignore[operator]
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.01)


def _ours(caught: list[warnings.WarningMessage]) -> list[str]:
    return [str(w.message) for w in caught if issubclass(w.category, TrainboardWarning)]


def test_a_store_that_cannot_be_opened_fails_init_at_once(tmp_path: Path) -> None:
    blocker = tmp_path / "later"
    blocker.write_text("not a folder")
    with pytest.raises(StoreError, match="open the store at sqlite:///"):
        trainboard.init(project="p", store=f"sqlite:///{blocker / 'tb.db'}")
    damaged = tmp_path / "damaged.db"
    damaged.write_bytes(b"this is no SQLite header" * 100)
    with pytest.raises(StoreError, match="damaged.db"):
        trainboard.init(project="p", store=f"sqlite:///{damaged}")


class _Locked:
    """Another process-level writer holding SQLite's write lock: a real transient fault."""

    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None, timeout=30)
        self.conn.execute("BEGIN EXCLUSIVE")

    def release(self) -> None:
        self.conn.execute("COMMIT")
        self.conn.close()


def test_a_locked_store_never_holds_log_back_and_the_points_wait_on_disk(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'tb.db'}"
    run = trainboard.init(project="p", store=url)
    run.log({"a": 0.0}, step=0)
    assert run.flush(30)
    lock = _Locked(tmp_path / "tb.db")
    journals = tmp_path / "tb.db.journals"
    for step in range(1, 60_001):  # ~2.6 MB of journal, far past any in-memory queue
        run.log({"a": float(step), "b": 1.0, "c": 2.0, "d": 3.0}, step=step)
    segment = next(journals.glob(f"{run.id}.*.seg")).read_bytes()
    assert segment.count(struct.pack("<q", 60_000)) >= 1  # the last step is on disk
    lock.release()
    run.finish()
    with open_store(url) as s:
        assert s.read_series(run.id, "a").steps.tolist() == list(range(60_001))
        assert s.get_run(run.id).status == "finished"
    assert not journals.exists() or not list(journals.iterdir())


_GIVE_UP = """
import sys, warnings, trainboard
run = trainboard.init(project="p", store=sys.argv[1])
print(run.id, flush=True)
sys.stdin.readline()  # the parent has locked the store
for step in range(500):
    run.log({"loss": step / 10})
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    run.finish()
print("finished", flush=True)
for w in caught:
    print("WARNING", w.message, flush=True)
"""


def test_finish_gives_up_within_5_s_and_the_next_process_writes_what_was_kept(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'tb.db'}"
    child = subprocess.Popen(
        [sys.executable, "-c", _GIVE_UP, url],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ, TRAINBOARD_SYSTEM_INTERVAL="0"),
    )
    assert child.stdout is not None and child.stdin is not None
    run_id = child.stdout.readline().strip()
    lock = _Locked(tmp_path / "tb.db")
    try:
        child.stdin.write("go\n")
        child.stdin.flush()
        out, err = child.communicate(timeout=60)
    finally:
        lock.release()
    assert child.returncode == 0, err
    assert "finished" in out
    warning = [line for line in out.splitlines() if line.startswith("WARNING")]
    assert len(warning) == 1, out
    assert f"finish() gave up on run {run_id} after 4.5s" in warning[0]
    assert str(tmp_path / "tb.db.journals") in warning[0]
    with open_store(url) as s:  # recovery: the points and the final status finish() wanted
        assert s.read_series(run_id, "loss").steps.tolist() == list(range(500))
        assert s.get_run(run_id).status == "finished"


def test_a_key_the_store_refuses_is_set_aside_and_the_rest_is_written(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'tb.db'}"
    open_store(url).close()
    with sqlite3.connect(tmp_path / "tb.db") as db:  # a real constraint of the real engine
        db.execute(
            "CREATE TRIGGER poison BEFORE INSERT ON summaries WHEN NEW.key = 'bad' "
            "BEGIN SELECT RAISE(ABORT, 'poisoned key'); END"
        )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run = trainboard.init(project="p", store=url)
        for step in range(100):
            run.log({"good": float(step), "bad": -1.0, "also": 2.0})
        run.log_text("sample", "kept", step=3)
        run.finish()
    aside = tmp_path / "tb.db.deadletter.jsonl"
    assert _ours(caught) == [
        f"trainboard: the store refused points of 'bad' of run {run.id} for good; it is kept "
        f"in {aside} and the rest of the run is written"
    ]
    with open_store(url) as s:
        assert s.read_series(run.id, "good").steps.tolist() == list(range(100))
        assert len(s.read_series(run.id, "also")) == 100
        assert s.metric_keys(run.id) == ["also", "good"]
        assert [t.text for t in s.read_texts(run.id)] == ["kept"]
        assert s.get_run(run.id).status == "finished"
    lines = [orjson.loads(line) for line in aside.read_bytes().splitlines()]
    assert {line["what"] for line in lines} == {"points bad"}
    assert sum(len(line["rows"]) for line in lines) == 100
    assert "poisoned key" in lines[0]["error"]


def test_a_run_deleted_while_it_logs_stops_writing_with_one_warning(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'tb.db'}"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run = trainboard.init(project="p", store=url)
        run.log({"a": 1.0})
        assert run.flush(30)
        with open_store(url) as s:
            s.delete_runs([run.id])
        for step in range(1, 2000):
            run.log({"a": float(step)})
            if step % 500 == 0:
                run.flush(30)
        run.log_text("t", "after", step=5)
        run.finish()
    assert _ours(caught) == [
        f"trainboard: run {run.id} was deleted from the store while it was logging; nothing "
        "more of it is written (training goes on)"
    ]
    with open_store(url) as s:
        with pytest.raises(RunNotFoundError):
            s.get_run(run.id)
    assert not list((tmp_path / "tb.db.journals").glob("*"))


def test_flush_makes_points_visible_before_finish(tb_home: str) -> None:
    run = trainboard.init(project="p")
    run.log({"a": 1.0})
    assert run.flush(30)
    with open_store() as s:
        assert s.read_series(run.id, "a").values.tolist() == [1.0]
        assert s.get_run(run.id).status == "running"
    run.finish()


def test_points_reach_the_store_within_the_flush_interval(tb_home: str) -> None:
    run = trainboard.init(project="p")
    run.log({"a": 1.0})
    with open_store() as s:
        _wait_for(lambda: run.id in {r.id for r in s.list_runs()}, timeout=10)
        _wait_for(lambda: len(s.read_series(run.id, "a")) == 1, timeout=10)
    run.finish()


def test_heartbeats_advance(tb_home: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRAINBOARD_HEARTBEAT_INTERVAL", "0.05")
    run = trainboard.init(project="p")
    with open_store() as s:
        _wait_for(lambda: run.id in {r.id for r in s.list_runs()})
        first = s.get_run(run.id).heartbeat_at
        assert first is not None
        _wait_for(lambda: (s.get_run(run.id).heartbeat_at or 0) > first)
    run.finish()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    values=st.lists(
        st.one_of(
            st.floats(allow_nan=True, allow_infinity=True),
            st.integers(min_value=-(2**53), max_value=2**53),
            st.booleans(),
        ),
        min_size=1,
        max_size=50,
    )
)
def test_hypothesis_values_come_back_as_logged(values: list[float]) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/tb.db"
        with trainboard.init(project="p", store=url) as run:
            for v in values:
                run.log({"x": v})
        with open_store(url) as s:
            got = s.read_series(run.id, "x")
    expected = np.array([float(v) for v in values], dtype=np.float64)
    assert got.steps.tolist() == list(range(len(values)))
    assert np.array_equal(got.values, expected, equal_nan=True)
    assert np.array_equal(np.signbit(got.values), np.signbit(expected))


def test_a_forked_child_that_logs_never_writes_over_the_parents_journal(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'tb.db'}"
    run = trainboard.init(project="p", store=url)
    for step in range(100):
        run.log({"a": float(step)})
    pid = os.fork()
    if pid == 0:  # a DataLoader worker that (wrongly) logs: it must not touch the parent's file
        try:
            for step in range(200_000):
                run.log({"a": -1.0, "b": -1.0}, step=step)
        finally:
            os._exit(0)
    assert os.waitpid(pid, 0)[1] == 0
    for step in range(100, 200):
        run.log({"a": float(step)})
    run.finish()
    with open_store(url) as s:
        got = s.read_series(run.id, "a")
        assert got.steps.tolist() == list(range(200))
        assert got.values.tolist() == [float(i) for i in range(200)]
        assert s.metric_keys(run.id) == ["a"]
