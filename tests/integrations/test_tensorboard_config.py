"""The config a TensorBoard log's texts hold (integrations/tensorboard_config.py), written by
torch's real SummaryWriter and brought in by the real import."""

from __future__ import annotations

import json
from pathlib import Path

from torch.utils.tensorboard import SummaryWriter

from trainboard.integrations.tensorboard import import_logdir
from trainboard.integrations.tensorboard_config import config_from_texts
from trainboard.store.base import Store


def test_args_and_model_config_texts_become_the_config(store: Store, tmp_path: Path) -> None:
    logdir = tmp_path / "runs"
    w = SummaryWriter(str(logdir / "hf"))
    w.add_text("args", json.dumps({"learning_rate": 5e-5, "max_steps": 300, "hub_token": None}))
    w.add_text("model_config", json.dumps({"model_type": "gpt2", "n_layer": 12}))
    w.add_text("samples", "{not json", 0)
    w.add_text("notes", json.dumps({"a": 1}))  # JSON, but not a text the Trainer writes
    for i in range(5):
        w.add_scalar("train/loss", 2.0 - i * 0.1, i * 10)
    w.close()
    [result] = import_logdir(store, str(logdir))
    run = store.get_run(result.run_id)
    assert run.config == {
        "learning_rate": 5e-5,
        "max_steps": 300,
        "hub_token": None,
        "model": {"model_type": "gpt2", "n_layer": 12},
    }
    assert run.total_steps == 300
    assert len(store.read_texts(run.id)) == 4  # every text stays a text


def test_what_is_not_a_config() -> None:
    texts = [
        ("args/text_summary", 0, 1.0, "[1, 2]"),  # JSON, not an object
        ("args", 0, 1.0, "lr=3e-4"),  # not JSON
        ("model_config/text_summary", 0, 1.0, '{"n_layer": 2}'),
        ("model_config/text_summary", 9, 2.0, '{"n_layer": 4}'),  # written again: the later
    ]
    assert config_from_texts(texts) == {"model": {"n_layer": 4}}
    assert config_from_texts([]) == {}
