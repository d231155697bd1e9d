"""TensorBoard import against TensorBoard's own loader, on the same log folder.

The log: 250,000 events of 4 scalars each (1,000,000 points), framed and checksummed exactly
as TensorBoard's writers frame them (TFRecords of `event_pb2.Event`, TF1 `simple_value`
summaries, the way `tf.summary.merge_all` writes several values per event). Written here
directly (with the C CRC-32C) because torch's SummaryWriter needs ~40 s for a million calls.

    trainboard     `import_logdir` into a fresh SQLite store, every point stored (wall time)
    TensorBoard    `EventAccumulator(path, size_guidance={SCALARS: 0}).Reload()`: every point
                   kept in memory (0 = no sampling), nothing written (wall time)

`ratio` is TensorBoard's wall time over trainboard's; `ratio_cpu` the same in CPU time (this
process's, which a machine shared with other work disturbs less). `--quick`: 100,000 points.
Run as `python -m bench.tb_tbimport tbimport --dir DIR [--quick]`; prints one JSON line.
"""

from __future__ import annotations

import struct
import time
from pathlib import Path
from typing import Any

from bench.common import log, workload_main
from trainboard.store import open_store

POINTS = 1_000_000
TAGS = ("Loss/train", "Loss/validation", "Learning_Rate/lr", "Gradient/norm")


def write_log(folder: Path, points: int) -> Path:
    """An event file of points // 4 events, each with the 4 TAGS."""
    import google_crc32c
    from tensorboard.compat.proto import event_pb2, summary_pb2

    def masked(data: bytes) -> int:
        crc = google_crc32c.value(data)
        return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "events.out.tfevents.1700000000.bench.1.0"
    t0 = 1_700_000_000.0
    with open(path, "wb") as f:

        def record(data: bytes) -> None:
            head = struct.pack("<Q", len(data))
            f.write(head + struct.pack("<I", masked(head)) + data)
            f.write(struct.pack("<I", masked(data)))

        record(event_pb2.Event(wall_time=t0, file_version="brain.Event:2").SerializeToString())
        for step in range(points // len(TAGS)):
            for i, tag in enumerate(TAGS):  # one value an event, as torch's add_scalar writes
                value = summary_pb2.Summary.Value(tag=tag, simple_value=1.0 / (step + 1 + i))
                ev = event_pb2.Event(
                    wall_time=t0 + step * 0.01 + i * 1e-4,
                    step=step,
                    summary=summary_pb2.Summary(value=[value]),
                )
                record(ev.SerializeToString())
    return path


def tbimport(d: Path, quick: bool) -> dict[str, Any]:
    points = 100_000 if quick else POINTS
    logdir = d / "logs"
    path = write_log(logdir / "run", points)
    log(f"wrote {path.stat().st_size / 2**20:.1f} MiB, {points:,} points")
    out: dict[str, Any] = {"points": points, "file_mb": path.stat().st_size / 2**20}

    from tensorboard.backend.event_processing import event_accumulator as ea

    from trainboard.integrations.tensorboard import import_logdir
    from trainboard.integrations.tensorboard_events import _imports

    _imports()  # both sides start with their modules imported
    with open_store(f"sqlite:///{d / 'tb.db'}") as store:
        t0, c0 = time.perf_counter(), time.process_time()
        [r] = import_logdir(store, str(logdir))
        out["trainboard_s"] = time.perf_counter() - t0
        out["trainboard_cpu_s"] = time.process_time() - c0
        assert r.points == points, r
        got = sum(s.count for s in store.get_run(r.run_id).summary.values())
        assert got == points, got
    log(f"trainboard: {out['trainboard_s']:.2f} s")

    t0, c0 = time.perf_counter(), time.process_time()
    acc = ea.EventAccumulator(str(logdir / "run"), size_guidance={ea.SCALARS: 0})
    acc.Reload()
    kept = sum(len(acc.Scalars(tag)) for tag in acc.Tags()["scalars"])
    out["tensorboard_s"] = time.perf_counter() - t0
    out["tensorboard_cpu_s"] = time.process_time() - c0
    assert kept == points, kept
    log(f"TensorBoard EventAccumulator: {out['tensorboard_s']:.2f} s")
    out["trainboard_pps"] = points / out["trainboard_s"]
    out["tensorboard_pps"] = points / out["tensorboard_s"]
    out["ratio"] = out["tensorboard_s"] / out["trainboard_s"]
    out["ratio_cpu"] = out["tensorboard_cpu_s"] / out["trainboard_cpu_s"]
    return out


if __name__ == "__main__":
    workload_main({"tbimport": tbimport})
