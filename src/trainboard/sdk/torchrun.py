"""torchrun (and SLURM, accelerate, DeepSpeed) awareness: which rank this process is, and
which job it belongs to.

torchrun sets RANK (global) and LOCAL_RANK (per node). The global rank decides: on a
multi-node job LOCAL_RANK is 0 once per node, but only rank 0 writes the run's metrics.
Every rank of one job derives the same run id from the job's key (`job_run_id`), so the
processes of a job are one run (sdk/ranks.py adds what each rank alone knows).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass

from trainboard.errors import UsageError


def _env_int(name: str) -> int | None:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise UsageError(f"{name} must be an integer rank, got {raw!r}") from None


def process_rank() -> int | None:
    """The distributed rank of this process, or None when not launched by torchrun."""
    rank = _env_int("RANK")
    return rank if rank is not None else _env_int("LOCAL_RANK")


@dataclass(frozen=True)
class Job:
    """One process of a multi-process job (torchrun, accelerate, DeepSpeed, SLURM, or an
    `init(group=)` the user gave): which rank it is, and the key every rank shares."""

    rank: int
    world_size: int | None
    local_rank: int | None
    key: str  # the same on every rank of the job: what its run id is derived from
    restart: int  # torchrun's TORCHELASTIC_RESTART_COUNT: 0 on the first attempt


def job_of_env(group: str | None = None) -> Job | None:
    """The job this process belongs to, or None when it runs alone (no rank in the
    environment, or a world of one). The key, in order of preference: `group` given to
    init(), torchrun's TORCHELASTIC_RUN_ID (unless its default "none"), SLURM_JOB_ID (with
    the step id), else MASTER_ADDR:MASTER_PORT (a fixed address used by job after job names
    the same run each time: pass `group=` or `run_id=` there)."""
    env = os.environ
    rank = process_rank()
    world = _env_int("WORLD_SIZE")
    if rank is None and _env_int("SLURM_NTASKS") not in (None, 1):
        rank, world = _env_int("SLURM_PROCID"), _env_int("SLURM_NTASKS")
    if rank is None or (world is not None and world <= 1 and group is None):
        return None
    local = _env_int("LOCAL_RANK")
    if local is None:
        local = _env_int("SLURM_LOCALID")
    restart = _env_int("TORCHELASTIC_RESTART_COUNT") or 0
    rdzv = env.get("TORCHELASTIC_RUN_ID", "").strip()
    if group:
        key = f"group:{group}"
    elif rdzv and rdzv != "none":
        key = f"torchelastic:{rdzv}"
    elif env.get("SLURM_JOB_ID", "").strip():
        key = f"slurm:{env['SLURM_JOB_ID'].strip()}.{env.get('SLURM_STEP_ID', '').strip()}"
    elif env.get("MASTER_ADDR", "").strip():
        key = f"master:{env['MASTER_ADDR'].strip()}:{env.get('MASTER_PORT', '').strip()}"
    else:
        return None  # ranks with nothing that ties them together: each is its own process
    return Job(rank=rank, world_size=world, local_rank=local, key=key, restart=restart)


def job_run_id(job: Job, project: str | None, name: str | None) -> str:
    """The run id every rank of `job` derives alike (12 hex digits, like a new run's id)."""
    seed = "\x1f".join(("trainboard-job", job.key, project or "", name or ""))
    return hashlib.sha256(seed.encode()).hexdigest()[:12]
