"""A tiny HF Trainer job on CPU that the HF rank test starts with torchrun (gloo DDP):
rank 1 sleeps JOB_SLOW seconds before each step's forward pass (a slower device or a busier
host would do the same), so the all-reduce makes rank 0 wait for it.
JOB_STORE is the store URL, JOB_STEPS the step count. The TrainboardCallback alone does the
rest: every rank joins the run, and each times its wait in the all-reduce."""

from __future__ import annotations

import faulthandler
import os
import time
from typing import Any

import torch
from transformers import GPT2Config, GPT2LMHeadModel, Trainer, TrainerCallback, TrainingArguments

from trainboard.integrations.hf import TrainboardCallback

faulthandler.dump_traceback_later(200, exit=True)  # a hung job says where, and ends
VOCAB, SEQ = 32, 16
rank = int(os.environ["RANK"])


class Counting(torch.utils.data.Dataset):  # type: ignore[misc]
    def __init__(self, n: int) -> None:
        self.ids = (torch.randint(0, VOCAB, (n, 1)) + torch.arange(SEQ)) % VOCAB

    def __len__(self) -> int:
        return int(self.ids.shape[0])

    def __getitem__(self, i: int) -> dict[str, Any]:
        return {"input_ids": self.ids[i], "labels": self.ids[i]}


class SlowRank(TrainerCallback):  # type: ignore[misc]
    def on_step_begin(self, *args: Any, **kwargs: Any) -> None:
        if rank == 1:
            time.sleep(float(os.environ.get("JOB_SLOW", "0.1")))


torch.manual_seed(0)
cfg = GPT2Config(vocab_size=VOCAB, n_positions=SEQ, n_embd=32, n_layer=2, n_head=2)
args = TrainingArguments(
    output_dir=os.environ["JOB_OUT"],
    max_steps=int(os.environ.get("JOB_STEPS", "40")),
    per_device_train_batch_size=4,
    logging_steps=5,
    save_strategy="no",
    report_to="none",
    use_cpu=True,
    ddp_backend="gloo",
    disable_tqdm=True,
    run_name="hf-ddp",
    project="hf-ddp",
)
trainer = Trainer(
    model=GPT2LMHeadModel(cfg),
    args=args,
    train_dataset=Counting(2000),
    callbacks=[TrainboardCallback(store=os.environ["JOB_STORE"]), SlowRank()],
)
trainer.train()
