"""Queued media survive a SIGKILL: log() keeps each item in the crash journal (a file beside
the run's journal) until the store has it, and the next process that opens the store writes
them with the points. A real training process, killed by a real SIGKILL before its writer
wrote anything; on both engines."""

from __future__ import annotations

import io
import os
import pickle
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image as PILImage

from trainboard.journal.files import journal_dir
from trainboard.journal.media import load
from trainboard.store import open_store

TRAIN = """
import os, signal, sys
import numpy as np
import trainboard

run = trainboard.init(project="p", name="killed", store=sys.argv[1])
for step in range(5):
    pixels = np.full((4, 6, 3), 40 * step, np.uint8)
    pixels[0, 0] = (step, 1, 2)
    run.log({"loss": 1.0 / (step + 1), "samples": trainboard.Image(pixels, caption=f"s{step}")},
            step=step)
table = trainboard.Table(columns=["prompt", "pic"])
table.add_data("a cat", trainboard.Image(np.full((2, 2), 7, np.uint8)))
run.log({"evals": table}, step=5)
print(run.id, flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def _pixels(step: int) -> np.ndarray[Any, Any]:
    p = np.full((4, 6, 3), 40 * step, np.uint8)
    p[0, 0] = (step, 1, 2)
    return p


@pytest.mark.slow
def test_media_logged_right_before_a_sigkill_are_recovered(store_url: str, tb_home: str) -> None:
    env = dict(os.environ, TRAINBOARD_FLUSH_INTERVAL="3600", TRAINBOARD_HEARTBEAT_INTERVAL="3600")
    child = subprocess.run(
        [sys.executable, "-c", TRAIN, store_url],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert child.returncode == -signal.SIGKILL, child.stderr
    run_id = child.stdout.strip()
    kept = journal_dir(store_url) / f"{run_id}.media"
    assert len(list(kept.glob("*.pkl"))) == 6  # nothing was written before the kill

    with open_store(store_url) as store:  # opening the store recovers the dead journal
        assert store.get_run(run_id).status == "crashed"
        assert store.read_series(run_id, "loss").steps.tolist() == [0, 1, 2, 3, 4]
        items = store.read_media(run_id, "samples")
        assert [(r.step, r.caption) for r in items] == [(s, f"s{s}") for s in range(5)]
        for r in items:
            data = store.read_blob(r.digest)[1]
            assert (np.asarray(PILImage.open(io.BytesIO(data))) == _pixels(r.step)).all()
        [table] = store.read_media(run_id, "evals")
        assert table.kind == "table" and len(table.uses) == 1
        cell = store.read_blob(table.uses[0])[1]
        assert (np.asarray(PILImage.open(io.BytesIO(cell))) == 7).all()
    assert not kept.exists()
    with open_store(store_url) as store:  # recovered once: no item twice
        assert len(store.read_media(run_id, "samples")) == 5


def test_a_journal_file_cannot_name_other_code(tmp_path: Path) -> None:
    path = tmp_path / "1-0000000000.pkl"
    path.write_bytes(pickle.dumps(("k", 1, 0, 1.0, os.system)))
    with pytest.raises(pickle.UnpicklingError, match=r"names posix\.system"):
        load(path)


def test_a_finished_run_leaves_no_media_in_the_journal(tb_home: str) -> None:
    import trainboard

    run = trainboard.init(project="p", name="clean")
    for step in range(3):
        run.log({"pic": trainboard.Image(_pixels(step))}, step=step)
    url = run.state.store_url
    kept = journal_dir(url) / f"{run.id}.media"
    run.finish()
    assert not kept.exists()
    with open_store(url) as store:
        assert len(store.read_media(run.id, "pic")) == 3
