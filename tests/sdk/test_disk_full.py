"""Limits as documented (#23): when the journal cannot grow (a real full disk: the store and
its journal on a 256 KiB tmpfs), points wait in memory up to MAX_MEMORY_POINTS, never more, and
what is dropped beyond that is counted and named in one warning."""

from __future__ import annotations

import subprocess
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

import trainboard
from trainboard.errors import TrainboardWarning
from trainboard.sdk.writer import MAX_MEMORY_POINTS


@pytest.fixture
def full_disk(tmp_path: Path) -> Iterator[Path]:
    mnt = tmp_path / "small"
    mnt.mkdir()
    # 1 MiB: room for a migrated empty store (about 232 KiB with its indexes), none for the run
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mnt)],
                          capture_output=True)  # fmt: skip
    if done.returncode != 0:  # not root: CI runs as root, so there it always runs
        pytest.skip(f"cannot mount a small tmpfs here: {done.stderr.decode().strip()}")
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], check=False)


def test_memory_holds_at_most_the_limit_and_says_what_it_drops(
    full_disk: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRAINBOARD_SYSTEM_INTERVAL", "0")
    monkeypatch.setenv("TRAINBOARD_HOME", str(full_disk))
    run = trainboard.init(project="p", store=f"sqlite:///{full_disk / 'tb.db'}", progress=False)
    writer = run.state.writer
    assert writer is not None
    keys = [f"k{i}" for i in range(8)]
    calls = (MAX_MEMORY_POINTS * 3 // 2) // len(keys)  # 1.5 M point values
    noise = np.random.default_rng(0).random((4096, len(keys))).tolist()  # no store compresses it
    most = 0
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for step in range(calls):
            run.log(dict(zip(keys, noise[step & 4095], strict=True)), step=step)
            if step % 50_000 == 0:
                most = max(most, writer._pending.in_memory)
        most = max(most, writer._pending.in_memory)
        assert most <= MAX_MEMORY_POINTS
        assert run.lost_points >= calls * len(keys) - MAX_MEMORY_POINTS - 200_000  # dropped
        run.finish(quiet=True)
    ours = [str(w.message) for w in caught if issubclass(w.category, TrainboardWarning)]
    dropping = [m for m in ours if "is dropping points from step" in m]
    assert len(dropping) == 1, ours
    assert (
        "keys k0, k1, k2, k3, k4, ..." in dropping[0]
        and "1,000,000 points in memory" in dropping[0]
    )
