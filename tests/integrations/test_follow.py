"""--follow on files a real job is still writing: torch's SummaryWriter in a child process
(`trainboard import tensorboard LOGDIR --follow`) and a process appending a train_log.jsonl
(`trainboard import jsonl FILE --follow`). The followers run in a thread; the test polls the
store the dashboard reads."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from trainboard.integrations.jsonl_follow import follow_jsonl
from trainboard.integrations.tensorboard import follow, run_id_for
from trainboard.store import open_store
from trainboard.store.base import Store

SCRIPTS = Path(__file__).parent / "scripts"


def _until(check: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _steps(store: Store, run_id: str, key: str) -> list[int]:
    try:
        return store.read_series(run_id, key).steps.tolist()
    except Exception:
        return []


@pytest.fixture
def stop() -> Iterator[threading.Event]:
    ev = threading.Event()
    yield ev
    ev.set()


def _thread(target: Callable[[], object]) -> threading.Thread:
    errors: list[BaseException] = []

    def run() -> None:
        try:
            target()
        except BaseException as e:  # shown by the test that joins
            errors.append(e)
            raise

    t = threading.Thread(target=run, daemon=True)
    t.errors = errors  # type: ignore[attr-defined]
    t.start()
    return t


def test_follow_a_tensorboard_logdir_being_written(
    tb_home: str, tmp_path: Path, stop: threading.Event
) -> None:
    logdir = tmp_path / "logs"
    logdir.mkdir()
    job = subprocess.Popen([sys.executable, str(SCRIPTS / "tb_live_writer.py"), str(logdir)])
    try:
        with open_store() as follower_store:
            t = _thread(
                lambda: follow(
                    follower_store,
                    str(logdir),
                    project="live",
                    interval=0.1,
                    heartbeat_timeout=1.0,
                    stop=stop.is_set,
                )  # fmt: skip
            )
            first = run_id_for(str(logdir / "first"))
            second = run_id_for(str(logdir / "second"))
            with open_store() as s:
                _until(lambda: (logdir / "ten").exists(), "the job's first ten points")
                _until(lambda: _steps(s, first, "Loss/train") == list(range(10)), "10 points")
                assert s.get_run(first).status == "running"
                (logdir / "go").touch()
                _until(lambda: len(_steps(s, first, "Loss/train")) == 15, "the new points")
                _until(lambda: _steps(s, second, "eval/loss") == [0, 1, 2, 3, 4], "a new run")
                assert s.get_run(second).name == "second"
                assert job.wait(timeout=60) == 0
                _until(lambda: s.get_run(first).status == "finished", "the end of the run")
                _until(lambda: s.get_run(second).status == "finished", "the second's end")
            stop.set()
            t.join(timeout=30)
            assert not t.errors  # type: ignore[attr-defined]
    finally:
        job.kill()


def test_follow_a_jsonl_file_being_appended(
    tb_home: str, tmp_path: Path, stop: threading.Event
) -> None:
    log = tmp_path / "job" / "train_log.jsonl"
    log.parent.mkdir()
    log.touch()
    passes: list[int] = []
    job = subprocess.Popen([sys.executable, str(SCRIPTS / "jsonl_appender.py"), str(log)])
    try:
        with open_store() as follower_store:
            holder: dict[str, str] = {}

            def run() -> None:
                def on_pass(state: object, points: int) -> None:
                    holder["id"] = state.run_id  # type: ignore[attr-defined]
                    passes.append(points)

                follow_jsonl(
                    follower_store, log, interval=0.1, heartbeat_timeout=1.0,
                    stop=stop.is_set, on_pass=on_pass,
                )  # fmt: skip

            t = _thread(run)
            with open_store() as s:
                _until(lambda: Path(str(log) + ".partial").exists(), "the half-written line")
                _until(lambda: "id" in holder, "the run")
                rid = holder["id"]
                _until(lambda: _steps(s, rid, "loss") == [0, 1, 2], "the first three lines")
                seen = len(passes)
                _until(lambda: len(passes) > seen + 2, "more passes over the half line")
                assert _steps(s, rid, "loss") == [0, 1, 2]  # the half line waits
                run = s.get_run(rid)
                assert (run.name, run.status, run.config) == (
                    "job",
                    "running",
                    {"model": "tiny-gpt"},
                )
                assert run.model == "tiny-gpt"
                Path(str(log) + ".go").touch()
                _until(lambda: _steps(s, rid, "loss") == [0, 1, 2, 3, 4], "the finished line")
                assert s.read_series(rid, "loss").values.tolist()[3] == 1.7
                # the first sample went into the config, the changed one is a text sample
                _until(lambda: len(s.read_texts(rid)) == 1, "the text sample")
                assert [(x.step, x.text) for x in s.read_texts(rid)] == [(4, "the end")]
                want = {"model": "tiny-gpt", "sample": "once upon a time"}
                _until(lambda: s.get_run(rid).config == want, "the config")
                assert job.wait(timeout=60) == 0
                _until(lambda: s.get_run(rid).status == "finished", "the end of the run")
            stop.set()
            t.join(timeout=30)
            assert not t.errors  # type: ignore[attr-defined]
    finally:
        job.kill()
