"""A Hugging Face Trainer run recorded by trainboard: one callback (pip install 'trainboard[hf]').

    python examples/hf_trainer.py
    trainboard show tiny-gpt2          # config, progress, eval loss, health verdict
    trainboard ui

A tiny GPT-2 built from a config (no download) learns to count on the CPU in about a minute.
For a real model, pass your own model and datasets; the callback line stays the same."""

from __future__ import annotations

import os
import tempfile
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch
from transformers import GPT2Config, GPT2LMHeadModel, Trainer, TrainingArguments

from trainboard.integrations.hf import TrainboardCallback

VOCAB, SEQ = 32, 16


class Counting(torch.utils.data.Dataset):  # type: ignore[type-arg]
    """Token sequences that count up from a random start (easy to learn)."""

    def __init__(self, n: int, seed: int) -> None:
        g = torch.Generator().manual_seed(seed)
        self.ids = (torch.randint(0, VOCAB, (n, 1), generator=g) + torch.arange(SEQ)) % VOCAB

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, i: int) -> dict[str, Any]:
        return {"input_ids": self.ids[i], "labels": self.ids[i]}


def main(steps: int = 60) -> None:
    model = GPT2LMHeadModel(
        GPT2Config(
            vocab_size=VOCAB,
            n_positions=SEQ,
            n_embd=32,
            n_layer=2,
            n_head=2,
            bos_token_id=0,
            eos_token_id=0,
        )  # fmt: skip
    )
    args = TrainingArguments(
        output_dir=os.path.join(tempfile.gettempdir(), "trainboard-hf-example"),
        run_name="tiny-gpt2",
        project="examples",
        max_steps=steps,
        per_device_train_batch_size=8,
        learning_rate=3e-3,
        warmup_steps=5,
        logging_steps=2,
        eval_strategy="steps",
        eval_steps=10,
        save_steps=20,
        include_num_input_tokens_seen=True,
        report_to="none",  # or report_to="trainboard" instead of the callbacks= line
        use_cpu=True,
    )
    trainer = Trainer(
        model=model,
        args=args,
        train_dataset=Counting(1000, seed=1),
        eval_dataset=Counting(64, seed=2),
        callbacks=[TrainboardCallback(tags=["example"])],
    )
    trainer.train()


if __name__ == "__main__":
    main(int(os.environ.get("EXAMPLE_STEPS", "60")))
