"""The background writer against a real store that fails, recovers, and lags behind."""

from __future__ import annotations

import math
import threading
import time
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import trainboard
from trainboard.errors import TrainboardWarning
from trainboard.sdk.run import Run
from trainboard.store.base import open_store


def _wait_for(cond: object, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():  # type: ignore[operator]
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.01)


def _failures(run: Run) -> int:
    assert run._writer is not None
    return run._writer.failures


def _blocked_url(tmp_path: Path) -> tuple[str, Path]:
    """A SQLite path under a folder that is, for now, a plain file: opening it fails."""
    blocker = tmp_path / "later"
    blocker.write_text("not a folder yet")
    return f"sqlite:///{blocker / 'tb.db'}", blocker


def _unblock(blocker: Path) -> None:
    blocker.unlink()
    blocker.mkdir()


def test_a_store_that_fails_at_first_loses_nothing_and_warns_once(tmp_path: Path) -> None:
    url, blocker = _blocked_url(tmp_path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run = trainboard.init(project="p", store=url)
        for step in range(100):
            run.log({"loss": float(step), "nan": math.nan})
        run.log_text("s", "kept", step=3)
        _wait_for(lambda: _failures(run) >= 3)
        for step in range(100, 200):
            run.log({"loss": float(step), "nan": math.nan})
        _unblock(blocker)
        run.finish()
    ours = [w for w in caught if issubclass(w.category, TrainboardWarning)]
    assert len(ours) == 1, [str(w.message) for w in ours]
    assert f"could not write run {run.id} to the store" in str(ours[0].message)
    assert "retrying" in str(ours[0].message)
    with open_store(url) as s:
        series = s.read_series(run.id, "loss")
        assert series.steps.tolist() == list(range(200))
        assert series.values.tolist() == [float(i) for i in range(200)]
        assert s.read_series(run.id, "nan").steps.tolist() == list(range(200))
        assert [t.text for t in s.read_texts(run.id)] == ["kept"]
        assert s.get_run(run.id).status == "finished"


def test_log_waits_for_a_lagging_writer_instead_of_dropping(tmp_path: Path) -> None:
    url, blocker = _blocked_url(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TrainboardWarning)
        run = trainboard.init(project="p", store=url)
        assert run._writer is not None
        run._writer.max_pending = 40  # points; 10 log() calls of 4 keys
        done: list[int] = []

        def train() -> None:
            for step in range(50):
                run.log({"a": 1.0, "b": 2.0, "c": 3.0, "d": float(step)})
                done.append(step)

        trainer = threading.Thread(target=train)
        trainer.start()
        _wait_for(lambda: _failures(run) >= 3)
        assert trainer.is_alive() and len(done) <= 11  # held back, not dropped
        _unblock(blocker)
        trainer.join(30)
        assert not trainer.is_alive() and len(done) == 50
        run.finish()
    with open_store(url) as s:
        assert s.read_series(run.id, "d").values.tolist() == [float(i) for i in range(50)]


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
