"""Shaped like karpathy/nanoGPT's train.py: globals as config, `import wandb`, a log every
eval_interval without a step, wandb.watch on the real model. Run with
`python -m trainboard.wandb_run nanogpt_style.py`.

Two knobs for the tests, outside the config: NANOGPT_ITER_SECONDS, how long an iteration takes
(a real one takes ~100 ms), and NANOGPT_PAUSE_FILE, which makes the script wait at the middle
iteration (after its log) until that file exists, so a test can read the running run."""

import math
import os
import time

import torch

wandb_log = True
wandb_project = "owt"
wandb_run_name = "gpt2-tiny"
learning_rate = 6e-4
max_iters = 40
eval_interval = 10
batch_size = 4
config_keys = [
    k
    for k, v in globals().items()
    if not k.startswith("_") and isinstance(v, (int, float, bool, str))
]
config = {k: globals()[k] for k in config_keys}
iter_seconds = float(os.environ.get("NANOGPT_ITER_SECONDS", "0"))
pause_file = os.environ.get("NANOGPT_PAUSE_FILE")

torch.manual_seed(0)
model = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1))
optimizer = torch.optim.AdamW(model.parameters(), lr=learning_rate)

if wandb_log:
    import wandb

    wandb.init(project=wandb_project, name=wandb_run_name, config=config)
    wandb.watch(model, log="all", log_freq=10)

x = torch.randn(64, 8)
y = x.sum(dim=1, keepdim=True)
t0 = time.time()
for iter_num in range(max_iters + 1):
    lr = learning_rate * 0.5 * (1 + math.cos(math.pi * iter_num / max_iters))
    for group in optimizer.param_groups:
        group["lr"] = lr
    if iter_num % eval_interval == 0 and wandb_log:
        with torch.no_grad():
            model.eval()
            val = torch.nn.functional.mse_loss(model(x), y).item()
            model.train()
        wandb.log(
            {"iter": iter_num, "train/loss": val * 1.05, "val/loss": val, "lr": lr, "mfu": 12.5}
        )
        while pause_file and iter_num == max_iters // 2 and not os.path.exists(pause_file):
            time.sleep(0.05)
    loss = torch.nn.functional.mse_loss(model(x), y)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    time.sleep(iter_seconds)
print("run", wandb.run.id, wandb.run.name)
