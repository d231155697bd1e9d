"""Figures during training: a child process rewrites the chart set every N steps and at the
end; readers never see half a file; bad arguments raise at the call."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

import trainboard
from trainboard.errors import UsageError
from trainboard.report.charts import CHART_FILES


def _wait_for(cond, timeout: float = 90.0) -> None:  # type: ignore[no-untyped-def]
    end = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.05)


def test_figures_every_n_steps_and_at_the_end(sqlite_url: str, tmp_path: Path) -> None:
    out = tmp_path / "figs"
    run = trainboard.init(project="p", name="fig", store=sqlite_url, figures=10,
                          figures_dir=out)  # fmt: skip
    saver = run.state.extras[0]
    for i in range(12):
        run.log({"train/loss": 3.0 - i * 0.01, "lr": 1e-3, "tokens": 512.0 * (i + 1)}, step=i)
    run.log({"val/loss": 2.9, "val/accuracy": 0.4}, step=10)
    run.log_text("samples", "hello $world$", step=10)
    _wait_for(lambda: saver.renders >= 1)
    first = json.loads((out / "metrics_history.json").read_bytes())
    assert 10 <= len(first["metrics"]["train/loss"]) <= 12
    for i in range(12, 40):
        run.log({"train/loss": 3.0 - i * 0.01, "lr": 1e-3, "tokens": 512.0 * (i + 1)}, step=i)
    run.log({"val/loss": 2.7, "val/accuracy": 0.5}, step=30)
    run.finish()
    assert sorted(p.name for p in out.iterdir()) == sorted(CHART_FILES)
    final = json.loads((out / "metrics_history.json").read_bytes())
    assert len(final["metrics"]["train/loss"]) == 40
    assert final["run"]["status"] == "finished"
    samples = json.loads((out / "text_samples.json").read_bytes())["samples"]
    assert samples == [{"key": "samples", "step": 10, "wall_time": samples[0]["wall_time"],
                        "text": "hello $world$"}]  # fmt: skip
    assert saver.renders >= 2
    assert saver._child.poll() == 0  # the drawing process ended with the run


def test_a_reader_never_sees_half_a_picture(sqlite_url: str, tmp_path: Path) -> None:
    out = tmp_path / "figs"
    run = trainboard.init(project="p", name="atomic", store=sqlite_url)
    run.save_figures(every=5, folder=out)
    saver = run.state.extras[0]
    seen: list[bytes] = []
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            p = out / "loss.png"
            if p.exists():
                seen.append(p.read_bytes())
            time.sleep(0.01)

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for i in range(30):
            run.log({"train/loss": 1.0 / (i + 1)}, step=i)
            if i % 5 == 0 and i > 0:
                n = saver.renders
                _wait_for(lambda n=n: saver.renders > n)
    finally:
        stop.set()
        reader.join()
        run.finish()
    assert len(seen) > 3
    for data in seen:  # each read is a whole PNG: signature first, IEND chunk last
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[-12:-4] == b"\x00\x00\x00\x00IEND"


def test_bad_every_raises_at_the_call(sqlite_url: str, tmp_path: Path) -> None:
    run = trainboard.init(project="p", name="bad", store=sqlite_url)
    try:
        with pytest.raises(UsageError, match="every must be a positive number of steps, got 0"):
            run.save_figures(every=0, folder=tmp_path)
        with pytest.raises(UsageError, match="every must be a positive number of steps, got 'x'"):
            run.save_figures(every="x", folder=tmp_path)  # type: ignore[arg-type]
        assert run.state.extras == []
    finally:
        run.finish()


def test_a_killed_run_does_not_wait_for_a_last_picture(sqlite_url: str, tmp_path: Path) -> None:
    out = tmp_path / "figs"
    run = trainboard.init(project="p", name="killed", store=sqlite_url, figures=1000,
                          figures_dir=out)  # fmt: skip
    saver = run.state.extras[0]
    for i in range(10):
        run.log({"train/loss": 1.0}, step=i)
    run.finish(status="killed")
    assert saver.renders == 0 and list(out.iterdir()) == []
    assert saver._child.poll() == 0
