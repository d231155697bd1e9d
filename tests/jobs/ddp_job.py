"""A small DDP job on CPU (gloo) that the rank tests start with torchrun.

JOB_MODE picks what goes wrong: "ok", "slow" (rank 1 sleeps each step, no sync), "raise"
(rank 1 raises at step 5), "sigkill" (rank 1 kills itself at step 5), "restart" (rank 1
raises on the first attempt only; no process group: gloo's reconnect on a restart is flaky on
a loaded machine, and torchrun's restart is what this mode tests), "ckpt" (rank 0 saves a
checkpoint with the run id every 10 steps in JOB_CKPT; without a checkpoint there, rank 1
raises at step 25; with one, the job resumes the run from its step), "wait" (rank 1 sleeps
0.1 s more than rank 0 each step, with DDP's all-reduce: rank 0 waits for it). Synced jobs
time the all-reduce wait (`run.watch_ddp`). JOB_STORE is the store URL, JOB_STEPS the step
count, JOB_LOG_EVERY (default 1) how many steps each log() comes after, as a Trainer's
logging_steps does.
"""

from __future__ import annotations

import faulthandler
import os
import signal
import time

import torch
import torch.distributed as dist

import trainboard

faulthandler.dump_traceback_later(120, exit=True)  # a hung job says where, and ends
mode = os.environ.get("JOB_MODE", "ok")
steps = int(os.environ.get("JOB_STEPS", "30"))
log_every = int(os.environ.get("JOB_LOG_EVERY", "1"))
synced = mode not in ("slow", "restart")  # DDP's all-reduce every step
if synced:
    dist.init_process_group("gloo")
rank = int(os.environ["RANK"])
attempt = int(os.environ.get("TORCHELASTIC_RESTART_COUNT", "0"))
model = torch.nn.Linear(4, 1)
ckpt = os.environ.get("JOB_CKPT", "")
first, resume = 0, None
if mode == "ckpt" and os.path.exists(ckpt):  # a new job from the checkpoint of one that died
    saved = torch.load(ckpt)
    model.load_state_dict(saved["model"])
    first, resume = saved["step"] + 1, saved["run_id"]
if synced:
    model = torch.nn.parallel.DistributedDataParallel(model)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
run = trainboard.init(
    project="ddp",
    name="job",
    store=os.environ["JOB_STORE"],
    progress=False,
    resume=resume,
    resume_from_step=first - 1 if resume else None,
)
if synced:
    assert run.watch_ddp(model), "the all-reduce wait is timed"
for step in range(first, steps):
    if mode == "ckpt" and rank == 1 and step == 25 and resume is None:
        raise RuntimeError("rank 1 was pre-empted")
    if rank == 1 and step == 5:
        if mode == "raise" or (mode == "restart" and attempt == 0):
            raise RuntimeError("rank 1 ran out of batches")
        if mode == "sigkill":
            os.kill(os.getpid(), signal.SIGKILL)
    if not synced:  # ranks at their own pace: no collective in the loop
        time.sleep(0.06 if rank == 1 and mode == "slow" else 0.02)
        if step % log_every == log_every - 1:
            run.log({"loss": 1.0 / (step + 1)}, step=step)
        continue
    x = torch.randn(8, 4)
    loss = model(x).pow(2).mean()
    opt.zero_grad()
    loss.backward()  # the all-reduce: every rank waits for the slowest
    opt.step()
    run.log({"loss": float(loss.detach())}, step=step)
    if mode == "ckpt" and rank == 0 and step % 10 == 9:
        inner = (
            model.module if isinstance(model, torch.nn.parallel.DistributedDataParallel) else model
        )
        torch.save({"model": inner.state_dict(), "step": step, "run_id": run.id}, ckpt)
    time.sleep(0.12 if rank == 1 and mode == "wait" else 0.02)
run.finish()
if synced:
    dist.destroy_process_group()
