"""The SummaryWriter drop-in: torch's signatures, recording into trainboard, and with
also_tensorboard=True the same job in real TensorBoard files."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch
from tensorboard.backend.event_processing.event_file_loader import EventFileLoader

from trainboard.errors import TrainboardWarning
from trainboard.integrations.tensorboard_events import event_files, run_folders
from trainboard.store import open_store
from trainboard.tensorboard import SummaryWriter


def test_a_torch_style_loop_records_into_trainboard(tb_home: str, tmp_path: Path) -> None:
    log_dir = str(tmp_path / "runs" / "exp1")
    with SummaryWriter(log_dir, also_tensorboard=True) as writer:
        assert writer.log_dir == log_dir == writer.get_logdir()
        for step in range(20):
            writer.add_scalar("Loss/train", 1.0 / (step + 1), step)
            writer.add_scalars("lr", {"group0": 0.1, "group1": 0.01}, step)
        writer.add_scalar("Loss/validation", 0.5)  # no step: the writer's global_step
        assert writer.global_step == 19
        writer.add_scalar("throughput", 123.0, 20, walltime=1_700_000_000.0)
        writer.add_histogram("weights", np.arange(100, dtype=np.float32), 19)
        writer.add_text("sample", "hello", 19)
        writer.add_hparams({"lr": 0.1, "layers": 2}, {"hparam/acc": 0.75})
        img = np.random.default_rng(0).random((3, 4, 5)).astype(np.float32)
        writer.add_image("img", img, 19)
        writer.add_image("img", img.transpose(1, 2, 0), 20, dataformats="HWC")
        writer.add_images("batch", np.stack([img, img]), 19)
        writer.add_audio("snd", torch.zeros(1, 800), 19, sample_rate=8000)
        writer.add_video("vid", torch.zeros(1, 2, 3, 4, 4), 19)
        with pytest.warns(TrainboardWarning, match=r"add_mesh\(\): not stored by trainboard"):
            writer.add_mesh("mesh", torch.zeros(1, 3, 3), global_step=19)
        writer.flush()
        run_id = writer.run.id
    with open_store() as s:
        run = s.get_run(run_id)
        assert (run.name, run.project, run.status) == (log_dir, "tensorboard", "finished")
        kinds = {(k.key, k.kind, k.count) for k in s.media_keys(run_id)}
        assert kinds == {
            ("img", "image", 2),
            ("batch", "image", 2),
            ("snd", "audio", 1),
            ("vid", "video", 1),
        }
        a, b = (s.read_blob(r.digest)[1] for r in s.read_media(run_id, "img"))
        assert a == b  # CHW and HWC of the same pixels: the same PNG
        assert run.config == {"lr": 0.1, "layers": 2}
        assert s.read_series(run_id, "Loss/train").steps.tolist() == list(range(20))
        assert s.read_series(run_id, "lr/group1").values.tolist() == [0.01] * 20
        assert s.read_series(run_id, "Loss/validation").steps.tolist() == [19]
        tp = s.read_series(run_id, "throughput")
        assert tp.steps.tolist() == [20] and tp.times.tolist() == [1_700_000_000.0]
        assert s.read_histograms(run_id)[0].count == 100
        assert [(t.key, t.step, t.text) for t in s.read_texts(run_id)] == [("sample", 19, "hello")]
    # the same job, readable by TensorBoard
    folders = run_folders(log_dir)
    assert folders[0] == log_dir
    tags = set()
    for name in event_files(log_dir):
        for ev in EventFileLoader(os.path.join(log_dir, name)).Load():
            tags |= {v.tag for v in ev.summary.value}
    assert {"Loss/train", "Loss/validation", "weights", "sample/text_summary"} <= tags


def test_a_failing_block_ends_the_run_failed(tb_home: str, tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), SummaryWriter(str(tmp_path / "x")) as writer:
        writer.add_scalar("loss", 1.0, 0)
        raise RuntimeError("boom")
    with open_store() as s:
        run = s.get_run(writer.run.id)
        assert run.status == "failed" and "boom" in (run.notes or "")
