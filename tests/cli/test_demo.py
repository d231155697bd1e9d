"""`trainboard demo --steps 20 --no-ui` in a real child process: a finished run with every
metric, text samples and histograms the demo promises."""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import subprocess
import sys
import threading
import time
import urllib.request

import pytest
from cli_support import kill_group, python_m
from loopback import free_port

from trainboard.store import open_store
from trainboard.store.queries import RunQuery

# the demo trains a model in a child process: minutes of CPU on a loaded 2-core machine
pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


def test_demo_twenty_steps(tb_home: str) -> None:
    r = python_m("demo", "--steps", "20", "--no-ui", env_home=tb_home, timeout=800)
    assert r.returncode == 0, r.stderr + r.stdout
    assert "step 20 / 20  100.0%" in r.stdout and "finished" in r.stdout
    with open_store() as store:
        (run,) = store.list_runs(RunQuery(archived=None))
        assert (run.project, run.model, run.status, run.total_steps, run.last_step) == (
            "demo", "char-gpt", "finished", 20, 20
        )  # fmt: skip
        assert set(run.summary) >= {
            "train/loss", "val/loss", "val/accuracy", "lr", "grad_norm", "tokens",
            "tokens_per_s", "epoch",
        }  # fmt: skip
        assert run.summary["train/loss"].count == 20
        assert run.summary["val/loss"].count == 4  # every 5 steps (20 // 4)
        assert run.summary["tokens"].last == 20 * 16 * 64
        lr = store.read_series(run.id, "lr").values
        assert lr[0] < lr[1] and lr[-1] < lr.max()  # warm-up, then decay
        texts = store.read_texts(run.id, "samples")
        assert [t.step for t in texts] == [10, 20] and all(t.text.startswith("def ") for t in texts)
        hists = {h.key for h in store.read_histograms(run.id)}
        assert {"weights/embedding", "gradients/embedding", "weights/block0.attn"} <= hists
        assert run.config["max_grad_norm"] == 1.0
    assert f"run {run.name} ({run.id}) finished" in r.stdout


def test_demo_keeps_the_dashboard_up_until_ctrl_c(tb_home: str) -> None:
    """`make demo` at a terminal: after training the dashboard still answers; Ctrl-C ends it.

    The demo leads its own process group and Ctrl-C goes to the whole group, as a terminal
    sends it; afterwards nothing of the group is left (the dashboard went with the demo)."""
    env = dict(os.environ, TRAINBOARD_HOME=tb_home, TRAINBOARD_SYSTEM_INTERVAL="0")
    port = free_port()
    child = subprocess.Popen(
        [sys.executable, "-m", "trainboard", "demo", "--steps", "5", "--port", str(port),
         "--keep-serving"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
        start_new_session=True,
    )  # fmt: skip
    assert child.stdout is not None
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(x) for x in child.stdout or ()], daemon=True).start()
    seen = ""
    try:
        deadline = time.monotonic() + 800
        while "press Ctrl-C" not in seen and child.poll() is None:
            assert time.monotonic() < deadline, f"no 'press Ctrl-C' within 800s:\n{seen}"
            with contextlib.suppress(queue.Empty):
                seen += lines.get(timeout=1)
        assert "the dashboard stays up at" in seen, seen
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/runs", timeout=10) as r:
            assert b'"status":"finished"' in r.read()
        os.killpg(child.pid, signal.SIGINT)
        assert child.wait(timeout=60) == 0
    finally:
        left = kill_group(child.pid)
        child.wait()
    assert not left, "the demo left a process (its dashboard) behind"
    with pytest.raises(OSError):  # the dashboard went with it
        urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/runs", timeout=2)


def test_piped_demo_says_the_dashboard_stopped_and_how_to_reopen(tb_home: str) -> None:
    """`make demo | tee log`: only what a person needs, and where the dashboard went."""
    port = str(free_port())
    r = python_m("demo", "--steps", "3", "--port", port, env_home=tb_home, timeout=800)
    assert r.returncode == 0, r.stderr + r.stdout
    out = r.stdout
    assert "training a character-level GPT" in out
    assert f"dashboard: http://127.0.0.1:{port}/runs/" in out
    assert "Ctrl-C stops the training and the dashboard" in out
    assert "the dashboard stopped; reopen it with trainboard ui" in out
    assert "warning" not in (r.stdout + r.stderr).lower()
