"""Train steps logged with commit=False, evaluation folded into the same step, then one
committing call per step (the wandb idiom for "one row per step")."""

import trainboard as wandb

wandb.init(project="evals", name="commit-false")
for step in range(6):
    wandb.log({"train/loss": 2.0 - 0.1 * step}, commit=False)
    if step % 2 == 0:
        wandb.log({"eval/loss": 2.5 - 0.1 * step, "eval/acc": 0.1 * step}, commit=False)
    wandb.log({"lr": 0.01})
wandb.log({"late": 1.0}, step=10)
wandb.log({"after": 2.0})
print("run", wandb.run.id)
wandb.finish()
