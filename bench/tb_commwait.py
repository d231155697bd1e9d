"""What timing the all-reduce wait (sdk/commwait.py) costs a DDP step: the median step time
(forward, backward with its all-reduce, optimizer step) of a small MLP under gloo DDP in a
world of one process, with DDP's default all-reduce and with the timed hook, in turns, three
rounds each, in one process. A world of one has no one to wait for, so what differs is only
the hook's own work (a lock, two clocks and a `then` callback per bucket).

Run as `python -m bench.tb_commwait [--steps N]`; prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from typing import Any


def _model(timed: bool) -> tuple[Any, Any]:
    import torch

    from trainboard.sdk.commwait import watch_ddp

    torch.manual_seed(0)
    inner = torch.nn.Sequential(*[torch.nn.Linear(256, 256) for _ in range(4)])
    ddp = torch.nn.parallel.DistributedDataParallel(inner, bucket_cap_mb=0.25)  # several buckets

    class Reporter:
        comm = None

    if timed:
        assert watch_ddp(Reporter(), ddp)
    return ddp, torch.optim.SGD(ddp.parameters(), lr=0.01)


def _median_step_us(timed: bool, steps: int) -> float:
    import torch

    ddp, opt = _model(timed)
    x = torch.randn(32, 256)
    took = []
    for i in range(steps + 20):
        t = time.perf_counter()
        opt.zero_grad()
        ddp(x).pow(2).mean().backward()
        opt.step()
        if i >= 20:  # the first steps rebuild buckets
            took.append(time.perf_counter() - t)
    return statistics.median(took) * 1e6


def main() -> None:
    import torch.distributed as dist

    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=2000)
    steps = ap.parse_args().steps
    os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
    os.environ.setdefault("MASTER_PORT", "29655")
    dist.init_process_group("gloo", rank=0, world_size=1)
    rounds: dict[str, list[float]] = {"default all-reduce": [], "timed (watch_ddp)": []}
    for _ in range(3):
        rounds["default all-reduce"].append(_median_step_us(False, steps))
        rounds["timed (watch_ddp)"].append(_median_step_us(True, steps))
    dist.destroy_process_group()
    print("| DDP hook | step, median µs | rounds |\n|---|---|---|")
    for name, v in rounds.items():
        print(f"| {name} | {statistics.median(v):.0f} | {', '.join(f'{x:.0f}' for x in v)} |")


if __name__ == "__main__":
    main()
