"""A small training script the SDK tests run as a real child process.

    python child.py MODE [N]

It prints the run id first, then (mode "stream") one "step wall_time" line per logged step,
so the parent knows exactly what was logged when.
"""

from __future__ import annotations

import sys
import time

import trainboard


def main() -> None:
    mode = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    run = trainboard.init(project="child", name=f"child-{mode}", total_steps=n)
    print(run.id, flush=True)
    if mode == "stream":  # log until killed
        step = 0
        while True:
            run.log({"loss": 1.0 / (step + 1), "step_seen": float(step)}, step=step)
            print(step, time.time(), flush=True)
            step += 1
            time.sleep(0.005)
    if mode == "many":  # one of several writers of the same store
        for step in range(n):
            run.log({"a": float(step), "b": step * 2.0, "c": -float(step)})
        run.finish()
        return
    for step in range(n):
        run.log({"loss": 1.0 / (step + 1)})
    if mode == "raise":
        raise ValueError(f"boom at step {n - 1}")
    if mode == "raise-then-term":  # a launcher's SIGTERM lands while the failure is written
        import os
        import signal

        writer = run.state.writer
        assert writer is not None
        close = writer.close

        def close_after_sigterm(fields: dict[str, object], timeout: float) -> bool:
            os.kill(os.getpid(), signal.SIGTERM)
            return close(fields, timeout)

        writer.close = close_after_sigterm  # type: ignore[method-assign]
        raise ValueError(f"boom at step {n - 1}")
    if mode == "interrupt":
        raise KeyboardInterrupt
    if mode == "wait":  # for a signal
        print("ready", flush=True)
        while True:
            time.sleep(0.05)
    if mode == "exit":  # a normal end without finish(): atexit finishes the run
        return
    raise SystemExit(f"unknown mode {mode}")


if __name__ == "__main__":
    main()
