"""An argparse script: `wandb.config.update(args)`, attribute reads, summary writes and
finish(exit_code=...). Run with `import trainboard as wandb` (as written here)."""

import argparse

import trainboard as wandb

parser = argparse.ArgumentParser()
parser.add_argument("--lr", type=float, default=1e-3)
parser.add_argument("--epochs", type=int, default=3)
parser.add_argument("--model", default="resnet18")
parser.add_argument("--exit-code", type=int, default=0)
args = parser.parse_args()

wandb.login()
run = wandb.init(
    project="cifar",
    entity="someone",
    group="ablation",
    job_type="train",
    notes="argparse run",
    settings=wandb.Settings(start_method="thread"),
    dir="/tmp",
)
wandb.config.update(args)
wandb.config.seed = 7
assert wandb.config.epochs == args.epochs and run.config["model"] == args.model
best = 0.0
for epoch in range(wandb.config.epochs):
    acc = 0.5 + 0.1 * epoch
    wandb.log({"epoch": epoch, "train/acc": acc, "train/loss": 1.0 / (epoch + 1)})
    best = max(best, acc)
run.summary["best_acc"] = best
wandb.summary.update({"final_note": "done"})
print("run", run.id)
wandb.finish(exit_code=args.exit_code)
