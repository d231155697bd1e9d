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
from trainboard.journal.media import MediaJournal, QueuedMedia, left_behind, load
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
    # beside a SQLite file; for PostgreSQL, under TRAINBOARD_HOME in its store identity's folder
    [keys] = [*journal_dir(store_url).glob(f"{run_id}.keys"),
              *Path(tb_home).glob(f"journals/*/{run_id}.keys")]  # fmt: skip
    folder = keys.parent
    [segment] = folder.glob(f"{run_id}.*.media")
    paths, queued = left_behind(folder, run_id, lambda p, e: pytest.fail(f"{p}: {e}"))
    assert [(q.key, q.step) for q in queued] == [*(("samples", s) for s in range(5)), ("evals", 5)]

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
    assert not segment.exists()
    with open_store(store_url) as store:  # recovered once: no item twice
        assert len(store.read_media(run_id, "samples")) == 5


def test_a_journal_record_cannot_name_other_code() -> None:
    with pytest.raises(pickle.UnpicklingError, match=r"names posix\.system"):
        load(pickle.dumps(("k", 1, 0, 1.0, os.system)))


def test_segments_go_once_their_items_are_written_and_a_cut_record_is_skipped(
    tmp_path: Path,
) -> None:
    import trainboard

    mj = MediaJournal(tmp_path, "run1", segment_bytes=2000)
    items = [
        QueuedMedia("pic", s, 0, 1.0, trainboard.Image(_pixels(s).repeat(10, axis=0)))
        for s in range(6)
    ]
    kept = [mj.keep(q) for q in items]  # ~750 bytes each: a new segment every 2 or 3
    assert kept[0] == 0 and kept[-1] is not None and kept[-1] >= 2
    segments = sorted(tmp_path.glob("run1.*.media"))
    assert len(segments) == kept[-1] + 1
    mj.forget(kept[:-1])  # all but the last item are in the store
    assert sorted(tmp_path.glob("run1.*.media")) == [segments[-1]]
    last = segments[-1].read_bytes()
    segments[-1].write_bytes(last + last[: len(last) // 2])  # a record cut short by a kill
    _, queued = left_behind(tmp_path, "run1", lambda p, e: pytest.fail(f"{p}: {e}"))
    assert [q.step for q in queued] == [5]
    assert queued[0].value.encode().data == items[5].value.encode().data
    mj.forget(kept[-1:])
    mj.close()
    assert list(tmp_path.glob("run1.*.media")) == []


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
