#!/usr/bin/env bash
# A two-process job on one GPU with NVML metrics per rank (issue #20): the check to run when a
# GPU is at hand. Needs torch with CUDA and nvidia-ml-py (pynvml) in the environment. Prints
# each rank's GPU metrics (sys/rank{r}/gpu/*) and the run's status; exits non-zero if NVML
# gave no GPU metric for either rank.
#   bash bench/ranks_gpu.sh            (from the repository root, PYTHONPATH=src)
set -euo pipefail
dir=$(mktemp -d)
cat > "$dir/job.py" <<'PY'
import os, time, torch, torch.distributed as dist, trainboard
dist.init_process_group("nccl" if torch.cuda.device_count() > 1 else "gloo")
dev = torch.device("cuda", 0)  # both ranks share GPU 0
x = torch.randn(4096, 4096, device=dev)
run = trainboard.init(project="gpu", name="two-on-one", store=os.environ["JOB_STORE"])
for step in range(200):
    for _ in range(4):
        x = (x @ x).tanh()
    torch.cuda.synchronize()
    run.log({"loss": float(x.abs().mean())})
run.finish()
dist.destroy_process_group()
PY
export JOB_STORE="sqlite:///$dir/tb.db" TRAINBOARD_SYSTEM_INTERVAL=0.5 TRAINBOARD_QUIET=1
python -m torch.distributed.run --standalone --nproc_per_node=2 "$dir/job.py"
python - "$JOB_STORE" <<'PY'
import sys
from trainboard.store import open_store
with open_store(sys.argv[1]) as s:
    (run,) = s.list_runs()
    print("status", run.status)
    gpu = {k: (v.last, v.max) for k, v in run.summary.items() if "/gpu" in k}
    for k, (last, top) in sorted(gpu.items()):
        print(f"{k:32s} last {last:10.2f}  max {top:10.2f}")
    ok = all(any(k.startswith(f"sys/rank{r}/gpu/") for k in gpu) for r in (0, 1))
    sys.exit(0 if ok and run.status == "finished" else 1)
PY
