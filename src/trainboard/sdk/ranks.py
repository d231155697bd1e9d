"""What each rank of a multi-process job alone knows, written into the job's one run.

Rank 0's metrics are the run's metrics. Every rank (rank 0 too) also reports, from a
background thread every TRAINBOARD_SYSTEM_INTERVAL seconds (never from `log()`):

    sys/rank{r}/steps_per_s          steps per second between the last two log() calls
                                     that moved the step before this sample (their own
                                     wall times, not the sampler's): a sample with no new
                                     step since the last one reports no rate, never 0,
                                     since a sample at the same step would replace the
                                     real rate (points are stored by step). So the rate
                                     holds whatever the logging interval (HF's
                                     logging_steps, a loop that logs every N steps). The
                                     first rate comes at the second step logged: the time
                                     before the first is start-up, not steps.
    sys/rank{r}/data_wait            seconds per step waiting for data, when the script logs
                                     it (`data_time`, `time/data`...: roles' DATA_WAIT_KEYS),
                                     smoothed over the samples (EMA, DATA_WAIT_SMOOTHING)
    sys/rank{r}/comm_wait            seconds per step this rank waited for the others in
                                     DDP's all-reduce, once `watch_ddp` (or an integration)
                                     timed it (sdk/commwait.py): the mean over the steps
                                     since the last report
    sys/rank{r}/cpu_percent  .../ram_percent  .../ram_used_gb  .../proc_rss_gb       (psutil)
    sys/rank{r}/gpu/util  .../gpu/mem_used_gb  .../gpu/mem_percent  .../gpu/temp_c
    sys/rank{r}/gpu/power_w          (NVML, the GPU numbered LOCAL_RANK; absent without
                                     nvidia-ml-py or a GPU: a clean no-op)

and its identity in the run's "ranks" values (host, pid, local rank, GPU, how it ended).
The same thread beats the rank's heartbeat every TRAINBOARD_HEARTBEAT_INTERVAL: its value
again with "seen_at" (stamped on the store's clock by the store) and "seen_step"; the
server's poller crashes the run when a rank that has not ended stops beating
(analysis/rankbeat.py), which is how a rank on another host that dies or loses its host
shows, where no one can check its pid.
A rank other than 0 writes through its own writer (to the same store, or the team server),
creates the run if it is first (a rank that starts alone or before rank 0 breaks nothing),
and never sets the run's status, except to fail it: a rank that ends by an exception marks
the run failed with its rank, host and error in an event and the notes. Rank 0, at its end,
looks for peers on its host that died without a word (SIGKILL, out of memory) and records
them the same way; its own final status never overwrites a failure another rank recorded.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from typing import TYPE_CHECKING, Any

from trainboard.store.records import EventRecord

if TYPE_CHECKING:
    from trainboard.sdk.commwait import CommWait
    from trainboard.sdk.state import RunState
    from trainboard.sdk.system import _Gpus
    from trainboard.sdk.torchrun import Job
    from trainboard.sdk.writer import Writer
    from trainboard.store.base import Store

NAMESPACE = "ranks"
DATA_WAIT_SMOOTHING = 0.3  # weight of the newest logged data wait in the reported one
_DEATH_WAIT = 1.0  # seconds rank 0, ending on an error, waits for a quiet peer to be dead


def rank_prefix(rank: int) -> str:
    return f"sys/rank{rank}/"


def _gpu_label(job: Job) -> str:
    return "-" if job.local_rank is None else str(job.local_rank)


class RankReporter:
    """One rank's reporter: its sampler thread and, on ranks other than 0, its own writer."""

    def __init__(
        self, run: RunState, job: Job, writer: Writer, *, interval: float, beat: float = 0.0
    ) -> None:
        self._state = run  # the run's state: its step and last values
        self._job = job
        self._writer = writer  # rank 0: the run's writer; others: their own
        self._interval = interval
        self._beat_every = beat  # seconds between the rank's heartbeats; 0: none
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._main, name=f"trainboard-rank{job.rank}", daemon=True
        )
        self._gpus: _Gpus | None = None
        self._last_step = run.step  # the step and its log() time at the last rate
        self._last_t = run.stepped_at  # 0: no step logged yet (no window begun)
        self._wait_key: str | None = None  # the script's data-wait key, once it logged one
        self._wait: float | None = None  # the smoothed data wait reported last
        self.comm: CommWait | None = None  # DDP's all-reduce timed (sdk/commwait.py)
        self.info: dict[str, Any] = {
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "local_rank": job.local_rank,
            "gpu": None,
            "started_at": time.time(),
            "restart": job.restart,
            "ended": None,
        }

    @property
    def rank(self) -> int:
        return self._job.rank

    def start(self) -> None:
        w, rank, info = self._writer, self._job.rank, self._beat_info()
        w.enqueue_call(_write_info, (rank, info))
        if rank == 0 and self._job.restart > 0:
            n = self._job.restart
            event = EventRecord(
                "restart",
                f"restart {n} of the job",
                f"torchrun started the job's processes again (restart {n}, "
                "--max-restarts); the run continues",
                "warn",
                time.time(),
                None,
            )
            w.enqueue_call("add_events", ([event],))
        if self._interval > 0 or self._beat_every > 0:
            self._thread.start()

    def _beat_info(self) -> dict[str, Any]:
        """The rank's value: with a heartbeat where the rank beats one."""
        if self._beat_every <= 0:
            return dict(self.info)
        return dict(self.info, seen_at=time.time(), seen_step=self._state.step)

    # the sampler thread -----------------------------------------------------------------
    def _main(self) -> None:
        import psutil

        from trainboard.sdk.system import _Gpus

        psutil.cpu_percent(interval=None)
        self._gpus = _Gpus()
        sample, beat = self._interval, self._beat_every
        next_sample = next_beat = time.monotonic()
        next_sample += sample
        next_beat += beat
        try:
            while True:
                due = [t for t, every in ((next_sample, sample), (next_beat, beat)) if every > 0]
                if self._stop.wait(max(0.0, min(due) - time.monotonic())):
                    break
                now = time.monotonic()
                if beat > 0 and now >= next_beat:
                    next_beat = now + beat
                    self._writer.enqueue_call(_write_info, (self._job.rank, self._beat_info()))
                if sample > 0 and now >= next_sample:
                    next_sample = now + sample
                    self._tick()
        finally:
            self._gpus.close()
            self._gpus = None

    def _tick(self) -> None:
        """One report: the step rate over the steps logged since the last one (if any),
        and the system metrics."""
        prefix = rank_prefix(self._job.rank)
        state = self._state
        step = state.step
        at = state.stepped_at  # read after `step`: log() sets it first, so never older
        out: dict[str, float] = {}
        if step != self._last_step:
            if step > self._last_step and self._last_t > 0 and at > self._last_t:
                out[prefix + "steps_per_s"] = (step - self._last_step) / (at - self._last_t)
            self._last_step, self._last_t = step, at  # a new window (or the first) begins
        self._data_wait(out, prefix)
        self._comm_wait(out, prefix)
        try:
            self._sample(out, prefix, self._gpus)
        except Exception:
            pass  # a sensor that fails once must not end the sampling
        self._writer.enqueue_points(max(step, 0), time.time(), out)

    def _data_wait(self, out: dict[str, float], prefix: str) -> None:
        """The script's logged data wait (the last value this rank logged), smoothed."""
        summary = self._state.summary
        if self._wait_key is None:
            from trainboard.roles import data_wait_key

            self._wait_key = data_wait_key(list(summary))
            if self._wait_key is None:
                return
        raw = summary.get(self._wait_key)
        if not isinstance(raw, (int, float)) and type(raw).__module__ != "numpy":
            return  # a tensor: never read (synced) from this thread
        try:
            value = float(raw)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return
        if not 0 <= value < float("inf"):
            return
        a = DATA_WAIT_SMOOTHING
        self._wait = float(value) if self._wait is None else a * value + (1 - a) * self._wait
        out[prefix + "data_wait"] = self._wait

    def _comm_wait(self, out: dict[str, float], prefix: str) -> None:
        """The mean all-reduce wait per step since the last report (already a mean over
        its steps: not smoothed further, which would only make it lag)."""
        comm = self.comm
        value = comm.take() if comm is not None else None
        if value is None:
            return
        out[prefix + "comm_wait"] = value

    def _sample(self, out: dict[str, float], prefix: str, gpus: _Gpus | None) -> None:
        from trainboard.sdk.system import sample_once

        for k, v in sample_once(None).items():
            out[prefix + k[len("sys/") :]] = v
        local = self._job.local_rank or 0
        if gpus is not None and gpus.handles:
            mine: dict[str, float] = {}
            index = local % len(gpus.handles)
            gpus.sample(mine)
            head = f"sys/gpu{index}/"
            for k, v in mine.items():
                if k.startswith(head):
                    out[prefix + "gpu/" + k[len(head) :]] = v

    # the end ----------------------------------------------------------------------------
    def end(self, status: str, notes: str | None, timeout: float) -> dict[str, Any] | None:
        """Called by sdk/finish.py before the writer closes. Rank 0: returns the final run
        fields that may still be written unconditionally (the status is written only if no
        other rank failed the run first); other ranks: closes their own writer (waiting at
        most `timeout` seconds, the run's finish timeout), None."""
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(2.0)
        if self._interval > 0 and not self._thread.is_alive():
            self._tick()  # the last report: a short job still leaves one
        job, w, now = self._job, self._writer, time.time()
        info = dict(self.info, ended=status, ended_at=now)
        step = self._state.step if self._state.step >= 0 else None
        where = f"rank {job.rank} (host {info['host']}, GPU {_gpu_label(job)})"
        if job.rank == 0:
            fields: dict[str, Any] = {"status": status, "finished_at": now}
            if notes is not None:
                fields["notes"] = notes
            w.enqueue_call(_end_rank0, (info, fields, step))
            return {}
        w.enqueue_call(_write_info, (job.rank, info))
        if status == "failed":
            text = notes or "it raised"
            event = EventRecord("rank", f"{where} failed", text, "error", now, step)
            w.enqueue_call("add_events", ([event],))
            w.enqueue_update(
                {"status": "failed", "finished_at": now, "notes": f"{where} failed: {text}"}
            )
        elif status == "killed":
            event = EventRecord(
                "rank", f"{where} was stopped", notes or "a signal ended it", "warn", now, step
            )
            w.enqueue_call("add_events", ([event],))
        w.close({}, timeout)
        return None


def _write_info(store: Store, run_id: str, rank: int, info: dict[str, Any]) -> None:
    store.write_run_values(run_id, NAMESPACE, {str(rank): info})


def _pid_alive(pid: int) -> bool:
    """A dead rank the launcher has not reaped yet is a zombie: dead, though its pid is."""
    import psutil

    try:
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False
    except psutil.Error:
        return True  # exists, owned by someone else


def dead_peers(
    peers: dict[str, Any], host: str, wait: float = 0.0
) -> list[tuple[int, dict[str, Any]]]:
    """Ranks on `host` that never recorded an end and whose process is gone. A peer killed
    by a signal closes its sockets before it is dead, so rank 0 can fail on the broken
    collective first: `wait` gives such peers that long to finish dying."""
    quiet = []
    for key, info in peers.items():
        if not isinstance(info, dict) or key == "0" or info.get("ended") is not None:
            continue
        if info.get("host") == host and isinstance(info.get("pid"), int):
            quiet.append((int(key), info))
    give_up = time.monotonic() + wait
    while True:
        dead = [(r, info) for r, info in quiet if not _pid_alive(info["pid"])]
        if len(dead) == len(quiet) or time.monotonic() >= give_up:
            return sorted(dead, key=lambda d: d[0])
        time.sleep(0.05)


def _end_rank0(
    store: Store, run_id: str, info: dict[str, Any], fields: dict[str, Any], step: int | None
) -> None:
    """Rank 0's end, in the writer thread: its own info, peers that died without a word,
    then the final status unless another rank already failed the run."""
    store.write_run_values(run_id, NAMESPACE, {"0": info})
    now = time.time()
    events = []
    wait = 0.0 if fields["status"] == "finished" else _DEATH_WAIT
    peers = store.read_run_values(run_id, NAMESPACE)
    for rank, peer in dead_peers(peers, info["host"], wait):
        gpu = "-" if peer.get("local_rank") is None else str(peer["local_rank"])
        where = f"rank {rank} (host {peer.get('host')}, GPU {gpu})"
        text = (
            f"process {peer.get('pid')} ended without recording an end: killed by a signal "
            "(SIGKILL, the out-of-memory killer) or a crash of the interpreter"
        )
        events.append(EventRecord("rank", f"{where} died", text, "error", now, step))
        fields = {**fields, "status": "crashed", "notes": f"{where} died: {text}"}
    if fields["status"] != "finished" and fields.get("notes"):
        gpu = "-" if info.get("local_rank") is None else str(info["local_rank"])
        title = f"rank 0 (host {info['host']}, GPU {gpu}) {fields['status']}"
        level = "error" if fields["status"] == "failed" else "warn"
        events.append(EventRecord("rank", title, str(fields["notes"]), level, now, step))
    if events:
        store.add_events(run_id, events)
    store.update_run_if(run_id, "running", **fields)


__all__ = ["NAMESPACE", "RankReporter", "dead_peers", "rank_prefix"]
