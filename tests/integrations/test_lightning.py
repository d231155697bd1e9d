"""A real Lightning Trainer (CPU, 30 steps) on a tiny real LightningModule logs through
TrainboardLogger; the stored run is read back as the API and CLI would."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")
L = pytest.importorskip("lightning")

from lightning.pytorch.callbacks import LearningRateMonitor, ModelCheckpoint  # noqa: E402

import trainboard  # noqa: E402
from trainboard.analysis.progress import progress_for  # noqa: E402
from trainboard.integrations.lightning import TrainboardLogger  # noqa: E402
from trainboard.sdk.run import Run  # noqa: E402
from trainboard.store import open_store  # noqa: E402
from trainboard.store.attempts import NAMESPACE as ATTEMPTS  # noqa: E402
from trainboard.store.attempts import attempts_of  # noqa: E402
from trainboard.store.queries import RunQuery  # noqa: E402

pytestmark = pytest.mark.filterwarnings(
    "ignore::lightning.fabric.utilities.warnings.PossibleUserWarning",
    "ignore:.*does not have many workers.*:UserWarning",
    # lightning 2.6.6 on torch 2.13: its own pytree helper uses a deprecated torch check
    "ignore:.*isinstance\\(treespec, LeafSpec\\).*:FutureWarning",
)


class Regression(L.LightningModule):  # type: ignore[misc]
    """y = 3x - 1 with a little noise: the loss falls fast and steadily."""

    def __init__(self, lr: float = 0.05, hidden: int = 8, fail_at: int | None = None) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.net = torch.nn.Sequential(
            torch.nn.Linear(1, hidden), torch.nn.Tanh(), torch.nn.Linear(hidden, 1)
        )

    def training_step(self, batch: Any, batch_idx: int) -> Any:
        if self.hparams.fail_at is not None and self.global_step >= self.hparams.fail_at:
            if self.hparams.fail_at < 0:
                raise KeyboardInterrupt
            raise RuntimeError("CUDA out of memory (simulated)")
        x, y = batch
        loss = torch.nn.functional.mse_loss(self.net(x), y)
        self.log("train_loss", loss, on_step=True, on_epoch=True)
        return loss

    def validation_step(self, batch: Any, batch_idx: int) -> None:
        x, y = batch
        self.log("val_loss", torch.nn.functional.mse_loss(self.net(x), y))

    def test_step(self, batch: Any, batch_idx: int) -> None:
        x, y = batch
        self.log("test_loss", torch.nn.functional.mse_loss(self.net(x), y))

    def configure_optimizers(self) -> Any:
        return torch.optim.Adam(self.parameters(), lr=self.hparams.lr)


def _loader(n: int, seed: int) -> Any:
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 1, generator=g) * 2 - 1
    y = 3 * x - 1 + 0.01 * torch.randn(n, 1, generator=g)
    return torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=16)


def _trainer(root: Path, logger: TrainboardLogger, **kw: Any) -> Any:
    torch.manual_seed(0)
    base: dict[str, Any] = {
        "max_steps": 30,
        "accelerator": "cpu",
        "devices": 1,
        "logger": logger,
        "default_root_dir": str(root),
        "val_check_interval": 10,
        "log_every_n_steps": 2,
        "enable_progress_bar": False,
        "enable_model_summary": False,
        "callbacks": [
            ModelCheckpoint(monitor="val_loss", save_top_k=1, every_n_train_steps=10),
            LearningRateMonitor(logging_interval="step"),
        ],
    }
    base.update(kw)
    return L.Trainer(**base)


def _steps(run_id: str, key: str) -> list[int]:
    with open_store() as s:
        return s.read_series(run_id, key).steps.tolist()  # type: ignore[no-any-return]


def test_fit_is_a_run_with_hparams_progress_roles_and_the_best_checkpoint(
    tb_home: str, tmp_path: Path
) -> None:
    logger = TrainboardLogger(project="lit", name="regression", tags=["tiny"])
    trainer = _trainer(tmp_path, logger)
    trainer.fit(Regression(), _loader(320, 1), _loader(64, 2))
    assert isinstance(logger.experiment, Run) and logger.experiment.id == logger.version
    assert logger.name == "lit"
    with open_store() as s:
        [run] = s.list_runs(RunQuery())
        arts = s.list_artifacts(run.id)
        prog = progress_for(s, run)
    assert (run.name, run.status, run.tags, run.total_steps) == (
        "regression",
        "finished",
        ["tiny"],
        30,
    )
    assert run.config == {"lr": 0.05, "hidden": 8, "fail_at": None}
    assert {"train_loss_step", "train_loss_epoch", "val_loss", "epoch", "lr-Adam"} <= set(
        run.summary
    )
    assert _steps(run.id, "train_loss_step") == list(range(1, 30, 2))  # log_every_n_steps=2
    assert _steps(run.id, "val_loss") == [9, 19, 29]
    assert run.summary["val_loss"].last < run.summary["val_loss"].max
    # the roles vocabulary reads Lightning's names: the per-step loss is the train loss
    assert prog.loss_key == "train_loss_step" and prog.total_steps == 30
    # its last point is at step 29 (counted from 0): finished, it did all 30 steps
    assert (prog.step, prog.percent, prog.status) == (30, 100.0, "finished")
    # the best checkpoint by reference, at the step it was saved
    ckpt = trainer.checkpoint_callback
    [best] = arts
    assert best.kind == "best_checkpoint" and best.path == str(Path(ckpt.best_model_path).resolve())
    assert best.step in (9, 19, 29) and best.size > 0
    assert Path(ckpt.best_model_path).is_relative_to(tmp_path / "lit" / run.id / "checkpoints")
    # trainer.validate() later re-opens the same run and finishes it again
    trainer.validate(trainer.lightning_module, _loader(64, 3))
    with open_store() as s:
        again = s.get_run(run.id)
        count = len(s.list_runs(RunQuery()))
    assert again.status == "finished" and count == 1
    assert again.summary["val_loss"].last_time > run.summary["val_loss"].last_time
    # trainer.test() logs one value per metric for the whole run: the run's summary
    trainer.test(trainer.lightning_module, _loader(64, 4))
    with open_store() as s:
        tested = s.get_run(run.id)
        own = s.read_run_values(run.id, "summary")
    assert set(own) == {"test_loss"} and 0 <= own["test_loss"] < 1.0
    assert "test_loss" not in tested.summary and tested.status == "finished"


def test_a_failed_fit_is_failed_with_the_error_and_its_best_checkpoint(
    tb_home: str, tmp_path: Path
) -> None:
    logger = TrainboardLogger(project="lit", copy_checkpoints=True)
    trainer = _trainer(tmp_path, logger)
    with pytest.raises(RuntimeError, match="CUDA out of memory"):
        trainer.fit(Regression(fail_at=15), _loader(320, 1), _loader(64, 2))
    with open_store() as s:
        [run] = s.list_runs(RunQuery())
        arts = s.list_artifacts(run.id)
    assert run.status == "failed" and run.notes == "RuntimeError: CUDA out of memory (simulated)"
    assert run.last_step is not None and run.last_step <= 15
    [best] = arts
    assert best.step == 9 and best.path.startswith(f"{run.id}/")  # copied into the store
    assert (Path(tb_home) / "artifacts" / best.path).is_file()


@pytest.mark.filterwarnings("ignore:Checkpoint directory .* exists and is not empty")
def test_a_fit_resumed_from_ckpt_path_continues_the_run_at_its_step(
    tb_home: str, tmp_path: Path
) -> None:
    """The fit died at step 15, its checkpoint at 10: `fit(ckpt_path=...)` with
    `TrainboardLogger(resume=ID)` continues the run at step 10; the points the first attempt
    logged after 10 are kept as superseded."""
    ck = tmp_path / "ck"

    def saves() -> list[Any]:
        return [
            ModelCheckpoint(dirpath=ck, every_n_train_steps=10, save_top_k=-1, filename="{step}")
        ]

    first = TrainboardLogger(project="lit")
    with pytest.raises(RuntimeError, match="CUDA out of memory"):
        _trainer(tmp_path, first, callbacks=saves()).fit(
            Regression(fail_at=15), _loader(320, 1), _loader(64, 2)
        )
    run_id = first.version
    assert run_id is not None and (ck / "step=10.ckpt").exists()
    again = TrainboardLogger(project="lit", resume=run_id)
    _trainer(tmp_path, again, callbacks=saves()).fit(
        Regression(), _loader(320, 1), _loader(64, 2), ckpt_path=str(ck / "step=10.ckpt")
    )
    assert again.version == run_id
    with open_store() as s:
        run = s.get_run(run_id)
        gone = s.read_series(run_id, "train_loss_step", superseded=True).steps.tolist()
        tried = attempts_of(s.read_run_values(run_id, ATTEMPTS))
    assert run.status == "finished" and run.last_step == 29
    assert _steps(run_id, "train_loss_step") == list(range(1, 30, 2))
    assert gone == [11, 13]
    assert [(a.n, a.from_step) for a in tried] == [(1, None), (2, 10)]


def test_an_interrupted_fit_is_killed(tb_home: str, tmp_path: Path) -> None:
    before = signal.getsignal(signal.SIGINT)
    logger = TrainboardLogger(project="lit")
    trainer = _trainer(tmp_path, logger)
    try:
        with pytest.raises(SystemExit):  # Lightning's graceful shutdown after Ctrl-C
            trainer.fit(Regression(fail_at=-1), _loader(320, 1), _loader(64, 2))
    finally:
        signal.signal(signal.SIGINT, before)  # Lightning leaves SIGINT ignored
    with open_store() as s:
        [run] = s.list_runs(RunQuery())
    assert (run.status, run.notes) == ("killed", "KeyboardInterrupt")


@pytest.mark.slow  # the example script in a child process
def test_example_script_records_a_run(tb_home: str) -> None:
    import os
    import subprocess
    import sys

    example = Path(__file__).resolve().parents[2] / "examples" / "lightning_fit.py"
    env = dict(os.environ, TRAINBOARD_HOME=tb_home, TRAINBOARD_SYSTEM_INTERVAL="0")
    env["EXAMPLE_STEPS"] = "50"
    r = subprocess.run(
        [sys.executable, str(example)], capture_output=True, text=True, env=env, timeout=240
    )
    assert r.returncode == 0, r.stderr[-3000:]
    with open_store() as s:
        [run] = s.list_runs(RunQuery())
        arts = s.list_artifacts(run.id)
    assert (run.name, run.status, run.total_steps) == ("lit-regression", "finished", 50)
    assert run.config == {"lr": 0.05, "hidden": 16} and run.summary["val_loss"].count == 2
    assert [a.kind for a in arts] == ["best_checkpoint"]


class WithSamples(Regression):
    """Logs an image, a sound and a table of predictions at each validation."""

    def on_validation_epoch_end(self) -> None:
        step = self.global_step
        pixels = torch.full((3, 4, 4), step / 30.0)
        self.logger.log_image("val/images", [pixels], step=step, caption=[f"at {step}"])
        self.logger.log_audio("val/sound", [torch.zeros(800)], step=step, sample_rate=[8000])
        x = torch.tensor([[0.0], [1.0]])
        pred = self.net(x).detach().reshape(-1).tolist()
        rows = [[f"x={v[0]:g}", p] for v, p in zip(x.tolist(), pred, strict=True)]
        self.logger.log_table("val/predictions", columns=["input", "pred"], data=rows, step=step)


def test_log_image_audio_and_table_from_a_lightning_module(tb_home: str, tmp_path: Path) -> None:
    logger = TrainboardLogger(project="lit", name="media")
    _trainer(tmp_path, logger).fit(WithSamples(), _loader(256, 1), _loader(64, 2))
    api = trainboard.Api()
    run = api.run(logger.experiment.id)
    images = run.media("val/images")
    assert len(images) >= 2 and all(m.caption == f"at {m.step}" for m in images)
    assert images[-1].numpy().shape == (4, 4, 3)
    assert [m.kind for m in run.media("val/sound")][-1] == "audio"
    table = run.table("val/predictions")
    assert table["input"].tolist() == ["x=0", "x=1"]
    assert abs(table["pred"][1] - 2.0) < 1.0  # y = 3x - 1, roughly learned


class _StopFromCli(L.Callback):  # type: ignore[misc]
    """Runs `trainboard stop RUN` in a child process, as a person would, once at `step`."""

    def __init__(self, logger: TrainboardLogger, step: int) -> None:
        self.logger, self.step = logger, step

    def on_train_batch_end(self, trainer: Any, *args: Any) -> None:
        if trainer.global_step == self.step:
            cmd = [sys.executable, "-m", "trainboard", "stop", self.logger.experiment.id]
            subprocess.run(cmd, check=True, capture_output=True, timeout=60)


def test_a_fit_stopped_from_the_cli_ends_stopped(
    tb_home: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRAINBOARD_CONTROL_INTERVAL", "0.2")
    logger = TrainboardLogger(project="lit")
    trainer = _trainer(tmp_path, logger, max_steps=100_000, val_check_interval=None,
                       callbacks=[_StopFromCli(logger, 4)], max_epochs=None)  # fmt: skip
    trainer.fit(Regression(), _loader(320, 1), _loader(64, 2))
    assert 4 <= trainer.global_step < 100  # within a few batches of the ask
    with open_store() as s:
        [run] = s.list_runs(RunQuery())
    assert run.status == "stopped" and "asked to stop by cli:" in (run.notes or "")
