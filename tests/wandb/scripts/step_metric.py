"""define_metric with step_metric (glob names), summary and goal, as the Hugging Face
integration and epoch-based scripts write it."""

import trainboard as wandb

run = wandb.init(project="steps", name="step-metric", config={"epochs": 3})
wandb.define_metric("train/global_step")
wandb.define_metric("train/*", step_metric="train/global_step")
wandb.define_metric("epoch")
wandb.define_metric("val/*", step_metric="epoch", summary="min", goal="minimize")
wandb.define_metric("val/acc", step_metric="epoch", summary="max,mean", goal="maximize")
gs = 0
for epoch in range(3):
    for _ in range(4):
        gs += 8
        wandb.log({"train/loss": 1.0 / gs, "train/global_step": gs})
    wandb.log({"val/loss": 1.0 - 0.2 * epoch, "val/acc": 0.5 + 0.1 * epoch, "epoch": epoch})
print("run", run.id)
run.finish()
