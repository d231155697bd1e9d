"""`trainboard watch`: a finished run shows one final frame; a running run is followed until
it finishes (in-process and as a real `python -m trainboard watch` child)."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time

from cli_support import Invoke, make_run

from trainboard.store import open_store
from trainboard.store.base import Store
from trainboard.store.records import PointBatch, RunRecord


def test_watch_finished_run(invoke: Invoke, known_run: RunRecord) -> None:
    r = invoke("watch", "known")
    assert r.exit_code == 0, r.output
    assert "step 2 / 2  100.0%" in r.stdout
    assert "finished" in r.stdout and "1h 2m 5s" in r.stdout and "ETA" in r.stdout


def test_watch_shows_gpu_use_and_memory_of_a_run_with_gpu_metrics(
    invoke: Invoke, cli_store: Store
) -> None:
    """The sys/gpu{i}/* values NVML gives the SDK's sampler (two GPUs), as `watch` shows them."""
    run = make_run(cli_store, "aaaa0000gpu1", "on-gpus")
    t = [1.0e9, 1.0e9 + 1]
    cli_store.write_points(
        run.id,
        {
            "train/loss": PointBatch.of([1, 2], t, [2.0, 1.5]),
            "sys/gpu0/util": PointBatch.of([1, 2], t, [80.0, 90.0]),
            "sys/gpu1/util": PointBatch.of([1, 2], t, [60.0, 70.0]),
            "sys/gpu0/mem_used_gb": PointBatch.of([1, 2], t, [10.0, 12.0]),
            "sys/gpu1/mem_used_gb": PointBatch.of([1, 2], t, [10.0, 12.0]),
            "sys/gpu0/mem_percent": PointBatch.of([1, 2], t, [15.0, 15.0]),
            "sys/gpu1/mem_percent": PointBatch.of([1, 2], t, [15.0, 15.0]),
        },
    )
    r = invoke("watch", "on-gpus")
    assert r.exit_code == 0, r.output
    out = " ".join(r.stdout.split())
    # the mean over the GPUs of their last values: (90 + 70) / 2, 12 GB at 15% each
    assert "GPU util 80%" in out and "GPU memory 12.0 GB (15%)" in out, out


def _train(run_id: str, steps: int) -> None:
    """A stand-in training loop in another thread: points, heartbeats, then finished."""
    store = open_store()
    try:
        for step in range(1, steps + 1):
            now = time.time()
            store.write_points(
                run_id,
                {
                    "train/loss": PointBatch.of([step], [now], [3.0 - step * 0.05]),
                    "tokens": PointBatch.of([step], [now], [step * 512.0]),
                },
            )
            store.update_run(run_id, heartbeat_at=now)
            time.sleep(0.05)  # the pace of the stand-in loop, not a wait for the watcher
        store.update_run(run_id, status="finished", finished_at=time.time())
    finally:
        store.close()


def test_watch_follows_a_running_run_to_its_end(invoke: Invoke, cli_store: Store) -> None:
    run = make_run(cli_store, "abab00000001", "live", status="running", finished_at=None,
                   total_steps=20, created_at=time.time(), heartbeat_at=time.time(),
                   host=socket.gethostname(), pid=os.getpid())  # fmt: skip
    trainer = threading.Thread(target=_train, args=(run.id, 20))
    trainer.start()
    try:
        r = invoke("watch", "live", "--interval", "0.05")
    finally:
        trainer.join()
    assert r.exit_code == 0, r.output
    assert "step 20 / 20  100.0%" in r.stdout and "finished" in r.stdout
    assert "10,240 (0.01M)" in r.stdout  # tokens and millions
    assert re.search(r"ETA\s+0s", r.stdout)


def test_watch_subprocess_while_the_sdk_logs(tb_home: str) -> None:
    import trainboard

    run = trainboard.init(project="w", name="sdk-live", total_steps=30)
    env = dict(os.environ, TRAINBOARD_HOME=tb_home)
    child = subprocess.Popen(
        [sys.executable, "-m", "trainboard", "watch", run.id, "--interval", "0.1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        for step in range(1, 31):
            run.log({"train/loss": 2.0 - step * 0.01, "grad_norm": 0.5}, step=step)
            time.sleep(0.1)  # a training step's pace
        run.finish()
        out, err = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == 0, err
    assert "step 30 / 30  100.0%" in out and "finished" in out and "sdk-live" in out
    assert "Traceback" not in err
