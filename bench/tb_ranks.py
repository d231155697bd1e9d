"""What the per-rank reports (sdk/ranks.py) cost `log()`: the median log() of 4 scalars in
the caller for a single process, rank 0 of a 2-rank job and rank 1 of it, every one with its
background sampler reporting every 0.05 s (100× the default rate, so any cost would show).
The three are timed in turns, three rounds, in one process.

Run as `python -m bench.tb_ranks [--calls N]`; prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
from pathlib import Path

from bench.common import median_call_us, rows

JOB = {"WORLD_SIZE": "2", "TORCHELASTIC_RUN_ID": "bench-ranks", "LOCAL_RANK": "0"}


def _one(kind: str, d: Path, calls: int) -> float:
    import trainboard

    for k in ("RANK", *JOB):
        os.environ.pop(k, None)
    if kind != "single process":
        os.environ.update(JOB, RANK="0" if kind.startswith("rank 0") else "1")
    run = trainboard.init(project="bench", name="ranks", store=f"sqlite:///{d / 'tb.db'}")
    payloads = rows()
    log = run.log
    us, _ = median_call_us(lambda i: log(payloads[i & 4095]), max_calls=calls, max_seconds=20)
    run.finish()
    return us


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=200_000)
    calls = ap.parse_args().calls
    os.environ["TRAINBOARD_SYSTEM_INTERVAL"] = "0.05"
    os.environ["TRAINBOARD_QUIET"] = "1"
    kinds = ["single process", "rank 0 of 2 (run's metrics + its report)", "rank 1 of 2 (report)"]
    got: dict[str, list[float]] = {k: [] for k in kinds}
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(3):
            for k in kinds:
                got[k].append(_one(k, Path(tmp) / f"{r}-{len(got[k])}-{k[:6]}", calls))
    print("| process | log() of 4 scalars, median µs (3 rounds) | rounds |")
    print("|---|---|---|")
    for k in kinds:
        print(
            f"| {k} | {statistics.median(got[k]):.2f} | {', '.join(f'{v:.2f}' for v in got[k])} |"
        )


if __name__ == "__main__":
    main()
