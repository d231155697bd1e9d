"""Names the Hugging Face Trainer gives what it logs, for the code that reads its logs without
importing transformers (the TensorBoard import) as well as for the callback (hf.py)."""

from __future__ import annotations

END_OF_TRAINING = (
    "train_runtime",
    "train_samples_per_second",
    "train_steps_per_second",
    "train_loss",
    "total_flos",
)
"""What the Trainer logs once, when training ends (the names transformers' own WandbCallback
puts in wandb's run summary): a run's summary, never drawn as one-point series. Its
TensorBoardCallback writes them as "train/<name>" scalars."""

__all__ = ["END_OF_TRAINING"]
