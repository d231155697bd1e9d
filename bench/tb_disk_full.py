"""log()'s cost while the journal cannot grow (#23): the store and its journal on a real full
tmpfs (256 KiB), against the same run on a disk with room. Needs root (mount); prints one
line per case and the ratio.

    python -m bench.tb_disk_full [CALLS]
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

KEYS = [f"k{i}" for i in range(4)]


def _per_call(folder: Path, calls: int) -> tuple[float, float, int, int]:
    """(µs per log() call while memory holds the points, µs per call once it drops them,
    points the writer held at most, points dropped)."""
    import trainboard

    os.environ["TRAINBOARD_HOME"] = str(folder)
    run = trainboard.init(project="bench", store=f"sqlite:///{folder / 'tb.db'}", progress=False)
    writer = run.state.writer
    assert writer is not None
    values = [{k: float(i + j) for j, k in enumerate(KEYS)} for i in range(1024)]
    for step in range(2000):  # warm up (the journal's kind, the writer's first write)
        run.log(values[step & 1023], step=step)
    # while memory holds them: calls of 4 keys up to 0.8 M points (under the 1 M limit)
    kept = min(calls, 200_000 // len(KEYS))
    step = 2000
    best = dropping = float("inf")
    most = 0
    for phase in range(2):
        for _ in range(4):
            n = kept if phase == 0 else calls
            t0 = time.perf_counter()
            for _ in range(n):
                run.log(values[step & 1023], step=step)
                step += 1
            took = (time.perf_counter() - t0) / n * 1e6
            if phase == 0:
                best = min(best, took)
            elif run.lost_points:
                dropping = min(dropping, took)
            most = max(most, writer._pending.in_memory)
    lost = run.lost_points
    run.finish(quiet=True)
    return best, dropping, most, lost


def main() -> None:
    calls = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    os.environ["TRAINBOARD_SYSTEM_INTERVAL"] = "0"
    with tempfile.TemporaryDirectory() as roomy:
        room, _, _, _ = _per_call(Path(roomy), calls)
    with tempfile.TemporaryDirectory() as tmp:
        mnt = Path(tmp) / "small"
        mnt.mkdir()
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mnt)],
                              capture_output=True)  # fmt: skip
        if done.returncode != 0:
            sys.exit(f"needs root to mount a small tmpfs: {done.stderr.decode().strip()}")
        try:
            full, dropping, most, lost = _per_call(mnt, calls)
        finally:
            subprocess.run(["umount", "-l", str(mnt)], check=False)
    print(f"log() with room on disk:          {room:.2f} µs/call ({len(KEYS)} keys, best of 4)")
    print(f"log() with the journal full:      {full:.2f} µs/call while memory holds the points")
    print(f"log() once the 1 M limit is hit:  {dropping:.2f} µs/call; at most {most:,} points "
          f"in memory, {lost:,} dropped")  # fmt: skip
    print(f"ratio full/room: {full / room:.1f}x   (load: {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
