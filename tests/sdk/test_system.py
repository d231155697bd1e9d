"""System metrics: a real psutil reading, sampled into the run by the background thread."""

from __future__ import annotations

import time

import pytest

import trainboard
from trainboard.sdk.system import sample_once
from trainboard.store import open_store

HOST_KEYS = {"sys/cpu_percent", "sys/ram_percent", "sys/ram_used_gb", "sys/proc_rss_gb"}


def test_one_reading_has_the_host_metrics_in_range() -> None:
    got = sample_once()
    assert HOST_KEYS <= set(got)
    assert 0.0 <= got["sys/cpu_percent"] <= 100.0 * 64
    assert 0.0 < got["sys/ram_percent"] <= 100.0
    assert 0.0 < got["sys/proc_rss_gb"] < got["sys/ram_used_gb"] * 100


def test_system_metrics_are_logged_as_metrics_of_the_run(
    tb_home: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRAINBOARD_SYSTEM_INTERVAL", "0.2")
    run = trainboard.init(project="p")
    run.log({"loss": 1.0}, step=5)
    deadline = time.monotonic() + 30
    assert run.flush(30)
    with open_store() as s:
        while not HOST_KEYS <= set(s.metric_keys(run.id)):
            assert time.monotonic() < deadline, s.metric_keys(run.id)
            run.flush(5)
            time.sleep(0.05)
        cpu = s.read_series(run.id, "sys/cpu_percent")
    run.finish()
    assert set(cpu.steps.tolist()) == {5}  # logged at the run's current step
    assert "sys/cpu_percent" not in run.summary  # the summary is what the user logged


def test_interval_zero_disables_sampling(tb_home: str) -> None:
    with trainboard.init(project="p") as run:  # tb_home sets TRAINBOARD_SYSTEM_INTERVAL=0
        run.log({"loss": 1.0})
        assert run.state.system is None
    with open_store() as s:
        assert s.metric_keys(run.id) == ["loss"]
