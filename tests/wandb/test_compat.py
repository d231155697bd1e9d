"""The wandb surface in one process: the module attributes, config and summary objects,
init's wandb arguments (id, resume, reinit, mode) and the exact errors of bad input."""

from __future__ import annotations

import argparse

import pytest

import trainboard
import trainboard as wandb
from trainboard.errors import RunNotFoundError, UsageError
from trainboard.store import open_store


def test_module_run_config_summary_follow_the_current_run(tb_home: str) -> None:
    assert wandb.run is None and dict(wandb.config) == {} and wandb.summary == {}
    run = wandb.init(project="p", config=argparse.Namespace(lr=0.1, layers=2))
    assert wandb.run is run
    wandb.config.update({"lr": 0.2}, allow_val_change=True)
    wandb.config["dropout"] = 0.5
    wandb.config.seed = 3
    assert wandb.config.lr == 0.2 and wandb.config["layers"] == 2 and "seed" in wandb.config
    assert dict(wandb.config) == {"lr": 0.2, "layers": 2, "dropout": 0.5, "seed": 3}
    assert run.config.as_dict() == dict(wandb.config) and len(wandb.config) == 4
    wandb.log({"loss": 1.5})
    wandb.summary["best"] = 0.25
    assert run.summary == {"loss": 1.5, "best": 0.25} and run.summary.best == 0.25
    from trainboard import config, settings  # wandb's config; the settings are a module apart

    assert config["lr"] == 0.2 and config.seed == 3 and settings.store_url().startswith("sqlite:")
    wandb.finish()
    assert wandb.run is None
    with open_store() as s:
        assert s.get_run(run.id).config == {"lr": 0.2, "layers": 2, "dropout": 0.5, "seed": 3}
        assert s.read_run_values(run.id, "summary") == {"best": 0.25}


def test_init_id_resume_and_reinit(tb_home: str) -> None:
    first = wandb.init(project="p", id="my-run-1", resume="allow")
    first.log({"loss": 3.0})
    same = wandb.init(project="p", reinit="return_previous")
    assert same is first
    again = wandb.init(project="p", id="my-run-1", resume="allow")  # finishes `first`
    assert first.finished and again.id == "my-run-1" and again.step == 0
    again.log({"loss": 2.0})
    wandb.finish()
    with open_store() as s:
        assert s.read_series("my-run-1", "loss").steps.tolist() == [0, 1]
    with pytest.raises(RunNotFoundError):
        wandb.init(project="p", id="not-there", resume="must")
    with pytest.raises(UsageError, match=r"^init\(\): mode must be one of online, offline"):
        wandb.init(project="p", mode="cloud")


def test_disabled_mode_stores_nothing(tb_home: str) -> None:
    run = wandb.init(project="p", mode="disabled", config={"a": 1})
    run.log({"text": "anything", "n": {"x": object()}})
    run.define_metric("val/*", step_metric="epoch", summary="min")
    run.log({"val/loss": 1.0, "epoch": 1})
    assert run.disabled and not run.enabled and run.config.a == 1
    wandb.finish()
    with open_store() as s:
        assert s.list_runs() == []


def test_bad_define_metric_alert_and_watch_input(tb_home: str) -> None:
    run = trainboard.init(project="p")
    with pytest.raises(UsageError, match=r"^define_metric\(\): summary must be among min, max"):
        run.define_metric("loss", summary="median")
    with pytest.raises(UsageError, match=r"^define_metric\(\): goal must be 'minimize' or"):
        run.define_metric("val/*", goal="down")
    with pytest.raises(UsageError, match=r"^alert\(\): level must be INFO, WARN or ERROR"):
        run.alert("t", "x", level="LOUD")
    with pytest.raises(UsageError, match=r"^watch\(\): expected a torch.nn.Module, got int"):
        run.watch(3)
    with pytest.raises(TypeError, match=r"^log\(\): 'a/b' must be a number, got str"):
        run.log({"a": {"b": "x"}})
    run.finish()
