"""A script's own step counter as the run's step, and its total steps from its config
(sdk/stepcount.py, roles/steps.py), through the real SDK and SQLite store."""

from __future__ import annotations

import numpy as np
import pytest

import trainboard
from trainboard.errors import TrainboardWarning
from trainboard.roles.steps import counter_value, total_steps_from_config
from trainboard.store import open_store


def _steps(run_id: str, key: str) -> list[int]:
    with open_store() as s:
        return s.read_series(run_id, key).steps.tolist()


def test_total_steps_from_config() -> None:
    assert total_steps_from_config({"max_iters": 5000, "eval_interval": 250}) == 5000
    assert total_steps_from_config({"train_iters": 800.0}) == 800
    # HF: max_steps=-1 means "by epochs"; epochs × steps per epoch when both are known
    hf = {"max_steps": -1, "num_train_epochs": 3.0, "steps_per_epoch": 115}
    assert total_steps_from_config(hf) == 345
    assert total_steps_from_config({"num_train_epochs": 0.5, "num_update_steps_per_epoch": 7}) == 4
    assert total_steps_from_config({"num_train_epochs": 3}) is None  # epochs alone: unknown
    # nested (Hydra, Lightning's hparams), the top level first
    assert total_steps_from_config({"trainer": {"max_steps": 2000}, "lr": 3e-4}) == 2000
    assert total_steps_from_config({"total_steps": 10, "trainer": {"max_steps": 20}}) == 10
    for bad in ({}, None, {"max_steps": True}, {"max_iters": "100"}, {"max_iters": 2.5},
                {"max_iters": float("inf")}, {"max_steps": 0}):  # fmt: skip
        assert total_steps_from_config(bad) is None


def test_counter_values() -> None:
    assert [counter_value(v) for v in (3, 20.0, np.int64(7), np.float32(2.0))] == [3, 20, 7, 2]
    assert [counter_value(v) for v in (True, -1, 2.5, "3", np.array([1, 2]), None)] == [None] * 6


def test_iter_in_the_dict_is_the_step_and_max_iters_the_total(tb_home: str) -> None:
    run = trainboard.init(project="owt", config={"max_iters": 100, "eval_interval": 20})
    assert run.total_steps == 100
    run.log({"lr": 0.1})  # before the counter appears: previous + 1
    for it in (20, 40, 60):
        run.log({"iter": it, "train/loss": 1.0 / it})
        run.log({"mfu": 12.5})  # a call without the counter stays at its step
    assert run.step == 60
    run.log({"train/loss": 0.01}, step=80)  # step= given always wins
    run.finish()
    assert _steps(run.id, "train/loss") == [20, 40, 60, 80]
    assert _steps(run.id, "mfu") == [20, 40, 60] and _steps(run.id, "lr") == [0]
    with open_store() as s:
        assert s.get_run(run.id).total_steps == 100


def test_a_counter_that_stops_counting_is_dropped_once(tb_home: str) -> None:
    run = trainboard.init(project="p", total_steps=7)  # given: the config does not override
    run.update_config({"max_steps": 1000})
    assert run.total_steps == 7
    run.log({"global_step": 5, "loss": 1.0})
    run.log({"global_step": 6, "loss": 0.9})
    with pytest.warns(TrainboardWarning, match=r"'global_step' was the run's step until now, "
                      r"but 2 does not follow step 6"):  # fmt: skip
        run.log({"global_step": 2, "loss": 0.8})  # a second phase starts over
    run.log({"global_step": 3, "loss": 0.7})  # no second warning: the counter is off
    run.finish()
    assert _steps(run.id, "loss") == [5, 6, 7, 8]


def test_what_is_not_a_step_counter(tb_home: str) -> None:
    run = trainboard.init(project="p")
    run.log({"iter": 2.5, "loss": 1.0})  # not whole
    run.log({"epoch": 3, "loss": 0.9})  # an epoch is an x-axis, never the step
    run.log({"samples": 640, "loss": 0.8})  # not one of the counters
    run.define_metric("val/*", step_metric="epoch")  # declared: still an epoch
    run.log({"epoch": 7, "val/loss": 0.5})
    run.finish()
    assert _steps(run.id, "loss") == [0, 1, 2]
    assert _steps(run.id, "epoch") == [1, 3] and _steps(run.id, "val/loss") == [7]


def test_declared_step_metric_counts_and_config_update_gives_the_total(tb_home: str) -> None:
    run = trainboard.init(project="p")
    assert run.total_steps is None
    run.config.update({"max_steps": 300})  # wandb scripts set the config after init()
    assert run.total_steps == 300
    run.define_metric("*", step_metric="optimizer_step")
    for s in (10, 20, 30):
        run.log({"optimizer_step": s, "train/loss": 1.0 / s})
    run.finish()
    assert _steps(run.id, "train/loss") == [10, 20, 30]
    with open_store() as st:
        stored = st.get_run(run.id)
        assert (stored.total_steps, stored.last_step) == (300, 30)


def test_counter_with_media_and_nested_dicts(tb_home: str) -> None:
    run = trainboard.init(project="p")
    run.log({"iter": 50, "train": {"loss": 1.0}, "h": trainboard.Histogram([1.0, 2.0, 3.0])})
    run.finish()
    assert _steps(run.id, "train/loss") == [50]
    with open_store() as s:
        assert [h.step for h in s.read_histograms(run.id)] == [50]
