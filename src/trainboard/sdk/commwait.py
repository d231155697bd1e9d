"""How long each rank of a DDP job waits for the others: the straggler signal under DDP.

DDP ends every backward in an all-reduce that every rank waits on, so every rank steps at
the slowest one's pace and the per-rank step rates are all the same. What differs is the
wait: a fast rank hands its gradients over and waits for the slow one; the slow one arrives
last and hardly waits. So the rank the others wait for is the one that waits least.

`watch_ddp` wraps DDP's default all-reduce in a communication hook
(`DistributedDataParallel.register_comm_hook`). Per step it takes the time from the moment
this rank handed over its last gradient bucket (its backward is done: `bucket.is_last()`)
to the moment the step's last all-reduce completed (the futures' `then` callbacks): the time
this rank stood waiting for the others. The rank's reporter (sdk/ranks.py) reports the mean
over the steps since its last report as `sys/rank{r}/comm_wait` (seconds per step; the
first step is left out, since the ranks start it at different times), and
analysis/straggler.py names the rank the others wait for.

What it cannot see: with NCCL the all-reduce's future completes when the collective is
queued on the GPU's stream, not when it ends, so the CPU-side time is not the wait; buckets
on a GPU are handed to the same all-reduce but not timed (nothing is reported rather than a
wrong number). A model with its own comm hook (PowerSGD, fp16 compression) keeps it and is
not timed: DDP takes one hook per model. Costs: a few microseconds of Python per bucket.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Protocol

from trainboard.errors import UsageError


class Reporter(Protocol):
    """A rank's reporter (sdk/ranks.py `RankReporter`), which reports what the hook timed;
    named by its one attribute so this module imports nothing of the SDK's run."""

    comm: CommWait | None


class CommWait:
    """The hook's state: this step's timings (in the all-reduce callbacks' thread) and the
    waits of the steps since the reporter last took them."""

    def __init__(self, process_group: Any) -> None:
        self.process_group = process_group  # DDP's own (None: the default group)
        self._lock = threading.Lock()
        self._pending = 0  # all-reduces of this step not completed yet
        self._last_call: float | None = None  # when the step's last bucket was handed over
        self._done_at = 0.0
        self._sum = 0.0  # waits of the steps since the last take()
        self._steps = 0
        self.timed = False  # True once a step was timed (never on GPU buckets)

    def called(self, last: bool) -> float:
        now = time.perf_counter()
        with self._lock:
            self._pending += 1
            if last:
                self._last_call = now
        return now

    def completed(self) -> None:
        now = time.perf_counter()
        with self._lock:
            self._pending -= 1
            self._done_at = max(self._done_at, now)
            if self._pending == 0 and self._last_call is not None:
                if self.timed:  # the first step is left out: ranks start at different times
                    self._sum += max(0.0, self._done_at - self._last_call)
                    self._steps += 1
                self._last_call, self._done_at = None, 0.0
                self.timed = True

    def take(self) -> float | None:
        """The mean wait per step since the last take (seconds), None when no step ended."""
        with self._lock:
            if self._steps == 0:
                return None
            mean = self._sum / self._steps
            self._sum, self._steps = 0.0, 0
            return mean


def _timed_allreduce(state: CommWait, bucket: Any) -> Any:
    """DDP's default all-reduce (`default_hooks.allreduce_hook`), timed on CPU buckets."""
    from torch.distributed.algorithms.ddp_comm_hooks.default_hooks import allreduce_hook

    if bucket.buffer().is_cuda:  # NCCL's future completes at enqueue: not the wait
        return allreduce_hook(state.process_group, bucket)
    state.called(bucket.is_last())
    fut = allreduce_hook(state.process_group, bucket)

    def done(f: Any) -> Any:
        state.completed()
        return f.value()

    return fut.then(done)


def watch_ddp(reporter: Reporter | None, model: Any) -> bool:
    """Time how long this rank waits for the others in `model`'s all-reduce (a
    `DistributedDataParallel`), reported by the rank's `reporter` as
    `sys/rank{r}/comm_wait`. True when installed; False (and nothing changes) without a
    reporter (the run is not one rank of a multi-process job, or records nothing), or when
    the model already has a comm hook of its own."""
    try:
        from torch.nn.parallel import DistributedDataParallel
    except ImportError:
        raise UsageError("watch_ddp(): torch is not installed") from None
    if not isinstance(model, DistributedDataParallel):
        raise UsageError(
            "watch_ddp(): expected the model wrapped in torch.nn.parallel."
            f"DistributedDataParallel, got {type(model).__name__}"
        )
    if reporter is None:
        return False  # a single process: no other rank to wait for
    if getattr(model, "_trainboard_comm_wait", None) is not None:
        return True  # installed already (an integration did, or a second call)
    state = CommWait(getattr(model, "process_group", None))
    try:
        # unannotated: DDP checks a hook's annotations against torch's own types
        model.register_comm_hook(state, lambda st, bucket: _timed_allreduce(st, bucket))
    except RuntimeError:  # DDP takes one hook per model: the user's own stays
        return False
    setattr(model, "_trainboard_comm_wait", state)  # noqa: B010 (not a Module attribute)
    reporter.comm = state
    return True


def find_ddp(module: Any) -> Any:
    """The DistributedDataParallel that wraps `module`, for an integration handed only the
    inner model (the HF Trainer's callbacks get `trainer.model`, never `model_wrapped`);
    None when there is none. Found through the objects that refer to `module`: a scan of
    the heap, done once per training, only where a process group runs with more than one
    rank (about half a second on a loaded 2-core machine with torch imported)."""
    try:
        import torch.distributed as dist
        from torch.nn.parallel import DistributedDataParallel
    except ImportError:
        return None
    if module is None or not dist.is_available() or not dist.is_initialized():
        return None
    if dist.get_world_size() <= 1:
        return None
    return _wrapper_of(module, DistributedDataParallel)


def _wrapper_of(module: Any, wrapper: type) -> Any:
    """The `wrapper` instance whose `.module` is `module`, through the heap's references."""
    import gc

    if isinstance(module, wrapper):
        return module
    seen = [module]
    for _ in range(3):  # module <- DDP._modules (a dict) <- DDP (or its __dict__)
        refs = [r for obj in seen for r in gc.get_referrers(obj)]
        for r in refs:
            if isinstance(r, wrapper) and getattr(r, "module", None) is module:
                return r
        seen = [r for r in refs if isinstance(r, dict)]
        if not seen:
            return None
    return None


__all__ = ["CommWait", "Reporter", "find_ddp", "watch_ddp"]
