"""A Lightning fit recorded by trainboard: one logger (pip install 'trainboard[lightning]').

    python examples/lightning_fit.py
    trainboard show lit-regression     # hyperparameters, progress, val_loss, best checkpoint
    trainboard ui

A small regression net trains on the CPU in seconds; with your own LightningModule only the
logger= line is needed."""

from __future__ import annotations

import os
import tempfile
from typing import Any

import lightning as L
import torch
from lightning.pytorch.callbacks import ModelCheckpoint

from trainboard.integrations.lightning import TrainboardLogger


class Regression(L.LightningModule):
    def __init__(self, lr: float = 0.05, hidden: int = 16) -> None:
        super().__init__()
        self.save_hyperparameters()  # becomes the run's config
        self.net = torch.nn.Sequential(
            torch.nn.Linear(1, hidden), torch.nn.Tanh(), torch.nn.Linear(hidden, 1)
        )

    def training_step(self, batch: Any, batch_idx: int) -> Any:
        x, y = batch
        loss = torch.nn.functional.mse_loss(self.net(x), y)
        self.log("train_loss", loss, on_step=True, on_epoch=True)
        return loss

    def validation_step(self, batch: Any, batch_idx: int) -> None:
        x, y = batch
        self.log("val_loss", torch.nn.functional.mse_loss(self.net(x), y))

    def configure_optimizers(self) -> Any:
        return torch.optim.Adam(self.parameters(), lr=self.hparams.lr)


def loader(n: int, seed: int) -> Any:
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 1, generator=g) * 4 - 2
    y = torch.sin(2 * x) + 0.05 * torch.randn(n, 1, generator=g)
    return torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=32)


def main(steps: int = 300) -> None:
    trainer = L.Trainer(
        max_steps=steps,
        accelerator="cpu",
        logger=TrainboardLogger(project="examples", name="lit-regression", tags=["example"]),
        default_root_dir=os.path.join(tempfile.gettempdir(), "trainboard-lightning-example"),
        val_check_interval=25,
        log_every_n_steps=5,
        callbacks=[ModelCheckpoint(monitor="val_loss", save_top_k=1, every_n_train_steps=25)],
        enable_progress_bar=False,
    )
    trainer.fit(Regression(), loader(2048, 1), loader(256, 2))


if __name__ == "__main__":
    main(int(os.environ.get("EXAMPLE_STEPS", "300")))
