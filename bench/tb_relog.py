"""A resumed run logging steps again (#24): the cost of one write_points of 100 re-logged
points into a long series, by where they land.

    python -m bench.tb_relog [--points 10000000] [--url URL]

Builds one run with `--points` points of train/loss (write_points, 1 M a call), then times,
as medians of 7, write_points of 100 consecutive steps that the run already has: near the end
(a resume from a checkpoint 1,000 steps back), in the middle, and at the very start. Before
#24's change every such write recomputed the summary from the whole series; now only the
chunks the points overlap are read and rewritten.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time

import numpy as np

from trainboard.store import open_store
from trainboard.store.records import PointBatch, RunRecord


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.tb_relog")
    ap.add_argument("--points", type=int, default=10_000_000)
    ap.add_argument("--url")
    ap.add_argument("--reps", type=int, default=7)
    args = ap.parse_args(argv)
    url = args.url or f"sqlite:///{tempfile.mkdtemp(prefix='tb-relog-')}/relog.db"
    n = args.points
    out: dict[str, object] = {"points": n}
    with open_store(url) as store:
        rid = "re109" + str(int(time.time() * 1000))[-7:]
        store.create_run(RunRecord(id=rid, project="bench", name="resumed", status="finished"))
        t0 = time.perf_counter()
        for a in range(0, n, 1_000_000):
            steps = np.arange(a, min(n, a + 1_000_000), dtype=np.int64)
            vals = 2.0 + np.sin(steps / 1e4)
            store.write_points(rid, {"train/loss": PointBatch(steps, 1.7e9 + steps * 0.01, vals)})
        out["build_s"] = round(time.perf_counter() - t0, 1)
        for where, first in (("near_end", n - 1000), ("middle", n // 2), ("start", 0)):
            times = []
            for r in range(args.reps):
                steps = np.arange(first, first + 100, dtype=np.int64)
                vals = np.full(100, 1.0 + r / 10)
                t = time.perf_counter()
                store.write_points(
                    rid, {"train/loss": PointBatch(steps, 1.8e9 + steps * 0.01, vals)}
                )
                times.append(time.perf_counter() - t)
            out[f"{where}_ms"] = round(statistics.median(times) * 1000, 1)
        summ = store.get_run(rid).summary["train/loss"]
        whole = store.read_series(rid, "train/loss")
        out["summary_ok"] = (
            summ.count == n == whole.steps.shape[0]
            and summ.min == float(whole.values.min())
            and summ.last == float(whole.values[-1])
        )
    out["date"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    print(json.dumps(out))


if __name__ == "__main__":
    main()
