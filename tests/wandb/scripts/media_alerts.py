"""wandb data types, alerts, save and artifacts in one run; then a disabled run."""

import os
import sys

import numpy as np

import trainboard as wandb

workdir = sys.argv[1]
run = wandb.init(project="media", name="media")
values = np.arange(100, dtype=np.float64)
wandb.log(
    {
        "weights": wandb.Histogram(values),
        "binned": wandb.Histogram(np_histogram=np.histogram(values, bins=4)),
        "report": wandb.Html("<h1>Report</h1>"),
        "preds": wandb.Table(columns=["id", "pred"], data=[[1, "cat"], [2, "dog"]]),
        "sample": wandb.Image(np.zeros((4, 4))),
        "other": wandb.Image(np.zeros((4, 4))),
        "losses": {"train": 1.5, "val": 1.7},
    }
)
wandb.alert(title="Loss spike", text="train loss x3", level=wandb.AlertLevel.WARN)
wandb.alert(title="Loss spike", text="again", level="WARN", wait_duration=300)  # rate-limited
wandb.alert(title="Done", text="all good")
with open(os.path.join(workdir, "notes.txt"), "w") as f:
    f.write("hello")
wandb.save(os.path.join(workdir, "*.txt"))
art = wandb.Artifact("model", type="model", metadata={"acc": 0.9})
with art.new_file("weights.bin", mode="wb") as f:
    f.write(b"\0" * 16)
run.log_artifact(art)
print("run", run.id)
wandb.finish()

off = wandb.init(project="media", name="off", mode="disabled")
wandb.log({"x": "not even a number", "h": wandb.Histogram([1, 2])})
wandb.config.update({"a": 1})
wandb.summary["b"] = 2
wandb.alert(title="t", text="x")
print("disabled", off.id, off.disabled)
wandb.finish()
